"""Training throughput and model FLOPs utilisation (MFU) of minBERT against transformers'
BertModel, on whatever device this runs on, in fp32 and in bf16 autocast.

Both models get the same randomly initialised weights (no download: a config is enough
for speed) and the same batch of ``--batch`` sequences of ``--length`` tokens, no padding.
A step is forward, a loss on the last hidden states and the pooler output, backward, and
an AdamW step (ours, ``bert_core.bert.optim``; torch's for the reference); bf16 wraps the
forward in ``torch.autocast`` (fp32 master weights). Steps are interleaved (ours,
reference, ours, ...) after warm-up, and each figure is the median over the rounds.
FLOPs per step: ``bert_core.bert.flops.training_flops``; MFU = FLOPs / s / the peak of
``bert_core.bert.flops.peak_flops`` (or ``--peak-tflops``).

    python benchmarks/bench_throughput.py                          CPU: minilm-l6 shape, 16 x 128
    python benchmarks/bench_throughput.py --model bert-base --batch 32 --length 128   (a GPU)

Writes ``benchmarks/results/bench_throughput-<device>-<model>.json``. Needs the test extra
(transformers).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import transformers

from bert_core.bert.config import BertConfig
from bert_core.bert.flops import peak_flops, training_flops
from bert_core.bert.model import BertModel
from bert_core.bert.optim import AdamW
from bert_core.bert.weights import checkpoint_key_to_minbert

MODELS = {
    "bert-base": BertConfig(),
    # all-MiniLM-L6-v2's shape (the offline checkpoint of the cpu profile)
    "minilm-l6": BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                            intermediate_size=1536),
}


def cpu_ghz() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]) / 1000
    except OSError:
        pass
    return None


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=list(MODELS), default=None,
                        help="default: bert-base on CUDA, minilm-l6 on a CPU")
    parser.add_argument("--batch", type=int, default=None, help="default: 32 on CUDA, 16 on a CPU")
    parser.add_argument("--length", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=None, help="default: 20 on CUDA, 5 on a CPU")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--dtypes", default="fp32,bf16")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the device's peak, if not known")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cuda = device.type == "cuda"
    model_name = args.model or ("bert-base" if cuda else "minilm-l6")
    batch, length = args.batch or (32 if cuda else 16), args.length
    rounds = args.rounds or (20 if cuda else 5)
    config = MODELS[model_name]
    name = torch.cuda.get_device_name(device) if cuda else (platform.processor() or platform.machine())
    cores = torch.get_num_threads()

    torch.manual_seed(0)
    ours = BertModel(config).to(device).train()
    sizes = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")
    reference = transformers.BertModel(transformers.BertConfig(
        **{k: getattr(config, k) for k in sizes}, attn_implementation="sdpa")).to(device).train()
    # the same weights: the reference's, under minBERT's names (the checkpoint mapping)
    mapped = {checkpoint_key_to_minbert(k): v for k, v in reference.state_dict().items()}
    missing = set(ours.state_dict()) - set(mapped) - {n for n, _ in ours.named_buffers()}
    assert not missing, f"weights not shared: {sorted(missing)[:3]}"
    ours.load_state_dict({k: v for k, v in mapped.items() if k in ours.state_dict()}, strict=False)
    settings = dict(lr=1e-5, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)
    models = {"minbert": (ours, AdamW(ours.parameters(), **settings)),
              "transformers": (reference, torch.optim.AdamW(reference.parameters(), **settings))}
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(1000, config.vocab_size, (batch, length), generator=g).to(device)
    mask = torch.ones_like(ids)

    def step(which: str, dtype: str) -> float:
        model, optimizer = models[which]
        context = torch.autocast(device.type, dtype=torch.bfloat16) if dtype == "bf16" else nullcontext()
        synchronise(device)
        start = time.perf_counter()
        with context:
            out = model(input_ids=ids, attention_mask=mask)
            hidden, pooled = (out["last_hidden_state"], out["pooler_output"]) if isinstance(out, dict) else (
                out.last_hidden_state, out.pooler_output)
            loss = hidden.float().pow(2).mean() + pooled.float().pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        synchronise(device)
        return time.perf_counter() - start

    flops = training_flops(config, batch, length)
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    peaks = {}
    for dtype in args.dtypes.split(","):
        peak, how = ((args.peak_tflops * 1e12, "--peak-tflops") if args.peak_tflops
                     else peak_flops(name, dtype, None if cuda else cores, None if cuda else cpu_ghz()))
        peaks[dtype] = {"peak_tflops": peak / 1e12 if peak else None, "from": how}
        times: dict[str, list[float]] = {"minbert": [], "transformers": []}
        for r in range(args.warmup + rounds):
            for which in (["minbert", "transformers"] if r % 2 == 0 else ["transformers", "minbert"]):
                seconds = step(which, dtype)
                if r >= args.warmup:
                    times[which].append(seconds)
        results[dtype] = {}
        for which, values in times.items():
            median = statistics.median(values)
            results[dtype][which] = {
                "median_step_seconds": round(median, 4),
                "sequences_per_second": round(batch / median, 2),
                "tokens_per_second": round(batch * length / median, 1),
                "achieved_tflops": round(flops / median / 1e12, 4),
                "mfu": round(flops / median / peak, 4) if peak else None,
            }
        ratios = [a / b for a, b in zip(times["minbert"], times["transformers"])]
        results[dtype]["minbert_over_transformers"] = {"time_ratio": round(statistics.median(ratios), 3)}
    summary = {
        "command": "python benchmarks/bench_throughput.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if v is not None and k != "warmup"),
        "device": name if cuda else f"{name}, {cores} torch threads",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "model": f"{model_name} shape ({config.num_hidden_layers} layers, hidden {config.hidden_size}), "
                 "random weights",
        "batch": f"{batch} x {length} tokens", "rounds": rounds,
        "training_flops_per_step": flops, "peak": peaks, "results": results,
        "note": os.environ.get("BENCH_NOTE", ""),
    }
    out = Path(__file__).resolve().parent / "results" / f"bench_throughput-{device.type}-{model_name}.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
