"""What PCGrad and SMART cost per training step, against the baseline multitask step.

One step = one batch of each of SST, Quora and STS (``batch`` examples, every sentence
exactly ``tokens`` WordPieces, pairs encoded separately), forward, backward, AdamW: the
training loop's own step (each task's ``Source`` as the plug-ins shape it, then
``bert_core.training.step.training_step``). Variants:

    baseline       the sum of the three losses, one backward
    pcgrad         each task's backward on its own; the encoder's gradients projected
                   (``GradientSurgery``, the Gram-matrix form)
    smart          SMART with the paper's settings: one ascent step, the Bregman term
                   against the momentum copy (``Smart``)
    smart+pcgrad   both

Each variant runs in its own process (so its peak memory is its own): a warm-up step,
then ``steps`` timed steps; the median is kept. On a GPU the peak is CUDA's allocator
peak; on a CPU it is the process's peak resident set size minus the size after the model
was loaded, which counts activations, gradients, optimiser state and the SMART copy.

    python benchmarks/bench_multitask_step.py [--batch 32] [--tokens 48] [--steps 3] [--device cpu]

Writes ``benchmarks/results/bench_multitask_step.json`` (``..._<device>.json`` off the CPU).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

VARIANTS = ("baseline", "pcgrad", "smart", "smart+pcgrad")
CHECKPOINT = "minilm-l6"
WORDS = ("film story actor plot music scene funny dull long great bad good question answer learn "
         "cook city money people water house game work time world life love").split()


def _sentence(tokens: int, generator: torch.Generator) -> str:
    # more words than tokens: the tokenizer's truncation makes every sentence exactly `tokens` long
    picks = torch.randint(len(WORDS), (tokens,), generator=generator).tolist()
    return " ".join(WORDS[i] for i in picks)


def _batches(batch: int, tokens: int):
    from bert_core.multitask.examples import PairExample, SentimentExample

    g = torch.Generator().manual_seed(0)
    return {
        "sst": [SentimentExample(f"s{i}", _sentence(tokens, g), i % 5) for i in range(batch)],
        "quora": [PairExample(f"q{i}", _sentence(tokens, g), _sentence(tokens, g), float(i % 2))
                  for i in range(batch)],
        "sts": [PairExample(f"t{i}", _sentence(tokens, g), _sentence(tokens, g), float(i % 6))
                for i in range(batch)],
    }


def _peak_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(variant: str, batch: int, tokens: int, steps: int, device_name: str) -> dict:
    from bert_core.bert.optim import AdamW
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.multitask.model import MultitaskBERT
    from bert_core.training.hooks import Source, Step
    from bert_core.training.pcgrad import SurgeryExtension
    from bert_core.training.smart import SmartExtension
    from bert_core.training.smart_terms import SMART_SETTINGS
    from bert_core.training.state import TrainingState
    from bert_core.training.step import training_step

    device = torch.device(device_name)
    torch.manual_seed(0)
    tokenizer = Tokenizer.from_pretrained(CHECKPOINT).with_max_length(tokens)
    model = MultitaskBERT.from_pretrained(CHECKPOINT).to(device).train()
    batches = _batches(batch, tokens)
    lengths = {t: tokenizer([e.sentence if t == "sst" else e.sentence1 for e in ex])["input_ids"].shape[1]
               for t, ex in batches.items()}
    assert set(lengths.values()) == {tokens}, lengths
    optimizer = AdamW(model.parameters(), lr=1e-5)
    extensions = ([SmartExtension(model, SMART_SETTINGS["jiang2020"])] if "smart" in variant else []) + \
                 ([SurgeryExtension(model)] if "pcgrad" in variant else [])
    sources = {}
    for task, examples in batches.items():
        sources[task] = Source(task, examples)
        for extension in extensions:
            sources[task] = extension.source(task, 0, sources[task])
    state = TrainingState("benchmark")
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    loaded = _peak_mb(device) if device.type != "cuda" else torch.cuda.memory_allocated(device) / 2**20
    times = []
    for step in range(steps + 1):  # the first is the warm-up
        start = time.perf_counter()
        at = Step(step, 0, 0, state)
        training_step(model, optimizer, tokenizer, batches, sources, extensions, at, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step:
            times.append(time.perf_counter() - start)
    return {"variant": variant, "seconds_per_step": statistics.median(times), "step_seconds": times,
            "peak_mb_over_loaded": _peak_mb(device) - loaded, "loaded_mb": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.batch, args.tokens, args.steps, args.device)))
        return

    rows = {}
    for variant in VARIANTS:
        command = [sys.executable, __file__, "--child", variant, "--batch", str(args.batch),
                   "--tokens", str(args.tokens), "--steps", str(args.steps), "--device", args.device]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows[variant] = json.loads(output.strip().splitlines()[-1])
        print(f"{variant:13s} {rows[variant]['seconds_per_step']:.3f} s/step  "
              f"peak +{rows[variant]['peak_mb_over_loaded']:.0f} MB", flush=True)
    base = rows["baseline"]
    for row in rows.values():
        row["time_ratio"] = round(row["seconds_per_step"] / base["seconds_per_step"], 3)
        row["memory_ratio"] = round(row["peak_mb_over_loaded"] / base["peak_mb_over_loaded"], 3)
    result = {
        "benchmark": "multitask training step: baseline, PCGrad, SMART (one ascent step + Bregman)",
        "command": "python benchmarks/bench_multitask_step.py " + " ".join(sys.argv[1:]),
        "checkpoint": CHECKPOINT, "batch": args.batch, "tokens": args.tokens, "steps": args.steps,
        "device": args.device, "threads": torch.get_num_threads(), "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "goals": {"pcgrad": 1.3, "smart": 3.0},
        "variants": rows,
    }
    name = "bench_multitask_step" + ("" if args.device == "cpu" else f"_{args.device.split(':')[0]}")
    out = Path(__file__).parent / "results" / f"{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for variant, row in rows.items():
        print(f"{variant:13s} time x{row['time_ratio']:.2f}  memory x{row['memory_ratio']:.2f}")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
