"""What cross-encoding costs at inference time, against encoding each sentence separately.

Two jobs on STS dev sentences, with the offline checkpoint (``minilm-l6``) in eval mode:

1. Score given pairs (the STS dev set): the bi-encoder runs BERT on each sentence of a
   pair, the cross-encoder once on ``[CLS] a [SEP] b [SEP]``. Both go through
   ``bert_core.evaluate.predict`` (length-sorted batches of 64), so the time per pair is
   what the notebooks' evaluation pays.
2. Score every pair among n sentences (finding paraphrases in a collection, as Quora
   does): the bi-encoder encodes the n sentences once and scores the n(n-1)/2 pairs from
   the stored embeddings; the cross-encoder needs one BERT pass per pair.

Rounds alternate bi, cross, bi, ... after a warm-up; the script records medians.

    python benchmarks/bench_pair_encoding.py [--pairs 512] [--sentences 100] [--rounds 3]

Writes ``benchmarks/results/bench_pair_encoding.json``. Uses $BERT_CORE_DATA's STS dev
file (the sample set's when it is absent).
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.data import data_dir, load_task, sample_data_dir, task_file
from bert_core.multitask.evaluate import predict
from bert_core.multitask.examples import PairExample
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.pooling import sentence_embeddings

CHECKPOINT = "minilm-l6"


def timed(fn) -> float:
    start = time.perf_counter()
    with torch.no_grad():
        fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=512, help="STS dev pairs scored in job 1")
    parser.add_argument("--sentences", type=int, default=100, help="n for the all-pairs job 2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    folder = data_dir() if task_file("sts", "dev", data_dir()).exists() else sample_data_dir()
    pairs = load_task("sts", "dev", folder)[: args.pairs]
    tokenizer = Tokenizer.from_pretrained(CHECKPOINT).with_max_length(128)
    torch.manual_seed(0)
    bi = MultitaskBERT.from_pretrained(CHECKPOINT, tasks=("sts",), heads={"similarity": "cosine"}).eval()
    cross = MultitaskBERT.from_pretrained(CHECKPOINT, tasks=("sts",), pair_encoding="cross").eval()

    sentences = list(dict.fromkeys(p.sentence1 for p in load_task("sts", "dev", folder)))[: args.sentences]
    all_pairs = [PairExample(f"{i}-{j}", a, b, 0.0)
                 for (i, a), (j, b) in itertools.combinations(enumerate(sentences), 2)]

    def bi_all_pairs() -> None:
        embeddings = sentence_embeddings(bi.bert, tokenizer, sentences, pooling=bi.pooling)
        left, right = torch.triu_indices(len(sentences), len(sentences), offset=1)
        bi.heads["sts"](embeddings[left], embeddings[right])  # n(n-1)/2 cosines from n encodings

    jobs = {
        "pairs_bi": lambda: predict(bi, tokenizer, "sts", pairs, 64, "cpu", False),
        "pairs_cross": lambda: predict(cross, tokenizer, "sts", pairs, 64, "cpu", False),
        "all_pairs_bi": bi_all_pairs,
        "all_pairs_cross": lambda: predict(cross, tokenizer, "sts", all_pairs, 64, "cpu", False),
    }
    for fn in jobs.values():  # warm-up
        timed(fn)
    seconds: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(args.rounds):
        for name, fn in jobs.items():
            seconds[name].append(timed(fn))
    median = {name: statistics.median(values) for name, values in seconds.items()}

    def tokens(first: list[str], second: list[str] | None = None) -> int:
        return int(tokenizer(first, second)["attention_mask"].sum()) if first else 0

    firsts, others = [p.sentence1 for p in pairs], [p.sentence2 for p in pairs]
    result = {
        "checkpoint": CHECKPOINT,
        "data": str(folder),
        "pairs": len(pairs),
        "sentences": len(sentences),
        "all_pairs": len(all_pairs),
        "tokens_per_pair_bi": (tokens(firsts) + tokens(others)) / len(pairs),
        "tokens_per_pair_cross": tokens(firsts, others) / len(pairs),
        "ms_per_pair_bi": 1000 * median["pairs_bi"] / len(pairs),
        "ms_per_pair_cross": 1000 * median["pairs_cross"] / len(pairs),
        "seconds_all_pairs_bi": median["all_pairs_bi"],
        "seconds_all_pairs_cross": median["all_pairs_cross"],
        "rounds": args.rounds,
        "seconds": seconds,  # each job's timing per round
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
    }
    result["cross_over_bi_per_pair"] = result["ms_per_pair_cross"] / result["ms_per_pair_bi"]
    result["cross_over_bi_all_pairs"] = result["seconds_all_pairs_cross"] / result["seconds_all_pairs_bi"]
    out = Path(__file__).parent / "results" / "bench_pair_encoding.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"score {len(pairs)} given pairs: bi {result['ms_per_pair_bi']:.2f} ms/pair, "
          f"cross {result['ms_per_pair_cross']:.2f} ms/pair ({result['cross_over_bi_per_pair']:.2f}x); "
          f"tokens per pair {result['tokens_per_pair_bi']:.1f} vs {result['tokens_per_pair_cross']:.1f}")
    print(f"all {len(all_pairs)} pairs of {len(sentences)} sentences: bi {median['all_pairs_bi']:.3f} s, "
          f"cross {median['all_pairs_cross']:.2f} s ({result['cross_over_bi_all_pairs']:.0f}x)")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
