"""The committed grid: which runs each notebook's tables compare, over which seeds, under which caps.

Every results table of notebooks 04-12 is a handful of configs, each run over a few seeds in
the ``cpu`` profile and committed under ``results/cpu/experiments/``. This module names them
once, so that the notebooks, the generated results (``course.readme``: docs/results.md) and the batch
job that (re-)runs them (this module's command line) ask for the same runs:

    table      notebook   what it compares                              baseline
    04         04         pretrain (frozen BERT) vs finetune, SST / CFIMDB   its task's pretrain row
    05         05         simultaneous vs round-robin; best and headline    multitask-baseline
    05-alone   05         each task alone at the headline's budgets         (none: one task a row)
    05-stall   05         why the baseline stalls: one change at a time      multitask-baseline
    06         06         pair encoding, heads, pooling, swap                multitask-baseline
    06-sts     06         STS alone under three cosine heads                 sts-alone-cosine-fc
    07         07         samplers, curricula, loss balancing                imbalanced-simultaneous
    08         08         SMART (reports 001 and 004)                       multitask-baseline
    09         09         PCGrad, report 004's grid                         multitask-baseline
    10         10         report 003's adapters (Table 5)                   sbert-heads-mean
    11         11         the recipe to beat and its variants (the final)    headline-scaled-cosine
    12         12         EDA on SST at two strengths                       cpu-best

A table is ``pinned`` while its committed runs are those of the small cpu caps
(``profiles.SMALL_CPU_CAPS``): in ``cpu`` its configs carry those caps
(``profiles.pinned_caps``), so that loading them never starts training. Re-running a
table at today's caps (``--unpinned``) and then setting ``pinned=False`` here moves it to
the new scale; the stall ablation is pinned by design (it starts from the small caps).

    python -m bert_core.experiments.grid --list                 what is committed, what is missing
    python -m bert_core.experiments.grid --tables 06 [--seeds 0,1,2] [--unpinned]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bert_core.experiments.ablation import STALL_SEEDS, stall_config, stall_name
from bert_core.experiments.cli import parse_seeds, user_errors_in_one_line
from bert_core.experiments.presets import preset
from bert_core.experiments.profiles import get_profile, pinned_caps
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.run import run_experiment
from bert_core.experiments.store import load_results
from bert_core.training.config import ExperimentConfig

__all__ = ["Table", "GRID", "table", "main"]

# (name, profile, caps, seeds) -> config: a preset by default
Maker = Callable[[str, "str | None", Mapping[str, Any], tuple[int, ...]], ExperimentConfig]


def _from_preset(name: str, profile: str | None, caps: Mapping[str, Any],
                 seeds: tuple[int, ...]) -> ExperimentConfig:
    return preset(name, profile, **caps, seeds=seeds)


@dataclass(frozen=True)
class Table:
    """One results table: its rows (config name -> the seeds committed for it, or to be, for
    the rows in ``to_come``), the row the others are compared with, and whether its
    committed runs are the small caps'."""

    key: str
    notebook: str
    title: str
    seeds: Mapping[str, tuple[int, ...]]
    baseline: str | None = None
    pinned: bool = False
    make: Maker = field(default=_from_preset, repr=False)
    against: Mapping[str, str] = field(default_factory=dict)
    to_come: frozenset[str] = frozenset()  # rows whose committed seeds are not all there yet

    def __post_init__(self) -> None:
        unknown = (set(self.against) | set(self.against.values()) | self.to_come) - set(self.seeds)
        if unknown:
            raise ValueError(f"table {self.key}: `against` or `to_come` names rows it lacks: "
                             f"{sorted(unknown)}")

    @property
    def names(self) -> list[str]:
        return list(self.seeds)

    def baseline_of(self, name: str) -> str | None:
        """The row ``name`` is compared with: its own (``against``: SMART on a model against that
        model without it), else the table's; None for the table's baseline itself."""
        base = self.against.get(name, self.baseline)
        return None if base == name else base

    def configs(self, profile: str | None = None, seeds: Sequence[int] | None = None,
                pinned: bool | None = None, only: Sequence[str] | None = None) -> list[ExperimentConfig]:
        """The table's configs in ``profile`` (the rows ``only`` names, else all), each over its
        committed seeds (the first only in smoke, ``Profile.seeds_of``) or ``seeds``; under the
        small caps in ``cpu`` while the table is pinned (``pinned`` overrides)."""
        unknown = set(only or ()) - set(self.seeds)
        if unknown:
            raise KeyError(f"table {self.key} has no rows {sorted(unknown)}; its rows: {self.names}")
        caps = pinned_caps(profile) if (self.pinned if pinned is None else pinned) else {}
        of = get_profile(profile).seeds_of
        return [self.make(name, profile, caps, tuple(seeds) if seeds is not None else of(committed))
                for name, committed in self.seeds.items() if only is None or name in only]

    def runnable(self, profile: str | None = None) -> list[ExperimentConfig]:
        """The configs a notebook trains in ``profile``: all of them, except that in ``cpu``
        the rows still to come are left to the batch job (``python -m
        bert_core.experiments.grid --tables KEY``), so that the cpu main job on a fresh
        clone loads committed runs and never starts hours of training."""
        configs = self.configs(profile)
        if get_profile(profile).name != "cpu":
            return configs
        return [config for config in configs if config.name not in self.to_come]

    def committed(self, only: Sequence[str] | None = None) -> dict[str, ExperimentResult | None]:
        """The committed ``cpu`` runs of the table (or of the rows ``only`` names), by name
        (None for a row with none)."""
        return load_results(self.configs("cpu", only=only), "cpu")


def _seeds(names: Sequence[str], default: tuple[int, ...],
           **more: tuple[int, ...]) -> Mapping[str, tuple[int, ...]]:
    """Rows in order, each over ``default`` seeds unless ``more`` names it (``cross_encoding=``
    for ``cross-encoding``)."""
    more = {k.replace("_", "-"): v for k, v in more.items()}
    if set(more) - set(names):
        raise ValueError(f"seeds given for rows the table lacks: {sorted(set(more) - set(names))}")
    return MappingProxyType({**dict.fromkeys(names, default), **more})


_THREE = (0, 1, 2)
_TWO = (0, 1)
_GRID_004 = ["multitask-baseline", "smart", "pcgrad", "sts-swap", "smart-pcgrad", "smart-swap",
             "pcgrad-swap", "smart-pcgrad-swap"]
_PAIRS = ["multitask-baseline", "cross-encoding", "sts-cross", "sts-cosine", "sts-cosine-mnr",
          "sbert-heads-cls", "sbert-heads-mean", "sbert-heads-max", "sts-cosine-mix",
          "mlp-heads-cosine-mix", "sts-swap"]
_SAMPLERS = ["imbalanced-simultaneous", "sampling-round-robin", "sampling-proportional",
             "sampling-annealed", "quora-tenth"]
_REPORT_003 = ["mean-imbalanced", "mean-squared-loss", "mean-dwa", "mean-sequential", "mean-hybrid"]
_MEAN_SAMPLERS = ["mean-round-robin", "mean-proportional", "mean-annealed"]
_SMART = ["multitask-baseline", "smart", "sbert-heads-mean", "sbert-mean-smart", "sbert-mean-smart-shared",
          "cross-encoding", "cross-pcgrad", "cross-pcgrad-smart-symkl", "cross-pcgrad-smart-kl",
          "cross-pcgrad-smart-kl-then-symkl"]
_ADAPTERS = ["adapters-pal", "adapters-low-rank", "adapters-houlsby", "adapters-top", "adapters-low-rank-top",
             "adapters-low-rank-top-frozen"]
_LEARNING = ["sbert-heads-mean", "sbert-mean-smart", "sbert-mean-pcgrad", "sbert-mean-smart-pcgrad"]

GRID: tuple[Table, ...] = (
    Table("04", "04", "single-task SST-5 and CFIMDB: pretrain (frozen encoder) against finetune",
          _seeds(["sst-pretrain", "sst-finetune", "cfimdb-pretrain", "cfimdb-finetune"], _THREE),
          against={"sst-finetune": "sst-pretrain", "cfimdb-finetune": "cfimdb-pretrain"}),
    Table("05", "05", "the reports' baseline, simultaneous against round-robin; the best configuration "
          "and the headline preset",
          _seeds(["multitask-baseline", "multitask-round-robin", "cpu-best", "cpu-best-scaled-cosine",
                  "headline", "headline-scaled-cosine"], _THREE),
          baseline="multitask-baseline",
          against={"cpu-best-scaled-cosine": "cpu-best", "headline-scaled-cosine": "headline"}),
    Table("05-alone", "05", "each task alone under the headline's recipe and budget, one pass and two "
          "(the final model's): the single-task yardsticks of the one model",
          _seeds(["sst-alone-headline", "quora-alone-headline", "sts-alone-headline",
                  "sts-alone-headline-scaled-cosine", "sst-alone-headline-two-epochs",
                  "quora-alone-headline-two-epochs", "sts-alone-headline-scaled-cosine-two-epochs"],
                 _THREE)),
    Table("05-stall", "05", "why the baseline stalls under the small caps: one change of the recipe "
          "at a time", MappingProxyType({stall_name(row): seeds for row, seeds in STALL_SEEDS.items()}),
          baseline="multitask-baseline", pinned=True, make=stall_config),
    Table("06", "06", "pair encoding, pair heads, pooling, the ranking loss and swap augmentation",
          _seeds(_PAIRS, _THREE), baseline="multitask-baseline"),
    Table("06-sts", "06", "STS alone under three cosine heads, against the checkpoint's zero-shot r",
          _seeds(["sts-alone-cosine-fc", "sts-alone-cosine", "sts-alone-scaled-cosine"], _THREE),
          baseline="sts-alone-cosine-fc"),
    Table("07", "07", "samplers and Quora's share (the data's ratio), on the reports' baseline and on "
          "report 003's model; report 003's balancing and curricula",
          _seeds(_SAMPLERS + _REPORT_003[:1] + _MEAN_SAMPLERS + _REPORT_003[1:], _THREE),
          baseline="imbalanced-simultaneous",
          against={"quora-tenth": "sampling-proportional",
                   **dict.fromkeys(_MEAN_SAMPLERS + _REPORT_003[1:], "mean-imbalanced")}),
    Table("08", "08", "SMART on report 004's baseline, on sbert-heads-mean, and report 001's "
          "cross-encoder",
          _seeds(_SMART, _TWO, multitask_baseline=_THREE, sbert_heads_mean=_THREE, cross_encoding=_THREE),
          baseline="multitask-baseline",
          against={"sbert-mean-smart": "sbert-heads-mean", "sbert-mean-smart-shared": "sbert-heads-mean",
                   "cross-pcgrad": "cross-encoding",
                   **dict.fromkeys(_SMART[-3:], "cross-pcgrad")}),
    Table("09", "09", "report 004's grid of SMART, PCGrad and swap; SMART and PCGrad on "
          "sbert-heads-mean",
          _seeds(_GRID_004 + _LEARNING, _TWO, multitask_baseline=_THREE, sts_swap=_THREE,
                 sbert_heads_mean=_THREE),
          baseline="multitask-baseline",
          against=dict.fromkeys(_LEARNING[1:], "sbert-heads-mean")),
    Table("10", "10", "report 003's adapters on its own model (Table 5), fine-tuned with the encoder; "
          "its best combination over a frozen encoder",
          _seeds(["sbert-heads-mean", *_ADAPTERS], _THREE), baseline="sbert-heads-mean"),
    Table("11", "11", "the recipe to beat and its one-change variants, a second pass and STS at "
          "full weight (the final model's rule, stage 2)",
          _seeds(["headline-scaled-cosine", "headline-scaled-cosine-two-epochs",
                  "headline-scaled-cosine-sts-weight-1"], _THREE), baseline="headline-scaled-cosine"),
    Table("12", "12", "EDA on SST, on the fly, at two strengths, on cpu-best",
          _seeds(["cpu-best", "eda", "eda-strong"], _THREE), baseline="cpu-best"),
)


def table(key: str) -> Table:
    """The table named ``key`` (``GRID``)."""
    for t in GRID:
        if t.key == key:
            return t
    raise KeyError(f"no table {key!r}; choose one of {[t.key for t in GRID]}")


@user_errors_in_one_line
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bert_core.experiments.grid", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", default=None, help="comma-separated table keys (default: all)")
    parser.add_argument("--profile", default=None, help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    parser.add_argument("--seeds", default=None, help="comma-separated, e.g. 0,1,2 (default: the committed)")
    parser.add_argument("--unpinned", action="store_true", help="today's caps even for a pinned table")
    parser.add_argument("--list", action="store_true", help="which committed cpu runs exist; train nothing")
    args = parser.parse_args(argv)
    keys = args.tables.split(",") if args.tables else [t.key for t in GRID]
    seeds = parse_seeds(args.seeds) if args.seeds else None
    for key in keys:
        t = table(key)
        if args.list:
            for name, result in t.committed().items():
                have = sorted(result.runs) if result else []
                print(f"{key} {name}: committed seeds {have} of {list(t.seeds[name])}")
            continue
        for config in t.configs(args.profile, seeds, pinned=False if args.unpinned else None):
            print(f"{key} {config.name}: {run_experiment(config).summary()}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
