"""Where a run computes, and in what precision: the CUDA path, testable on a CPU (a base
module: every layer may import it, as the model's batches do).

bf16 autocast. Under ``torch.autocast(dtype=torch.bfloat16)`` the matrix products and
attention run in bfloat16 while the weights, the optimiser's moments and the reductions
that autocast keeps in float32 (softmax, layer norm, the losses) stay float32: the
*master weights* are float32 and AdamW updates them in float32 (``bert_core.bert.optim``).
No loss scaling: bf16 keeps float32's 8-bit exponent (it drops mantissa bits), so a
gradient of 1e-30 is representable, where fp16's 5-bit exponent flushes everything below
6e-8 to zero and needs the loss multiplied up before the backward pass. ``precision``:
"auto" is bf16 on CUDA (Ampere and later compute it natively) and float32 elsewhere (a
CPU without AVX-512 BF16 or AMX, like the course machines, gains nothing from it);
"bf16" asks for it on any device (on a CPU: a correctness check, not a speed-up).

Fused attention: ``torch.nn.functional.scaled_dot_product_attention``
(``bert_core.bert.attention``, ``attn_implementation="sdpa"``, the default) picks
FlashAttention or memory-efficient kernels on CUDA and a fused kernel on CPU.

``torch.compile`` (``compile=True``) traces the encoder into fused kernels; the first
steps pay the compilation (tens of seconds), so it is for long runs on a GPU.

Host-to-device copies of a batch are ``non_blocking`` from pinned memory on CUDA
(``to_device``), so the copy of the next tensors overlaps the kernels already queued.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor, nn

__all__ = ["PRECISIONS", "autocast_for", "compute_dtype", "to_device", "compiled", "usable_cores",
           "threads_per_worker"]

PRECISIONS = ("auto", "fp32", "bf16")  # the config's ``precision`` values


def compute_dtype(device: torch.device | str, precision: str = "auto") -> torch.dtype:
    """The dtype the matrix products run in: bf16 for ``"bf16"``, and for ``"auto"`` on CUDA;
    else float32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    device = torch.device(device)
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return torch.float32


def autocast_for(device: torch.device | str, precision: str = "auto") -> AbstractContextManager[object]:
    """The forward passes' autocast context: bf16 autocast on ``device`` where
    ``compute_dtype`` says bf16, else a context that changes nothing."""
    device = torch.device(device)
    if compute_dtype(device, precision) == torch.bfloat16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def to_device(tensor: Tensor, device: torch.device | str) -> Tensor:
    """``tensor`` on ``device``: through pinned memory and without blocking the host for
    CUDA, a plain ``.to`` elsewhere (pinning needs a CUDA driver)."""
    device = torch.device(device)
    if device.type == "cuda" and tensor.device.type == "cpu":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def compiled(model: nn.Module, enabled: bool, backend: str = "inductor") -> nn.Module:
    """``model`` with its encoder's forward compiled by ``torch.compile`` when ``enabled``
    (the same module: its parameters, state dict and checkpoints are unchanged). Shapes
    are dynamic: every batch has its own padded length. ``backend="eager"`` traces without
    generating kernels (what a test can afford; inductor takes about a minute on a CPU).

    Inductor's own kernels would draw dropout's random numbers from a generator of their
    own: another random stream, and a compiled run would no longer compute what the eager
    one does (its first loss already differs in the third decimal). ``fallback_random``
    keeps the eager random operations, so the two agree to float rounding, as the config
    hash, which leaves ``compile`` out, assumes."""
    if enabled:
        encoder = getattr(model, "bert", model)
        options = {"fallback_random": True} if backend == "inductor" else None
        encoder.forward = torch.compile(  # type: ignore[method-assign]
            encoder.forward, dynamic=True, backend=backend, options=options)
    return model


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the OS tells it, else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Each of ``workers`` processes' share of the usable cores, at least one thread."""
    return max(1, usable_cores() // workers)
