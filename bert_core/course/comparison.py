"""A table of the grid as a comparison: each row's metrics, its difference from its baseline
with a star where that difference is beyond the seed noise, and the majority-class check.

Per row (``experiments.grid.Table``) and metric the cell reads ``mean ± std, Δ``: the dev
metric of the best checkpoint over the committed seeds, then the difference of the means
from the row's baseline (the table's, or the row's own: SMART on a model against that
model without it), starred where Welch's t-test over the seeds gives p < 0.05
(``significance.versus_baseline``), "(1 seed)" where a side has a single seed and no test
is possible. "learned" counts the seeds whose SST and Quora accuracies clear the dev
subset's majority class (``significance.learned_table``). A table with an STS column ends
with the checkpoint's zero-shot r on the same dev pairs (``zero_shot.reference_rows``): the
score fine-tuning has to beat. The notebooks show this table
for their grid tables; the results page (docs/results.md) is the same table in markdown
(``course.readme``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bert_core.course.significance import learned_table, versus_baseline
from bert_core.course.tables import METRICS, results_table
from bert_core.course.zero_shot import with_reference_rows
from bert_core.experiments.grid import Table
from bert_core.experiments.result import ExperimentResult

__all__ = ["comparison_table"]

RESOURCES = ["s / run", "peak MB"]


def comparison_table(table: Table,
                     results: Mapping[str, ExperimentResult | None] | None = None) -> pd.DataFrame:
    """The rows of ``table`` that have runs (``results``: the committed ``cpu`` ones by
    default; when none has, its rows with "none committed yet"), with Δ and star in each
    metric cell, the row's baseline (``against``) where a table compares rows with
    different baselines, the majority check, seconds and memory; then the zero-shot STS
    row(s) where the table has an STS column."""
    results = table.committed() if results is None else results
    present = {name: r for name, r in results.items() if r is not None}
    if not present:  # the rows, so that the table says what is still to come
        return pd.DataFrame({"runs": "none committed yet"}, index=pd.Index(list(results), name="source"))
    frame = results_table(present, zero_shot=False)
    shown = [m for m in METRICS if m in frame.columns]
    versus = {name: table.baseline_of(name) for name in frame.index}
    for name, base in versus.items():
        if base is None or base not in present:
            continue
        deltas = versus_baseline({base: present[base], name: present[name]}, base, shown).loc[name]
        for metric in shown:
            delta = deltas[f"Δ {metric}"]
            if frame.at[name, metric] and delta:
                frame.at[name, metric] += f", {delta}"
    if any(base not in (None, table.baseline) for base in versus.values()):
        frame.insert(0, "against", [base or "" for base in versus.values()])
    learned = learned_table(present)
    if len(learned.columns):
        frame["learned (SST, Quora)"] = [", ".join(v for v in learned.loc[name] if v) for name in frame.index]
    return with_reference_rows(frame[[c for c in frame.columns if c not in RESOURCES] + RESOURCES], present)
