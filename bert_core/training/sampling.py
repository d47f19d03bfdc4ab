"""Task sampling and curricula: which task(s) each training step sees, and which examples
make a batch.

Samplers (the ``sampling`` of an experiment):

    simultaneous   every step takes one batch of every task; L = Σ_t L_t ("SMART Surgery")
    round_robin    step s takes one batch of task t = tasks[s mod N] ("Multi-BERT:
                   Investigating Methods"; "Maximizing MinBert")
    proportional   step s takes one batch of a task drawn with p_t ∝ N_t, "equitable
                   sampling": each example is seen once per epoch in expectation
                   ("Investigating Methods", 4.2)
    annealed       p_t ∝ N_t^α with α = 1 - 0.8 (e - 1)/(E - 1) in epoch e of E: proportional
                   at first, nearly uniform at the end ("Investigating Methods" 4.2, after
                   Stickland and Murray 2019)

Curricula (``curriculum``; None lets the sampler decide every epoch):

    sequential     each epoch trains the tasks one after another, in ``tasks`` order
    hybrid         "Multi-BERT: Projected Attention", 4: odd epochs (1st, 3rd, ...) are
                   sequential, each task one pass over its own data, with only the current
                   task's own parameters trainable; even epochs are simultaneous, every
                   parameter trains and the larger tasks are cut to the smallest's size

An epoch has to end somewhere when the datasets differ in size. With b_t = ceil(N_t / B)
batches per pass over task t, the rule (``epoch_length``) is:

    "min"   simultaneous: min_t b_t steps (the smallest dataset seen once, larger ones in
            part); one task per step: N · min_t b_t steps
    "max"   the same with max_t b_t (the largest dataset seen once, smaller ones repeat)
    "sum"   one task per step: Σ_t b_t steps (every example once, in expectation, under
            proportional sampling); simultaneous: ceil(Σ_t b_t / N) steps, the same number of
            batches
    k       exactly k steps

A sequential epoch gives each task as many batches as a one-task-per-step epoch would:
min_t b_t, max_t b_t or its own b_t under "sum".

Everything here is a pure function of (seed, task, step): batch k of a task is slice k of
a permutation drawn per pass over its data from a generator seeded by (seed, task, pass),
and the tasks an epoch draws come from a generator seeded by (seed, epoch). A run resumed
at step s therefore sees exactly the batches an uninterrupted run sees, with no sampler
state to save. Taught in notebooks 05 and 07.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

__all__ = ["SAMPLINGS", "CURRICULA", "ONE_TASK_SAMPLINGS", "annealing_alpha", "task_probabilities",
           "batches_per_task", "steps_per_epoch", "step_tasks", "EpochPlan", "Schedule", "TaskStream",
           "limited_sizes", "BUCKET_WINDOW"]

SAMPLINGS = ("simultaneous", "round_robin", "proportional", "annealed")
ONE_TASK_SAMPLINGS = ("round_robin", "proportional", "annealed")
CURRICULA = ("sequential", "hybrid")
BUCKET_WINDOW = 50  # batches per window that length-bucketing sorts within


def annealing_alpha(epoch: int, epochs: int) -> float:
    """α = 1 - 0.8 (e - 1)/(E - 1) for the 1-based epoch e of E (1 when E = 1)."""
    if not 1 <= epoch <= epochs:
        raise ValueError(f"epoch must be in 1..{epochs}, got {epoch}")
    return 1.0 if epochs == 1 else 1.0 - 0.8 * (epoch - 1) / (epochs - 1)


def task_probabilities(sizes: Mapping[str, int], sampling: str, epoch: int = 1,
                       epochs: int = 1) -> dict[str, float]:
    """The probability of drawing each task at a step of (1-based) ``epoch``: p_t ∝ N_t
    (proportional), N_t^α (annealed), uniform for the others."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"unknown sampling {sampling!r}; choose one of {SAMPLINGS}")
    power = {"proportional": 1.0, "annealed": annealing_alpha(epoch, epochs)}.get(sampling, 0.0)
    weights = {t: float(n) ** power for t, n in sizes.items()}
    total = sum(weights.values())
    return {t: w / total for t, w in weights.items()}


def batches_per_task(sizes: Mapping[str, int], batch_size: int, epoch_length: str | int) -> dict[str, int]:
    """How many batches each task gets in one sequential epoch (see the module's rule)."""
    per_task = {t: math.ceil(n / batch_size) for t, n in sizes.items()}
    if epoch_length == "min":
        return dict.fromkeys(per_task, min(per_task.values()))
    if epoch_length == "max":
        return dict.fromkeys(per_task, max(per_task.values()))
    if epoch_length == "sum":
        return per_task
    if isinstance(epoch_length, int) and not isinstance(epoch_length, bool) and epoch_length >= 1:
        # k steps shared out in task order, the first tasks taking the remainder
        share, extra = divmod(epoch_length, len(per_task))
        return {t: share + (i < extra) for i, t in enumerate(per_task)}
    raise ValueError(f"epoch_length must be 'min', 'max', 'sum' or a number of steps (at least 1), "
                     f"got {epoch_length!r}")


def steps_per_epoch(sizes: Mapping[str, int], batch_size: int, sampling: str, epoch_length: str | int) -> int:
    """The number of optimiser steps in one epoch of a sampler, under the rule above."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"unknown sampling {sampling!r}; choose one of {SAMPLINGS}")
    if isinstance(epoch_length, int) and not isinstance(epoch_length, bool):
        if epoch_length < 1:
            raise ValueError(f"epoch_length must be at least 1 step, got {epoch_length}")
        return epoch_length
    batches = batches_per_task(sizes, batch_size, epoch_length)
    total = sum(batches.values())
    return total if sampling in ONE_TASK_SAMPLINGS else math.ceil(total / len(batches))


def step_tasks(step: int, tasks: Sequence[str], sampling: str) -> tuple[str, ...]:
    """The tasks trained at (0-based) global step ``step`` by the two deterministic samplers."""
    if sampling == "simultaneous":
        return tuple(tasks)
    if sampling == "round_robin":
        return (tasks[step % len(tasks)],)
    raise ValueError(f"step_tasks covers simultaneous and round_robin; {sampling!r} draws its tasks "
                     "per epoch (Schedule)")


@dataclass(frozen=True)
class EpochPlan:
    """One epoch: the tasks of each of its steps, and whether the shared encoder is frozen
    (only task-specific parameters train, as in the hybrid curriculum's odd epochs)."""

    epoch: int  # 0-based
    step_tasks: tuple[tuple[str, ...], ...]
    shared_frozen: bool = False
    kind: str = "simultaneous"  # the sampler, or "sequential"

    @property
    def steps(self) -> int:
        return len(self.step_tasks)

    def batches(self) -> dict[str, int]:
        """How many batches of each task this epoch trains on."""
        counts: dict[str, int] = {}
        for tasks in self.step_tasks:
            for task in tasks:
                counts[task] = counts.get(task, 0) + 1
        return counts


class Schedule:
    """The plan of every epoch of a run: a pure function of the sizes, the settings and the seed."""

    def __init__(self, sizes: Mapping[str, int], batch_size: int, epochs: int, seed: int,
                 sampling: str = "simultaneous", epoch_length: str | int = "min",
                 curriculum: str | None = None):
        if sampling not in SAMPLINGS:
            raise ValueError(f"unknown sampling {sampling!r}; choose one of {SAMPLINGS}")
        if curriculum is not None and curriculum not in CURRICULA:
            raise ValueError(f"unknown curriculum {curriculum!r}; choose one of {CURRICULA} or None")
        self.sizes, self.tasks = dict(sizes), tuple(sizes)
        self.batch_size, self.epochs, self.seed = batch_size, epochs, seed
        self.sampling, self.epoch_length, self.curriculum = sampling, epoch_length, curriculum
        self._plans: dict[int, EpochPlan] = {}

    def plan(self, epoch: int) -> EpochPlan:
        """The plan of the 0-based ``epoch``."""
        if not 0 <= epoch < self.epochs:
            raise ValueError(f"epoch must be in 0..{self.epochs - 1}, got {epoch}")
        if epoch not in self._plans:
            self._plans[epoch] = self.build_plan(epoch)
        return self._plans[epoch]

    def build_plan(self, epoch: int) -> EpochPlan:
        """Make the plan of the 0-based ``epoch`` (``plan`` keeps it): a curriculum's
        sequential or mixed epochs, a fixed rotation, or tasks drawn by their probabilities."""
        if self.curriculum == "sequential":
            return self._sequential(epoch, batches_per_task(self.sizes, self.batch_size, self.epoch_length),
                                    frozen=False)
        if self.curriculum == "hybrid":
            if epoch % 2 == 0:  # the 1st, 3rd, ... epoch: each task one pass over its own data
                return self._sequential(epoch, batches_per_task(self.sizes, self.batch_size, "sum"),
                                        frozen=True)
            steps = steps_per_epoch(self.sizes, self.batch_size, "simultaneous", "min")
            return EpochPlan(epoch, (self.tasks,) * steps)
        steps = steps_per_epoch(self.sizes, self.batch_size, self.sampling, self.epoch_length)
        if self.sampling in ("simultaneous", "round_robin"):
            start = self.epoch_start(epoch)
            order = tuple(step_tasks(start + k, self.tasks, self.sampling) for k in range(steps))
            return EpochPlan(epoch, order, kind=self.sampling)
        probabilities = task_probabilities(self.sizes, self.sampling, epoch + 1, self.epochs)
        generator = torch.Generator().manual_seed(zlib.crc32(f"{self.seed}/sampling/{epoch}".encode()))
        drawn = torch.multinomial(torch.tensor([probabilities[t] for t in self.tasks], dtype=torch.float64),
                                  steps, replacement=True, generator=generator).tolist()
        return EpochPlan(epoch, tuple((self.tasks[i],) for i in drawn), kind=self.sampling)

    def _sequential(self, epoch: int, batches: Mapping[str, int], frozen: bool) -> EpochPlan:
        order = tuple((task,) for task in self.tasks for _ in range(batches[task]))
        return EpochPlan(epoch, order, shared_frozen=frozen, kind="sequential")

    def epoch_start(self, epoch: int) -> int:
        """The global step at which the 0-based ``epoch`` starts."""
        if self.curriculum is None and self.sampling in ("simultaneous", "round_robin"):
            # every epoch of these is equally long; no plan needed (and none is recursive)
            return epoch * steps_per_epoch(self.sizes, self.batch_size, self.sampling, self.epoch_length)
        return sum(self.plan(e).steps for e in range(epoch))

    @property
    def total_steps(self) -> int:
        return self.epoch_start(self.epochs - 1) + self.plan(self.epochs - 1).steps


def limited_sizes(sizes: Mapping[str, int], limit: int | None, mode: str = "per_task") -> dict[str, int]:
    """How many training examples each task keeps under ``train_limit``:

    per_task   min(N_t, limit): every task the same cap (the sizes may become equal)
    total      the tasks together keep at most T · limit examples, each its share of the
               data, floor(N_t · T · limit / Σ N) (at least 1): the imbalance the samplers
               are about survives the cap
    """
    if limit is None:
        return dict(sizes)
    if mode == "per_task":
        return {t: min(n, limit) for t, n in sizes.items()}
    if mode == "total":
        budget, total = limit * len(sizes), sum(sizes.values())
        if total <= budget:
            return dict(sizes)
        return {t: max(1, n * budget // total) for t, n in sizes.items()}
    raise ValueError(f"train_limit_mode must be 'per_task' or 'total', got {mode!r}")


class TaskStream:
    """Endless shuffled batches of one dataset's indices, a pure function of the batch number.

    Pass p over the data is ``randperm(n)`` under a generator seeded by (seed, task, p);
    batch k is the k-th slice of ``batch_size`` of the pass it falls in (the last slice of a
    pass may be shorter).

    With ``lengths`` (one per example), the batches are length-bucketed: the pass's
    permutation is cut into windows of ``BUCKET_WINDOW`` batches, each window is sorted by
    length and cut into batches, and the pass's batches are shuffled by the same generator.
    Every example still comes once per pass and batches stay random in which examples they
    hold, but the examples of a batch have similar lengths, so padding (which costs as much
    as real tokens) mostly disappears.
    """

    def __init__(self, size: int, batch_size: int, seed: int, task: str,
                 lengths: Sequence[int] | None = None):
        if size < 1:
            raise ValueError(f"task {task!r} has no training examples")
        if lengths is not None and len(lengths) != size:
            raise ValueError(f"task {task!r}: {len(lengths)} lengths for {size} examples")
        self.size, self.batch_size, self.seed, self.task = size, batch_size, seed, task
        self.lengths = None if lengths is None else list(lengths)
        self.batches_per_pass = math.ceil(size / batch_size)
        self._cached: tuple[int, list[list[int]]] | None = None

    def _batches(self, pass_: int) -> list[list[int]]:
        if self._cached is None or self._cached[0] != pass_:
            key = zlib.crc32(f"{self.seed}/{self.task}/{pass_}".encode())
            generator = torch.Generator().manual_seed(key)
            order = torch.randperm(self.size, generator=generator).tolist()
            size = self.batch_size
            if self.lengths is None:
                batches = [order[i:i + size] for i in range(0, self.size, size)]
            else:
                lengths, window = self.lengths, BUCKET_WINDOW * size
                batches = []
                for start in range(0, self.size, window):
                    # a stable sort: ties keep the shuffle's order
                    part = sorted(order[start:start + window], key=lambda i: lengths[i])
                    batches.extend(part[i:i + size] for i in range(0, len(part), size))
                shuffle = torch.randperm(len(batches), generator=generator).tolist()
                batches = [batches[i] for i in shuffle]
            self._cached = (pass_, batches)
        return self._cached[1]

    def batch(self, k: int) -> list[int]:
        """The example indices of batch ``k`` (0-based) of this task."""
        pass_, position = divmod(k, self.batches_per_pass)
        return self._batches(pass_)[position]
