"""A run's folder: ``runs/<profile>/<name>/seed-<seed>/`` under ``$BERT_CORE_RUNS``
(default: ``runs/`` in the repository).

While a run trains it holds ``config.json``, ``best.safetensors`` and the last resumable
checkpoint (``bert_core.training.checkpoint``); when it has finished, ``metrics.json``,
``predictions/`` and its final weights as ``last.safetensors``, and no optimiser state
(when the best epoch is the last, ``best.safetensors`` and ``last.safetensors`` are one
file with two names, a hard link: ``bert_core.files.atomic_link``).

Nothing in it is deleted unasked: a run folder that cannot be resumed (another config
under the same name, or ``resume=False``) is moved aside to ``seed-<seed>.previous/``
(or ``.previous-2/``, ``-3/``, ...: an earlier one moved aside is never replaced), and
nothing is moved before the run has checked everything it reads (``train_run``: the
checkpoint, the data). One process at a time trains in a folder: a second gets a
``RunLocked`` error naming the first (an ``flock`` on ``seed-<seed>.lock``, which the
operating system releases when the process dies, so a killed run never leaves it held).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bert_core.errors import InputError
from bert_core.files import PROJECT_ROOT, atomic_write, runs_root
from bert_core.training.checkpoint import latest_checkpoint
from bert_core.training.config import ExperimentConfig

__all__ = ["RunLocked", "run_dir", "locked_run", "check_free_space", "open_run", "aside_name", "finish_run",
           "drop_finished_weights", "write_json", "latest_path", "shown"]


class RunLocked(InputError):
    """Another process is training into the same run folder."""


def run_dir(config: ExperimentConfig, seed: int) -> Path:
    """``<profile>/<name>/seed-<seed>/`` under the runs folder (``$BERT_CORE_RUNS``, else ``runs/``)."""
    return runs_root() / config.profile / config.name / f"seed-{seed}"


@contextmanager
def locked_run(config: ExperimentConfig, seed: int) -> Iterator[Path]:
    """Hold the run folder's lock while the block runs (POSIX ``flock``; where there is none,
    on Windows, no lock is taken)."""
    folder = run_dir(config, seed)
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.with_name(folder.name + ".lock")
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        yield folder
        return
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLocked(f"{folder}: {holder} is training this run now; wait for it to finish, or stop "
                            "it, then run again (a stopped run resumes from its last checkpoint)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}\n")
        handle.flush()
        try:
            yield folder
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_free_space(config: ExperimentConfig, checkpoint_bytes: int) -> None:
    """Refuse to start a run where its checkpoints would not fit: the best and the last
    weights, the optimiser's two moments and one file being written, about five times the
    checkpoint's weights (an ``OSError`` ENOSPC naming the folder, before anything is touched:
    a full disk found mid-run would cost the epoch)."""
    root = runs_root()
    existing = next((p for p in (root, *root.parents) if p.exists()), Path("/"))
    free, needed = shutil.disk_usage(existing).free, 5 * checkpoint_bytes
    if free < needed:
        raise OSError(errno.ENOSPC, f"{free / 2**20:.0f} MB free, and a run of {config.name} needs about "
                      f"{needed / 2**20:.0f} MB for its checkpoints", str(existing))


def open_run(config: ExperimentConfig, seed: int, resume: bool) -> tuple[Path, bool]:
    """The run's folder, ready to train in, and whether a checkpoint of this very config
    (same hash) is there to resume. A folder holding anything else is moved aside to
    ``seed-<seed>.previous/``, not deleted. A checkpoint that cannot be read stops with a
    ``CheckpointError`` when resuming (``resume=False`` moves it aside and starts again)."""
    folder = run_dir(config, seed)
    latest = latest_checkpoint(folder) if resume else None
    if latest is not None and latest.get("run_hash") != config.run_hash(seed):
        latest = None  # a different config under the same name: start again
    if latest is None and folder.exists() and any(folder.iterdir()):
        aside = aside_name(folder)
        folder.replace(aside)
        warnings.warn(f"{folder} held another run (another config under this name, or resume off); "
                      f"moved it to {aside}", stacklevel=3)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "config.json", {**config.to_dict(), "seed": seed})
    return folder, latest is not None


def aside_name(folder: Path) -> Path:
    """Where ``folder`` is moved aside: ``<name>.previous``, else the first free
    ``<name>.previous-<n>`` (n = 2, 3, ...), so that no earlier run is replaced."""
    aside = folder.with_name(folder.name + ".previous")
    number = 1
    while aside.exists():
        number += 1
        aside = folder.with_name(f"{folder.name}.previous-{number}")
    return aside


def finish_run(folder: Path) -> None:
    """A finished run is never resumed: keep its final weights as ``last.safetensors`` and
    drop the optimiser state and the resume pointer (about half of a run's disk space)."""
    latest = latest_checkpoint(folder)
    if latest is None:
        return
    (folder / f"{latest['stem']}.safetensors").replace(folder / "last.safetensors")
    (folder / "latest.json").unlink()
    (folder / f"{latest['stem']}.pt").unlink(missing_ok=True)


def drop_finished_weights(root: Path) -> int:
    """Delete the weights (``*.safetensors``) of every finished run under ``root`` (a folder
    with ``metrics.json`` and no resume pointer, including one moved aside); return the
    bytes freed. Their records stay, so ``run_experiment`` still loads them; only
    ``trained_model`` needs the weights, and trains the run again without them. For a
    scratch runs folder whose runs are done with (the test suite's, between notebooks)."""
    freed = 0
    for metrics in Path(root).rglob("metrics.json"):
        folder = metrics.parent
        if (folder / "latest.json").exists():
            continue
        for weights in folder.glob("*.safetensors"):
            size = weights.stat().st_size if weights.stat().st_nlink == 1 else 0  # a link frees nothing yet
            weights.unlink()
            freed += size
    return freed


def write_json(path: Path, payload: dict[str, Any]) -> None:
    text = json.dumps(payload, indent=1) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text))


def latest_path(folder: Path) -> str:
    """The last good checkpoint's weights, as a message names it."""
    latest = latest_checkpoint(folder)
    return str(folder / f"{latest['stem']}.safetensors") if latest else "none (no checkpoint was written yet)"


def shown(path: Path) -> str:
    """``path`` as a record shows it: inside a runs folder that ``$BERT_CORE_RUNS`` names (a
    temporary one's name changes every time), relative to it; else relative to the
    repository where it lies inside it (``runs/cpu/...``)."""
    if os.environ.get("BERT_CORE_RUNS") and path.is_relative_to(runs_root()):
        return str(Path("$BERT_CORE_RUNS") / path.relative_to(runs_root()))
    if path.is_relative_to(PROJECT_ROOT):
        return str(path.relative_to(PROJECT_ROOT))
    return str(path)
