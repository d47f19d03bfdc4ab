"""AdamW: Adam with decoupled weight decay, written from its update rule.

For a parameter θ with gradient g_t at step t (Kingma and Ba 2015, Algorithm 1;
Loshchilov and Hutter 2019, Algorithm 2)::

    θ_t   = θ_{t-1} - lr · λ · θ_{t-1}                  # decoupled weight decay
    m_t   = β1 m_{t-1} + (1 - β1) g_t                    # first moment
    v_t   = β2 v_{t-1} + (1 - β2) g_t²                   # second moment
    m̂_t  = m_t / (1 - β1^t),   v̂_t = v_t / (1 - β2^t)     # bias correction
    θ_t   = θ_t - lr · m̂_t / (sqrt(v̂_t) + ε)

Weight decay here shrinks θ directly; it is not added to the gradient (that would be L2
regularisation, which Adam's per-coordinate scaling then weakens for parameters with
large gradients; notebook 03 shows the difference). ``correct_bias=False`` skips the
bias correction, as the course's starter code allows.

The argument names are ``torch.optim.AdamW``'s; the defaults are the course's
(``eps=1e-6``, ``weight_decay=0.0``), where torch has ``eps=1e-8``, ``weight_decay=0.01``.
The operations are ordered as in ``torch.optim.AdamW``'s single-tensor path, so the two
agree to float rounding (a test: 200 steps, relative difference at most 1e-6), and the
result also passes the course's own optimiser check.

``foreach=True`` runs the same update as a handful of multi-tensor operations
(``torch._foreach_*``) over all of a group's parameters at once, instead of one loop turn
of eight small operations per parameter tensor: the same arithmetic in the same order, so
the same numbers (a test: identical to the loop, and to ``torch.optim.AdamW``'s own
multi-tensor path). On a GPU each multi-tensor operation is one kernel launch instead of
one per tensor; PyTorch's CPU build runs them as loops over the per-tensor kernels, so
there it saves little (notebook 03, section 5). The training loop uses it; the loop
above is the one to read.

Taught in notebook 03.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.optim import Optimizer

__all__ = ["AdamW"]


class AdamW(Optimizer):
    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        correct_bias: bool = True,
        foreach: bool = False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr} - should be >= 0.0")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid betas: {betas} - each should be in [0.0, 1.0)")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps} - should be >= 0.0")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay: {weight_decay} - should be >= 0.0")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        correct_bias=correct_bias)
        super().__init__(params, defaults)
        self.foreach = foreach

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if self.foreach:
                self._multi_tensor_step(group)
                continue
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._state_of(p)
                state["step"] += 1
                t = state["step"]
                m, v, grad = state["exp_avg"], state["exp_avg_sq"], p.grad

                p.mul_(1 - lr * group["weight_decay"])  # decoupled decay, before the step
                m.lerp_(grad, 1 - beta1)  # m = β1 m + (1 - β1) g
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = β2 v + (1 - β2) g²
                if group["correct_bias"]:
                    step_size = lr / (1 - beta1**t)
                    denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)  # sqrt(v̂) + ε
                else:
                    step_size = lr
                    denom = v.sqrt().add_(eps)
                p.addcdiv_(m, denom, value=-step_size)
        return loss

    def _state_of(self, p: torch.Tensor) -> dict:
        if p.grad.is_sparse:
            raise RuntimeError("AdamW does not support sparse gradients")
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        return state

    def _multi_tensor_step(self, group: dict) -> None:
        """The loop's update for every parameter of ``group`` with a gradient, one
        multi-tensor operation per line, over the parameters at the same step count (a
        head whose task skipped some steps has its own t)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        by_step: dict[int, list[torch.Tensor]] = {}
        for p in group["params"]:
            if p.grad is not None:
                state = self._state_of(p)
                state["step"] += 1
                by_step.setdefault(state["step"], []).append(p)
        for t, params in by_step.items():
            grads = [p.grad for p in params]
            m = [self.state[p]["exp_avg"] for p in params]
            v = [self.state[p]["exp_avg_sq"] for p in params]
            torch._foreach_mul_(params, 1 - lr * group["weight_decay"])
            torch._foreach_lerp_(m, grads, 1 - beta1)
            torch._foreach_mul_(v, beta2)
            torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
            denom = torch._foreach_sqrt(v)
            step_size = lr
            if group["correct_bias"]:
                step_size = lr / (1 - beta1**t)
                torch._foreach_div_(denom, math.sqrt(1 - beta2**t))
            torch._foreach_add_(denom, eps)
            torch._foreach_addcdiv_(params, m, denom, value=-step_size)
