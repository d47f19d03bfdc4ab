"""What a linear head can read from frozen sentence embeddings: a logistic-regression probe.

Notebook 05 asks whether the course's pair head, one linear layer on [u; v], can learn
Quora at all. On frozen embeddings the question has a quick answer: fit a logistic
regression on the features of the training pairs and score the dev pairs, with the
features the concatenation head sees,

    concat     [u; v]                      logit = w₁·u + w₂·v + b: a score per sentence,
                                           added; it cannot compare u with v
    siamese    [u; v; |u - v|; u ⊙ v]      the comparison features of SBERT ("Projected
                                           Attention"'s head uses [u; v; |u - v|])

and the sentence embeddings pooled either way (``cls``: the pooler output; ``mean``).
Fine-tuning can move u and v, but not the head's additive form: the probe's concat
score bounds what the frozen encoder offers it, and the gap to the siamese score is the
part of the task a comparison feature gives for free.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.significance import majority_rate
from bert_core.multitask.examples import Example, sentence_pairs
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.pooling import sentence_embeddings

__all__ = ["PAIR_FEATURES", "pair_features", "pair_probe", "feature_spread"]

PAIR_FEATURES = ("concat", "siamese")


def pair_features(u: np.ndarray, v: np.ndarray, kind: str) -> np.ndarray:
    """``concat`` [u; v] or ``siamese`` [u; v; |u - v|; u ⊙ v]."""
    if kind == "concat":
        return np.concatenate([u, v], axis=1)
    if kind == "siamese":
        return np.concatenate([u, v, np.abs(u - v), u * v], axis=1)
    raise ValueError(f"unknown pair features {kind!r}; choose one of {PAIR_FEATURES}")


def pair_probe(model: MultitaskBERT, tokenizer: Tokenizer, train: Sequence[Example], dev: Sequence[Example],
               poolings: Sequence[str] = ("cls", "mean"), kinds: Sequence[str] = PAIR_FEATURES,
               seed: int = 0) -> dict[str, dict[str, float]]:
    """Dev accuracy of a logistic regression on frozen pair features, by pooling and kind
    (``{"cls": {"concat": 0.66, "siamese": 0.74}, ...}``), with the dev majority rate
    under ``"majority"``. Labels are 0/1 (Quora)."""
    y_train = np.array([e.label for e in train], dtype=int)
    y_dev = np.array([e.label for e in dev], dtype=int)
    out: dict[str, dict[str, float]] = {}
    for pooling in poolings:
        embedded = {}
        for split, examples in (("train", train), ("dev", dev)):
            firsts, seconds = sentence_pairs(examples)
            embedded[split] = tuple(sentence_embeddings(model.bert, tokenizer, side, pooling, 128).numpy()
                                    for side in (firsts, seconds))
        out[pooling] = {}
        for kind in kinds:
            x_train, x_dev = (pair_features(*embedded[s], kind) for s in ("train", "dev"))
            scaler = StandardScaler().fit(x_train)
            probe = LogisticRegression(max_iter=2000, random_state=seed)
            probe.fit(scaler.transform(x_train), y_train)
            out[pooling][kind] = float((probe.predict(scaler.transform(x_dev)) == y_dev).mean())
    out["majority"] = {"rate": majority_rate(y_dev.tolist())}
    return out


def feature_spread(vectors: np.ndarray) -> dict[str, float]:
    """How much sentence embeddings ``[N, C]`` differ across sentences: the standard
    deviation over sentences, averaged over dimensions, and the mean cosine between two
    different sentences' vectors. A head learns from the differences; features that are
    nearly the same for every input (cosine near 1, small spread) give it little to move."""
    if len(vectors) < 2:
        raise ValueError("feature_spread needs at least two vectors")
    x = np.asarray(vectors, dtype=np.float64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)
    cosines = unit @ unit.T
    n = len(x)
    return {"std": float(x.std(axis=0).mean()), "mean_cosine": float((cosines.sum() - n) / (n * (n - 1)))}
