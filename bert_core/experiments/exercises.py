"""The runs that the exercises' worked solutions train (``notebooks/solutions/``).

Each is a preset with the overrides its exercise names, defined here rather than in the
notebook, so that a solution's committed ``cpu`` run loads under the same settings on a
fresh clone (``tests/experiments/test_results.py`` checks every stored result against the configs of
today, these included) instead of training again.

    notebook 04   sst-finetune-again      exercise 1: seed 0 of ``sst-finetune`` again, under
                                          another name (the committed record is not replaced)
                  sst-finetune-1e-5       exercise 2: the course's learning rate, three epochs
                  sst-pretrain-mean       exercise 3: a frozen encoder read through mean pooling
    notebook 05   sst-alone, quora-alone, exercise 7: each task alone with ``cpu-best``'s
                  sts-alone               recipe and budget, three seeds
                  no-sts, no-sts-heavy    exercise 2: the small caps without STS; the small
                                          caps with STS's loss weighted 0.5
    notebook 06   quora-cross             exercise 1: cross-encode paraphrase only
                  baseline-mean           exercise 4: the concatenation heads on mean pooling
                  baseline-cosine-fc,     exercise 7: each SBERT-style pair head alone on the
                  baseline-siamese        baseline
    notebook 07   sts-twentieth-proportional,  exercise 1: a twentieth of STS, proportional
                  sts-twentieth-annealed       and annealed sampling (report 003's model)
                  mean-dwa-5              exercise 2: DWA over rounds of 5 steps
                  mean-sequential-reversed     exercise 4: STS first, SST last
    notebook 10   adapters-frozen-1e-2,   exercise 3: the frozen encoder's heads and adapters at
                  adapters-frozen-1e-4    ten times and a tenth of the course's 1e-3
                  adapters-low-rank-48,   exercise 5: low-rank adapters at half and twice the
                  adapters-low-rank-204   report's d_s (102 for MiniLM)
    notebook 12   eda-every-sentence      exercise 2: every SST sentence a variant every epoch

Those with one seed answer their exercise with one run; the solutions word them so.
Train (or load) them from the command line::

    python -m bert_core.experiments.exercises sst-alone quora-alone --profile cpu
    python -m bert_core.experiments.exercises --list
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from bert_core.experiments.cli import user_errors_in_one_line
from bert_core.experiments.presets import preset
from bert_core.experiments.profiles import PROFILES, get_profile, pinned_caps
from bert_core.experiments.run import run_experiment
from bert_core.experiments.store import load_result
from bert_core.training.config import ExperimentConfig

__all__ = ["EXERCISES", "exercise", "main"]

_ALONE = (0, 1, 2)
_ONE = (0,)
# under the small cpu caps of notebook 05's stall ablation (``SMALL_CPU_CAPS`` in ``cpu``)
SMALL = "small_caps"

# name -> (the preset it starts from, the fields it changes; seeds as a table row commits them)
EXERCISES: Mapping[str, tuple[str, Mapping[str, Any]]] = MappingProxyType({
    "sst-finetune-again": ("sst-finetune", {"seeds": (0,)}),
    "sst-finetune-1e-5": ("sst-finetune", {"finetune_lr": 1e-5, "epochs": 3, "seeds": (0,)}),
    "sst-pretrain-mean": ("sst-pretrain", {"pooling": "mean", "seeds": (0, 1, 2)}),
    "sst-alone": ("cpu-best", {"tasks": ("sst",), "seeds": _ALONE}),
    "quora-alone": ("cpu-best", {"tasks": ("quora",), "seeds": _ALONE}),
    "sts-alone": ("cpu-best", {"tasks": ("sts",), "seeds": _ALONE}),
    "no-sts": ("multitask-baseline", {"tasks": ("sst", "quora"), SMALL: True, "seeds": (0, 1)}),
    "no-sts-heavy": ("multitask-baseline", {"task_weights": {"sts": 0.5}, SMALL: True, "seeds": (0, 1)}),
    "quora-cross": ("cross-encoding", {"pair_encoding": {"paraphrase": "cross"}, "seeds": _ONE}),
    "baseline-mean": ("multitask-baseline", {"pooling": "mean", "seeds": _ONE}),
    "baseline-cosine-fc": ("multitask-baseline", {"heads": {"similarity": "cosine_fc"}, "seeds": _ONE}),
    "baseline-siamese": ("multitask-baseline", {"heads": {"paraphrase": "siamese"}, "seeds": _ONE}),
    "sts-twentieth-proportional": ("mean-proportional", {"subsample": {"sts": 0.05}, "seeds": _ONE}),
    "sts-twentieth-annealed": ("mean-annealed", {"subsample": {"sts": 0.05}, "seeds": _ONE}),
    "mean-dwa-5": ("mean-dwa", {"dwa_window": 5, "seeds": _ONE}),
    "mean-sequential-reversed": ("mean-sequential", {"tasks": ("sts", "quora", "sst"), "seeds": _ONE}),
    "adapters-frozen-1e-2": ("adapters-low-rank-top-frozen", {"pretrain_lr": 1e-2, "seeds": _ONE}),
    "adapters-frozen-1e-4": ("adapters-low-rank-top-frozen", {"pretrain_lr": 1e-4, "seeds": _ONE}),
    "adapters-low-rank-48": ("adapters-low-rank", {"adapter_size": 48, "seeds": _ONE}),
    "adapters-low-rank-204": ("adapters-low-rank", {"adapter_size": 204, "seeds": _ONE}),
    "eda-every-sentence": ("eda-strong", {"eda_share": 1.0, "seeds": _ONE}),
})


def exercise(name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """The config of exercise run ``name`` in ``profile`` (its seeds cut as a table row's
    are, ``Profile.seeds_of``), ``overrides`` on top."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise run {name!r}; choose one of {sorted(EXERCISES)}")
    base, fields = EXERCISES[name]
    fields = dict(fields)
    caps = pinned_caps(profile) if fields.pop(SMALL, False) else {}
    fields = {**caps, **fields, "seeds": get_profile(profile).seeds_of(tuple(fields["seeds"])), **overrides}
    return preset(base, profile, name=name, **fields)


@user_errors_in_one_line
def main(argv: Sequence[str] | None = None) -> int:
    """Train (or load, when stored) the named exercise runs, one after the other."""
    parser = argparse.ArgumentParser(prog="python -m bert_core.experiments.exercises",
                                     description="Train the runs of the exercises' worked solutions.")
    parser.add_argument("names", nargs="*", help=f"exercise runs, of {sorted(EXERCISES)}")
    parser.add_argument("--profile", choices=list(PROFILES), help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    parser.add_argument("--list", action="store_true", help="which runs are stored, which are missing")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(EXERCISES))
    if unknown:
        parser.error(f"no exercise run {', '.join(unknown)}; choose from {', '.join(sorted(EXERCISES))}")
    for name in args.names or (sorted(EXERCISES) if args.list else []):
        config = exercise(name, args.profile)
        if args.list:
            stored = load_result(config)
            have = sorted(stored.runs) if stored else []
            print(f"{name:28} seeds {list(config.seeds)}  stored {have}")
            continue
        result = run_experiment(config)
        shown = "  ".join(f"{m} {v['mean']:.3f}" for m, v in result.summary().items())
        print(f"{name}: {shown}  (seeds {list(result.runs)})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
