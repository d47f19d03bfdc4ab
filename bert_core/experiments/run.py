"""One experiment API: ``ExperimentConfig`` in, ``run_experiment`` trains, a result out.

Every table in the notebooks is a list of configurations run through ``run_experiment``::

    config = preset("multitask-baseline", profile="cpu", seeds=(0, 1, 2))
    result = run_experiment(config)          # loads a finished run, or trains
    result.summary()                          # mean and std over the seeds

Load-or-train: each seed's run is stored under the hash of its config (every field that
changes the numbers and differs from its default: not the name, the seed list, or the
checkpoint cadence; ``bert_core.experiments.store``). ``run_experiment(config)`` reuses a
stored seed whose hash matches and trains the others (``bert_core.training.loop``);
``reuse=False`` trains all of them.

Under ``torchrun`` every process calls ``run_experiment``; they train each seed together
(``bert_core.training.distributed``), rank 0 stores it, and every rank returns the stored
result.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from bert_core.experiments.profiles import get_profile
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.store import load_result, reusing, store_run, stored_meta
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.checkpoint import load_weights
from bert_core.training.config import ExperimentConfig
from bert_core.training.distributed import current_world
from bert_core.training.loop import train_run
from bert_core.training.recipe import model_for
from bert_core.training.run_folder import finish_run, run_dir

__all__ = ["run_experiment", "trained_model", "stored_model", "missing_weights_line"]


def run_experiment(
    config: ExperimentConfig,
    reuse: bool | None = None,
    device: torch.device | str | None = None,
    resume: bool = True,
    progress: bool = True,
) -> ExperimentResult:
    """Train ``config`` once per seed (or load the stored runs) and return the result.

    Args:
        reuse: load seeds already stored under a matching hash instead of training them
            (default: True, or ``$BERT_CORE_REUSE=0`` to retrain everything).
        device: default the profile's (CUDA in ``gpu`` when available, else CPU).
        resume: continue an interrupted run from its last checkpoint in ``runs/`` (when
            reusing; with ``reuse=False`` every seed trains from the start).
        progress: show progress bars.
    """
    profile = get_profile(config.profile)
    if reuse is None:
        reuse = reusing()
    device = torch.device(device) if device is not None else profile.device
    world = current_world()
    # the stored file is read (and checked) even when not reused: a run whose record could
    # not be stored fails here, before it trains
    checked = load_result(config) if world.is_main else None
    stored = world.broadcast(checked if reuse else None)
    result = ExperimentResult(config)
    for seed in config.seeds:
        run = stored.runs.get(seed) if stored else None
        if run is None:
            # Retraining (reuse off) must not pick up a finished run's checkpoint.
            run = train_run(config, seed, profile.data_dir, device=device, resume=resume and reuse,
                            progress=progress, finish=False, world=world)
            if world.is_main:
                run = store_run(config, seed, run)
                # only now that the record is stored may the run stop being resumable
                finish_run(run_dir(config, seed))
            run = world.broadcast(run)
        result.runs[seed] = run
    result.meta = stored_meta(config, result.runs)
    return result


def trained_model(config: ExperimentConfig, seed: int = 0, device: torch.device | str = "cpu",
                  progress: bool = True) -> MultitaskBERT:
    """The best weights of seed ``seed`` of ``config``, in eval mode: read from its run folder
    (``runs/<profile>/<name>/seed-<seed>/best.safetensors``) when the folder holds this very
    config's finished run; else trained now into that folder, without touching the stored
    result (a clone has the committed results but not the weights, which are not committed).
    Retrained elsewhere (other threads, another machine) the weights match the stored run's
    recipe, not its last bits."""
    folder = run_dir(config, seed)
    if not _holds_run(folder, config, seed):
        train_run(config, seed, get_profile(config.profile).data_dir, device=device, resume=True,
                  progress=progress, finish=True)
    return _load_model(config, seed, folder, device)


def stored_model(config: ExperimentConfig, seed: int = 0,
                 device: torch.device | str = "cpu") -> MultitaskBERT | None:
    """``trained_model``'s weights when the run folder holds them, else None: nothing is
    trained (what a notebook uses where a fresh clone, with results but no weights, must not
    spend a run's minutes)."""
    folder = run_dir(config, seed)
    return _load_model(config, seed, folder, device) if _holds_run(folder, config, seed) else None


def missing_weights_line(config: ExperimentConfig, seed: int = 0) -> str:
    """One line: where ``config``'s weights would be, and the call that trains them there."""
    return (f"{config.name} seed {seed}: no weights in {run_dir(config, seed)} (a clone has the results, "
            f"not the weights); `trained_model(preset({config.name!r}, {config.profile!r}), {seed})` "
            "trains them there once, in the run's recorded time")


def _load_model(config: ExperimentConfig, seed: int, folder: Path,
                device: torch.device | str) -> MultitaskBERT:
    model = model_for(config, seed)  # its fresh draws are overwritten by the weights below
    load_weights(model, folder / "best.safetensors")
    return model.to(device).eval()


def _holds_run(folder: Path, config: ExperimentConfig, seed: int) -> bool:
    """Whether ``folder`` holds a finished run of this config and seed (its metrics.json,
    written last, names the same run hash)."""
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return metrics.get("config_hash") == config.run_hash(seed) and (folder / "best.safetensors").exists()
