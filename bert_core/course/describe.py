"""Descriptive statistics of the three tasks' data: sizes, labels, lengths in tokens.

What a student should know before training anything (notebook 00): how many examples
each split has, how the labels are spread (SST's five classes are not balanced; a third
of Quora pairs are duplicates; STS scores pile up at whole numbers, where annotators'
averages land), and how long the inputs are in WordPiece tokens, which sets the cost of
a batch (attention is quadratic in T) and a sensible ``max_length``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.data import load_task
from bert_core.multitask.examples import PairExample, SentimentExample
from bert_core.multitask.tasks import TASKS

__all__ = ["token_lengths", "label_summary", "describe_tasks", "pair_or_sentence", "summary_table",
           "prior_loss", "losses_against_prior", "STS_BIN_EDGES", "TASK_SPLITS"]

# STS histogram bins of 0.2 centred on 0.0, 0.2, ..., 5.0 (26 bins): edges at multiples of
# 0.2 would split the whole-number spikes unevenly by float rounding.
STS_BIN_EDGES = np.arange(-0.1, 5.2, 0.2)

# The three multitask tasks (CFIMDB is the part-1 sentiment set, described too).
TASK_SPLITS = {"sst": ("train", "dev", "test"), "quora": ("train", "dev"),
               "sts": ("train", "dev", "test"), "cfimdb": ("train", "dev", "test")}


def token_lengths(examples: list, tokenizer: Tokenizer, batch_size: int = 512) -> np.ndarray:
    """Tokens per input including special tokens: ``[CLS] s [SEP]`` for a sentence,
    ``[CLS] a [SEP] b [SEP]`` for a pair (the cross-encoder's input), untruncated."""
    tokenizer = tokenizer.with_max_length(1_000_000)  # count every token, cut none
    if not examples:
        return np.zeros(0, dtype=int)
    if isinstance(examples[0], SentimentExample):
        lengths = tokenizer.lengths([e.sentence for e in examples], chunk=batch_size)
    else:
        lengths = tokenizer.lengths([e.sentence1 for e in examples], [e.sentence2 for e in examples],
                                    chunk=batch_size)
    return np.array(lengths)


def label_summary(task: str, examples: list) -> dict[str, Any]:
    """Counts per class (SST, CFIMDB, Quora) or the score distribution (STS)."""
    labels = [e.label for e in examples if e.label is not None]
    if not labels:
        return {}
    if TASKS[task].kind == "similarity":
        scores = np.asarray(labels, dtype=float)
        return {
            "mean": round(float(scores.mean()), 3),
            "std": round(float(scores.std()), 3),
            "share_whole_numbers": round(float(np.mean(scores == np.round(scores))), 3),
            "histogram_0.2": np.histogram(scores, bins=STS_BIN_EDGES)[0].tolist(),
        }
    counts = Counter(int(y) for y in labels)
    return {"counts": {str(k): counts[k] for k in sorted(counts)}}


def describe_tasks(folder: str | Path, tokenizer: Tokenizer) -> dict[str, dict[str, Any]]:
    """Per task and split: size, label summary, and token-length percentiles."""
    summary: dict[str, dict[str, Any]] = {}
    for task, splits in TASK_SPLITS.items():
        for split in splits:
            examples = load_task(task, split, folder)
            lengths = token_lengths(examples, tokenizer)
            summary[f"{task}/{split}"] = {
                "examples": len(examples),
                "labels": label_summary(task, examples),
                "tokens": {
                    "median": int(np.median(lengths)),
                    "p90": int(np.percentile(lengths, 90)),
                    "p99": int(np.percentile(lengths, 99)),
                    "max": int(lengths.max()),
                    "over_512": int((lengths > 512).sum()),
                },
            }
    return summary


def pair_or_sentence(example: SentimentExample | PairExample) -> str:
    if isinstance(example, SentimentExample):
        return example.sentence
    return f"{example.sentence1}  ||  {example.sentence2}"


def summary_table(summary: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """``describe_tasks``' sizes and token lengths as one row per task/split."""
    rows = {key: {"examples": s["examples"], **{f"tokens {k}": v for k, v in s["tokens"].items()}}
            for key, s in summary.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def prior_loss(task: str, labels: Sequence[float]) -> float:
    """The training loss of a model that ignores its input and predicts the label prior:
    the entropy -Σ_k p_k ln p_k (cross-entropy; SST, CFIMDB, Quora's binary case) or the
    variance of the scores (squared error, predicting their mean; STS). A task whose loss
    stays here has learned nothing about its inputs (notebook 05)."""
    values = np.asarray(labels, dtype=float)
    if values.size == 0:
        raise ValueError(f"prior_loss needs {task} labels")
    if TASKS[task].kind == "similarity":
        return float(values.var())
    _, counts = np.unique(values, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def losses_against_prior(run: dict[str, Any], tasks: Sequence[str], first: int = 5) -> pd.DataFrame:
    """A run record's training loss per task against the label prior's (``prior_loss`` of
    the run's dev labels): the mean of its first ``first`` steps, each epoch's mean, then
    the prior's. A row that stays at the last column learned the label frequencies only."""
    floors = {t: prior_loss(t, run["dev_predictions"][t]["labels"]) for t in tasks}
    starts = {t: [loss for _, task, loss in run["losses"] if task == t][:first] for t in tasks}
    epochs = {f"epoch {e['epoch']}": {t: e["train_loss"][t] for t in tasks} for e in run["epochs"]}
    table = pd.DataFrame(epochs)
    table.insert(0, f"first {first} steps", {t: round(sum(v) / len(v), 3) for t, v in starts.items()})
    table["prior's loss"] = {t: round(v, 3) for t, v in floors.items()}
    return table
