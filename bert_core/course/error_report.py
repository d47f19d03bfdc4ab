"""One model's error analysis as a JSON-able report, and its parts back as tables (notebook 11).

The cpu run of notebook 11 stores the analysis of the final model (``error_report``) as
``results/cpu/error_analysis.json``, so that every profile, and readers of the static
notebook, can show the real numbers beside the ones their own run computed
(``report_table``). Per task it holds:

    examples, metric          the dev examples analysed and the task's metric on them
    confusion, classes        the confusion matrix, per-class P/R/F1 (classifiers)
    near_misses               SST's errors by distance, polarity flips
    residuals                 STS residual correlations with gold, words, characters
    residual_bins             the STS residual by pair length (characters)
    categories                the error categories' rates (``categories.category_table``)
    paired                    the paired comparison with a second model, when given
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bert_core.course import analysis, categories, paired
from bert_core.multitask.evaluate import task_metric
from bert_core.multitask.tasks import TASKS

__all__ = ["LENGTH_BINS", "error_report", "report_table"]

LENGTH_BINS = (0, 100, 200, 300, 2000)  # characters of an STS pair; report 002 looked at 300+


def _value(v: Any) -> Any:
    """A JSON-able scalar; floats to 4 significant digits (a p of 4e-05 stays visible)."""
    v = v.item() if isinstance(v, np.generic) else v
    return float(f"{v:.4g}") if isinstance(v, float) else v


def _records(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    rows = frame.to_dict(orient="index")
    return {str(k): {c: _value(v) for c, v in row.items()} for k, row in rows.items()}


def error_report(frames: Mapping[str, pd.DataFrame], other: Mapping[str, pd.DataFrame] | None = None,
                 draws: int = 2000) -> dict[str, Any]:
    """The analysis of one model's prediction frames by task (``analysis.prediction_frame``),
    and of its paired comparison with ``other``'s frames (same tasks) when given."""
    report: dict[str, Any] = {}
    for task, frame in frames.items():
        spec = TASKS[task]
        entry: dict[str, Any] = {"examples": len(frame),
                                 "metric": _value(task_metric(task, frame["prediction"], frame["label"]))}
        if spec.metric == "pearson":
            entry["mean_residual"] = _value(float(frame["residual"].mean()))
            entry["residuals"] = _records(analysis.residual_correlation(frame))
            entry["residual_bins"] = _records(analysis.residuals_by_bin(frame, "characters", LENGTH_BINS)
                                              .set_axis([str(b) for b in _bin_names()]))
        else:
            names = analysis.class_names(task)
            entry["confusion"] = analysis.confusion(frame, len(names)).tolist()
            entry["classes"] = _records(analysis.class_report(frame, names))
        if task == "sst":
            entry["near_misses"] = {k: _value(v) for k, v in analysis.near_misses(frame).items()}
        if task in categories.CATEGORIES:
            entry["categories"] = _records(categories.category_table(frame, task))
        if other is not None and task in other:
            line = paired.compare_pair(frame, other[task], spec.metric, draws=draws)
            entry["paired"] = {k: _value(v) for k, v in line.items()}
        report[task] = entry
    return report


def _bin_names() -> list[str]:
    return [f"({a}, {b}]" for a, b in zip(LENGTH_BINS[:-1], LENGTH_BINS[1:])]


# the order the analysis functions give their rows and columns (a stored report's JSON
# keys are sorted, so the tables are put back in this order)
_COLUMNS = {
    "classes": ["precision", "recall", "f1", "support"],
    "residuals": ["r", "low", "high", "p", "n"],
    "residual_bins": ["pairs", "mean residual", "se", "over-estimated"],
    "categories": ["examples", "share", "error rate", "rate outside", "p (rates)", "mean residual", "outside",
                   "p (residuals)"],
    "near_misses": ["1 away", "2 away", "3 away", "4 away", "errors", "share one away", "polarity flips"],
    "paired": ["acc_a", "acc_b", "only A right", "only B right", "r_a", "r_b", "difference", "low", "high",
               "p", "n"],
}


def _rows(task: str, part: str) -> list[str]:
    if part == "classes":
        return [*analysis.class_names(task), "macro", "weighted"]
    if part == "residuals":
        return ["label", "words", "characters"]
    if part == "residual_bins":
        return _bin_names()
    return list(categories.CATEGORIES[task])


def report_table(report: Mapping[str, Any], task: str, part: str) -> pd.DataFrame:
    """One part of ``error_report``'s entry for ``task`` as a table, rows and columns in the
    order the analysis functions give them: ``classes``, ``residuals``, ``residual_bins``
    and ``categories`` by row; ``confusion`` with the class names; ``near_misses`` and
    ``paired`` as one row."""
    entry = report[task]
    if part not in entry:
        raise KeyError(f"the report of {task} has no {part!r}; it has {sorted(entry)}")
    if part == "confusion":
        names = analysis.class_names(task)
        return pd.DataFrame(entry[part], index=pd.Index(names, name="true"),
                            columns=pd.Index(names, name="predicted"))
    if part in ("near_misses", "paired"):
        frame = pd.DataFrame([entry[part]], index=[task])
    else:
        frame = pd.DataFrame.from_dict(entry[part], orient="index")
        frame = frame.loc[[r for r in _rows(task, part) if r in frame.index]]
    return frame[[c for c in _COLUMNS[part] if c in frame.columns]]
