"""The state of a training run: everything a killed run needs to go on where it stopped.

It travels in every checkpoint (``bert_core.training.checkpoint``) as a plain dict
(``to_dict`` / ``from_dict``), so a resumed run continues its history, its best score and
its extensions' records, and reports the total time and memory of all its parts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from bert_core.training.checkpoint import unreadable

__all__ = ["TrainingState"]


@dataclass
class TrainingState:
    """Attributes:
        run_hash: the config's hash for this seed; a checkpoint of another config is refused.
        step: global steps taken.
        drawn: batches drawn so far from each stream (a task, or an extension's own).
        epochs: per finished epoch: step, dev metrics, overall score, mean training loss per task.
        losses: per step and task: ``[step, task, loss]``.
        best_overall, best_epoch, best, dev_predictions: the best epoch by the overall dev score.
        wall_seconds, peak_memory_mb: totals over every part of a resumed run.
        phase_seconds: where the time went, by phase (``bert_core.training.timing``).
        records: rows an extension records, by name (``"smart"``: the penalties per step;
            ``"gradients"``: PCGrad's cosines).
    """

    run_hash: str
    step: int = 0
    drawn: dict[str, int] = field(default_factory=dict)
    epochs: list[dict[str, Any]] = field(default_factory=list)
    losses: list[list[Any]] = field(default_factory=list)
    best_overall: float = -math.inf
    best_epoch: int | None = None
    best: dict[str, float] | None = None
    dev_predictions: dict[str, list[float]] | None = None
    wall_seconds: float = 0.0
    peak_memory_mb: float = 0.0
    records: dict[str, list[list[Any]]] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingState:
        values = dict(values)
        # checkpoints written before the records were grouped kept them at the top level
        records = values.pop("records", {})
        for name in ("smart", "gradients"):
            if name in values:
                records[name] = values.pop(name)
        return cls(**values, records=records)

    @classmethod
    def from_checkpoint(cls, progress: Any, folder: Path) -> TrainingState:
        """The state a checkpoint saved, every field present: a state from another version
        that lacks one (``drawn``, say) would resume on the wrong data or fail steps later, so
        it is a ``CheckpointError`` naming the folder and the way out."""
        values = dict(progress) if isinstance(progress, dict) else {}
        legacy = {"records"}  # migrated by from_dict
        missing = sorted({f.name for f in fields(cls)} - legacy - set(values))
        if missing or not values:
            raise unreadable(folder, f"its training state lacks {missing or 'everything'}: written by "
                                     "another version")
        return cls.from_dict(values)

    def record(self, name: str) -> list[list[Any]]:
        """The rows of one record, created empty the first time."""
        return self.records.setdefault(name, [])

    def mean_losses(self, tasks: Sequence[str], first: int,
                    last: float = math.inf) -> dict[str, float | None]:
        """Each task's mean training loss over the steps ``first < step <= last``."""
        return {t: mean([r[2] for r in self.losses if first < r[0] <= last and r[1] == t]) for t in tasks}


def mean(values: list[float]) -> float | None:
    """The mean rounded to 5 places as the records store it; None for no values."""
    return round(sum(values) / len(values), 5) if values else None
