"""The checkpoint's STS score with no training: the reference line of every STS column.

all-MiniLM-L6-v2 was trained for sentence similarity (on NLI pairs and Quora duplicates,
among others), so the cosine of its mean-pooled sentence vectors already tracks the STS
gold scores before any fine-tuning (notebook 02):

    r₀ = pearson(cos(mean(BERT(a)), mean(BERT(b))), gold)   over the STS dev pairs

A fine-tuned STS head that scores below r₀ has made the checkpoint's similarity worse, so
every table with an STS column shows r₀ as a row of its own (``reference_rows``), computed
on the same dev pairs as the runs beside it: all 863 for runs with ``dev_limit=None`` (the
headline budget), the fixed 600 of the cpu caps otherwise (``datasets.fixed_subset``).

    python -m bert_core.course.zero_shot      computes both, stores results/cpu/zero_shot_sts.json
                                              (with each dev pair's cosine, for notebook 06)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.experiments.cli import user_errors_in_one_line
from bert_core.experiments.profiles import get_profile
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.store import load_artefact, save_artefact
from bert_core.multitask.data import load_task
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.pooling import sentence_embeddings
from bert_core.training.datasets import fixed_subset

__all__ = ["ARTEFACT", "zero_shot_cosines", "zero_shot_pearson", "stored_zero_shot", "stored_pairs",
           "reference_rows", "with_reference_rows", "main"]

ARTEFACT = "zero_shot_sts"
LABEL = "zero-shot: the checkpoint, no training"


def zero_shot_cosines(checkpoint: str, pairs: Sequence[Example], pooling: str = "mean",
                      max_length: int = 128, device: torch.device | str = "cpu") -> np.ndarray:
    """The cosine of the checkpoint's pooled sentence vectors for each of ``pairs``, no training."""
    encoder = MultitaskBERT.from_pretrained(checkpoint).bert.to(device)
    tokenizer = Tokenizer.from_pretrained(checkpoint).with_max_length(max_length)
    with torch.inference_mode():
        u = sentence_embeddings(encoder, tokenizer, [p.sentence1 for p in pairs], pooling, device=device)
        v = sentence_embeddings(encoder, tokenizer, [p.sentence2 for p in pairs], pooling, device=device)
    return torch.nn.functional.cosine_similarity(u, v).numpy()


def zero_shot_pearson(checkpoint: str, pairs: Sequence[Example], pooling: str = "mean",
                      max_length: int = 128, device: torch.device | str = "cpu") -> float:
    """Pearson r between ``zero_shot_cosines`` and the gold scores of ``pairs`` (STS examples)."""
    cosine = zero_shot_cosines(checkpoint, pairs, pooling, max_length, device)
    return float(np.corrcoef(cosine, [p.label for p in pairs])[0, 1])


def stored_pairs(profile: str = "cpu") -> dict[str, np.ndarray]:
    """The committed per-pair zero-shot cosines of the whole STS dev set: ``ids``, ``gold``
    and ``cosine`` arrays (empty when nobody has computed them in ``profile``)."""
    stored = load_artefact(profile, ARTEFACT)
    if stored is None:
        return {}
    pairs = stored["payload"]["pairs"]
    return {key: np.array(pairs[key]) for key in ("ids", "gold", "cosine")}


def stored_zero_shot(profile: str = "cpu") -> dict[int, float]:
    """The committed r₀ by number of dev pairs (``{863: 0.838, 600: 0.834}``); empty when
    nobody has computed it in ``profile``."""
    stored = load_artefact(profile, ARTEFACT)
    return {} if stored is None else {int(n): r for n, r in stored["payload"]["pearson_by_pairs"].items()}


def _sts_pairs_scored(result: ExperimentResult) -> int | None:
    run = next(iter(result.runs.values()))
    sts = run.get("dev_predictions", {}).get("sts")
    return None if sts is None else len(sts["ids"])


def reference_rows(results: Mapping[str, ExperimentResult | None], profile: str = "cpu") -> dict[str, float]:
    """The zero-shot rows a table of ``results`` shows: label -> r₀, one per number of STS
    dev pairs its rows were scored on (when r₀ was computed on that many; the sample set's
    runs get none)."""
    stored = stored_zero_shot(profile)
    counts = sorted({n for r in results.values() if r is not None and (n := _sts_pairs_scored(r))},
                    reverse=True)
    shown = [n for n in counts if n in stored]
    if len(shown) == 1:
        return {LABEL: stored[shown[0]]}
    return {f"{LABEL}, {n} dev pairs": stored[n] for n in shown}


def with_reference_rows(frame: pd.DataFrame, results: Mapping[str, ExperimentResult | None],
                        column: str = "sts_corr", profile: str = "cpu") -> pd.DataFrame:
    """``frame`` (a table of ``results``, one row per run) with the zero-shot rows
    (``reference_rows``) appended, r₀ in ``column`` and the other cells blank; unchanged
    when it has no such column."""
    rows = reference_rows(results, profile) if column in frame.columns else {}
    if not rows:
        return frame
    extra = pd.DataFrame("", index=pd.Index(list(rows), name=frame.index.name), columns=frame.columns)
    for label, r in rows.items():
        extra.at[label, column] = f"{r:.3f}"
    return pd.concat([frame.astype(object), extra])


@user_errors_in_one_line
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bert_core.course.zero_shot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="cpu")
    args = parser.parse_args(argv)
    profile = get_profile(args.profile)
    dev = load_task("sts", "dev", profile.data_dir)
    limit = profile.caps.get("dev_limit")
    subsets = {len(dev): dev}
    if limit is not None and limit < len(dev):
        subsets[limit] = fixed_subset(dev, limit, "sts", "dev")
    cosine = zero_shot_cosines(profile.checkpoint, dev, max_length=profile.caps.get("max_length", 128))
    by_id = dict(zip([p.id for p in dev], cosine))
    pearson = {n: float(np.corrcoef([by_id[p.id] for p in pairs], [p.label for p in pairs])[0, 1])
               for n, pairs in subsets.items()}
    save_artefact(profile.name, ARTEFACT, {
        "checkpoint": profile.checkpoint, "pooling": "mean",
        "pearson_by_pairs": {str(n): r for n, r in pearson.items()},
        "pairs": {"ids": [p.id for p in dev], "gold": [p.label for p in dev],
                  "cosine": [float(c) for c in cosine]}})
    for n, r in pearson.items():
        print(f"zero-shot STS dev r on {n} pairs: {r:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
