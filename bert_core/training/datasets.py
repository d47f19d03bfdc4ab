"""The examples a run trains and evaluates on: fixed subsets, the same for every seed.

``training_data`` reads each task's training file, keeps ``subsample``'s fixed fraction,
then ``train_limit`` under ``train_limit_mode``, then applies the augmentations, then mixes
in ``extra_data`` (a fixed subset of the extra dataset, ratio x the task's examples, drawn
from its first 20x as many records; notebook 12);
``dev_data`` keeps ``dev_limit`` of each dev file. A subset is drawn by a shuffle seeded by
the task and the split alone, so every seed and every config of a profile sees the same
examples. Notebooks 04 and 07.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import torch

from bert_core.multitask.data import load_task
from bert_core.multitask.examples import Example
from bert_core.multitask.extra import EXTRA, load_extra
from bert_core.training.augmentation import augment
from bert_core.training.config import ExperimentConfig
from bert_core.training.sampling import limited_sizes

__all__ = ["fixed_subset", "training_data", "dev_data"]


def fixed_subset(examples: Sequence[Example], limit: int | None, task: str, split: str,
                 salt: str = "") -> list[Example]:
    """At most ``limit`` examples, drawn by a shuffle that depends on the task and split
    (and ``salt``) only, so every seed and every config trains and evaluates on the same
    subset."""
    if limit is None or limit >= len(examples):
        return list(examples)
    generator = torch.Generator().manual_seed(zlib.crc32(f"{task}/{split}{salt}".encode()))
    keep = sorted(torch.randperm(len(examples), generator=generator)[:limit].tolist())
    return [examples[i] for i in keep]


def training_data(config: ExperimentConfig, folder: str | Path) -> dict[str, list[Example]]:
    """Each task's training examples from ``folder``: the file, then ``subsample``'s fixed
    fraction, then ``train_limit`` under ``train_limit_mode``, then augmentation."""
    data = {t: load_task(t, "train", folder) for t in config.tasks}
    for task, fraction in config.subsample:
        data[task] = fixed_subset(data[task], max(1, round(fraction * len(data[task]))), task, "train",
                                  salt=f"/subsample-{fraction}")
    limits = limited_sizes({t: len(e) for t, e in data.items()}, config.train_limit, config.train_limit_mode)
    out = {t: augment(t, fixed_subset(data[t], limits[t], t, "train"), config.augmentation, folder)
           for t in config.tasks}
    for name, ratio in config.extra_data:
        task = EXTRA[name].task
        wanted = max(1, round(ratio * len(out[task])))
        pool = load_extra(name, folder, limit=20 * wanted)
        out[task] = out[task] + fixed_subset(pool, wanted, name, "train")
    return out


def dev_data(config: ExperimentConfig, folder: str | Path) -> dict[str, list[Example]]:
    """Each task's dev examples from ``folder``, at most ``dev_limit`` of them."""
    return {t: fixed_subset(load_task(t, "dev", folder), config.dev_limit, t, "dev") for t in config.tasks}
