"""Choosing the final model by a rule stated before looking: every recipe of the tables
against the headline recipe, corrected for how many were compared (notebook 11).

The final model (``final``) trains the headline recipe on all the offline data; at the cpu
scale that recipe is the row ``cpu-best``. Every other multitask row of the grid tables
trained at the same caps is a candidate to replace it. For each candidate c with per-seed
overall dev scores a and ``cpu-best``'s b, Welch's t-test (``significance.welch_p``) gives a
two-sided p; the one-sided p that c is *ahead* is p/2 when mean(a) > mean(b), else 1 - p/2.

With m candidates each tested at α = 0.05, about 0.05·m of them look ahead by chance alone
(m is about 50 here). Holm's step-down procedure (Holm 1979) keeps the chance of any false
"ahead" at α: sort the one-sided p ascending, p_(1) ≤ ... ≤ p_(m); candidate (i) is ahead
while p_(j) ≤ α / (m - j + 1) for every j ≤ i, and the first failure stops the procedure.

**The rule**: the final recipe is the candidate ahead of ``cpu-best`` by Holm's procedure
with the largest mean overall score; if none is, the headline recipe stays. A candidate
ahead at an uncorrected p < α is a lead worth more seeds, not a reason to switch.

Rows that are not candidates: the single-task tables (04), the pinned stall ablation (its
small caps), and ``headline``/``final`` themselves (all the data, another scale).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bert_core.course.significance import ALPHA, welch_p
from bert_core.experiments.grid import GRID
from bert_core.experiments.result import ExperimentResult
from bert_core.experiments.store import load_results

__all__ = ["REFERENCE", "candidate_results", "holm_ahead", "selection_table", "chosen_recipe"]

REFERENCE = "cpu-best"  # the headline recipe at the cpu caps
NOT_CANDIDATES = frozenset({"headline", "final"})


def candidate_results(profile: str = "cpu") -> dict[str, ExperimentResult]:
    """The committed runs of every multitask row of the grid tables (single-task and pinned
    tables left out), ``REFERENCE`` included, by name, each once."""
    configs = {}
    for table in GRID:
        if table.key == "04" or table.pinned:
            continue
        for config in table.configs(profile):
            if config.name not in NOT_CANDIDATES:
                configs.setdefault(config.name, config)
    return {name: r for name, r in load_results(list(configs.values()), profile).items() if r is not None}


def holm_ahead(p_values: Mapping[str, float], alpha: float = ALPHA) -> dict[str, tuple[float, bool]]:
    """Holm's step-down procedure over one-sided p-values: per name, its threshold
    α / (m - rank) (rank from 0 in ascending p) and whether it is rejected (ahead)."""
    order = sorted(p_values, key=lambda name: p_values[name])
    m, still = len(order), True
    decided = {}
    for rank, name in enumerate(order):
        threshold = alpha / (m - rank)
        still = still and p_values[name] <= threshold
        decided[name] = (threshold, still)
    return decided


def selection_table(results: Mapping[str, ExperimentResult], reference: str = REFERENCE,
                    metric: str = "overall", alpha: float = ALPHA) -> pd.DataFrame:
    """Every candidate against ``reference`` on ``metric``: seeds, mean, Δ, the one-sided
    Welch p that it is ahead, Holm's threshold for its rank, and the verdicts uncorrected
    (p < α) and by Holm. Sorted by p, the most promising first."""
    base = [m[metric] for m in results[reference].seed_metrics().values()]
    rows, p_ahead = {}, {}
    for name, result in results.items():
        if name == reference:
            continue
        values = [m[metric] for m in result.seed_metrics().values()]
        delta = sum(values) / len(values) - sum(base) / len(base)
        p = welch_p(values, base)
        p_ahead[name] = p / 2 if delta > 0 else 1 - p / 2
        rows[name] = {"seeds": len(values), metric: sum(values) / len(values), "Δ": delta}
    holm = holm_ahead(p_ahead, alpha)
    for name, row in rows.items():
        row["p (ahead)"] = p_ahead[name]
        row["Holm threshold"] = holm[name][0]
        row[f"ahead at p < {alpha}"] = p_ahead[name] < alpha
        row["ahead by Holm"] = holm[name][1]
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame = frame.sort_values(["p (ahead)", "Δ"], ascending=[True, False])
    frame.index.name = f"against {reference}"
    return frame


def chosen_recipe(table: pd.DataFrame, metric: str = "overall") -> str | None:
    """The rule: the candidate ahead by Holm with the best mean ``metric``; None (the
    headline recipe stays) when no candidate is."""
    ahead = table[table["ahead by Holm"]]
    return None if ahead.empty else str(ahead[metric].idxmax())
