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
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from bert_core.files import atomic_write

__all__ = ["save_weights", "load_weights", "save_checkpoint", "load_checkpoint", "latest_checkpoint"]


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
                    scheduler: Any, progress: dict[str, Any], extras: dict[str, nn.Module] | None = None
                    ) -> Path:
    """Write the checkpoint of global step ``step``; return the weights' path. ``extras``:
    other modules whose state a resumed run needs (SMART's momentum copy), by name."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    stem = f"checkpoint-{step:07d}"
    weights = save_weights(model, run_dir / f"{stem}.safetensors")
    state = {"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
             "rng": _rng_state(), "progress": progress,
             "extras": {name: module.state_dict() for name, module in (extras or {}).items()}}
    atomic_write(run_dir / f"{stem}.pt", lambda tmp: torch.save(state, tmp))
    pointer = {"step": step, "stem": stem, "run_hash": progress.get("run_hash")}
    atomic_write(run_dir / "latest.json", lambda tmp: tmp.write_text(json.dumps(pointer) + "\n"))
    for old in run_dir.glob("checkpoint-*"):
        if not old.name.startswith(stem):
            old.unlink(missing_ok=True)
    return weights


def latest_checkpoint(run_dir: str | Path) -> dict[str, Any] | None:
    """``{"step", "stem", "run_hash"}`` of the newest complete checkpoint, or None."""
    pointer = Path(run_dir) / "latest.json"
    if not pointer.exists():
        return None
    return json.loads(pointer.read_text())


def load_checkpoint(run_dir: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, extras: dict[str, nn.Module] | None = None) -> dict[str, Any]:
    """Restore model, optimiser, scheduler, ``extras`` and random state; return the saved
    progress."""
    run_dir = Path(run_dir)
    latest = latest_checkpoint(run_dir)
    if latest is None:
        raise FileNotFoundError(f"{run_dir} has no latest.json: nothing to resume")
    load_weights(model, run_dir / f"{latest['stem']}.safetensors")
    # On the CPU: the optimiser moves its state to its parameters' device itself, and the
    # random-number states must be CPU byte tensors.
    state = torch.load(run_dir / f"{latest['stem']}.pt", map_location="cpu", weights_only=True)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    for name, module in (extras or {}).items():
        module.load_state_dict(state["extras"][name])
    _set_rng_state(state["rng"])
    return state["progress"]
