"""The runs that the exercises' worked solutions train (``notebooks/solutions/``).

Each is a preset with the overrides its exercise names, defined here rather than in the
notebook, so that a solution's committed ``cpu`` run loads under the same settings on a
fresh clone (``tests/test_results.py`` checks every stored result against the configs of
today, these included) instead of training again.

    sst-finetune-again   notebook 04, exercise 1: seed 0 of ``sst-finetune`` trained again
                         under another name (the committed record is not replaced)
    sst-finetune-1e-5    exercise 2: the course's learning rate, three epochs
    sst-pretrain-mean    exercise 3: a frozen encoder read through mean pooling
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from bert_core.experiments.presets import preset
from bert_core.experiments.profiles import get_profile
from bert_core.training.config import ExperimentConfig

__all__ = ["EXERCISES", "exercise"]

# name -> (the preset it starts from, the fields it changes; seeds as a table row commits them)
EXERCISES: Mapping[str, tuple[str, Mapping[str, Any]]] = MappingProxyType({
    "sst-finetune-again": ("sst-finetune", {"seeds": (0,)}),
    "sst-finetune-1e-5": ("sst-finetune", {"finetune_lr": 1e-5, "epochs": 3, "seeds": (0,)}),
    "sst-pretrain-mean": ("sst-pretrain", {"pooling": "mean", "seeds": (0, 1, 2)}),
})


def exercise(name: str, profile: str | None = None, **overrides: Any) -> ExperimentConfig:
    """The config of exercise run ``name`` in ``profile`` (its seeds cut as a table row's
    are, ``Profile.seeds_of``), ``overrides`` on top."""
    if name not in EXERCISES:
        raise KeyError(f"no exercise run {name!r}; choose one of {sorted(EXERCISES)}")
    base, fields = EXERCISES[name]
    fields = {**fields, "seeds": get_profile(profile).seeds_of(tuple(fields["seeds"])), **overrides}
    return preset(base, profile, name=name, **fields)
