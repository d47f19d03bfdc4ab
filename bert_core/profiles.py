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

Default: ``gpu`` when CUDA is available, else ``cpu``. A profile only sets defaults;
anything can be overridden where it is used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from bert_core.data import data_dir, sample_data_dir

__all__ = ["Profile", "PROFILES", "get_profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    checkpoint: str
    uses_sample_data: bool
    purpose: str

    def __str__(self) -> str:
        data = "the sample set" if self.uses_sample_data else "the course data"
        return f"profile {self.name}: checkpoint {self.checkpoint}, data from {data}"

    @property
    def data_dir(self) -> Path:
        return sample_data_dir() if self.uses_sample_data else data_dir()

    @property
    def device(self) -> torch.device:
        return torch.device("cuda" if self.name == "gpu" and torch.cuda.is_available() else "cpu")


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", "minilm-l6", True, "CI: every notebook on the sample set, minutes"),
    "cpu": Profile("cpu", "minilm-l6", False, "a laptop CPU: the real data, capped"),
    "gpu": Profile("gpu", "bert-base-uncased", False, "a GPU: full data, the reports' settings"),
}


def get_profile(name: str | None = None) -> Profile:
    """The named profile, else ``$BERT_CORE_PROFILE``, else gpu/cpu by CUDA availability."""
    name = name or os.environ.get("BERT_CORE_PROFILE") or (
        "gpu" if torch.cuda.is_available() else "cpu"
    )
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r} (BERT_CORE_PROFILE); choose one of {list(PROFILES)}")
    return PROFILES[name]
