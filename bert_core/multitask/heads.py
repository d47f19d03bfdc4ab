"""Task heads: what sits on top of BERT's sentence embeddings for each task.

The course's baseline heads (the CS224N starter code; "SMART Surgery", section 3):

    sentiment    logits = W · dropout(u) + b,          W ∈ R^{K×C}    cross-entropy
    paraphrase   logit  = w · dropout([u; v]) + b,     w ∈ R^{2C}     binary cross-entropy
    similarity   score  = w · dropout([u; v]) + b,     w ∈ R^{2C}     mean squared error

Heads from the reports (notebook 06), for a pair (u, v):

    siamese      w · dropout([u; v; |u - v|]) + b                 "Multi-BERT: Projected
                                                                  Attention" (after SBERT)
    dot          a · (u · v) + b                                  "Multi-BERT: Investigating
                                                                  Methods" (its baseline)
    cosine       similarity: 2.5 (cos(u, v) + 1) ∈ [0, 5];        same report, after SBERT
                 paraphrase: a · cos(u, v) + b
    scaled_cosine  similarity: 5 cos(u, v): cos regressed onto       sentence-transformers' STS
                 score / 5, so an unrelated pair (score 0) sits    recipe (Reimers and
                 at cos 0, where the checkpoint already puts it    Gurevych 2019)
    cosine_fc    5 · ReLU(cos(f(u), f(v))) ∈ [0, 5], f two         "Multi-BERT: Projected
                 linear layers with a ReLU between                Attention"
    cosine_mix   α · linear([u; v]) + (1 - α) · 2.5 (cos + 1),     "Maximizing MinBert"
                 α = σ(learned), starting at the 0.5 split
    mlp          a stack of [linear, BatchNorm, GELU, dropout]     "Maximizing MinBert"
                 (3 layers by default) then a linear output

Cross-encoder heads, for a pair encoded as one sequence ``[CLS] a [SEP] b [SEP]`` whose
pooled embedding is h (``[B, C]``; "A SMARTer minBERT" 3.4, "Maximizing MinBert" 4.2's
lexicon encoding, "Multi-BERT: Investigating Methods" 4.2's STS concatenation):

    cross_linear  w · dropout(h) + b                                 logit or score
    cross_tanh    2.5 (tanh(w · dropout(h) + b) + 1) ∈ [0, 5]        "Investigating Methods":
                                                                     tanh to [-1, 1], scaled
    cross_mlp     the mlp stack over h

u and v are the pooled embeddings (``[B, C]``) of the sentence, or of the pair's two
sentences encoded separately; K is the number of classes (5 for SST, 2 for CFIMDB).
The heads see only pooled vectors; pooling and pair encoding are ``MultitaskBERT``'s
job. A pair head's ``encoding`` attribute says which encoding it reads: ``"separate"``
(two embeddings, ``head(u, v)``) or ``"cross"`` (one, ``head(h)``). Each kind of head
is registered by name in ``HEADS``, so an experiment picks one with a string and later
notebooks add more.

Taught in notebooks 04 and 05 (the baseline) and 06 (the others).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = [
    "SentimentHead",
    "ConcatPairHead",
    "SiamesePairHead",
    "DotPairHead",
    "CosinePairHead",
    "ScaledCosineHead",
    "CosineFCHead",
    "CosineMixHead",
    "MLPSentimentHead",
    "MLPPairHead",
    "CrossLinearHead",
    "CrossTanhHead",
    "CrossMLPHead",
    "mlp",
    "HEADS",
    "head_encoding",
    "build_head",
]


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


class SiamesePairHead(nn.Module):
    """SBERT's classifier ``W [u; v; |u - v|]``: ``([B, C], [B, C]) -> [B]``. Not symmetric:
    [u; v] keeps the order (|u - v| does not)."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(3 * hidden_size, 1)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return self.linear(self.dropout(torch.cat([u, v, (u - v).abs()], dim=-1))).squeeze(-1)


class DotPairHead(nn.Module):
    """``a · (u · v) + b``, a learned scale and offset on the dot product; symmetric."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(1.0 / hidden_size))
        self.bias = nn.Parameter(torch.tensor(0.0))

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return self.scale * (u * v).sum(-1) + self.bias


class CosinePairHead(nn.Module):
    """Cosine similarity as the score, symmetric. ``scaled=True`` (similarity): the fixed
    map 2.5 (cos + 1) onto the 0-5 gold range; else (paraphrase) a learned ``a cos + b`` logit."""

    def __init__(self, hidden_size: int, dropout: float, scaled: bool = True):
        super().__init__()
        self.scaled = scaled
        if not scaled:
            self.scale = nn.Parameter(torch.tensor(5.0))
            self.bias = nn.Parameter(torch.tensor(0.0))

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        cos = nn.functional.cosine_similarity(u, v, dim=-1)
        return 2.5 * (cos + 1) if self.scaled else self.scale * cos + self.bias


class ScaledCosineHead(nn.Module):
    """``5 cos(u, v)``: the cosine regressed onto score / 5, as sentence-transformers' STS
    recipe does (its ``CosineSimilarityLoss``: MSE between cos and the label scaled to
    [0, 1]; here the MSE is on the 0-5 scale, 25 times that loss). Symmetric, no parameters.

    Against ``cosine``'s 2.5 (cos + 1): a pair scored 0 asks for cos = 0 here, and for
    cos = -1 there, a geometry no sentence encoder trained on natural text has (unrelated
    sentences sit near cos 0), so ``cosine`` spends its updates pulling unrelated pairs
    apart. Notebook 06 measures the difference."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return 5.0 * nn.functional.cosine_similarity(u, v, dim=-1)


class CosineFCHead(nn.Module):
    """``5 · ReLU(cos(f(u), f(v)))`` with f two linear layers (a ReLU between), shared by
    both sentences: symmetric, in [0, 5]."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.transform = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden_size, hidden_size), nn.ReLU(),
                                       nn.Linear(hidden_size, hidden_size))

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        cos = nn.functional.cosine_similarity(self.transform(u), self.transform(v), dim=-1)
        return 5.0 * torch.relu(cos)


class CosineMixHead(nn.Module):
    """``α · linear(dropout([u; v])) + (1 - α) · 2.5 (cos(u, v) + 1)``, α = σ(a) learned,
    a = 0 at the start (the report's first, fixed 0.5 split)."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.linear = ConcatPairHead(hidden_size, dropout)
        self.mix = nn.Parameter(torch.tensor(0.0))

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        alpha = torch.sigmoid(self.mix)
        cos = nn.functional.cosine_similarity(u, v, dim=-1)
        return alpha * self.linear(u, v) + (1 - alpha) * 2.5 * (cos + 1)


def mlp(in_features: int, hidden_size: int, out_features: int, dropout: float,
        depth: int = 3) -> nn.Sequential:
    """``depth`` blocks of [linear, BatchNorm, GELU, dropout], then a linear output layer."""
    layers: list[nn.Module] = []
    for i in range(depth):
        width = in_features if i == 0 else hidden_size
        layers += [nn.Linear(width, hidden_size), nn.BatchNorm1d(hidden_size), nn.GELU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(hidden_size if depth else in_features, out_features))
    return nn.Sequential(*layers)


def _run_mlp(net: nn.Sequential, x: Tensor) -> Tensor:
    # BatchNorm cannot normalise a batch of one example in training; such a batch (the
    # last of a pass when n % batch_size == 1) uses the running statistics instead.
    if net.training and x.shape[0] == 1:
        net.eval()
        try:
            return net(x)
        finally:
            net.train()
    return net(x)


class MLPSentimentHead(nn.Module):
    """The three-layer sentiment head: ``[B, C] -> [B, K]``."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, depth: int = 3):
        super().__init__()
        self.net = mlp(hidden_size, hidden_size, num_labels, dropout, depth)

    def forward(self, u: Tensor) -> Tensor:
        return _run_mlp(self.net, u)


class MLPPairHead(nn.Module):
    """The three-layer pair head over ``[u; v]``: ``([B, C], [B, C]) -> [B]``."""

    def __init__(self, hidden_size: int, dropout: float, depth: int = 3):
        super().__init__()
        self.net = mlp(2 * hidden_size, hidden_size, 1, dropout, depth)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return _run_mlp(self.net, torch.cat([u, v], dim=-1)).squeeze(-1)


class CrossLinearHead(nn.Module):
    """A cross-encoded pair's logit or score, ``w · dropout(h) + b``: ``[B, C] -> [B]``."""

    encoding = "cross"

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, 1)

    def forward(self, h: Tensor) -> Tensor:
        return self.linear(self.dropout(h)).squeeze(-1)


class CrossTanhHead(CrossLinearHead):
    """``2.5 (tanh(w · dropout(h) + b) + 1)``: the linear score squashed into [-1, 1] by tanh,
    then mapped onto the 0-5 gold range ("Multi-BERT: Investigating Methods", 4.2)."""

    def forward(self, h: Tensor) -> Tensor:
        return 2.5 * (torch.tanh(super().forward(h)) + 1)


class CrossMLPHead(nn.Module):
    """The mlp stack over a cross-encoded pair: ``[B, C] -> [B]``."""

    encoding = "cross"

    def __init__(self, hidden_size: int, dropout: float, depth: int = 3):
        super().__init__()
        self.net = mlp(hidden_size, hidden_size, 1, dropout, depth)

    def forward(self, h: Tensor) -> Tensor:
        return _run_mlp(self.net, h).squeeze(-1)


# task kind -> head name -> class; a class takes (hidden_size, dropout), sentiment heads
# (hidden_size, num_labels, dropout); the mlp heads also take a depth.
HEADS: dict[str, dict[str, type[nn.Module]]] = {
    "sentiment": {"linear": SentimentHead, "mlp": MLPSentimentHead},
    "paraphrase": {"concat": ConcatPairHead, "siamese": SiamesePairHead, "dot": DotPairHead,
                   "cosine": CosinePairHead, "mlp": MLPPairHead,
                   "cross_linear": CrossLinearHead, "cross_mlp": CrossMLPHead},
    "similarity": {"concat": ConcatPairHead, "siamese": SiamesePairHead, "dot": DotPairHead,
                   "cosine": CosinePairHead, "scaled_cosine": ScaledCosineHead,
                   "cosine_fc": CosineFCHead, "cosine_mix": CosineMixHead,
                   "mlp": MLPPairHead,
                   "cross_linear": CrossLinearHead, "cross_tanh": CrossTanhHead, "cross_mlp": CrossMLPHead},
}
_DEEP = (MLPSentimentHead, MLPPairHead, CrossMLPHead)


def head_encoding(kind: str, name: str) -> str:
    """How a pair head reads its pair: ``"separate"`` (``head(u, v)``) or ``"cross"`` (``head(h)``)."""
    return getattr(HEADS[kind][name], "encoding", "separate")


def build_head(kind: str, name: str, hidden_size: int, dropout: float, num_labels: int = 1,
               depth: int = 3) -> nn.Module:
    """The head ``name`` for a task kind (``sentiment``, ``paraphrase``, ``similarity``);
    ``depth`` is the number of hidden blocks of the mlp heads (the others have none)."""
    if name not in HEADS.get(kind, {}):
        raise ValueError(f"no {kind} head named {name!r}; choose one of {sorted(HEADS.get(kind, {}))}")
    cls = HEADS[kind][name]
    extra = {"depth": depth} if cls in _DEEP else {}
    if kind == "sentiment":
        return cls(hidden_size, num_labels, dropout, **extra)
    if name == "cosine":
        return CosinePairHead(hidden_size, dropout, scaled=kind == "similarity")
    return cls(hidden_size, dropout, **extra)
