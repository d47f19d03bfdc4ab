"""Profiles: one setting, ``BERT_CORE_PROFILE``, that sizes every notebook and run.

==========  ===================  ===========================  ===========================
profile     checkpoint           data                         purpose
==========  ===================  ===========================  ===========================
``smoke``   ``minilm-l6``        the sample set the package   CI and ``pytest --nbval``:
                                 ships                        every notebook in minutes,
                                                              the same outputs everywhere
``cpu``     ``minilm-l6``        the real files               a 2-core laptop, a few
                                 (``$BERT_CORE_DATA``)        minutes a run
``gpu``     ``bert-base-uncased``  the real files             the reports' settings on a
                                                              GPU
==========  ===================  ===========================  ===========================

Default: ``gpu`` when CUDA is available, else ``cpu``. A profile only sets defaults:
its ``caps`` are the ``ExperimentConfig`` fields it sets (``bert_core.experiments.presets``
puts them between the dataclass defaults and what a caller passes), and anything can be
overridden where it is used. This table is the only place a profile is defined.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch

from bert_core.errors import ConfigError
from bert_core.multitask.data import data_dir, sample_data_dir

__all__ = ["Profile", "PROFILES", "SMALL_CPU_CAPS", "get_profile", "caps_table", "pinned_caps"]


@dataclass(frozen=True)
class Profile:
    name: str
    uses_sample_data: bool
    purpose: str
    # the ExperimentConfig fields this profile sets (read-only)
    caps: Mapping[str, Any] = field(default_factory=dict)
    # how many of a results table's committed seeds its rows train here (None: all of them)
    table_seeds: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "caps", MappingProxyType(dict(self.caps)))

    @property
    def checkpoint(self) -> str:
        return self.caps["checkpoint"]

    def seeds_of(self, committed: tuple[int, ...]) -> tuple[int, ...]:
        """The seeds a table row committed over ``committed`` trains in this profile: the
        first ``table_seeds`` of them (smoke: one, since its numbers only show that the code
        runs and a second seed would only double CI's time), else all."""
        return committed[:self.table_seeds] if self.table_seeds else committed

    def __str__(self) -> str:
        data = "the sample set" if self.uses_sample_data else "the course data"
        return f"profile {self.name}: checkpoint {self.checkpoint}, data from {data}"

    @property
    def data_dir(self) -> Path:
        return sample_data_dir() if self.uses_sample_data else data_dir()

    @property
    def device(self) -> torch.device:
        return torch.device("cuda" if self.name == "gpu" and torch.cuda.is_available() else "cpu")


# The cpu caps (notebook 05, sections 9-10): 1,600 training examples a task in length-
# bucketed batches of 16, 2 epochs with a linear warm-up (20 steps) and decay, the encoder
# at 1e-4 and the heads at 1e-3, STS's squared error weighted 0.2 (unweighted, it steers
# the shared encoder and SST and Quora stay at their majority class), the word
# embeddings frozen (no 11.7M-row gradient and AdamW traffic), no test-student files for
# the table runs (presets that make submission files turn them on). About 6 minutes per
# multitask run on two CPU cores. The small caps before (``SMALL_CPU_CAPS``) stay named.
PROFILES: dict[str, Profile] = {
    # smoke only proves that every cell runs: one epoch (the tests train two and more where
    # an epoch boundary matters), the word embeddings frozen as in cpu (11.7M of the 22.7M
    # trainable weights and their AdamW state untouched)
    "smoke": Profile("smoke", True, "CI: every notebook on the sample set, minutes",
                     {"checkpoint": "minilm-l6", "epochs": 1, "batch_size": 8, "max_length": 64,
                      "eval_batch_size": 32, "train_word_embeddings": False}, table_seeds=1),
    "cpu": Profile("cpu", False, "a laptop CPU: the real data, capped",
                   {"checkpoint": "minilm-l6", "epochs": 2, "batch_size": 16, "max_length": 128,
                    "train_limit": 1600, "dev_limit": 600, "eval_batch_size": 128, "finetune_lr": 1e-4,
                    "head_lr": 1e-3, "task_weights": {"sts": 0.2}, "scheduler": "linear", "warmup_steps": 20,
                    "length_buckets": True, "train_word_embeddings": False, "predict_test": False}),
    "gpu": Profile("gpu", False, "a GPU: full data, the reports' settings",
                   {"checkpoint": "bert-base-uncased", "epochs": 10, "batch_size": 32, "max_length": 512}),
}


# The cpu caps before the rescale of notebook 05 (400 training and 600 dev examples per
# task, 3 epochs of 50 batches of 8, lr 1e-4 everywhere): the recipe under which the
# reports' baseline stays at the majority class on SST and Quora. Notebook 05's ablation
# starts from it, and the committed tables of notebooks 06-09 were trained with it, so
# those notebooks pin it (``pinned_caps``) until they are re-run at the new scale.
# Every field the cpu profile sets now is named, the recipe's at their defaults, so that
# these caps on top of today's cpu profile give exactly the old configs (and hashes).
SMALL_CPU_CAPS: Mapping[str, Any] = MappingProxyType({
    "epochs": 3, "batch_size": 8, "max_length": 128, "train_limit": 400, "dev_limit": 600,
    "eval_batch_size": 64, "finetune_lr": 1e-4, "head_lr": None, "task_weights": {}, "scheduler": "constant",
    "warmup_steps": 0, "length_buckets": False, "train_word_embeddings": True, "predict_test": True})


def pinned_caps(profile: str | None = None) -> dict[str, Any]:
    """What notebooks 06-09 pass on top of a profile's caps: the small cpu caps in ``cpu``
    (their committed tables were trained with them), nothing elsewhere."""
    return dict(SMALL_CPU_CAPS) if get_profile(profile).name == "cpu" else {}


def get_profile(name: str | None = None) -> Profile:
    """The named profile, else ``$BERT_CORE_PROFILE``, else gpu/cpu by CUDA availability."""
    name = name or os.environ.get("BERT_CORE_PROFILE") or (
        "gpu" if torch.cuda.is_available() else "cpu"
    )
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r} (BERT_CORE_PROFILE); choose one of {list(PROFILES)}")
    return PROFILES[name]


def caps_table() -> dict[str, dict[str, Any]]:
    """Each profile's caps, by profile name: the table notebook 04 shows."""
    return {name: dict(profile.caps) for name, profile in PROFILES.items()}
