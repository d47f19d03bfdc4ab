"""The training losses of each task, and how the per-task losses become one.

The course's baseline ("SMART Surgery", section 3):

    sentiment    L = -(1/B) Σ_i log softmax(z_i)[y_i]                          cross-entropy
    paraphrase   L = -(1/B) Σ_i [y_i log σ(z_i) + (1 - y_i) log(1 - σ(z_i))]    binary cross-entropy
    similarity   L = (1/B) Σ_i (s_i - y_i)²                                     mean squared error

and the multitask loss is their plain sum, L = Σ_t L_t.

Multiple negatives ranking loss ("Multi-BERT: Investigating Methods", section 3, after
Henderson et al. 2017), for K positive pairs (x_i, y_i) with the other y_j of the batch as
negatives and the dot product as the score S:

    L_MNR = -(1/K) Σ_i log [ exp S(x_i, y_i) / Σ_j exp S(x_i, y_j) ]

which is the cross-entropy of the score matrix u vᵀ ([K, K]) against the diagonal.

Loss balancing (``loss_balancing``; "Multi-BERT: Projected Attention", 4) weighs the
per-task losses before they meet:

    sum       L = Σ_t L_t                                           the baseline
    squared   L = Σ_t L_t²      a task whose loss is large weighs itself up (gradient 2 L_t ∇L_t)
    dwa       L = Σ_t λ_t L_t   dynamic weight average (Liu et al. 2019):

              λ_t = T exp(w_t / τ) / Σ_i exp(w_i / τ),   w_t = L̄_t(r-1) / L̄_t(r-2)

              where L̄_t(r) is task t's mean training loss over round r (an epoch, or
              ``dwa_window`` steps), T the number of tasks and τ the temperature. A task
              whose loss falls slowly (w_t near 1 or above) gets more weight. λ_t = 1 in the
              first two rounds. The weights sum to T; τ → ∞ gives λ_t = 1; τ → 0 puts all T
              on the slowest task.

PCGrad (``bert_core.pcgrad``) takes the balanced per-task terms one by one instead of
their sum. Taught in notebooks 04 and 05; the ranking loss in 06; balancing in 07.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import Tensor
from torch.nn import functional as F

from bert_core.multitask.tasks import get_task

__all__ = ["LOSS_BALANCINGS", "task_loss", "balanced_terms", "dwa_weights",
           "multiple_negatives_ranking_loss"]

LOSS_BALANCINGS = ("sum", "squared", "dwa")


def task_loss(task: str, outputs: Tensor, labels: Tensor) -> Tensor:
    """The mean loss of one batch: ``outputs`` ``[B, K]`` logits or ``[B]``, ``labels`` ``[B]``."""
    loss = get_task(task).loss
    if loss == "cross_entropy":
        return F.cross_entropy(outputs.float(), labels.long())
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(outputs.float(), labels.float())
    return F.mse_loss(outputs.float(), labels.float())


def balanced_terms(losses: Mapping[str, Tensor], balancing: str = "sum",
                   weights: Mapping[str, float] | None = None) -> dict[str, Tensor]:
    """Each task's term of the multitask loss: L_t (sum, dwa without weights yet), L_t²
    (squared) or λ_t L_t (dwa, ``weights`` from ``dwa_weights``)."""
    if balancing == "sum":
        return dict(losses)
    if balancing == "squared":
        return {t: loss * loss for t, loss in losses.items()}
    if balancing == "dwa":
        weights = weights or {}
        return {t: weights.get(t, 1.0) * loss for t, loss in losses.items()}
    raise ValueError(f"unknown loss_balancing {balancing!r}; choose one of {LOSS_BALANCINGS}")


def dwa_weights(previous: Mapping[str, float] | None, before: Mapping[str, float] | None,
                temperature: float = 2.0) -> dict[str, float]:
    """λ_t of dynamic weight average from two rounds' mean losses L̄_t(r-1) (``previous``)
    and L̄_t(r-2) (``before``); all 1 while either round is missing. Liu et al. use τ = 2."""
    if temperature <= 0:
        raise ValueError(f"the DWA temperature must be positive, got {temperature}")
    if not previous or not before or min(before.values()) <= 0:
        return dict.fromkeys(previous or before or {}, 1.0)
    ratios = {t: previous[t] / before[t] for t in previous}
    top = max(ratios.values())  # subtracted before exp, for overflow at small temperatures
    exps = {t: math.exp((w - top) / temperature) for t, w in ratios.items()}
    total = sum(exps.values())
    return {t: len(exps) * e / total for t, e in exps.items()}


def multiple_negatives_ranking_loss(u: Tensor, v: Tensor, scale: float = 1.0) -> Tensor:
    """L_MNR for ``u``, ``v`` ``[K, C]``, row i of each a positive pair; ``scale`` multiplies
    the scores (1 for the report's plain dot product)."""
    scores = scale * u @ v.T  # (K, K): S(x_i, y_j)
    return F.cross_entropy(scores.float(), torch.arange(u.shape[0], device=u.device))
