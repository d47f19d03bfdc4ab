"""The reports' qualitative error categories turned into rules that can be counted (notebook 11).

Reports 002 (section 6) and 004 (section 5) read their models' dev errors and name what
the hard examples share. Each category below is a rule on an example's text, so that
its error rate can be measured on the whole dev set against the examples outside it:

    sst    negation      a negation word (not, n't, no, never, ...): the sentiment flips
           contrast      but / although / though / yet / however: report 004's "It moves
                         quickly, adroitly ... it doesn't give you time to reflect on the
                         inanity", a review that weighs two sides
           long          30 words or more
    quora  pronoun mismatch  one question has a personal pronoun the other lacks
                         (report 004: "What makes one angry?" / "... makes you most angry?")
           high overlap  word Jaccard ≥ 0.5;   low overlap  word Jaccard < 0.2
    sts    long pair     300 characters or more together (report 002's threshold)
           high overlap  word Jaccard ≥ 0.5 (report 004: over-scoring on shared words)
           negation in one   exactly one of the two sentences has a negation word

Word Jaccard = |W1 ∩ W2| / |W1 ∪ W2| over lower-cased word sets (letters, digits, ').
For each category, ``category_table`` compares the error rate inside it with the rate
outside: Fisher's exact test for the classifiers' errors; for STS also the mean residual
inside against outside (Welch's t-test), whose sign says over- or under-estimated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from bert_core.training.eda import NEGATIONS  # one list of negations: EDA never edits them

__all__ = ["NEGATIONS", "PRONOUNS", "CATEGORIES", "words", "jaccard", "categorise", "category_table",
           "category_examples"]

PRONOUNS = frozenset({"i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "he", "him",
                      "his", "himself", "she", "her", "hers", "herself", "we", "us", "our", "ours",
                      "they", "them", "their", "theirs", "one's"})
_CONTRAST = frozenset({"but", "although", "though", "yet", "however", "while", "despite"})
_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-cased words (letters, digits and apostrophes)."""
    return _WORD.findall(text.lower())


def _negated(text: str) -> bool:
    tokens = words(text)
    return any(t in NEGATIONS or t.endswith("n't") for t in tokens)


def jaccard(first: str, second: str) -> float:
    """|W1 ∩ W2| / |W1 ∪ W2| of the two word sets (0 when both are empty)."""
    a, b = set(words(first)), set(words(second))
    return len(a & b) / len(a | b) if a | b else 0.0


def _pronoun_mismatch(first: str, second: str) -> bool:
    a, b = bool(PRONOUNS & set(words(first))), bool(PRONOUNS & set(words(second)))
    return a != b


Rule = Callable[[pd.Series], bool]
CATEGORIES: dict[str, dict[str, Rule]] = {
    "sst": {
        "negation": lambda r: _negated(r["sentence"]),
        "contrast": lambda r: bool(_CONTRAST & set(words(r["sentence"]))),
        "long": lambda r: r["words"] >= 30,
    },
    "quora": {
        "pronoun mismatch": lambda r: _pronoun_mismatch(r["sentence1"], r["sentence2"]),
        "high overlap": lambda r: jaccard(r["sentence1"], r["sentence2"]) >= 0.5,
        "low overlap": lambda r: jaccard(r["sentence1"], r["sentence2"]) < 0.2,
    },
    "sts": {
        "long pair": lambda r: r["characters"] >= 300,
        "high overlap": lambda r: jaccard(r["sentence1"], r["sentence2"]) >= 0.5,
        "negation in one": lambda r: _negated(r["sentence1"]) != _negated(r["sentence2"]),
    },
}


def categorise(frame: pd.DataFrame, task: str) -> pd.DataFrame:
    """``frame`` (``analysis.prediction_frame``) with one boolean column per category of
    ``task``, and for pair tasks the pair's word Jaccard (``overlap``)."""
    if task not in CATEGORIES:
        raise ValueError(f"no error categories for {task!r}; there are some for {sorted(CATEGORIES)}")
    out = frame.copy()
    if "sentence1" in out:
        out["overlap"] = [jaccard(a, b) for a, b in zip(out["sentence1"], out["sentence2"])]
    for name, rule in CATEGORIES[task].items():
        out[name] = out.apply(rule, axis=1).astype(bool) if len(out) else pd.Series(dtype=bool)
    return out


def category_table(frame: pd.DataFrame, task: str) -> pd.DataFrame:
    """Per category of ``task``: its examples, its error rate, the rate outside it, and
    Fisher's exact p of the two rates being equal; for STS also the mean residual inside
    and outside, and Welch's p of those being equal."""
    marked = categorise(frame, task)
    rows = {}
    for name in CATEGORIES[task]:
        inside, outside = marked[marked[name]], marked[~marked[name]]
        row = {"examples": len(inside), "share": len(inside) / len(marked) if len(marked) else math.nan,
               "error rate": inside["error"].mean() if len(inside) else math.nan,
               "rate outside": outside["error"].mean() if len(outside) else math.nan}
        table = [[int(inside["error"].sum()), int((~inside["error"]).sum())],
                 [int(outside["error"].sum()), int((~outside["error"]).sum())]]
        row["p (rates)"] = float(stats.fisher_exact(table)[1]) if len(inside) and len(outside) else math.nan
        if "residual" in marked:
            row["mean residual"] = inside["residual"].mean() if len(inside) else math.nan
            row["outside"] = outside["residual"].mean() if len(outside) else math.nan
            row["p (residuals)"] = (float(stats.ttest_ind(inside["residual"], outside["residual"],
                                                          equal_var=False).pvalue)
                                    if len(inside) > 1 and len(outside) > 1 else math.nan)
        rows[name] = row
    return pd.DataFrame(rows).T.astype({"examples": int})


def category_examples(frame: pd.DataFrame, task: str, category: str, count: int = 3,
                      errors_only: bool = True) -> pd.DataFrame:
    """The first ``count`` examples of ``category`` (errors only by default), worst first
    for STS (largest |residual|), in dev order otherwise."""
    marked = categorise(frame, task)
    if category not in CATEGORIES[task]:
        raise ValueError(f"no category {category!r} for {task}; choose one of {list(CATEGORIES[task])}")
    chosen = marked[marked[category] & (marked["error"] if errors_only else True)]
    if "residual" in chosen:
        chosen = chosen.iloc[np.argsort(-chosen["residual"].abs().to_numpy(), kind="stable")]
    columns = [c for c in ("sentence", "sentence1", "sentence2", "label", "prediction", "residual")
               if c in chosen]
    return chosen[columns].head(count).reset_index(drop=True)
