"""Where the project is, and how every file of it is written: whole or not at all.

``atomic_write`` fills a temporary file beside the target and renames it onto the target
(atomic on POSIX and Windows), so a reader, or a run killed mid-write, sees the old file
or the new one, never half of one. Prediction files, checkpoints, run records and
committed results all go through it. A base module: every layer may import it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["PROJECT_ROOT", "runs_root", "results_root", "atomic_write"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def runs_root() -> Path:
    """Scratch space for training runs: ``$BERT_CORE_RUNS``, else ``runs/`` in the repository."""
    env = os.environ.get("BERT_CORE_RUNS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "runs"


def results_root() -> Path:
    """Committed results: ``$BERT_CORE_RESULTS``, else ``results/`` in the repository."""
    env = os.environ.get("BERT_CORE_RESULTS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "results"


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside ``path``, then rename it onto
    ``path`` (atomic on POSIX and Windows): readers see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)
    return path
