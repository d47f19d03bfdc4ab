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

Later notebooks weigh the sum (loss balancing) or change how the gradients meet
(PCGrad); they start from here. Taught in notebooks 04 and 05; the ranking loss in 06.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

from bert_core.multitask import TASK_KINDS

__all__ = ["task_loss", "combine_losses", "multiple_negatives_ranking_loss"]


def task_loss(task: str, outputs: Tensor, labels: Tensor) -> Tensor:
    """The mean loss of one batch: ``outputs`` ``[B, K]`` logits or ``[B]``, ``labels`` ``[B]``."""
    kind = TASK_KINDS[task]
    if kind == "sentiment":
        return F.cross_entropy(outputs.float(), labels.long())
    if kind == "paraphrase":
        return F.binary_cross_entropy_with_logits(outputs.float(), labels.float())
    return F.mse_loss(outputs.float(), labels.float())


def combine_losses(losses: dict[str, Tensor]) -> Tensor:
    """The baseline: the sum of the task losses."""
    return sum(losses.values())  # type: ignore[return-value]


def multiple_negatives_ranking_loss(u: Tensor, v: Tensor, scale: float = 1.0) -> Tensor:
    """L_MNR for ``u``, ``v`` ``[K, C]``, row i of each a positive pair; ``scale`` multiplies
    the scores (1 for the report's plain dot product)."""
    scores = scale * u @ v.T  # (K, K): S(x_i, y_j)
    return F.cross_entropy(scores.float(), torch.arange(u.shape[0], device=u.device))
