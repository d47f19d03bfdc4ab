"""Where the project is, and how every file of it is written: whole or not at all.

``atomic_write`` fills a temporary file beside the target and renames it onto the target
(atomic on POSIX and Windows), so a reader, or a run killed mid-write, sees the old file
or the new one, never half of one. Prediction files, checkpoints, run records and
committed results all go through it. A base module: every layer may import it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PROJECT_ROOT", "runs_root", "temporary_runs", "results_root", "atomic_write", "atomic_link"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def runs_root() -> Path:
    """Scratch space for training runs: ``$BERT_CORE_RUNS``, else ``runs/`` in the repository."""
    env = os.environ.get("BERT_CORE_RUNS")
    return Path(env).expanduser() if env else PROJECT_ROOT / "runs"


@contextmanager
def temporary_runs() -> Iterator[Path]:
    """A new, empty runs folder for the block (``$BERT_CORE_RUNS`` points to it, so processes
    started inside inherit it), removed afterwards and the previous setting restored: for a
    demonstration whose runs are thrown away, which must neither find nor move aside a run
    of the same name."""
    before = os.environ.get("BERT_CORE_RUNS")
    folder = Path(tempfile.mkdtemp(prefix="bert-core-runs-"))
    os.environ["BERT_CORE_RUNS"] = str(folder)
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop("BERT_CORE_RUNS", None)
        else:
            os.environ["BERT_CORE_RUNS"] = before
        shutil.rmtree(folder, ignore_errors=True)


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


def atomic_link(source: str | Path, path: str | Path) -> Path:
    """Give the finished file ``source`` a second name ``path`` (replaced atomically): a
    hard link, so the bytes are on disk once; a copy where the file system has no hard
    links. Safe because no file here is changed in place: every write makes a new file
    (``atomic_write``), so the two names never drift apart."""
    source, path = Path(source), Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:  # FAT, some network shares: no hard links
        shutil.copyfile(source, tmp)
    tmp.replace(path)
    return path
