"""Committed artefacts of real runs: ``results/<profile>/<name>.json``.

Each artefact carries what produced it (the command, the profile, the machine, the
library versions, the date) beside its payload, so that a table in a notebook can say
where its numbers came from. Files are written to a temporary name and renamed, so an
interrupted run never leaves half an artefact.

Used by every notebook that shows results.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["PROJECT_ROOT", "atomic_write", "results_dir", "provenance", "save_artefact", "load_artefact"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def atomic_write(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside ``path``, then rename it onto
    ``path`` (atomic on POSIX and Windows): readers see the old file or the new, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)
    return path


def results_dir(profile: str) -> Path:
    return PROJECT_ROOT / "results" / profile


def _machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)}, {os.cpu_count()} CPU cores"
    return f"{platform.machine()} CPU, {os.cpu_count()} cores ({platform.system()})"


def _program(argv0: str) -> str:
    # ``python -m bert_core.train`` sees argv[0] = .../bert_core/train.py; say it as it was typed
    path = Path(argv0)
    if path.parent == Path(__file__).parent and path.suffix == ".py":
        return f"python -m bert_core.{path.stem}"
    return path.name


def provenance(profile: str) -> dict[str, Any]:
    """Where a result comes from: command, profile, machine, versions, date."""
    import bert_core

    # quoted as a shell needs it, so the command can be pasted back (--set 'heads={"sts": ...}')
    command = os.environ.get("BERT_CORE_COMMAND") or " ".join(
        [_program(sys.argv[0]), *(shlex.quote(arg) for arg in sys.argv[1:])])
    return {
        "command": command,
        "profile": profile,
        "machine": _machine(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "bert_core": bert_core.__version__,
        },
        "date": datetime.date.today().isoformat(),
    }


def save_artefact(profile: str, name: str, payload: dict[str, Any]) -> Path:
    """Write ``{"meta": provenance, "payload": payload}`` atomically; return the path."""
    text = json.dumps({"meta": provenance(profile), "payload": payload}, indent=1, sort_keys=True) + "\n"
    path = results_dir(profile) / f"{name}.json"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def load_artefact(profile: str, name: str) -> dict[str, Any] | None:
    """The artefact ``{"meta": ..., "payload": ...}``, or None if nobody has run it yet."""
    path = results_dir(profile) / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
