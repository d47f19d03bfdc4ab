"""Error analysis of a run's dev predictions: confusion matrices, per-class precision,
recall and F1, SST's near misses, STS residuals and what they correlate with (notebook 11).

Every stored run keeps its best checkpoint's dev predictions (``record["dev_predictions"]``:
ids, predictions, labels per task); ``prediction_frame`` joins them with the dev file's
sentences, so that every function below works on one table per task:

    id, label, prediction, error, words, text columns (sentence, or sentence1 and sentence2)
    and for STS residual = prediction - label

Definitions:
    confusion C[i, j]   dev examples of true class i predicted as j (rows sum to support)
    precision_k         C[k, k] / Σ_i C[i, k]     recall_k = C[k, k] / Σ_j C[k, j]
    F1_k                2 P_k R_k / (P_k + R_k)   macro: the plain mean over classes;
                                                  weighted: the mean weighted by support
    near miss (SST)     an error one class away (|ŷ - y| = 1); a polarity flip: negative
                        (0-1) predicted positive (3-4) or the reverse
    STS error           |residual| > ``STS_ERROR_MARGIN`` (a full point of the 0-5 scale)

The correlation of the residual with another quantity (the gold score, the pair's length)
comes with Fisher's z interval: z = atanh(r), se = 1 / sqrt(n - 3), CI = tanh(z ± z_α/2 se).
Report 002 (section 6) claims long pairs are over-estimated from 13 pairs among the first
500; ``residual_correlation`` tests that claim on the whole dev set. Report 004 (section 5)
finds that most SST errors are one class away; ``near_misses`` counts it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import precision_recall_fscore_support

from bert_core.multitask.examples import Example, PairExample, SentimentExample
from bert_core.multitask.tasks import TASKS

__all__ = ["STS_ERROR_MARGIN", "SST_NAMES", "QUORA_NAMES", "class_names", "prediction_frame", "confusion",
           "normalised", "class_report", "near_misses", "correlation_interval", "residual_correlation",
           "residuals_by_bin"]

STS_ERROR_MARGIN = 1.0
SST_NAMES = ("very negative", "negative", "neutral", "positive", "very positive")
QUORA_NAMES = ("not duplicate", "duplicate")


def class_names(task: str) -> tuple[str, ...]:
    """The class names of a classification task, in label order."""
    if task == "sst":
        return SST_NAMES
    if TASKS[task].kind == "paraphrase":
        return QUORA_NAMES
    if TASKS[task].kind == "sentiment":
        return tuple(str(k) for k in range(TASKS[task].num_labels))
    raise ValueError(f"{task} is scored by a correlation, not classes: it has no class names")


def prediction_frame(run: Mapping[str, Any], task: str, examples: Sequence[Example]) -> pd.DataFrame:
    """One row per dev prediction of ``run`` (a stored seed's record) for ``task``, with the
    example's text from ``examples`` (the dev file, ``load_task(task, "dev", folder)``).

    A prediction whose id is not among ``examples`` is an error naming it: the run was
    evaluated on another dev file (the sample set, say) than the one given."""
    if task not in run.get("dev_predictions", {}):
        raise ValueError(f"the run holds no dev predictions for {task}; it has "
                         f"{sorted(run.get('dev_predictions', {}))}")
    stored = run["dev_predictions"][task]
    by_id = {e.id: e for e in examples}
    missing = [i for i in stored["ids"] if i not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} of the run's {len(stored['ids'])} {task} dev ids are not in the "
                         f"examples given (first: {missing[0]!r}); load the dev file the run was "
                         "evaluated on (the profile's data folder)")
    frame = pd.DataFrame({"id": stored["ids"], "label": stored["labels"],
                          "prediction": stored["predictions"]})
    chosen = [by_id[i] for i in stored["ids"]]
    if TASKS[task].is_pair:
        pairs = [e for e in chosen if isinstance(e, PairExample)]
        frame["sentence1"] = [e.sentence1 for e in pairs]
        frame["sentence2"] = [e.sentence2 for e in pairs]
        frame["words"] = [len(e.sentence1.split()) + len(e.sentence2.split()) for e in pairs]
        frame["characters"] = [len(e.sentence1) + len(e.sentence2) for e in pairs]
    else:
        singles = [e for e in chosen if isinstance(e, SentimentExample)]
        frame["sentence"] = [e.sentence for e in singles]
        frame["words"] = [len(e.sentence.split()) for e in singles]
        frame["characters"] = [len(e.sentence) for e in singles]
    if TASKS[task].metric == "pearson":
        frame["residual"] = frame["prediction"] - frame["label"]
        frame["error"] = frame["residual"].abs() > STS_ERROR_MARGIN
    else:
        frame["label"] = frame["label"].astype(int)
        frame["prediction"] = frame["prediction"].astype(int)
        frame["error"] = frame["prediction"] != frame["label"]
    return frame


def confusion(frame: pd.DataFrame, num_classes: int) -> np.ndarray:
    """``C[i, j]``: examples of true class i predicted as j, a ``[K, K]`` integer array."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (frame["label"].to_numpy(int), frame["prediction"].to_numpy(int)), 1)
    return matrix


def normalised(matrix: np.ndarray) -> np.ndarray:
    """Each row divided by its sum (the share of a true class predicted as each class);
    a class with no examples stays a row of zeros."""
    rows = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, rows, out=np.zeros(matrix.shape, dtype=np.float64), where=rows > 0)


def class_report(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Per class: precision, recall, F1 and support (scikit-learn's definitions; a class
    never predicted has precision 0); then the macro and the support-weighted means."""
    labels = list(range(len(names)))
    y, p = frame["label"].to_numpy(int), frame["prediction"].to_numpy(int)
    precision, recall, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    table = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1, "support": support},
                         index=list(names))
    for average in ("macro", "weighted"):
        mp, mr, mf, _ = precision_recall_fscore_support(y, p, labels=labels, average=average, zero_division=0)
        table.loc[average] = [mp, mr, mf, int(support.sum())]
    table["support"] = table["support"].astype(int)
    return table


def near_misses(frame: pd.DataFrame) -> pd.Series:
    """SST's errors by how far they miss: counts of errors one, two, three and four classes
    away, the share of errors that are one class away, and the polarity flips (a negative
    sentence, class 0-1, predicted positive, 3-4, or the reverse)."""
    errors = frame[frame["error"]]
    distance = (errors["prediction"] - errors["label"]).abs()
    negative, positive = errors["label"] <= 1, errors["label"] >= 3
    flips = (negative & (errors["prediction"] >= 3)) | (positive & (errors["prediction"] <= 1))
    out = {f"{k} away": int((distance == k).sum()) for k in range(1, 5)}
    out["errors"] = len(errors)
    out["share one away"] = out["1 away"] / len(errors) if len(errors) else math.nan
    out["polarity flips"] = int(flips.sum())
    return pd.Series(out, dtype=object)


def correlation_interval(x: Sequence[float], y: Sequence[float],
                         confidence: float = 0.95) -> dict[str, float]:
    """Pearson's r of x and y with Fisher's z interval and the two-sided p of r = 0."""
    a, b = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = len(a)
    if n < 4 or a.std() < 1e-12 or b.std() < 1e-12:  # constant (up to rounding): r undefined
        return {"r": math.nan, "low": math.nan, "high": math.nan, "p": math.nan, "n": n}
    r, p = stats.pearsonr(a, b)
    z, se = math.atanh(min(max(r, -0.999999), 0.999999)), 1 / math.sqrt(n - 3)
    half = stats.norm.ppf(0.5 + confidence / 2) * se
    return {"r": float(r), "low": math.tanh(z - half), "high": math.tanh(z + half), "p": float(p), "n": n}


def residual_correlation(frame: pd.DataFrame, against: Sequence[str] = ("label", "words", "characters"),
                         confidence: float = 0.95) -> pd.DataFrame:
    """The STS residual's correlation with each column in ``against``, with its interval.

    A positive r with the pair's length says long pairs are over-estimated (report 002's
    claim); a negative r with the gold score says the model pulls scores towards the middle
    (low pairs over-, high pairs under-estimated)."""
    rows = {column: correlation_interval(frame[column], frame["residual"], confidence) for column in against}
    return pd.DataFrame(rows).T[["r", "low", "high", "p", "n"]].astype({"n": int})


def residuals_by_bin(frame: pd.DataFrame, column: str, bins: Sequence[float]) -> pd.DataFrame:
    """The STS residual's mean, its standard error and the share over-estimated, per bin of
    ``column`` (``bins`` are the edges, as ``pandas.cut`` takes them, right-closed)."""
    groups = frame.groupby(pd.cut(frame[column], list(bins)), observed=False)["residual"]
    over = groups.apply(lambda r: float((r > 0).mean()) if len(r) else math.nan)
    return pd.DataFrame({"pairs": groups.size(), "mean residual": groups.mean(),
                         "se": groups.std() / np.sqrt(groups.size()), "over-estimated": over})
