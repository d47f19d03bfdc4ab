"""Where a cpu training run's CPU time goes, operation by operation.

Trains ``multitask-baseline`` in the ``cpu`` profile (its own caps: length buckets, batches
of 16, frozen word embeddings) for one epoch of ``--examples`` training examples a task,
dev evaluation on ``--dev`` examples a task, under ``torch.profiler``, and groups the
operators' self CPU time:

    matrix products   aten::mm, addmm, bmm (the linear layers, attention's two products)
    dropout masks     aten::bernoulli_ (one Bernoulli draw per element of each dropout)
    attention         the fused kernel and the softmax (forward and backward)
    GELU, layer norm  forward and backward
    copies            aten::copy_ (contiguous copies: merging heads, padding, casts)
    divergence guard  aminmax over every gradient (``bert_core.training.guard``)
    other             the rest (AdamW's update among it: on the CPU its multi-tensor
                      operations run as loops over the per-tensor kernels, mul_, lerp_, ...,
                      which other code calls too; the ``optimiser`` phase times it)

Then what padding a pair task's training batches keep, over one epoch of the ``cpu``
profile (1,600 examples a task, its length buckets): the two sentences of a pair are
stacked and padded to the longer, against each side padded to its own longest
(``pair_padding``; tokens counted, nothing trained).

How fast the matrix products ran (``matrix_products``): their FLOPs (the profiler's count)
over their self CPU time in the run, by kind (the linear layers' forward ``addmm``, their
backward ``mm``, attention's ``bmm``), against the same shapes timed alone (contiguous
random inputs, each shape's calls weighted) and the machine's fp32 bound
(``bench_cpu_training.gemm_gflops``). From these, ``ceiling``: how much faster training
could be with nothing but the products changed (every product at the bound, the rest of
the time as measured), and with the dropout masks free as well: what any change that keeps
the computation could still gain.

The divergence check's cost on the encoder's gradients (``guard_costs``: 96 tensors of
MiniLM's encoder shapes, 10.6M numbers): each tensor's aminmax, as
``bert_core.training.guard`` tests them, against its largest |x| by
``linalg.vector_norm(t, inf)``, the check before it. And a micro-benchmark of what one
dropout of a hidden state costs (1,600 tokens x 384, the size of a step's batch): the
Bernoulli mask ``F.dropout`` draws, against uniform numbers compared with p, a draw that
would be cheaper but changes every run's random stream (so the committed runs would no
longer be what the code computes).

    python benchmarks/profile_cpu_training.py [--examples 320] [--dev 200]
        [--data ../shared/data/cs224n] [--out elsewhere.json]

Writes ``benchmarks/results/profile_cpu_training.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results" / "profile_cpu_training.json"
GROUPS = {
    "matrix products": ("aten::mm", "aten::addmm", "aten::bmm"),
    "dropout masks": ("aten::bernoulli_",),
    "attention": ("aten::_scaled_dot_product_flash_attention_for_cpu", "aten::_softmax",
                  "aten::_softmax_backward_data",
                  "aten::_scaled_dot_product_flash_attention_for_cpu_backward"),
    "GELU": ("aten::gelu", "aten::gelu_backward"),
    "layer norm": ("aten::native_layer_norm", "aten::native_layer_norm_backward"),
    "copies": ("aten::copy_",),
    "divergence guard": ("aten::aminmax",),
}


def milliseconds_per_call(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Each callable's mean milliseconds over ``repeats`` calls, after one call of warm-up."""
    out = {}
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        out[name] = round((time.perf_counter() - start) / repeats * 1e3, 2)
    return out


def dropout_costs(repeats: int = 50) -> dict[str, float]:
    """Milliseconds per call on a [1600, 384] hidden state: the Bernoulli mask F.dropout draws,
    and uniform numbers (what a mask from ``rand_like(x) >= p`` would draw)."""
    x = torch.randn(1600, 384)
    return milliseconds_per_call({
        "bernoulli mask (F.dropout's draw)": lambda: torch.empty_like(x).bernoulli_(0.9),
        "F.dropout, p 0.1": lambda: torch.nn.functional.dropout(x, 0.1, True),
        "uniform numbers (rand_like)": lambda: torch.rand_like(x),
    }, repeats)


def product_seconds_alone(name: str, shapes: list[list[int]], repeats: int = 5) -> float:
    """Seconds of one call of matrix product ``name`` (aten::addmm, mm or bmm) on contiguous
    random inputs of the profiled ``shapes``: the fastest of ``repeats`` after a warm-up."""
    if name == "aten::addmm":
        bias, a, b = torch.randn(shapes[0]), torch.randn(shapes[1]), torch.randn(shapes[2])
        def call():
            return torch.addmm(bias, a, b)
    else:
        a, b = torch.randn(shapes[0]), torch.randn(shapes[1])
        op = torch.mm if name == "aten::mm" else torch.bmm
        def call():
            return op(a, b)
    call()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def matrix_products(by_shape: list, self_seconds: dict[str, float],
                    bound: float) -> dict[str, dict[str, float]]:
    """Per kind of product: GFLOP (a run profiled with shapes and FLOPs,
    ``key_averages(group_by_input_shape=True)``), self seconds (``self_seconds``: microseconds
    by operator in a plain profile of the same run), GFLOP/s in the run and for the same
    shapes alone."""
    out = {}
    for label, name in (("linear forward (addmm)", "aten::addmm"), ("linear backward (mm)", "aten::mm"),
                        ("attention (bmm)", "aten::bmm")):
        events = [e for e in by_shape if e.key == name and e.flops]
        seconds = self_seconds[name] / 1e6
        flops = sum(e.flops for e in events)
        alone = sum(e.count * product_seconds_alone(name, e.input_shapes) for e in events)
        out[label] = {"gflop": round(flops / 1e9, 1), "seconds": round(seconds, 2),
                      "gflops_in_training": round(flops / seconds / 1e9, 1),
                      "gflops_alone": round(flops / alone / 1e9, 1),
                      "share_of_bound_in_training": round(flops / seconds / 1e9 / bound, 3)}
    return out


def ceiling(shares: dict[str, float], products: dict[str, dict[str, float]],
            bound: float) -> dict[str, float]:
    """How much faster the profiled time could be, the computation kept: with every matrix
    product at ``bound`` and the rest as measured, 1 / ((1 - g) + g r / bound), g the products'
    share of the time and r their rate in the run; and with the dropout masks' share d free
    too, 1 / ((1 - g - d) + g r / bound)."""
    g, d = shares["matrix products"], shares["dropout masks"]
    rate = sum(p["gflop"] for p in products.values()) / sum(p["seconds"] for p in products.values())
    products_at_bound = (1 - g) + g * rate / bound
    return {"products_at_bound": round(1 / products_at_bound, 2),
            "products_at_bound_and_free_dropout": round(1 / (products_at_bound - d), 2)}


def pair_padding(data: str) -> dict[str, dict[str, int]]:
    """Per pair task, one cpu-profile epoch of training batches (seed 0): the real tokens, the
    tokens computed with the two sides stacked (as ``MultitaskBERT.task_batch`` does), and
    with each side padded to its own longest."""
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.experiments import preset
    from bert_core.multitask.examples import sentence_pairs
    from bert_core.multitask.tasks import TASKS
    from bert_core.training.datasets import training_data
    from bert_core.training.recipe import model_for
    from bert_core.training.sampling import TaskStream

    config = preset("multitask-baseline", "cpu", name="profile-padding")
    train = training_data(config, data)
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)
    model = model_for(config)
    out = {}
    for task, examples in train.items():
        if TASKS[task].kind == "sentiment":
            continue
        sides = [tokenizer.lengths(side) for side in sentence_pairs(examples)]
        stream = TaskStream(len(examples), config.batch_size, 0, task,
                            model.padded_lengths(tokenizer, task, examples))
        real = stacked = own = 0
        for k in range(stream.batches_per_pass):
            index = stream.batch(k)
            longest = [max(side[i] for i in index) for side in sides]
            real += sum(side[i] for side in sides for i in index)
            stacked += 2 * len(index) * max(longest)
            own += len(index) * sum(longest)
        out[task] = {"real_tokens": real, "stacked_tokens": stacked, "per_side_tokens": own}
    return out


def guard_costs(repeats: int = 20) -> dict[str, float]:
    """Milliseconds per check of gradients shaped as MiniLM's encoder layers (96 tensors):
    aminmax (the guard's
    test) against the largest |x| (the test before it)."""
    from bert_core.bert.model import BertModel

    grads = [torch.randn(p.shape) for p in BertModel.from_pretrained("minilm-l6").bert_layers.parameters()]
    return milliseconds_per_call({
        "aminmax (now)": lambda: torch.isfinite(
            torch.stack([torch.stack(torch.aminmax(g)) for g in grads])).all(),
        "largest |x| (before)": lambda: torch.isfinite(
            torch.stack([torch.linalg.vector_norm(g, float("inf")) for g in grads])).all(),
    }, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=320, help="training examples per task")
    parser.add_argument("--dev", type=int, default=200, help="dev examples per task")
    parser.add_argument("--data", default=os.environ.get("BERT_CORE_DATA", "data"))
    parser.add_argument("--out", type=Path, default=RESULTS, help="the record (default: the committed one)")
    args = parser.parse_args()

    from bench_cpu_training import gemm_gflops  # this folder's script: the same bound as its record
    from torch.profiler import ProfilerActivity, profile

    from bert_core.experiments import preset
    from bert_core.training.loop import train_run

    config = preset("multitask-baseline", "cpu", name="profile", train_limit=args.examples,
                    dev_limit=args.dev, epochs=1)

    def profiled_run(shapes: bool):
        with tempfile.TemporaryDirectory() as runs:
            os.environ["BERT_CORE_RUNS"] = os.environ["BERT_CORE_RESULTS"] = runs
            with profile(activities=[ProfilerActivity.CPU], record_shapes=shapes, with_flops=shapes) as prof:
                record = train_run(config, 0, args.data, resume=False, progress=False)
        return record, prof

    # The times come from a plain profile: recording shapes slows the passes over memory
    # (GELU, copies) several-fold. A second run of the same seed, the same computation,
    # records the products' shapes and FLOPs.
    record, prof = profiled_run(shapes=False)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    by_name = {e.key: e.self_cpu_time_total for e in events}
    shares = {group: sum(by_name.get(name, 0) for name in names) / total for group, names in GROUPS.items()}
    shares["other"] = 1 - sum(shares.values())
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:15]
    bound = gemm_gflops()
    _, shaped = profiled_run(shapes=True)
    products = matrix_products(shaped.key_averages(group_by_input_shape=True), by_name, bound)
    result = {
        "benchmark": "where a cpu training run's CPU time goes, by operator (torch.profiler, self CPU time)",
        "command": "python benchmarks/profile_cpu_training.py " + " ".join(sys.argv[1:]),
        "examples_per_task": args.examples, "dev_per_task": args.dev, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "phase_seconds": record["phase_seconds"],
        "self_cpu_seconds": round(total / 1e6, 2),
        "shares": {k: round(v, 3) for k, v in shares.items()},
        "top_operators": [{"name": e.key, "self_cpu_seconds": round(e.self_cpu_time_total / 1e6, 3),
                           "calls": e.count} for e in top],
        "gemm_gflops": round(bound, 1),
        "matrix_products": products,
        "ceiling": ceiling(shares, products, bound),
        "dropout_ms_per_call": dropout_costs(),
        "pair_padding": pair_padding(args.data),
        "guard_ms_per_check": guard_costs(),
    }
    for group, share in result["shares"].items():
        print(f"{group:18s} {share:6.1%}")
    for kind, row in products.items():
        print(f"{kind:24s} {row['gflops_in_training']:6.1f} GFLOP/s in training, "
              f"{row['gflops_alone']:6.1f} alone (bound {bound:.0f})")
    limits = result["ceiling"]
    print(f"training could be {limits['products_at_bound']}x faster with every product at the bound, "
          f"{limits['products_at_bound_and_free_dropout']}x with free dropout masks as well")
    print(f"one dropout of a [1600, 384] hidden state, ms: {result['dropout_ms_per_call']}")
    print(f"the divergence check of the encoder's gradients, ms: {result['guard_ms_per_check']}")
    print(f"pair tasks' training tokens, stacked against per side: {result['pair_padding']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
