"""Checkpoints a killed run can resume from, written so that none is ever half there.

A checkpoint at global step s is two files in the run's folder::

    checkpoint-<s>.safetensors   the model's weights (safetensors: no pickle, loads anywhere)
    checkpoint-<s>.pt            optimiser and scheduler state, the torch random-number
                                 state, and the training progress (history, best score)

and ``latest.json`` names the newest complete one. Every file is written to a temporary
name and renamed (atomic on POSIX and Windows), and ``latest.json`` is replaced only after
both files are in place, so a run killed at any instant leaves the previous checkpoint
intact and named. Older checkpoints are deleted after the pointer moves.

The best model by dev score is kept apart as ``best.safetensors``.

Both the pointer and the state carry ``format`` (``CHECKPOINT_FORMAT``; a checkpoint
without one is format 1). A pointer, weights or state that cannot be read (truncated,
garbage, a pickle that the safe loader refuses, a format this version does not know) is a
``CheckpointError`` naming the file and the way out: start again with ``--no-resume``
(``resume=False``), which moves the folder aside. There is no older checkpoint to fall
back to (each is deleted once the next is complete), so that is the only way out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from bert_core.errors import CheckpointError
from bert_core.files import atomic_link, atomic_write

__all__ = ["CHECKPOINT_FORMAT", "save_weights", "load_weights", "save_checkpoint", "load_checkpoint",
           "latest_checkpoint", "unreadable"]

# 2: the format field itself, and the state's progress complete (every TrainingState field)
CHECKPOINT_FORMAT = 2


def unreadable(path: Path, why: str) -> CheckpointError:
    """The error for a checkpoint file that cannot be resumed from, with the way out."""
    return CheckpointError(f"{path}: cannot resume from this checkpoint ({why}). Start the run again "
                           "with --no-resume (resume=False in Python): the folder is moved aside to "
                           "seed-<seed>.previous, not deleted")


def save_weights(model: nn.Module, path: str | Path) -> Path:
    """The model's state dict as safetensors, atomically."""
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    return atomic_write(path, lambda tmp: save_file(tensors, str(tmp)))


def load_weights(model: nn.Module, path: str | Path) -> None:
    """Load safetensors weights into ``model``; every key must match."""
    device = next(model.parameters()).device
    state = load_file(str(path), device=str(device))
    model.load_state_dict(state, strict=True)


def _rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(run_dir: str | Path, step: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, progress: dict[str, Any], extras: dict[str, nn.Module] | None = None,
                    weights_file: str | Path | None = None) -> Path:
    """Write the checkpoint of global step ``step``; return the weights' path. ``extras``:
    other modules whose state a resumed run needs (SMART's momentum copy), by name.
    ``weights_file``: the model's weights at this very step, already written (the best
    model, saved just before): linked, not written a second time, so a run whose best
    epoch is its last keeps one copy of those weights on disk, not two."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    stem = f"checkpoint-{step:07d}"
    if weights_file is not None:
        weights = atomic_link(weights_file, run_dir / f"{stem}.safetensors")
    else:
        weights = save_weights(model, run_dir / f"{stem}.safetensors")
    state = {"format": CHECKPOINT_FORMAT, "optimizer": optimizer.state_dict(),
             "scheduler": scheduler.state_dict(), "rng": _rng_state(), "progress": progress,
             "extras": {name: module.state_dict() for name, module in (extras or {}).items()}}
    atomic_write(run_dir / f"{stem}.pt", lambda tmp: torch.save(state, tmp))
    pointer = {"format": CHECKPOINT_FORMAT, "step": step, "stem": stem, "run_hash": progress.get("run_hash")}
    atomic_write(run_dir / "latest.json", lambda tmp: tmp.write_text(json.dumps(pointer) + "\n"))
    for old in run_dir.glob("checkpoint-*"):
        if not old.name.startswith(stem):
            old.unlink(missing_ok=True)
    return weights


def latest_checkpoint(run_dir: str | Path) -> dict[str, Any] | None:
    """``{"format", "step", "stem", "run_hash"}`` of the newest complete checkpoint, or None;
    a pointer that cannot be read is a ``CheckpointError``."""
    pointer = Path(run_dir) / "latest.json"
    if not pointer.exists():
        return None
    try:
        latest = json.loads(pointer.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise unreadable(pointer, f"not a readable pointer: {error}") from None
    if not isinstance(latest, dict) or not isinstance(latest.get("stem"), str):
        raise unreadable(pointer, f"expected a JSON object naming a checkpoint's stem, got {latest!r:.80}")
    latest.setdefault("format", 1)
    if latest["format"] > CHECKPOINT_FORMAT:
        raise unreadable(pointer, f"written by a newer version of bert_core (format {latest['format']}, "
                                  f"this one reads up to {CHECKPOINT_FORMAT})")
    return latest


def load_checkpoint(run_dir: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, extras: dict[str, nn.Module] | None = None) -> dict[str, Any]:
    """Restore model, optimiser, scheduler, ``extras`` and random state; return the saved
    progress."""
    run_dir = Path(run_dir)
    latest = latest_checkpoint(run_dir)
    if latest is None:
        raise FileNotFoundError(f"{run_dir} has no latest.json: nothing to resume")
    weights, rest = run_dir / f"{latest['stem']}.safetensors", run_dir / f"{latest['stem']}.pt"
    try:
        load_weights(model, weights)
    except Exception as error:  # truncated, garbage, missing, or other keys: all end the same way
        raise unreadable(weights, _first_line(error)) from None
    try:
        # On the CPU: the optimiser moves its state to its parameters' device itself, and the
        # random-number states must be CPU byte tensors. weights_only: never run a pickle's code.
        state = torch.load(rest, map_location="cpu", weights_only=True)
    except Exception as error:
        why = _first_line(error)
        if "weights_only" in str(error) or "Unsupported global" in str(error):
            why = "it holds objects that the safe loader refuses; not a checkpoint that bert_core wrote"
        raise unreadable(rest, why) from None
    if not isinstance(state, dict) or state.get("format", 1) > CHECKPOINT_FORMAT:
        raise unreadable(rest, f"format {state.get('format') if isinstance(state, dict) else '?'}, this "
                               f"version reads up to {CHECKPOINT_FORMAT}")
    try:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        for name, module in (extras or {}).items():
            module.load_state_dict(state["extras"][name])
        _set_rng_state(state["rng"])
        return state["progress"]
    except (KeyError, ValueError, RuntimeError, TypeError) as error:
        raise unreadable(rest, f"written by another version or config: {_first_line(error)}") from None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:200]
