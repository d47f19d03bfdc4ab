"""Two configurations on the same dev examples: which examples each gets right, McNemar's
test for a classifier, a paired bootstrap for STS's Pearson r (notebook 11).

The seed tables (``significance``) ask whether two configs differ beyond the noise of
training; the paired view asks, for one trained model of each, which examples changed.
On the n examples both were evaluated on (the ids in common):

    b = examples A gets right and B wrong,  c = the reverse
    McNemar (exact): under "A and B are equally good", each of the b + c discordant
    examples goes either way with probability 1/2, so
        p = min(1, 2 · P[Binomial(b + c, 1/2) ≤ min(b, c)])
    (McNemar 1947; the exact binomial form, right for small b + c.)

    Paired bootstrap for STS: draw n examples with replacement, the same draw for both
    models, and compute r_A - r_B on it; the 2.5 and 97.5 percentiles of that difference
    over the draws are its interval, and p is twice the smaller share of draws on either
    side of 0 (Efron and Tibshirani 1993, ch. 16; Koehn 2004 for this use in NLP).

Both test one trained model of each config on one dev set: a difference says those two
models differ on these examples, not that the recipe is better for every seed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["aligned", "paired_table", "mcnemar_p", "paired_bootstrap", "compare_pair"]


def aligned(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """The examples both frames predicted (by id, in ``first``'s order), with ``label`` and
    each side's ``prediction`` and ``error`` suffixed ``_a`` and ``_b``."""
    merged = first[["id", "label", "prediction", "error"]].merge(
        second[["id", "label", "prediction", "error"]], on="id", suffixes=("_a", "_b"))
    if not np.allclose(merged["label_a"], merged["label_b"]):
        raise ValueError("the two runs give different labels for the same id: they were evaluated on "
                         "different dev files")
    return merged.rename(columns={"label_a": "label"}).drop(columns="label_b")


def paired_table(first: pd.DataFrame, second: pd.DataFrame, names: tuple[str, str] = ("A", "B")
                 ) -> pd.DataFrame:
    """The 2 x 2 table of the examples in common: rows ``names[0]`` right / wrong, columns
    ``names[1]`` right / wrong."""
    both = aligned(first, second)
    right_a, right_b = ~both["error_a"], ~both["error_b"]
    a, b = names
    return pd.DataFrame(
        [[int((right_a & right_b).sum()), int((right_a & ~right_b).sum())],
         [int((~right_a & right_b).sum()), int((~right_a & ~right_b).sum())]],
        index=[f"{a} right", f"{a} wrong"], columns=[f"{b} right", f"{b} wrong"])


def mcnemar_p(only_first: int, only_second: int) -> float:
    """Exact McNemar p-value from the two discordant counts (1 when there are none)."""
    if only_first < 0 or only_second < 0:
        raise ValueError(f"counts must be non-negative; got {only_first} and {only_second}")
    n = only_first + only_second
    if n == 0:
        return 1.0
    return float(min(1.0, 2 * stats.binom.cdf(min(only_first, only_second), n, 0.5)))


def paired_bootstrap(predictions_a: np.ndarray, predictions_b: np.ndarray, labels: np.ndarray,
                     draws: int = 2000, seed: int = 0) -> dict[str, float]:
    """Pearson r of each side, their difference r_A - r_B, its percentile interval over
    ``draws`` paired resamples and the two-sided bootstrap p."""
    a, b, y = (np.asarray(v, dtype=np.float64) for v in (predictions_a, predictions_b, labels))
    if not (len(a) == len(b) == len(y)) or len(y) < 3:
        raise ValueError(f"three equal lists of 3+ values needed; got {len(a)}, {len(b)}, {len(y)}")
    generator = np.random.default_rng(seed)
    index = generator.integers(0, len(y), size=(draws, len(y)))
    differences = _rows_pearson(a[index], y[index]) - _rows_pearson(b[index], y[index])
    differences = differences[np.isfinite(differences)]
    low, high = np.percentile(differences, [2.5, 97.5])
    p = 2 * min(float((differences <= 0).mean()), float((differences >= 0).mean()))
    r_a, r_b = float(stats.pearsonr(a, y)[0]), float(stats.pearsonr(b, y)[0])
    return {"r_a": r_a, "r_b": r_b, "difference": r_a - r_b, "low": float(low), "high": float(high),
            "p": min(1.0, p), "n": len(y)}


def _rows_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row pair of two ``[draws, n]`` arrays (nan for a constant row)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    denominator = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=1) / denominator


def compare_pair(first: pd.DataFrame, second: pd.DataFrame, task_metric: str, draws: int = 2000,
                 seed: int = 0) -> dict[str, float]:
    """One line of the paired comparison of two prediction frames of a task: for accuracy,
    both accuracies on the common examples, the discordant counts and McNemar's p; for
    Pearson, ``paired_bootstrap``."""
    both = aligned(first, second)
    if task_metric == "pearson":
        return paired_bootstrap(both["prediction_a"].to_numpy(), both["prediction_b"].to_numpy(),
                                both["label"].to_numpy(), draws, seed)
    only_a = int((~both["error_a"] & both["error_b"]).sum())
    only_b = int((both["error_a"] & ~both["error_b"]).sum())
    n = len(both)
    return {"acc_a": float((~both["error_a"]).mean()) if n else math.nan,
            "acc_b": float((~both["error_b"]).mean()) if n else math.nan,
            "only A right": only_a, "only B right": only_b, "p": mcnemar_p(only_a, only_b), "n": n}
