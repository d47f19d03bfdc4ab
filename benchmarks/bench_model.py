"""minBERT against transformers' BertModel: training-step time and inference throughput.

Both models hold the same weights (the offline checkpoint, ``minilm-l6``) and see the same
batch: 32 sequences of 48 tokens, a quarter of them padded after 36 tokens. A training step
is forward, a loss on both outputs, backward, and an optimiser step (minBERT with
``bert_core.optim.AdamW``, the reference with ``torch.optim.AdamW``, same settings).
Inference is a no-grad forward in eval mode. Measurements are interleaved (ours, reference,
ours, ...), after warm-up, and the script records the median of the per-round ratios, so
that drift in the machine's speed hits both sides alike.

    python benchmarks/bench_model.py [--rounds 20] [--threads N]

Writes ``benchmarks/results/bench_model.json``. Needs the test extra (transformers).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch
import transformers

from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.bert.weights import resolve_checkpoint

B, T = 32, 48


def make_batch(vocab_size: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, vocab_size, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[: B // 4, 36:] = 0
    ids[mask == 0] = 0
    types = torch.zeros(B, T, dtype=torch.long)
    types[:, 24:] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def outputs(model, batch):
    out = model(**batch)
    if isinstance(out, dict):
        return out["last_hidden_state"], out["pooler_output"]
    return out.last_hidden_state, out.pooler_output


def train_step(model, optimizer, batch) -> float:
    start = time.perf_counter()
    hidden, pooled = outputs(model, batch)
    loss = hidden.pow(2).mean() + pooled.pow(2).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


@torch.no_grad()
def infer(model, batch) -> float:
    start = time.perf_counter()
    outputs(model, batch)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.utils.logging.disable_progress_bar()
    folder = resolve_checkpoint("minilm-l6")
    models = {
        "minbert_sdpa": BertModel.from_pretrained(folder, attn_implementation="sdpa"),
        "minbert_explicit": BertModel.from_pretrained(folder, attn_implementation="explicit"),
        "transformers": transformers.BertModel.from_pretrained(folder, attn_implementation="sdpa"),
    }
    settings = dict(lr=1e-5, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)
    optimizers = {
        name: (torch.optim.AdamW(m.parameters(), **settings) if name == "transformers"
               else AdamW(m.parameters(), **settings))
        for name, m in models.items()
    }
    batch = make_batch(models["minbert_sdpa"].config.vocab_size)
    times: dict[str, dict[str, list[float]]] = {n: {"train": [], "infer": []} for n in models}
    for phase in ("train", "infer"):
        for model in models.values():
            model.train(phase == "train")
        for r in range(args.warmup + args.rounds):
            order = list(models) if r % 2 == 0 else list(reversed(models))
            for name in order:
                if phase == "train":
                    seconds = train_step(models[name], optimizers[name], batch)
                else:
                    seconds = infer(models[name], batch)
                if r >= args.warmup:
                    times[name][phase].append(seconds)

    def ratio(name: str, phase: str) -> float:
        ours, ref = times[name][phase], times["transformers"][phase]
        return statistics.median(a / b for a, b in zip(ours, ref))

    result = {
        "command": "python benchmarks/bench_model.py " + f"--rounds {args.rounds}",
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "batch": f"{B} x {T} tokens, minilm-l6 (6 layers, hidden 384)",
        "median_seconds": {n: {p: statistics.median(v) for p, v in t.items()} for n, t in times.items()},
        "median_ratio_vs_transformers": {
            n: {p: ratio(n, p) for p in ("train", "infer")} for n in models if n != "transformers"
        },
        "inference_sequences_per_second": {
            n: B / statistics.median(t["infer"]) for n, t in times.items()
        },
    }
    out = Path(__file__).resolve().parent / "results" / "bench_model.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
