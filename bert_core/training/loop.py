"""The training loop behind ``run_experiment``: one config, one seed, one run.

    for epoch e (bert_core.training.sampling.Schedule: the tasks of each step, a frozen encoder):
        for step s of the epoch:
            batch_t = the next batch of each task t of the step (from its hooks.Source)
            training_step(model, batches)      bert_core.training.step: losses, the extensions'
                                               terms, backward, AdamW, after_step
            lr ← schedule(s)
        evaluate on dev; keep the weights if the overall score is the best so far

then the best weights predict dev and test-student, written in the starter's formats.
Every extension (the ranking loss, loss balancing, SMART, PCGrad) plugs in through the
hooks of ``bert_core.training.hooks``, registered in ``bert_core.training.plugins``.

The run lives in its folder (``bert_core.training.run_folder``). A run that is killed
resumes from its last checkpoint and ends exactly where an uninterrupted run ends: data
order is a pure function of the step, and the checkpoint holds the optimiser, the
scheduler, the random state and the ``TrainingState``. Before any folder is touched the
config has checked itself and every file the run reads has been read (``DataError``
naming the file and the line). A loss, a gradient norm or a weight that becomes NaN or
infinite stops the run (``bert_core.training.guard``: ``TrainingDiverged`` naming the step),
before it can reach a checkpoint or a result: the last checkpoint on disk is the last good
one. A finished run keeps its checkpoint until ``run_experiment`` has stored its result
(``finish=False``), so a kill while the predictions are written loses nothing.

Under ``torchrun`` the same loop runs in every process (``bert_core.training.distributed``):
each computes its shard of every batch, the losses are global means, the gradients are
summed across processes before the step, and rank 0 alone opens the folder, evaluates,
checkpoints and writes; the others return a record without the predictions.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from bert_core.bert.optim import AdamW
from bert_core.bert.tokenizer import Tokenizer
from bert_core.bert.weights import check_checkpoint, weights_bytes
from bert_core.device import autocast_for, compiled
from bert_core.errors import DataError, DataWarning
from bert_core.multitask.data import load_task, task_file
from bert_core.multitask.evaluate import (
    overall_score,
    predict,
    prediction_file_name,
    task_metric,
    write_predictions,
)
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.checkpoint import load_checkpoint, load_weights, save_weights
from bert_core.training.config import ExperimentConfig
from bert_core.training.datasets import dev_data, training_data
from bert_core.training.distributed import SINGLE, World, current_world, step_seed
from bert_core.training.guard import LossSpikes, TrainingDiverged
from bert_core.training.hooks import Source, Step, labels_of
from bert_core.training.lifecycle import RunKeeper, run_record
from bert_core.training.memory import PeakMemory
from bert_core.training.plugins import extensions_for
from bert_core.training.recipe import lr_schedule, model_for, parameter_groups, schedule_for
from bert_core.training.run_folder import (
    check_free_space,
    finish_run,
    locked_run,
    open_run,
    run_dir,
    write_json,
)
from bert_core.training.sampling import TaskStream
from bert_core.training.state import TrainingState
from bert_core.training.step import training_step
from bert_core.training.timing import PhaseClock

__all__ = ["TrainingDiverged", "read_run_data", "train_run", "evaluate_on"]


def read_run_data(config: ExperimentConfig, data: str | Path
                  ) -> tuple[dict[str, list[Example]], dict[str, list[Example]], dict[str, list[Example]]]:
    """Every example the run will read, read before any work: the training and dev sets,
    and the test-student sets it will predict (a missing test-student file is a warning:
    its predictions are not written). An empty training or dev set is a ``DataError``."""
    train, dev = training_data(config, data), dev_data(config, data)
    for split, sets in (("train", train), ("dev", dev)):
        for task, examples in sets.items():
            if not examples:
                raise DataError(f"{task_file(task, split, data)}: no usable {split} examples for {task} "
                                "(see the warning above for the rows skipped); the run needs at least one")
    test: dict[str, list[Example]] = {}
    if config.predict_test:
        missing = [t for t in config.tasks if not task_file(t, "test", data).exists()]
        if missing:
            warnings.warn(f"{config.name}: no test-student file for {', '.join(missing)} in {data}; those "
                          "predictions will not be written (set predict_test=False to skip them all)",
                          DataWarning, stacklevel=2)
        test = {t: load_task(t, "test", data) for t in config.tasks if t not in missing}
    return train, dev, test


def train_run(
    config: ExperimentConfig,
    seed: int,
    data: str | Path,
    device: torch.device | str = "cpu",
    resume: bool = True,
    progress: bool = True,
    on_step: Callable[[int], None] | None = None,
    finish: bool = True,
    world: World | None = None,
) -> dict[str, Any]:
    """Train one seed of ``config`` on the course files in ``data``; return its record.

    Args:
        resume: continue from the run folder's last checkpoint of this very config.
        on_step: called with the global step after each step (the tests kill runs with it).
        finish: drop the resumable checkpoint at the end (``finish_run``); False leaves it
            to the caller, after it has stored the record (``run_experiment``).
        world: the processes of a data-parallel job (default: the initialised process
            group's, else one). Ranks other than 0 return ``{"rank": r, "world_size": N}``.
    """
    device = torch.device(device)
    world = world or current_world()
    # every input checked before the folder is touched: a typo moves no finished run aside
    folder = check_checkpoint(config.checkpoint)
    check_free_space(config, weights_bytes(folder))
    train, dev, test = read_run_data(config, data)
    with locked_run(config, seed) if world.is_main else nullcontext():
        return _train(config, seed, data, device, resume, progress and world.is_main, on_step, finish,
                      train, dev, test, world)


class Batches:
    """Each source's batches in order: batch k of a stream is a pure function of k (its
    ``TaskStream``), and how many each stream has drawn lives in ``state.drawn``, so a
    resumed run draws what an uninterrupted one would. Each task's own stream is made from
    its training set; a source with a stream of its own (the ranking loss's) gets it on
    first use."""

    def __init__(self, model: MultitaskBERT, tokenizer: Tokenizer, config: ExperimentConfig, seed: int,
                 state: TrainingState, train: Mapping[str, Sequence[Example]]) -> None:
        self.model, self.tokenizer, self.config, self.seed, self.state = model, tokenizer, config, seed, state
        self.streams = {task: self._stream(task, task, train[task]) for task in config.tasks}

    def _stream(self, name: str, task: str, examples: Sequence[Example]) -> TaskStream:
        lengths = (self.model.padded_lengths(self.tokenizer, task, examples)
                   if self.config.length_buckets else None)
        return TaskStream(len(examples), self.config.batch_size, self.seed, name, lengths)

    def draw(self, task: str, source: Source) -> list[Example]:
        """The next batch of ``source``."""
        if source.stream not in self.streams:
            self.streams[source.stream] = self._stream(source.stream, task, source.examples)
        drawn = self.state.drawn.get(source.stream, 0)
        self.state.drawn[source.stream] = drawn + 1
        return [source.examples[i] for i in self.streams[source.stream].batch(drawn)]


def _train(config: ExperimentConfig, seed: int, data: str | Path, device: torch.device, resume: bool,
           progress: bool, on_step: Callable[[int], None] | None, finish: bool,
           train: dict[str, list[Example]], dev: dict[str, list[Example]], test: dict[str, list[Example]],
           world: World = SINGLE) -> dict[str, Any]:
    main = world.is_main
    folder, resuming = open_run(config, seed, resume) if main else (run_dir(config, seed), False)
    resuming = world.broadcast(resuming)  # the others wait here until rank 0 has opened the folder
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)

    model = model_for(config, seed).to(device)
    torch.manual_seed(seed)  # dropout draws from torch's global generator: the run's own stream
    world.broadcast_parameters(model)
    compiled(model, config.compile)
    trainable = [p for p in model.parameters() if p.requires_grad]
    shared = {id(p) for p in model.bert.parameters() if p.requires_grad}
    optimizer = AdamW(parameter_groups(model, config), lr=config.learning_rate,
                      weight_decay=config.weight_decay, foreach=True)
    schedule = schedule_for(config, train, seed)
    scheduler = lr_schedule(optimizer, config, schedule.total_steps)
    extensions = extensions_for(config, model, train, seed)
    modules = {name: module for extension in extensions for name, module in extension.modules().items()}
    state = TrainingState(config.run_hash(seed), drawn=dict.fromkeys(config.tasks, 0))
    if resuming:
        state = TrainingState.from_checkpoint(load_checkpoint(folder, model, optimizer, scheduler, modules),
                                              folder)
    batches = Batches(model, tokenizer, config, seed, state, train)
    autocast = autocast_for(device, config.precision)
    clock = PhaseClock(state.phase_seconds)
    spikes = LossSpikes()

    with PeakMemory(device) as memory:
        keeper = RunKeeper(config, seed, folder, world, model, optimizer, scheduler, modules, state, clock,
                           memory)
        while len(state.epochs) < config.epochs:
            epoch = len(state.epochs)
            plan = schedule.plan(epoch)
            epoch_start = schedule.epoch_start(epoch)
            epoch_end = epoch_start + plan.steps
            for parameter in trainable:  # the hybrid curriculum's sequential epochs train the heads only
                if id(parameter) in shared:
                    parameter.requires_grad_(not plan.shared_frozen)
            sources = {}
            for task in config.tasks:
                sources[task] = Source(task, train[task])
                for extension in extensions:
                    sources[task] = extension.source(task, epoch, sources[task])
            model.train()
            bar = tqdm(total=plan.steps, initial=state.step - epoch_start, disable=not progress,
                       desc=f"{config.name} seed {seed} epoch {epoch + 1}/{config.epochs}", leave=False)
            try:  # a stopped run clears its bar, so an error message starts its own line
                while state.step < epoch_end:
                    step = Step(state.step, epoch, seed, state, world)
                    if world.size > 1:  # each rank its own dropout masks, the same ones on resume
                        torch.manual_seed(step_seed(seed, state.step, world.rank))
                    step_tasks = plan.step_tasks[step.index - epoch_start]
                    drawn = {task: batches.draw(task, sources[task]) for task in step_tasks}
                    where = f"at step {step.index + 1} (epoch {epoch + 1})"
                    try:
                        losses = training_step(model, optimizer, tokenizer, drawn, sources, extensions,
                                               step, device, autocast, clock)
                    except TrainingDiverged as error:
                        raise keeper.diverged(error, where) from None
                    spikes.observe({t: v.detach().item() for t, v in losses.items()},
                                   f"{config.name} (seed {seed}) {where}")
                    scheduler.step()
                    state.step += 1
                    state.losses.extend([state.step, t, round(v.detach().item(), 5)]
                                        for t, v in losses.items())
                    bar.update(1)
                    bar.set_postfix({t: f"{v.detach().item():.3f}" for t, v in losses.items()})
                    every = config.checkpoint_every
                    if every and state.step % every == 0 and state.step < epoch_end:
                        keeper.save()
                    if on_step is not None:
                        on_step(state.step)
            finally:
                bar.close()

            keeper.check_weights(f"at the end of epoch {epoch + 1}")
            with clock("evaluation"):
                evaluated = evaluate_on(model, tokenizer, dev, config, device, progress) if main else None
            metrics, dev_predictions = world.broadcast(evaluated)
            overall = overall_score(metrics)
            state.epochs.append({"epoch": epoch + 1, "step": state.step, "dev": metrics, "overall": overall,
                                 "train_loss": state.mean_losses(config.tasks, epoch_start)})
            best_now = None
            if overall > state.best_overall:
                state.best_overall, state.best_epoch, state.best = overall, epoch + 1, metrics
                state.dev_predictions = dev_predictions
                if main:
                    # written before the checkpoint that records it as the best, so a kill
                    # in between resumes the epoch and writes it again
                    with clock("checkpoint"):
                        best_now = save_weights(model, folder / "best.safetensors")
            keeper.save(best_now)

    if not main:
        return {"rank": world.rank, "world_size": world.size}
    load_weights(model, folder / "best.safetensors")
    with clock("prediction"):
        test_predictions = _write_predictions(model, tokenizer, config, dev, test,
                                              state.dev_predictions or {}, folder, device, progress)
    record = run_record(config, seed, state, model, schedule, extensions,
                        {t: len(examples) for t, examples in train.items()}, dev, test, test_predictions,
                        clock, memory, device, world, folder)
    write_json(folder / "metrics.json",
               {k: v for k, v in record.items() if k not in ("dev_predictions", "test_predictions")})
    if finish:
        finish_run(folder)
    return record


def evaluate_on(model: MultitaskBERT, tokenizer: Tokenizer, dev: Mapping[str, Sequence[Example]],
                config: ExperimentConfig, device: torch.device, progress: bool = False
                ) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each task's dev metric, and its predictions rounded to 4 places as the records keep them."""
    metrics, predictions = {}, {}
    for task, examples in dev.items():
        pred = predict(model, tokenizer, task, examples, config.eval_batch_size, device, progress)
        metrics[task] = task_metric(task, pred, labels_of(examples))
        predictions[task] = [round(float(p), 4) for p in pred]
    return metrics, predictions


def _write_predictions(model: MultitaskBERT, tokenizer: Tokenizer, config: ExperimentConfig,
                       dev: Mapping[str, Sequence[Example]], test: Mapping[str, Sequence[Example]],
                       dev_predictions: Mapping[str, list[float]], folder: Path, device: torch.device,
                       progress: bool) -> dict[str, list[float]]:
    """Dev and test-student (those read) prediction files of the best model, in the starter's
    format; returns the test predictions by task, rounded to 4 places as the records keep them."""
    out = folder / "predictions"
    test_predictions = {}
    for task in config.tasks:
        write_predictions(out / prediction_file_name(task, "dev"), task, [e.id for e in dev[task]],
                          dev_predictions[task])
        if task in test:
            pred = predict(model, tokenizer, task, test[task], config.eval_batch_size, device, progress)
            write_predictions(out / prediction_file_name(task, "test"), task, [e.id for e in test[task]],
                              pred)
            test_predictions[task] = [round(float(p), 4) for p in pred]
    return test_predictions
