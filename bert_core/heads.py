"""Task heads: what sits on top of BERT's sentence embeddings for each task.

The course's baseline heads (the CS224N starter code; "SMART Surgery", section 3):

    sentiment    logits = W · dropout(u) + b,          W ∈ R^{K×C}    cross-entropy
    paraphrase   logit  = w · dropout([u; v]) + b,     w ∈ R^{2C}     binary cross-entropy
    similarity   score  = w · dropout([u; v]) + b,     w ∈ R^{2C}     mean squared error

u and v are the pooled embeddings (``[B, C]``) of the sentence, or of the pair's two
sentences encoded separately; K is the number of classes (5 for SST, 2 for CFIMDB).
The heads see only pooled vectors; pooling and pair encoding are ``MultitaskBERT``'s
job. Each kind of head is registered by name in ``HEADS``, so an experiment picks one
with a string and later notebooks add more.

Taught in notebooks 04 and 05.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["SentimentHead", "ConcatPairHead", "HEADS", "build_head"]


class SentimentHead(nn.Module):
    """Dropout and one linear layer over the pooled sentence: ``[B, C] -> [B, K]``."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, u: Tensor) -> Tensor:
        return self.classifier(self.dropout(u))  # (B, K)


class ConcatPairHead(nn.Module):
    """Dropout and one linear layer over ``[u; v]``: ``([B, C], [B, C]) -> [B]``.

    The course's paraphrase head (one logit) and its similarity head (one score).
    """

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(2 * hidden_size, 1)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return self.linear(self.dropout(torch.cat([u, v], dim=-1))).squeeze(-1)  # (B,)


# task kind -> head name -> constructor(hidden_size, num_outputs, dropout)
HEADS: dict[str, dict[str, type[nn.Module]]] = {
    "sentiment": {"linear": SentimentHead},
    "paraphrase": {"concat": ConcatPairHead},
    "similarity": {"concat": ConcatPairHead},
}


def build_head(kind: str, name: str, hidden_size: int, dropout: float, num_labels: int = 1) -> nn.Module:
    """The head ``name`` for a task kind (``sentiment``, ``paraphrase``, ``similarity``)."""
    if name not in HEADS.get(kind, {}):
        raise ValueError(f"no {kind} head named {name!r}; choose one of {sorted(HEADS.get(kind, {}))}")
    if kind == "sentiment":
        return SentimentHead(hidden_size, num_labels, dropout)
    return HEADS[kind][name](hidden_size, dropout)
