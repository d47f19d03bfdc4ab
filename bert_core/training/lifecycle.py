"""A run's life around its steps: its checkpoints, its clock, the stop on divergence, its record.

The loop (``bert_core.training.loop``) trains; a ``RunKeeper`` keeps the run:

    keeper.save()                 check the weights, add the time and memory so far to the
                                  state, write a resumable checkpoint (rank 0 only)
    keeper.check_weights(where)   a NaN or infinite weight stops the run, naming where
    keeper.diverged(error, where) the one message of a diverged run: what, where, the last
                                  good checkpoint, what to try

and ``run_record`` builds what a finished run returns (and ``metrics.json`` holds) from
its state, in one pure function.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.checkpoint import save_checkpoint
from bert_core.training.config import ExperimentConfig
from bert_core.training.distributed import World
from bert_core.training.guard import TrainingDiverged, check_weights
from bert_core.training.hooks import Extension, labels_of
from bert_core.training.memory import PeakMemory
from bert_core.training.run_folder import latest_path, shown
from bert_core.training.sampling import Schedule
from bert_core.training.state import TrainingState
from bert_core.training.timing import PhaseClock

__all__ = ["RunKeeper", "run_record"]


class RunKeeper:
    """Keeps one run's folder, clock and memory while the loop trains. Time and peak memory
    so far travel in each checkpoint (``TrainingState``), so a resumed run reports totals."""

    def __init__(self, config: ExperimentConfig, seed: int, folder: Path, world: World, model: nn.Module,
                 optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
                 modules: Mapping[str, nn.Module], state: TrainingState, clock: PhaseClock,
                 memory: PeakMemory) -> None:
        self.config, self.seed, self.folder, self.world = config, seed, folder, world
        self.model, self.optimizer, self.scheduler, self.modules = model, optimizer, scheduler, modules
        self.state, self.clock, self.memory = state, clock, memory
        self.started = time.perf_counter()

    def diverged(self, error: TrainingDiverged, where: str) -> TrainingDiverged:
        """``error`` as the run reports it: which run, where, and the last good checkpoint."""
        last = latest_path(self.folder)
        return TrainingDiverged(f"{self.config.name} (seed {self.seed}): {error} {where}. Nothing was "
                                f"saved from it: the last good checkpoint is {last}. Try a lower lr (now "
                                f"{self.config.learning_rate:g}).")

    def check_weights(self, where: str) -> None:
        try:
            check_weights(self.model)
        except TrainingDiverged as error:
            raise self.diverged(error, where) from None

    def save(self, weights_file: Path | None = None) -> None:
        """A resumable checkpoint of the run as it is (``weights_file``: this step's weights are
        already written there, as ``best.safetensors``)."""
        self.check_weights(f"before the checkpoint of step {self.state.step}")
        if not self.world.is_main:
            return
        self.state.wall_seconds += time.perf_counter() - self.started
        self.state.peak_memory_mb = max(self.state.peak_memory_mb, self.memory.peak_mb)
        with self.clock("checkpoint"):
            save_checkpoint(self.folder, self.state.step, self.model, self.optimizer, self.scheduler,
                            self.state.to_dict(), self.modules, weights_file=weights_file)
        self.started = time.perf_counter()


def run_record(config: ExperimentConfig, seed: int, state: TrainingState, model: MultitaskBERT,
               schedule: Schedule, extensions: Sequence[Extension], train_sizes: Mapping[str, int],
               dev: Mapping[str, Sequence[Example]], test: Mapping[str, Sequence[Example]],
               test_predictions: Mapping[str, list[float]], clock: PhaseClock, memory: PeakMemory,
               device: torch.device, world: World, folder: Path) -> dict[str, Any]:
    """What a finished run returns: its history, its best epoch's metrics and predictions,
    its cost (time by phase, peak memory, parameters) and where it lives."""
    return {
        "config_hash": state.run_hash, "seed": seed, "epochs": state.epochs, "losses": state.losses,
        "best_epoch": state.best_epoch, "best": state.best,
        "wall_seconds": round(state.wall_seconds, 1),
        # the total above stops at the last checkpoint; the phases also count the prediction files
        "phase_seconds": clock.rounded(),
        "peak_memory_mb": round(max(state.peak_memory_mb, memory.peak_mb), 1),
        "memory_kind": memory.kind, "device": str(device), "world_size": world.size,
        "trainable_parameters": model.num_parameters(trainable_only=True),
        "total_parameters": model.num_parameters(),
        "steps_per_epoch": schedule.plan(0).steps,
        "epoch_batches": [schedule.plan(e).batches() for e in range(config.epochs)],
        "train_examples": dict(train_sizes),
        **{name: state.records.get(name, []) for extension in extensions for name in extension.records},
        "dev_predictions": {t: {"ids": [e.id for e in dev[t]], "predictions": state.dev_predictions[t],  # type: ignore[index]
                                "labels": labels_of(dev[t])} for t in config.tasks},
        # kept in the stored result so that submission files can be written without the weights
        "test_predictions": {t: {"ids": [e.id for e in test[t]], "predictions": p}
                             for t, p in test_predictions.items()},
        "run_dir": shown(folder),
    }
