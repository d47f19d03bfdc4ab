"""Where a run's time goes: seconds per phase, the figure every run records beside its
total time (``record["phase_seconds"]``), and the benchmark's "before and after" table.

Phases of ``bert_core.training.loop``:

    forward      tokenising each task's batch and its forward pass (with any extension's
                 extra passes, e.g. SMART's)
    backward     the gradient of the step's terms (with PCGrad's projection)
    optimiser    AdamW's update, clearing the gradients, the after-step hooks
    evaluation   the dev metrics after each epoch
    checkpoint   writing checkpoints and the best weights
    prediction   the best model's dev and test-student prediction files, at the end

On a CPU each phase's clock reads the work itself; on a GPU, kernels run asynchronously,
so a phase's time includes the wait for the previous phase's kernels unless the device
is synchronised (``synchronise=True``, which costs a little speed).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["PHASES", "PhaseClock"]

PHASES = ("forward", "backward", "optimiser", "evaluation", "checkpoint", "prediction")


class PhaseClock:
    """Adds the seconds spent inside ``with clock("phase"):`` to ``totals[phase]``."""

    def __init__(self, totals: dict[str, float] | None = None, synchronise: bool = False):
        self.totals = totals if totals is not None else {}
        self.synchronise = synchronise and torch.cuda.is_available()

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        if self.synchronise:
            torch.cuda.synchronize()
        start = time.perf_counter()
        try:
            yield
        finally:
            if self.synchronise:
                torch.cuda.synchronize()
            self.totals[phase] = self.totals.get(phase, 0.0) + time.perf_counter() - start

    def rounded(self) -> dict[str, float]:
        """The totals in phase order, to 0.1 s."""
        return {p: round(self.totals[p], 1) for p in (*PHASES, *sorted(set(self.totals) - set(PHASES)))
                if p in self.totals}
