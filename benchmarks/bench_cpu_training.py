"""Training speed of a cpu multitask epoch, and where the time goes, before and after.

Each variant trains ``multitask-baseline`` (minilm-l6, the course data) for one epoch of
``--examples`` training examples per task through the real training loop
(``bert_core.training.loop.train_run``), in a process of its own, and reads the run's
``phase_seconds`` (``bert_core.training.timing``). The variants add one change each to the
one before:

    before         the small cpu recipe (``SMALL_CPU_CAPS``): random batches of 8 per task,
                   dev evaluation in batches of 64, test-student predictions at the end
    buckets        + length-bucketed batches (``length_buckets``, sorted by
                   ``MultitaskBERT.padded_lengths``): less padding
    batch-32       + batches of 32 per task: bigger matrix products, a quarter of the steps
    frozen-words   + the word-embedding matrix frozen (``train_word_embeddings=False``):
                   no 11.7M-row gradient, AdamW over 11M parameters instead of 22.7M

A last variant, ``cpu-profile``, is not one more change but the ``cpu`` profile itself, as
every committed table run trains (its caps with nothing pinned: length buckets, batches of
16, the word embeddings frozen, the encoder at 1e-4 and the heads at 1e-3 with a linear
warm-up and decay, STS weighted 0.2, dev batches of 128), for the same one epoch; and
``cpu-profile-compiled`` is that with the encoder compiled by ``torch.compile`` (inductor,
dynamic shapes; ``ExperimentConfig.compile``), the compilation counted in the first
steps' forward and backward. The compiled variant then trains the same epoch a second time
in its process, the compiled code reused (``warm``: the steady state a long run would
reach), and its losses are compared step by step with the eager profile's
(``largest_loss_difference``: a compiled run must compute the same run).

Evaluation, before and after, in one process (``evaluation``): the ``cpu`` profile's model
predicts its 3 x 600 dev examples the way prediction used to batch them (examples sorted
by characters, a pair's two sentences stacked and padded together, ``task_outputs`` on
each batch) and the way ``bert_core.multitask.evaluate.predict`` does now (batches sorted
by tokens; a separately encoded pair task's distinct sentences encoded once each, in
batches of their own lengths, the head then reading the pairs), each timed as the faster
of two passes, with the tokens computed (padded) and the largest difference of the
outputs.

The whole-run figure leaves out the test-student prediction files (``predict_test``,
which the cpu profile now turns off for its table runs; the "before" row's
``prediction`` phase says what they cost).

For each: training sentences per second of training (forward + backward + optimiser),
per second of the whole run, the tokens the model computed (padded) against the real
ones, and the useful work as a share of the machine's bound. The bound: the fastest fp32
matrix product measured here (GFLOP/s) against the model's FLOPs on the real tokens, for
forward and backward (``bert_core.bert.flops.training_flops`` per sequence of n tokens:
6 P n + 12 L d n² and the pooler, P the weights of the encoder's layers, L layers of
width d; the attention's two products are the n² term).

    python benchmarks/bench_cpu_training.py [--examples 480] [--data ../shared/data/cs224n]
        [--variants cpu-profile,cpu-profile-compiled] [--no-evaluation] [--out elsewhere.json]

Writes ``benchmarks/results/bench_cpu_training.json`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

VARIANTS: dict[str, dict] = {
    "before": {},
    "buckets": {"length_buckets": True},
    "batch-32": {"batch_size": 32},
    "frozen-words": {"train_word_embeddings": False},
}


RESULTS = Path(__file__).parent / "results" / "bench_cpu_training.json"
PROFILE_VARIANT = "cpu-profile"
# the cpu profile's own caps, and what each of these adds to them
PROFILE_VARIANTS: dict[str, dict] = {PROFILE_VARIANT: {}, "cpu-profile-compiled": {"compile": True}}


def settings(variant: str, examples: int) -> dict:
    """The config fields of a variant: the small cpu caps (which name every field the cpu
    profile sets, the recipe's at their defaults), one epoch, and every change up to and
    including the variant's; for ``cpu-profile`` and its kin, the epoch, the examples and
    their own change (the profile's caps do the rest)."""
    from bert_core.experiments.profiles import SMALL_CPU_CAPS

    if variant in PROFILE_VARIANTS:
        return {"train_limit": examples, "epochs": 1, **PROFILE_VARIANTS[variant]}
    fields = {**SMALL_CPU_CAPS, "train_limit": examples, "epochs": 1}
    for name, changes in VARIANTS.items():
        fields.update(changes)
        if name == variant:
            return fields
    raise ValueError(f"unknown variant {variant!r}; choose one of {[*VARIANTS, *PROFILE_VARIANTS]}")


def gemm_gflops() -> float:
    """The fastest fp32 matrix product of a few sizes like the model's, in GFLOP/s."""
    best = 0.0
    for m, k, n in ((2048, 384, 1536), (2048, 1536, 384), (1024, 1024, 1024)):
        a, b = torch.randn(m, k), torch.randn(k, n)
        a @ b
        runs = []
        for _ in range(20):
            start = time.perf_counter()
            a @ b
            runs.append(time.perf_counter() - start)
        best = max(best, 2 * m * k * n / min(runs) / 1e9)
    return best


def token_counts(config, data: str, seed: int = 0) -> dict[str, float]:
    """Real and padded tokens of the epoch's training batches, and the model's FLOPs on the
    real ones: the batches rebuilt from the data order (a pure function of the seed), and
    tokenised as the loop does; also the seconds the tokenising took."""
    from bert_core.bert.flops import training_flops
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.training.datasets import training_data
    from bert_core.training.recipe import model_for, schedule_for
    from bert_core.training.sampling import TaskStream

    train = training_data(config, data)
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)
    model = model_for(config)
    bert = model.bert.config
    plan = schedule_for(config, train, seed).plan(0)
    def lengths(task):  # what the loop buckets by
        return model.padded_lengths(tokenizer, task, train[task]) if config.length_buckets else None

    streams = {t: TaskStream(len(train[t]), config.batch_size, seed, t, lengths(t)) for t in config.tasks}
    drawn = dict.fromkeys(config.tasks, 0)
    real = padded = sentences = flops = 0.0
    seconds = 0.0
    for step_tasks in plan.step_tasks:
        for task in step_tasks:
            batch_examples = [train[task][i] for i in streams[task].batch(drawn[task])]
            drawn[task] += 1
            start = time.perf_counter()
            batch = model.task_batch(tokenizer, task, batch_examples)
            seconds += time.perf_counter() - start
            lengths_ = batch.attention_mask.sum(dim=1).double()
            real += lengths_.sum().item()
            padded += batch.attention_mask.numel()
            sentences += batch.attention_mask.shape[0]
            flops += sum(training_flops(bert, 1, int(n)) for n in lengths_.tolist())
    return {"real_tokens": real, "padded_tokens": padded, "sentences": sentences, "flops": flops,
            "tokenise_seconds": seconds, "steps": plan.steps}


def child(variant: str, examples: int, data: str) -> dict:
    from bert_core.experiments import preset
    from bert_core.training.loop import train_run

    config = preset("multitask-baseline", "cpu", name=f"bench-{variant}", **settings(variant, examples))
    record = train_run(config, 0, data, resume=False, progress=False)
    counts = token_counts(config, data)
    phases = record["phase_seconds"]
    training = phases["forward"] + phases["backward"] + phases["optimiser"]
    total = sum(v for k, v in phases.items() if k != "prediction")
    warm = None
    if config.compile:  # the same epoch again, compiled already
        again = train_run(preset("multitask-baseline", "cpu", name=f"bench-{variant}-warm",
                                 **settings(variant, examples)), 0, data, resume=False, progress=False)
        seconds = sum(again["phase_seconds"][p] for p in ("forward", "backward", "optimiser"))
        warm = {"phase_seconds": again["phase_seconds"], "training_seconds": round(seconds, 1),
                "sentences_per_training_second": round(counts["sentences"] / seconds, 1)}
    return {
        "settings": {k: v for k, v in settings(variant, examples).items()},
        "phase_seconds": phases, "training_seconds": round(training, 1), "run_seconds": round(total, 1),
        **{k: round(v, 1) for k, v in counts.items()},
        "sentences_per_training_second": round(counts["sentences"] / training, 1),
        "sentences_per_run_second": round(counts["sentences"] / total, 1),
        "real_tokens_per_training_second": round(counts["real_tokens"] / training, 1),
        "padding_share": round(1 - counts["real_tokens"] / counts["padded_tokens"], 3),
        "useful_gflops": round(counts["flops"] / training / 1e9, 1),
        "dev": record["epochs"][-1]["dev"], "peak_memory_mb": record["peak_memory_mb"],
        **({"warm": warm} if warm else {}),
        "losses": [loss for _, _, loss in record["losses"]],  # compared by the parent, not kept
    }


def evaluation_child(data: str) -> dict:
    """Dev prediction of the cpu profile's (untrained) model, the former batching against
    ``predict``'s: seconds (the faster of two passes), the tokens each computes (padding
    included) against the data's real ones, and how far the two ways' predictions differ."""
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.experiments import preset
    from bert_core.multitask.evaluate import distinct_sentences, length_sorted_batches, predict
    from bert_core.multitask.examples import texts
    from bert_core.multitask.tasks import TASKS
    from bert_core.training.datasets import dev_data
    from bert_core.training.recipe import model_for

    config = preset("multitask-baseline", "cpu", name="bench-evaluation")
    dev = dev_data(config, data)
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)
    model = model_for(config).eval()
    size = config.eval_batch_size

    def former(task, examples):  # what predict did before: sorted by characters, pairs stacked
        order = sorted(range(len(examples)), key=lambda i: sum(len(s) for s in texts(examples[i])))
        outputs, computed = [None] * len(examples), 0
        for start in range(0, len(order), size):
            index = order[start:start + size]
            batch = model.task_batch(tokenizer, task, [examples[i] for i in index])
            computed += batch.attention_mask.numel()
            for i, out in zip(index, model.head_outputs(batch).float()):
                outputs[i] = out
        return torch.stack(outputs), computed

    def now_tokens(task, examples):  # predict's batches: sentences, or a pair task's distinct ones
        items = ([e.sentence for e in examples] if TASKS[task].kind == "sentiment"
                 else distinct_sentences(examples)[0])
        n = tokenizer.lengths(items)
        return sum(len(index) * max(n[i] for i in index) for index in length_sorted_batches(n, size))

    def timed(fn):
        best, result = float("inf"), None
        for _ in range(2):
            start = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - start)
        return best, result

    with torch.inference_mode():
        before_s, before = timed(lambda: {t: former(t, e) for t, e in dev.items()})
    after_s, after = timed(lambda: {t: predict(model, tokenizer, t, e, size, progress=False)
                                    for t, e in dev.items()})
    real = sum(sum(tokenizer.lengths([s for e in examples for s in texts(e)])) for examples in dev.values())
    agreement = {}
    for task, (outputs, _) in before.items():
        kind = TASKS[task].kind
        if kind == "sentiment":
            agreement[task] = float((outputs.argmax(dim=-1).numpy() == after[task]).mean())
        elif kind == "paraphrase":
            agreement[task] = float(((outputs > 0).long().numpy() == after[task]).mean())
        else:
            largest = abs(outputs.double().numpy() - after[task]).max()
            agreement[f"{task} largest difference"] = float(f"{largest:.2g}")
    row = {"dev_examples": {t: len(e) for t, e in dev.items()}, "eval_batch_size": size, "real_tokens": real,
           "before": {"seconds": round(before_s, 2),
                      "computed_tokens": sum(computed for _, computed in before.values())},
           "after": {"seconds": round(after_s, 2),
                     "computed_tokens": sum(now_tokens(t, e) for t, e in dev.items())},
           "speedup": round(before_s / after_s, 2), "agreement": agreement}
    for side in ("before", "after"):
        row[side]["padding_share"] = round(1 - real / row[side]["computed_tokens"], 3)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=480, help="training examples per task")
    parser.add_argument("--data", default=os.environ.get("BERT_CORE_DATA", "data"))
    parser.add_argument("--variants", default=",".join([*VARIANTS, *PROFILE_VARIANTS]))
    parser.add_argument("--no-evaluation", action="store_true",
                        help="skip the evaluation before/after measurement")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the record (default: the committed one)")
    parser.add_argument("--child", choices=[*VARIANTS, *PROFILE_VARIANTS, "evaluation"],
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "evaluation":
        print(json.dumps(evaluation_child(args.data)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.examples, args.data)))
        return

    # measured before and after the runs, the faster kept: a busy or throttled moment
    # would make the bound look low and the shares high
    bound = gemm_gflops()
    print(f"fp32 GEMM bound: {bound:.0f} GFLOP/s on {torch.get_num_threads()} threads", flush=True)
    rows = {}
    with tempfile.TemporaryDirectory() as runs:
        # inductor's compiled kernels go to a cache of this run's own: a student's first
        # compiled run starts from an empty one, and so does each run of this benchmark
        env = {**os.environ, "BERT_CORE_RUNS": runs, "BERT_CORE_RESULTS": runs,
               "TORCHINDUCTOR_CACHE_DIR": os.path.join(runs, "inductor-cache")}
        for variant in args.variants.split(","):
            command = [sys.executable, __file__, "--child", variant, "--examples", str(args.examples),
                       "--data", args.data]
            output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
            row = rows[variant] = json.loads(output.strip().splitlines()[-1])
            row["share_of_bound"] = round(row["useful_gflops"] / bound, 3)
            print(f"{variant:14s} {row['sentences_per_training_second']:6.1f} sentences/s training, "
                  f"{row['sentences_per_run_second']:6.1f} per run second, "
                  f"padding {row['padding_share']:.0%}, "
                  f"{row['share_of_bound']:.0%} of the bound; phases {row['phase_seconds']}", flush=True)
        evaluation = None
        if not args.no_evaluation:
            command = [sys.executable, __file__, "--child", "evaluation", "--data", args.data]
            output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
            evaluation = json.loads(output.strip().splitlines()[-1])
            before, after = evaluation["before"], evaluation["after"]
            print(f"evaluation of the dev sets: {before['seconds']} s before, {after['seconds']} s now "
                  f"({evaluation['speedup']}x), padding {before['padding_share']:.0%} -> "
                  f"{after['padding_share']:.0%}; agreement {evaluation['agreement']}", flush=True)
    bound_after = gemm_gflops()
    print(f"fp32 GEMM bound after the runs: {bound_after:.0f} GFLOP/s", flush=True)
    if bound_after > bound:
        bound = bound_after
        for row in rows.values():
            row["share_of_bound"] = round(row["useful_gflops"] / bound, 3)
    losses = {name: row.pop("losses") for name, row in rows.items()}
    for name, row in rows.items():
        if row["settings"].get("compile") and PROFILE_VARIANT in losses:
            row["largest_loss_difference"] = round(max(
                abs(a - b) for a, b in zip(losses[name], losses[PROFILE_VARIANT])), 6)
            print(f"{name}: once compiled {row['warm']['sentences_per_training_second']} sentences/s "
                  f"training; losses within {row['largest_loss_difference']} of the eager run's", flush=True)
    before = rows.get("before")
    if before:
        for row in rows.values():
            row["training_speedup"] = round(row["sentences_per_training_second"]
                                            / before["sentences_per_training_second"], 2)
            row["run_speedup"] = round(row["sentences_per_run_second"]
                                       / before["sentences_per_run_second"], 2)
    result = {
        "benchmark": "a cpu multitask epoch through the training loop: speed and where the time goes",
        "command": "python benchmarks/bench_cpu_training.py " + " ".join(sys.argv[1:]),
        "examples_per_task": args.examples, "gemm_gflops": round(bound, 1),
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}, "
                   f"{os.cpu_count()} cores",
        "goals": {"training_speedup": 3.0, "share_of_bound": 0.6, "run_speedup of cpu-profile": 2.5},
        "variants": rows,
    }
    if evaluation is not None:
        result["evaluation"] = evaluation
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
