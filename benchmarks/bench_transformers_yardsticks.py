"""What a student gets from the library instead: each task fine-tuned alone with transformers' defaults.

The yardstick beside the multitask model and the project's own single-task runs: the
same offline checkpoint (all-MiniLM-L6-v2), each task trained on its own, with the tools a
student would pick instead of this project, at their defaults (nothing tuned, in either
direction):

    sst    ``AutoModelForSequenceClassification`` (5 labels, a fresh linear head on the
           pooler output) and ``Trainer`` at its defaults: AdamW at 5e-5, linear decay
           without warm-up, batches of 8, 3 epochs, no weight decay
    quora  the same with 2 labels, the pair as one sequence ([CLS] a [SEP] b [SEP]): the
           cross-encoder that ``AutoModelForSequenceClassification`` gives for a pair
    sts    a bi-encoder the way sentence-transformers' STS recipe trains one
           (``training_stsbenchmark.py``: ``CosineSimilarityLoss``), written with
           transformers and torch: mean pooling, the cosine of the two vectors regressed
           on score / 5 by squared error, AdamW at 2e-5 with weight decay 0.01, a linear
           warm-up over 10% of the steps then linear decay, batches of 16, 4 epochs

Inputs are cut at 128 tokens. Each run is scored on the whole dev set (SST 1,101
sentences, Quora's dev split, STS 863 pairs) by the course's metrics (accuracy; Pearson r
of the cosine with the gold score). A seed fixes the head, the dropout and the order.

    python benchmarks/bench_transformers_yardsticks.py --data ../shared/data/cs224n --seeds 0,1,2
    python benchmarks/bench_transformers_yardsticks.py --tasks sts --seeds 0 --limit 64   (a smoke run)

Writes ``benchmarks/results/bench_transformers_yardsticks.json`` (a run with ``--limit``
writes nothing unless ``--out`` names a file), adding to the seeds already there. Needs
the ``bench`` extra: ``pip install -e ".[bench]"`` (transformers and accelerate).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from bert_core.bert.weights import resolve_checkpoint
from bert_core.multitask.data import load_task
from bert_core.multitask.evaluate import accuracy, pearson

CHECKPOINT = "minilm-l6"
MAX_LENGTH = 128
RESULTS = Path(__file__).parent / "results" / "bench_transformers_yardsticks.json"
CLASSIFIER_DEFAULTS = {"learning_rate": 5e-5, "per_device_train_batch_size": 8, "num_train_epochs": 3}
STS_RECIPE = {"learning_rate": 2e-5, "weight_decay": 0.01, "batch_size": 16, "epochs": 4, "warmup_share": 0.1}


class Encoded(torch.utils.data.Dataset):
    """Tokenised examples (one sentence, or a pair as one sequence) with their labels."""

    def __init__(self, tokenizer, examples: list, pair: bool):
        texts = ([e.sentence1 for e in examples], [e.sentence2 for e in examples]) if pair else (
            [e.sentence for e in examples],)
        self.encoding = tokenizer(*texts, truncation=True, max_length=MAX_LENGTH)
        self.labels = [int(e.label) for e in examples]

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {**{k: v[i] for k, v in self.encoding.items()}, "labels": self.labels[i]}


def classifier(task: str, folder: Path, train: list, dev: list, seed: int) -> dict[str, Any]:
    """SST or Quora: ``AutoModelForSequenceClassification`` trained by ``Trainer`` at its defaults."""
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    set_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=5 if task == "sst" else 2)
    pair = task == "quora"
    with tempfile.TemporaryDirectory() as scratch:
        arguments = TrainingArguments(output_dir=scratch, seed=seed, report_to=[], save_strategy="no",
                                      logging_strategy="no", disable_tqdm=True, use_cpu=True,
                                      **CLASSIFIER_DEFAULTS)
        trainer = Trainer(model=model, args=arguments, train_dataset=Encoded(tokenizer, train, pair),
                          data_collator=DataCollatorWithPadding(tokenizer))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        logits = trainer.predict(Encoded(tokenizer, dev, pair)).predictions
    predictions = np.asarray(logits).argmax(-1)
    return {"accuracy": accuracy(predictions.tolist(), [e.label for e in dev]), "train_seconds": seconds,
            "steps": trainer.state.global_step}


def _mean_pooled(model, tokenizer, sentences: list[str]) -> torch.Tensor:
    batch = tokenizer(sentences, truncation=True, max_length=MAX_LENGTH, padding=True, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def bi_encoder(folder: Path, train: list, dev: list, seed: int) -> dict[str, Any]:
    """STS: a bi-encoder trained as sentence-transformers' STS recipe trains one (``STS_RECIPE``)."""
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder)
    r = STS_RECIPE
    batches = math.ceil(len(train) / r["batch_size"])
    total = batches * r["epochs"]
    optimiser = torch.optim.AdamW(model.parameters(), lr=r["learning_rate"], weight_decay=r["weight_decay"])
    schedule = get_linear_schedule_with_warmup(optimiser, math.ceil(r["warmup_share"] * total), total)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    start = time.perf_counter()
    for _ in range(r["epochs"]):
        order = torch.randperm(len(train), generator=generator).tolist()
        for b in range(batches):
            chosen = [train[i] for i in order[b * r["batch_size"]:(b + 1) * r["batch_size"]]]
            u = _mean_pooled(model, tokenizer, [e.sentence1 for e in chosen])
            v = _mean_pooled(model, tokenizer, [e.sentence2 for e in chosen])
            target = torch.tensor([e.label / 5 for e in chosen], dtype=u.dtype)
            loss = F.mse_loss(F.cosine_similarity(u, v), target)
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    seconds = time.perf_counter() - start
    model.eval()
    scores = []
    with torch.inference_mode():
        for b in range(0, len(dev), 64):
            chunk = dev[b:b + 64]
            u = _mean_pooled(model, tokenizer, [e.sentence1 for e in chunk])
            v = _mean_pooled(model, tokenizer, [e.sentence2 for e in chunk])
            scores += F.cosine_similarity(u, v).tolist()
    return {"pearson": pearson(scores, [e.label for e in dev]), "train_seconds": seconds, "steps": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the course data folder")
    parser.add_argument("--tasks", default="sst,quora,sts")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--limit", type=int, default=None, help="train and dev examples a task (a smoke run)")
    parser.add_argument("--out", type=Path, default=None, help=f"default: {RESULTS} (nothing with --limit)")
    args = parser.parse_args()
    tasks = [t.strip() for t in args.tasks.split(",")]
    unknown = set(tasks) - {"sst", "quora", "sts"}
    if unknown:
        parser.error(f"--tasks: unknown {sorted(unknown)}; choose from sst, quora, sts")
    seeds = [int(s) for s in args.seeds.split(",")]
    out = args.out or (None if args.limit else RESULTS)
    folder = resolve_checkpoint(CHECKPOINT)
    record = json.loads(out.read_text()) if out is not None and out.exists() else {}
    record.update({"benchmark": __doc__.splitlines()[0], "checkpoint": CHECKPOINT, "max_length": MAX_LENGTH,
                   "classifier_defaults": CLASSIFIER_DEFAULTS, "sts_recipe": STS_RECIPE,
                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "machine": f"{platform.machine()} {platform.system()}, {torch.get_num_threads()} threads"})
    runs = record.setdefault("runs", {})
    for task in tasks:
        train = load_task(task, "train", args.data)[: args.limit]
        dev = load_task(task, "dev", args.data)[: args.limit]
        for seed in seeds:
            result = bi_encoder(folder, train, dev, seed) if task == "sts" else classifier(
                task, folder, train, dev, seed)
            result.update({"train_examples": len(train), "dev_examples": len(dev)})
            runs.setdefault(task, {})[str(seed)] = result
            print(f"{task} seed {seed}: " + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                                      for k, v in result.items()), flush=True)
            if out is not None:
                out.parent.mkdir(exist_ok=True)
                out.write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
