"""Evaluation: the course's metrics, prediction over a dataset, and prediction files.

Metrics (the CS224N default project's leaderboard):

    accuracy  = (1/N) Σ_i [ŷ_i = y_i]                      SST-5, CFIMDB, Quora
    pearson   = cov(ŷ, y) / (σ_ŷ σ_y)                       STS-B
    overall   = (acc_SST + acc_Quora + (r_STS + 1) / 2) / 3

The overall score maps Pearson's [-1, 1] to [0, 1] so the three tasks weigh the same
("SMART Surgery", section 4.2; "Multi-BERT: Investigating Methods", section 4). With fewer
tasks, ``overall_score`` averages the ones present in the same way, so a single-task run
is ranked by its own metric.

Prediction files use the starter code's submission format, a header line and then
``id , prediction`` per line, under the starter's names (``sst-dev-output.csv``,
``para-test-output.csv``, ...). ``read_predictions`` parses them back.

Prediction runs the model in eval mode, where every sentence's output depends on that
sentence alone (no dropout; BatchNorm reads its running statistics), so it is free to
regroup the work: batches of similar token length (``length_sorted_batches``), and a
separately encoded pair task's sentences encoded once each, both sides and repeats
together (``encode_sentences``), the head then reading the pairs' embeddings. The
outputs are those of ``MultitaskBERT.task_outputs`` on any batching, up to float
rounding; the predictions come back in the data's order. Taught in notebooks 04 and 05.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from bert_core.bert.tokenizer import Tokenizer
from bert_core.files import atomic_write
from bert_core.multitask.examples import Example, sentence_pairs
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.tasks import TASKS

__all__ = [
    "METRIC_NAMES",
    "accuracy",
    "pearson",
    "task_metric",
    "overall_score",
    "length_sorted_batches",
    "distinct_sentences",
    "encode_sentences",
    "predict",
    "PREDICTION_HEADERS",
    "prediction_file_name",
    "write_predictions",
    "read_predictions",
]

# What each task is scored by, in the reports' column names.
METRIC_NAMES = {name: task.metric_name for name, task in TASKS.items()}
# The starter code's headers (its spelling, "Similiarity" included, so graders' parsers work).
PREDICTION_HEADERS = {name: task.prediction_header for name, task in TASKS.items()}


def accuracy(predictions: Sequence[float], labels: Sequence[float]) -> float:
    """Fraction of predictions equal to their label."""
    p, y = np.asarray(predictions), np.asarray(labels)
    if p.shape != y.shape or p.size == 0:
        raise ValueError(f"accuracy needs two equal, non-empty lists; got {p.shape} and {y.shape}")
    return float((p == y).mean())


def pearson(predictions: Sequence[float], labels: Sequence[float]) -> float:
    """Pearson's r; 0.0 when either side is constant (r is undefined there, and a model
    that predicts one value has learned nothing about the order)."""
    p, y = np.asarray(predictions, dtype=np.float64), np.asarray(labels, dtype=np.float64)
    if p.shape != y.shape or p.size < 2:
        raise ValueError(f"pearson needs two equal lists of 2+ values; got {p.shape} and {y.shape}")
    p, y = p - p.mean(), y - y.mean()
    denominator = math.sqrt(float((p * p).sum()) * float((y * y).sum()))
    return float((p * y).sum()) / denominator if denominator > 0 else 0.0


def task_metric(task: str, predictions: Sequence[float], labels: Sequence[float]) -> float:
    return pearson(predictions, labels) if TASKS[task].metric == "pearson" else accuracy(predictions, labels)


def overall_score(metrics: dict[str, float]) -> float:
    """Mean of the task metrics, Pearson mapped to [0, 1] by (r + 1) / 2.

    ``metrics`` is keyed by task (``{"sst": 0.5, "quora": 0.8, "sts": 0.6}``) or by metric
    name (``{"sst_acc": ...}``); other keys are ignored.
    """
    by_task = {t: metrics.get(t, metrics.get(name)) for t, name in METRIC_NAMES.items()}
    scores = [TASKS[t].score01(v) for t, v in by_task.items() if v is not None]
    if not scores:
        raise ValueError(f"no task metric among {sorted(metrics)}; expected some of {list(METRIC_NAMES)}")
    return sum(scores) / len(scores)


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices ``0..N-1`` in batches of ``batch_size``, shortest first: each batch pads to
    lengths close to its own (ties keep the data's order)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def distinct_sentences(examples: Sequence[Example]) -> tuple[list[str], list[int], list[int]]:
    """A pair task's sentences once each (both sides and repeats together, first seen
    first), and each pair's two rows among them: what ``predict`` encodes for a separately
    encoded pair task."""
    firsts, seconds = sentence_pairs(examples)
    distinct = list(dict.fromkeys([*firsts, *seconds]))
    row = {sentence: i for i, sentence in enumerate(distinct)}
    return distinct, [row[s] for s in firsts], [row[s] for s in seconds]


@torch.inference_mode()
def encode_sentences(model: MultitaskBERT, tokenizer: Tokenizer, sentences: Sequence[str],
                     task: str | None = None, batch_size: int = 64, device: torch.device | str = "cpu",
                     progress: bool = False) -> torch.Tensor:
    """The pooled embeddings ``[N, C]`` (float32, on the CPU) of ``sentences`` in their order, as
    ``model`` (eval mode, through ``task``'s adapters) gives them, encoded in length-sorted
    batches."""
    was_training = model.training
    model.eval()
    out = torch.empty(len(sentences), model.bert.config.hidden_size)
    batches = length_sorted_batches(tokenizer.lengths(sentences), batch_size)
    for index in tqdm(batches, desc=f"encode {task or 'sentences'}", leave=False, disable=not progress):
        batch = tokenizer([sentences[i] for i in index])
        pooled = model(batch["input_ids"].to(device), batch["attention_mask"].to(device), task=task)
        out[index] = pooled.float().cpu()
    model.train(was_training)
    return out


@torch.inference_mode()
def predict(
    model: MultitaskBERT,
    tokenizer: Tokenizer,
    task: str,
    examples: Sequence[Example],
    batch_size: int = 64,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> np.ndarray:
    """The model's predictions for ``examples``, in their order.

    ``model`` is a ``MultitaskBERT`` (``task_outputs`` gives its raw outputs). Sentiment: the argmax class;
    paraphrase: 1 if the logit is positive (probability above 0.5) else 0; similarity:
    the regression output as is. Separately encoded pairs: every distinct sentence is
    encoded once (``distinct_sentences``, ``encode_sentences``), then the head reads each pair; sentences and
    cross-encoded pairs: ``task_outputs`` on batches sorted by padded length.
    """
    was_training = model.training
    model.eval()
    kind = TASKS[task].kind
    if kind != "sentiment" and model.pair_encoding[kind] == "separate":
        distinct, first_rows, second_rows = distinct_sentences(examples)
        embedded = encode_sentences(model, tokenizer, distinct, task, batch_size, device,
                                    progress).to(device)
        u, v = embedded[first_rows], embedded[second_rows]
        outputs = model.heads[task](u, v) if len(examples) else torch.empty(0)
    else:
        outputs = torch.empty(len(examples), *(() if kind != "sentiment" else (TASKS[task].num_labels,)))
        batches = length_sorted_batches(model.padded_lengths(tokenizer, task, examples), batch_size)
        for index in tqdm(batches, desc=f"predict {task}", leave=False, disable=not progress):
            batch = [examples[i] for i in index]
            outputs[index] = model.task_outputs(tokenizer, task, batch, device).float().cpu()
    outputs = outputs.float().cpu()
    if kind == "sentiment":
        outputs = outputs.argmax(dim=-1)
    elif kind == "paraphrase":  # a logit: "paraphrase" when the probability is above 0.5
        outputs = (outputs > 0).long()
    model.train(was_training)
    return outputs.double().numpy()


def prediction_file_name(task: str, split: str) -> str:
    """The starter code's file name: ``sst-dev-output.csv``, ``para-test-output.csv``, ..."""
    return f"{TASKS[task].file_stem}-{split}-output.csv"


def write_predictions(path: str | Path, task: str, ids: Sequence[str],
                      predictions: Sequence[float]) -> Path:
    """Write a prediction file in the starter's format, atomically."""
    if len(ids) != len(predictions):
        raise ValueError(f"{len(ids)} ids but {len(predictions)} predictions for {path}")
    lines = [PREDICTION_HEADERS[task]]
    for id_, value in zip(ids, predictions):
        lines.append(f"{id_} , {TASKS[task].prediction(value)} ")
    text = "\n".join(lines) + "\n"
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_predictions(path: str | Path) -> dict[str, float]:
    """Parse a prediction file back: ``{id: prediction}`` in file order. An id that appears
    twice is an error naming both lines (a dict would keep the last silently)."""
    path = Path(path)
    result: dict[str, float] = {}
    lines: dict[str, int] = {}
    with path.open(encoding="utf-8") as f:
        next(f, None)  # header
        for number, line in enumerate(f, start=2):
            if not line.strip():
                continue
            id_, sep, value = line.partition(",")
            if not sep:
                raise ValueError(f"{path}, line {number}: expected 'id , prediction', got {line.strip()!r}")
            id_ = id_.strip()
            if id_ in lines:
                raise ValueError(f"{path}, lines {lines[id_]} and {number}: the id {id_!r} appears twice; "
                                 "each id needs exactly one prediction")
            try:
                result[id_] = float(value)
            except ValueError:
                raise ValueError(f"{path}, line {number}: the prediction {value.strip()!r} is not a "
                                 "number") from None
            lines[id_] = number
    return result
