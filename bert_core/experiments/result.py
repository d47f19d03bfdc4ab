"""What an experiment returns: ``ExperimentResult``, the config and one record per seed,
with the per-metric mean and standard deviation over the seeds that every table shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from bert_core.multitask.evaluate import METRIC_NAMES, overall_score
from bert_core.training.config import ExperimentConfig

__all__ = ["ExperimentResult"]


@dataclass
class ExperimentResult:
    """What ``run_experiment`` returns: the config and one record per seed.

    A seed's record (a plain dict, as stored in the results file) holds ``epochs`` (per
    epoch: step, dev metrics by task, overall score, mean training loss per task),
    ``losses`` (per step: ``[step, task, loss]``), ``best_epoch``, ``best`` (the dev
    metrics of the best checkpoint), ``wall_seconds``, ``peak_memory_mb`` and its
    ``memory_kind``, ``trainable_parameters``, ``total_parameters``, ``dev_predictions``
    (per task: ids, predictions, labels) and ``run_dir``.
    """

    config: ExperimentConfig
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def metric_names(self) -> list[str]:
        return [METRIC_NAMES[t] for t in self.config.tasks] + ["overall"]

    def seed_metrics(self) -> dict[int, dict[str, float]]:
        """Per seed, the best checkpoint's dev metrics by metric name (``sst_acc``, ..., ``overall``)."""
        table = {}
        for seed, run in sorted(self.runs.items()):
            row = {METRIC_NAMES[t]: run["best"][t] for t in self.config.tasks}
            row["overall"] = overall_score(run["best"])
            table[seed] = row
        return table

    def summary(self) -> dict[str, dict[str, float]]:
        """Per metric: mean, sample standard deviation (0 for one seed) and the number of seeds;
        also wall seconds and peak memory (means)."""
        per_seed = self.seed_metrics()
        out: dict[str, dict[str, float]] = {}
        for metric in self.metric_names:
            values = [row[metric] for row in per_seed.values()]
            out[metric] = _mean_std(values)
        for key in ("wall_seconds", "peak_memory_mb"):
            out[key] = _mean_std([run[key] for run in self.runs.values()])
        return out


def _mean_std(values: list[float]) -> dict[str, float]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    return {"mean": mean, "std": std, "n": n}
