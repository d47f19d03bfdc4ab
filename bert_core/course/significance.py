"""Is a difference beyond the seed noise? Welch's t-test over seeds, and the majority-class check.

A row of a table is a config run over a few seeds; its baseline is another. For a metric
with per-seed values a (the row) and b (the baseline), Welch's t-test (Welch 1947) does
not assume equal variances:

    t = (mean_a - mean_b) / sqrt(s_a²/n_a + s_b²/n_b)
    ν = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a - 1) + (s_b²/n_b)²/(n_b - 1))

and the two-sided p-value is that of t under Student's t with ν degrees of freedom
(what ``scipy.stats.ttest_ind(equal_var=False)`` gives; written out here, so that a side
without spread needs no special case). With three seeds per side this only
detects large, consistent differences: a row "in the noise" is not shown to be equal to
its baseline, only not shown to differ. When both sides have no spread at all (a model
stuck at the majority class gives the same accuracy for every seed), the test is
undefined; equal means are then "no difference", unequal ones a difference with no noise
to weigh it against (p = 0).

A classifier that answers one class for everything scores the majority rate; a row
whose accuracy does not clear it has not learned the task, and comparing it with another
such row tests nothing (``majority_rate``, ``clear_of_majority``).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd
from scipy import stats

from bert_core.course.tables import results_table
from bert_core.course.zero_shot import with_reference_rows
from bert_core.experiments.result import ExperimentResult
from bert_core.multitask.evaluate import METRIC_NAMES
from bert_core.multitask.tasks import TASKS

__all__ = ["welch_p", "versus_baseline", "majority_rate", "clear_of_majority", "learned_table",
           "compared_table", "task_by_task", "detectable_difference"]

ALPHA = 0.05


def welch_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of Welch's t-test of mean(a) = mean(b); nan with fewer than two
    values on a side; 1 or 0 when neither side varies (equal or unequal means)."""
    if len(a) < 2 or len(b) < 2:
        return math.nan
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    if max(a) == min(a) and max(b) == min(b):
        return 1.0 if math.isclose(mean_a, mean_b, abs_tol=1e-12) else 0.0
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1) / len(a)  # s²/n, each side
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1) / len(b)
    t = (mean_a - mean_b) / math.sqrt(var_a + var_b)
    dof = (var_a + var_b) ** 2 / (var_a ** 2 / (len(a) - 1) + var_b ** 2 / (len(b) - 1))
    return float(2 * stats.t.sf(abs(t), dof))


def detectable_difference(std_a: float, std_b: float, n_a: int, n_b: int, alpha: float = ALPHA) -> float:
    """The smallest difference of two means that Welch's test calls significant (two-sided
    p < ``alpha``) when the sides have these sample standard deviations and seed counts:
    t_{1-α/2, ν} · sqrt(s_a²/n_a + s_b²/n_b), ν as in ``welch_p``. What more seeds buy: the
    threshold falls with √n and with the t quantile's shrinking tail."""
    if n_a < 2 or n_b < 2:
        raise ValueError(f"Welch's test needs two seeds a side, got {n_a} and {n_b}")
    var_a, var_b = std_a ** 2 / n_a, std_b ** 2 / n_b
    if var_a + var_b == 0:
        return 0.0
    dof = (var_a + var_b) ** 2 / (var_a ** 2 / (n_a - 1) + var_b ** 2 / (n_b - 1))
    return float(stats.t.ppf(1 - alpha / 2, dof) * math.sqrt(var_a + var_b))


def versus_baseline(results: Mapping[str, ExperimentResult | None], baseline: str,
                    metrics: Sequence[str] = ("sst_acc", "para_acc", "sts_corr", "overall"),
                    alpha: float = ALPHA) -> pd.DataFrame:
    """Per row and metric: the difference of the means from ``baseline``'s, and a star when
    Welch's p < ``alpha`` (``+0.061*``); ``(1 seed)`` where a side has a single seed, so no
    test. The baseline's own row is ``baseline``."""
    base = results[baseline]
    if base is None:
        raise ValueError(f"the baseline {baseline!r} has no runs")
    base_values = base.seed_metrics()
    rows = {}
    for label, result in results.items():
        if result is None:
            rows[label] = dict.fromkeys(metrics, "")
            continue
        if label == baseline:
            rows[label] = dict.fromkeys(metrics, "baseline")
            continue
        values = result.seed_metrics()
        row = {}
        for metric in metrics:
            a = [v[metric] for v in values.values() if metric in v]
            b = [v[metric] for v in base_values.values() if metric in v]
            if not a or not b:
                row[metric] = ""
                continue
            delta = sum(a) / len(a) - sum(b) / len(b)
            p = welch_p(a, b)
            star = "*" if p < alpha else ""
            row[metric] = f"{delta:+.3f} (1 seed)" if math.isnan(p) else f"{delta:+.3f}{star}"
        rows[label] = row
    frame = pd.DataFrame(rows).T
    frame.columns = [f"Δ {m}" for m in metrics]
    return frame


def majority_rate(labels: Sequence[float]) -> float:
    """The accuracy of answering the most frequent label for everything."""
    if not labels:
        raise ValueError("majority_rate needs at least one label")
    return Counter(labels).most_common(1)[0][1] / len(labels)


def clear_of_majority(result: ExperimentResult, task: str, margin: float = 0.01) -> dict[int, bool]:
    """Per seed: does the best checkpoint's dev accuracy on ``task`` exceed the dev labels'
    majority rate by more than ``margin``? (The labels are the run's own dev subset.)"""
    if TASKS[task].metric != "accuracy":
        raise ValueError(f"{task} is scored by {TASKS[task].metric}; the majority check is for accuracy")
    out = {}
    for seed, run in sorted(result.runs.items()):
        rate = majority_rate(run["dev_predictions"][task]["labels"])
        out[seed] = run["best"][task] > rate + margin
    return out


def learned_table(results: Mapping[str, ExperimentResult | None], tasks: Sequence[str] = ("sst", "quora"),
                  margin: float = 0.01) -> pd.DataFrame:
    """Per row and accuracy task: how many seeds clear the majority rate (``3/3``), and the
    rate itself in the header."""
    rows, rates = {}, {}
    for label, result in results.items():
        if result is None:
            rows[label] = {}
            continue
        row = {}
        for task in tasks:
            if task not in result.config.tasks:
                continue
            clear = clear_of_majority(result, task, margin)
            run = next(iter(result.runs.values()))
            rates[task] = majority_rate(run["dev_predictions"][task]["labels"])
            row[task] = f"{sum(clear.values())}/{len(clear)}"
        rows[label] = row
    frame = pd.DataFrame(rows).T.fillna("")
    frame.columns = [f"{METRIC_NAMES[t]} > majority {rates[t]:.3f}" for t in frame.columns]
    return frame


def compared_table(results: Mapping[str, ExperimentResult | None], baseline: str,
                   learned: bool = True) -> pd.DataFrame:
    """A comparison table: each row's metrics (``results_table``, no resources), its Δ from
    ``baseline`` with Welch's star (``versus_baseline``) and, with ``learned``, how many
    seeds clear the majority class (``learned_table``)."""
    parts = [results_table(results, resources=False, zero_shot=False), versus_baseline(results, baseline)]
    if learned:
        parts.append(learned_table(results))
    return with_reference_rows(pd.concat(parts, axis=1), results)


def task_by_task(together: ExperimentResult, alone: Mapping[str, ExperimentResult | None],
                 alpha: float = ALPHA, library: Mapping[str, Sequence[float]] | None = None,
                 library_name: str = "library") -> pd.DataFrame:
    """Does training the tasks together help each? Per task of ``together`` (a multitask
    result): its dev score over seeds, the score of ``alone[task]`` (the same task trained on
    its own), the difference together - alone with Welch's star (``+0.012*``; ``(1 seed)``
    where a side has one seed) and the two-sided p-value. ``library`` adds a second
    yardstick, per task the seeds' scores of another tool (a benchmark's), as two more
    columns named after ``library_name``. A task without a yardstick has empty cells."""
    rows = {}
    for task in together.config.tasks:
        metric = METRIC_NAMES[task]
        a = [row[metric] for row in together.seed_metrics().values()]
        row = {"together": _mean_text(together.summary()[metric]), "alone": "", "Δ together - alone": "",
               "Welch p": math.nan}
        other = alone.get(task)
        if other is not None:
            b = [values[metric] for values in other.seed_metrics().values()]
            row.update({"alone": _mean_text(other.summary()[metric]), **_difference(a, b, "alone", alpha)})
        if library is not None:
            row.update({library_name: "", f"Δ together - {library_name}": "",
                        f"Welch p, {library_name}": math.nan})
            c = list(library.get(task, ()))
            if c:
                difference = _difference(a, c, library_name, alpha)
                spread = statistics.stdev(c) if len(c) > 1 else 0.0
                summary = {"mean": statistics.fmean(c), "std": spread, "n": len(c)}
                row.update({library_name: _mean_text(summary),
                            f"Welch p, {library_name}": difference.pop("Welch p"), **difference})
        rows[metric] = row
    frame = pd.DataFrame(rows).T
    for column in [c for c in frame.columns if c.startswith("Welch p")]:
        frame[column] = frame[column].astype(float)
    return frame


def _difference(a: Sequence[float], b: Sequence[float], name: str, alpha: float) -> dict[str, object]:
    """``Δ together - <name>`` (mean a - mean b, starred at Welch p < alpha) and its ``Welch p``."""
    delta, p = sum(a) / len(a) - sum(b) / len(b), welch_p(a, b)
    return {"Welch p": p, f"Δ together - {name}": f"{delta:+.3f} (1 seed)" if math.isnan(p)
            else f"{delta:+.3f}{'*' if p < alpha else ''}"}


def _mean_text(summary: Mapping[str, float]) -> str:
    """``mean ± std (n)`` of one metric of ``ExperimentResult.summary``; one seed has no spread."""
    if summary["n"] < 2:
        return f"{summary['mean']:.3f} (1 seed)"
    return f"{summary['mean']:.3f} ± {summary['std']:.3f} ({summary['n']})"
