"""The final model's rule: one-sided Welch against the reference, Holm's correction."""

from __future__ import annotations

import pytest

from bert_core.course.selection import (
    REFERENCE,
    candidate_results,
    chosen_recipe,
    holm_ahead,
    selection_table,
)
from bert_core.course.significance import welch_p
from bert_core.experiments import ExperimentResult, make_config


def _result(name: str, sst: list[float]) -> ExperimentResult:
    config = make_config(name, "smoke", tasks=("sst",), seeds=tuple(range(len(sst))))
    runs = {s: {"best": {"sst": a}, "wall_seconds": 1.0, "peak_memory_mb": 1.0} for s, a in enumerate(sst)}
    return ExperimentResult(config, runs)


def test_holm_steps_down_and_stops_at_the_first_failure():
    # m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05 in ascending p
    decided = holm_ahead({"a": 0.010, "b": 0.030, "c": 0.015, "d": 0.04})
    assert decided["a"] == (pytest.approx(0.0125), True)
    assert decided["c"] == (pytest.approx(0.05 / 3), True)
    assert decided["b"] == (pytest.approx(0.025), False)  # 0.030 > 0.025: stops here
    assert decided["d"] == (pytest.approx(0.05), False)  # 0.04 < 0.05, but after a failure
    # the same four without correction would all pass at 0.05: the correction is the point
    assert all(p < 0.05 for p in (0.010, 0.030, 0.015, 0.04))


def test_selection_table_is_one_sided_and_the_rule_follows_holm():
    results = {REFERENCE: _result(REFERENCE, [0.40, 0.41, 0.42]),
               "clearly-ahead": _result("clearly-ahead", [0.60, 0.61, 0.62]),
               "behind": _result("behind", [0.20, 0.21, 0.22]),
               "noise": _result("noise", [0.405, 0.415, 0.42])}
    table = selection_table(results, metric="sst_acc")
    assert list(table.index) == ["clearly-ahead", "noise", "behind"]
    p = welch_p([0.60, 0.61, 0.62], [0.40, 0.41, 0.42])
    assert table.at["clearly-ahead", "p (ahead)"] == pytest.approx(p / 2)
    p_behind = welch_p([0.20, 0.21, 0.22], [0.40, 0.41, 0.42])
    assert table.at["behind", "p (ahead)"] == pytest.approx(1 - p_behind / 2)
    assert table.at["clearly-ahead", "Δ"] == pytest.approx(0.2)
    assert bool(table.at["clearly-ahead", "ahead by Holm"]) and not table["ahead by Holm"].iloc[1:].any()
    assert chosen_recipe(table, "sst_acc") == "clearly-ahead"
    assert chosen_recipe(table.drop(index="clearly-ahead"), "sst_acc") is None


def test_the_committed_candidates_leave_out_other_scales():
    names = set(candidate_results())
    assert REFERENCE in names and len(names) > 30
    assert not names & {"headline", "final", "sst-finetune", "stall-recipe"}
