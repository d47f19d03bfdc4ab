"""The command line of the experiments: the same runs as the notebooks.

    python -m bert_core.experiments multitask-baseline --profile cpu --seeds 0,1,2
    python -m bert_core.experiments sst-finetune --set epochs=1 --set finetune_lr=2e-5
    python -m bert_core.experiments --config my_experiment.json   (or a run's config.json)

``python -m bert_core.train`` is the same command under the name that the stored
results' provenance records. Under ``torchrun --nproc_per_node N`` the N processes train
each seed together (``bert_core.training.distributed``); rank 0 prints and stores.

A user's error is one line on stderr and exit status 2, a diverged run one line and
status 1 (``bert_core.experiments.cli``); ``--verbose`` shows the traceback too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bert_core.errors import ConfigError
from bert_core.experiments.cli import parse_seeds, user_errors_in_one_line
from bert_core.experiments.presets import PRESETS, make_config, preset
from bert_core.experiments.profiles import PROFILES
from bert_core.experiments.run import run_experiment
from bert_core.training.config import ExperimentConfig
from bert_core.training.distributed import init_from_env

__all__ = ["main"]


def _parse_value(text: str) -> Any:
    """``--set key=value`` values: JSON where it parses (numbers, true, null, lists), else a string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return tuple(value) if isinstance(value, list) else value


@user_errors_in_one_line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bert_core.experiments",
                                     description="Train one experiment (a preset or a JSON config).")
    parser.add_argument("preset", nargs="?", help="a named starting point: " + ", ".join(PRESETS))
    parser.add_argument("--config", type=Path, help="a JSON file of ExperimentConfig fields")
    parser.add_argument("--profile", choices=list(PROFILES), help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    parser.add_argument("--name", help="the run's name (default: the preset's or the file's)")
    parser.add_argument("--seeds", help="comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field, e.g. --set finetune_lr=2e-5 --set epochs=1")
    parser.add_argument("--no-reuse", action="store_true", help="train even if a matching result is stored")
    parser.add_argument("--no-resume", action="store_true",
                        help="ignore a checkpoint left by a killed run (its folder is moved aside)")
    parser.add_argument("--verbose", action="store_true", help="show the traceback of an error")
    args = parser.parse_args(argv)
    if (args.preset is None) == (args.config is None):
        parser.error("give a preset name or --config FILE (one of them)")

    overrides: dict[str, Any] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set expects FIELD=VALUE, got {item!r}")
        overrides[key.strip()] = _parse_value(value.strip())
    if args.seeds:
        overrides["seeds"] = parse_seeds(args.seeds)
    if args.name:
        overrides["name"] = args.name
    try:
        if args.preset:
            config = preset(args.preset, args.profile, **overrides)
        else:
            try:
                values = json.loads(args.config.read_text())
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                where = f", line {error.lineno}" if isinstance(error, json.JSONDecodeError) else ""
                raise ConfigError(f"{args.config}{where}: {error}; expected a JSON object of "
                                  "ExperimentConfig fields, e.g. {\"tasks\": [\"sst\"], \"epochs\": 1}"
                                  ) from None
            if not isinstance(values, dict):
                raise ConfigError(f"{args.config}: expected a JSON object of ExperimentConfig fields, got a "
                                  f"{type(values).__name__}")
            if "seed" in values:  # a run folder's config.json: one seed
                values["seeds"] = (values.pop("seed"),)
            values = {**values, **overrides}
            values.setdefault("name", args.config.stem)
            if "profile" in values and args.profile is None:
                args.profile = values.pop("profile")
            values.pop("profile", None)
            name = values.pop("name")
            config = make_config(name, args.profile, **values)
    except (ValueError, TypeError) as error:  # ConfigError already; a preset's own check otherwise
        raise ConfigError(str(error)) from None
    assert isinstance(config, ExperimentConfig)
    world = init_from_env()  # under torchrun: this process's rank; else one process
    result = run_experiment(config, reuse=not args.no_reuse, resume=not args.no_resume)
    if not world.is_main:
        return 0
    print(f"{config.name} ({config.profile}), best dev checkpoint per seed:")
    for seed, row in result.seed_metrics().items():
        run = result.runs[seed]
        shown = "  ".join(f"{k} {v:.3f}" for k, v in row.items())
        print(f"  seed {seed}: {shown}  ({run['wall_seconds']:.0f} s, peak {run['peak_memory_mb']:.0f} MB)"
              f"  -> {run['run_dir']}")
    if len(result.runs) > 1:
        summary = result.summary()
        print("  mean ± std: " + "  ".join(f"{m} {summary[m]['mean']:.3f} ± {summary[m]['std']:.3f}"
                                          for m in result.metric_names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
