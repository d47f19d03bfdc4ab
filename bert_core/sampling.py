"""Task sampling: which task(s) each training step sees, and which examples make a batch.

The ``sampling`` of an experiment; two in the course's baseline (taught in notebook 05):

    simultaneous   every step takes one batch of every task; L = Σ_t L_t ("SMART Surgery")
    round_robin    step s takes one batch of task t = tasks[s mod N] ("Multi-BERT:
                   Investigating Methods"; "Maximizing MinBert")

An epoch has to end somewhere when the datasets differ in size (Quora ~16k pairs here,
141k in the full data; STS ~6k). The rule is explicit:

    epoch_length = "min"   each task contributes ceil(n_min / b) batches per epoch: the
                           smallest dataset is seen once, larger ones in part
                 = "max"   ceil(n_max / b) batches per task: the largest dataset is seen
                           once, smaller ones repeat
                 = k       exactly k steps

Everything here is a pure function of (seed, task, step): batch k of a task is slice k of
a permutation drawn per pass over its data from a generator seeded by (seed, task, pass).
A run resumed at step s therefore sees exactly the batches an uninterrupted run sees,
with no sampler state to save. Later samplers (proportional, annealed) keep that rule.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import torch

__all__ = ["SAMPLINGS", "steps_per_epoch", "step_tasks", "TaskStream"]

SAMPLINGS = ("simultaneous", "round_robin")


def steps_per_epoch(sizes: Mapping[str, int], batch_size: int, sampling: str, epoch_length: str | int) -> int:
    """The number of optimiser steps in one epoch under the rule above."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"unknown sampling {sampling!r}; choose one of {SAMPLINGS}")
    if isinstance(epoch_length, int) and not isinstance(epoch_length, bool):
        if epoch_length < 1:
            raise ValueError(f"epoch_length must be at least 1 step, got {epoch_length}")
        return epoch_length
    per_task = [math.ceil(n / batch_size) for n in sizes.values()]
    if epoch_length == "min":
        batches = min(per_task)
    elif epoch_length == "max":
        batches = max(per_task)
    else:
        raise ValueError(f"epoch_length must be 'min', 'max' or a number of steps, got {epoch_length!r}")
    return batches if sampling == "simultaneous" else batches * len(per_task)


def step_tasks(step: int, tasks: Sequence[str], sampling: str) -> tuple[str, ...]:
    """The tasks trained at (0-based) global step ``step``."""
    if sampling == "simultaneous":
        return tuple(tasks)
    if sampling == "round_robin":
        return (tasks[step % len(tasks)],)
    raise ValueError(f"unknown sampling {sampling!r}; choose one of {SAMPLINGS}")


class TaskStream:
    """Endless shuffled batches of one dataset's indices, a pure function of the batch number.

    Pass p over the data is ``randperm(n)`` under a generator seeded by (seed, task, p);
    batch k is the k-th slice of ``batch_size`` of the pass it falls in (the last slice of a
    pass may be shorter).
    """

    def __init__(self, size: int, batch_size: int, seed: int, task: str):
        if size < 1:
            raise ValueError(f"task {task!r} has no training examples")
        self.size, self.batch_size, self.seed, self.task = size, batch_size, seed, task
        self.batches_per_pass = math.ceil(size / batch_size)
        self._cached: tuple[int, list[int]] | None = None

    def _permutation(self, pass_: int) -> list[int]:
        if self._cached is None or self._cached[0] != pass_:
            key = zlib.crc32(f"{self.seed}/{self.task}/{pass_}".encode())
            generator = torch.Generator().manual_seed(key)
            self._cached = (pass_, torch.randperm(self.size, generator=generator).tolist())
        return self._cached[1]

    def batch(self, k: int) -> list[int]:
        """The example indices of batch ``k`` (0-based) of this task."""
        pass_, position = divmod(k, self.batches_per_pass)
        permutation = self._permutation(pass_)
        return permutation[position * self.batch_size:(position + 1) * self.batch_size]
