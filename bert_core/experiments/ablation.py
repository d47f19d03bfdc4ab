"""Why the reports' baseline stalls on a small budget: one change at a time (notebook 05).

Under the small cpu caps (``SMALL_CPU_CAPS``: 400 examples a task, 3 epochs of 50 steps of
8, lr 1e-4 for everything) the baseline model (the [CLS] pooler output, the course's
linear heads, the unweighted sum of the three losses) stays at the majority class on SST
and Quora. Each row below changes one thing of that recipe; the last combines the changes
of the recipe (not the architecture) that the rows single out:

    stalled        the recipe as it is (the stored ``multitask-baseline`` runs)
    head-lr        the heads at lr 1e-3, the encoder at 1e-4 (``head_lr``)
    head-dropout   dropout 0.1 before the heads instead of 0.3
    sts-weight     STS's squared error weighted 0.2 (``task_weights``)
    pooler-reset   the pooler drawn afresh (``pooler_init="reset"``); MiniLM's was never trained
    mean-pooling   the mean of the last layer instead of the pooler (an architecture change)
    batch-32       batches of 32 (a quarter of the steps)
    recipe         head-lr + head-dropout + sts-weight

    python -m bert_core.experiments.ablation [--profile cpu] [--seeds 0,1,2]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from bert_core.experiments.cli import parse_seeds, user_errors_in_one_line
from bert_core.experiments.presets import preset
from bert_core.experiments.profiles import get_profile, pinned_caps
from bert_core.experiments.run import run_experiment
from bert_core.training.config import ExperimentConfig

__all__ = ["STALL_CHANGES", "STALL_SEEDS", "stall_name", "stall_config", "stall_ablation", "main"]

# row -> the fields it changes from the stalled recipe
STALL_CHANGES: dict[str, dict[str, Any]] = {
    "stalled": {},
    "head-lr": {"head_lr": 1e-3},
    "head-dropout": {"head_dropout": 0.1},
    "sts-weight": {"task_weights": {"sts": 0.2}},
    "pooler-reset": {"pooler_init": "reset"},
    "mean-pooling": {"pooling": "mean"},
    "batch-32": {"batch_size": 32},
    "recipe": {"head_lr": 1e-3, "head_dropout": 0.1, "task_weights": {"sts": 0.2}},
}


# The seeds committed per row (results/cpu; the grid's table 05-stall reads them here):
# three where the row moves SST or Quora off the majority class or is the reference, two
# for the others.
_THREE_SEEDS = ("stalled", "sts-weight", "mean-pooling", "recipe")
STALL_SEEDS: dict[str, tuple[int, ...]] = {**dict.fromkeys(STALL_CHANGES, (0, 1)),
                                           **dict.fromkeys(_THREE_SEEDS, (0, 1, 2))}


def stall_name(row: str) -> str:
    """The stored name of a row: ``multitask-baseline`` for the stalled recipe, ``stall-<row>``."""
    return "multitask-baseline" if row == "stalled" else f"stall-{row}"


def stall_config(name: str, profile: str | None, caps: Mapping[str, Any],
                 seeds: Sequence[int]) -> ExperimentConfig:
    """The config of the row stored as ``name`` (``stall_name``): ``multitask-baseline`` under
    ``caps`` with the row's change on top, over ``seeds``."""
    rows = {stall_name(row): row for row in STALL_CHANGES}
    if name not in rows:
        raise ValueError(f"{name!r} is no row of the stall ablation; its rows: {list(rows)}")
    return preset("multitask-baseline", profile, name=name, seeds=tuple(seeds),
                  **{**caps, **STALL_CHANGES[rows[name]]})


def stall_ablation(profile: str | None = None, seeds: Sequence[int] | None = None) -> list[ExperimentConfig]:
    """The ablation's configs in ``profile`` (under the small caps in ``cpu``), one per row
    of ``STALL_CHANGES`` (``stall_config``); each over ``seeds``, or the row's committed
    seeds (``STALL_SEEDS``; the first only in smoke, ``Profile.seeds_of``)."""
    caps = pinned_caps(profile)
    of = get_profile(profile).seeds_of
    return [stall_config(stall_name(row), profile, caps, seeds if seeds is not None else of(STALL_SEEDS[row]))
            for row in STALL_CHANGES]


@user_errors_in_one_line
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bert_core.experiments.ablation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=None, help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    parser.add_argument("--seeds", default=None, help="comma-separated, e.g. 0,1,2 (default: STALL_SEEDS)")
    parser.add_argument("--rows", default=None, help="comma-separated rows of STALL_CHANGES (default: all)")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds) if args.seeds else None
    rows = args.rows.split(",") if args.rows else list(STALL_CHANGES)
    for row, config in zip(STALL_CHANGES, stall_ablation(args.profile, seeds)):
        if row in rows:
            print(f"{row}: {run_experiment(config).summary()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
