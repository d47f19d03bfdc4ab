"""A run's folder: ``runs/<profile>/<name>/seed-<seed>/`` under ``$BERT_CORE_RUNS``
(default: ``runs/`` in the repository).

While a run trains it holds ``config.json``, ``best.safetensors`` and the last resumable
checkpoint (``bert_core.training.checkpoint``); when it has finished, ``metrics.json``,
``predictions/`` and its final weights as ``last.safetensors``, and no optimiser state.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from bert_core.files import PROJECT_ROOT, atomic_write, runs_root
from bert_core.training.checkpoint import latest_checkpoint
from bert_core.training.config import ExperimentConfig

__all__ = ["run_dir", "open_run", "finish_run", "write_json", "latest_path", "shown"]


def run_dir(config: ExperimentConfig, seed: int) -> Path:
    """``<profile>/<name>/seed-<seed>/`` under the runs folder (``$BERT_CORE_RUNS``, else ``runs/``)."""
    return runs_root() / config.profile / config.name / f"seed-{seed}"


def open_run(config: ExperimentConfig, seed: int, resume: bool) -> tuple[Path, bool]:
    """The run's folder, ready to train in, and whether a checkpoint of this very config
    (same hash) is there to resume. Anything else in the folder is cleared first."""
    folder = run_dir(config, seed)
    latest = latest_checkpoint(folder) if resume else None
    if latest is not None and latest.get("run_hash") != config.run_hash(seed):
        latest = None  # a different config under the same name: start again
    if latest is None and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "config.json", {**config.to_dict(), "seed": seed})
    return folder, latest is not None


def finish_run(folder: Path) -> None:
    """A finished run is never resumed: keep its final weights as ``last.safetensors`` and
    drop the optimiser state and the resume pointer (about half of a run's disk space)."""
    latest = latest_checkpoint(folder)
    if latest is None:
        return
    (folder / f"{latest['stem']}.safetensors").replace(folder / "last.safetensors")
    (folder / "latest.json").unlink()
    (folder / f"{latest['stem']}.pt").unlink(missing_ok=True)


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
