"""The final model's rule: the screen at the cpu caps, the leads' twins at the headline's budget, Holm."""

from __future__ import annotations

import pytest

from bert_core.course.selection import (
    HEADLINE,
    REFERENCE,
    VARIANTS,
    candidate_results,
    chosen_recipe,
    final_choice,
    holm_ahead,
    leads,
    selection_table,
    twin,
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


def test_each_notebook_sends_its_best_lead_and_only_rows_ahead():
    results = {REFERENCE: _result(REFERENCE, [0.40, 0.41, 0.42]),
               "adapters-pal": _result("adapters-pal", [0.60, 0.61, 0.62]),  # notebook 10
               "adapters-low-rank": _result("adapters-low-rank", [0.63, 0.64, 0.65]),  # 10, better
               "mean-proportional": _result("mean-proportional", [0.405, 0.415, 0.42]),  # 07, noise
               "smart": _result("smart", [0.50, 0.51, 0.52])}  # 08
    screen = selection_table(results, metric="sst_acc")
    assert leads(screen, metric="sst_acc") == {"08": "smart", "10": "adapters-low-rank"}


def test_every_lead_has_a_twin_at_the_headline_budget():
    from bert_core.experiments.presets import HEADLINE_BUDGET, PRESETS

    for name in leads(selection_table(candidate_results())).values():
        assert PRESETS[twin(name)] == {**PRESETS[name], **HEADLINE_BUDGET}
    assert twin(REFERENCE) == HEADLINE and PRESETS[HEADLINE] == {**PRESETS[REFERENCE], **HEADLINE_BUDGET}
    with pytest.raises(KeyError, match="no preset at the headline's budget"):
        twin("smart")


def test_each_variant_changes_one_setting_of_the_recipe_and_is_a_row_of_notebook_11():
    from bert_core.experiments.grid import table
    from bert_core.experiments.presets import PRESETS

    for name in VARIANTS:
        changed = {k for k in set(PRESETS[name]) | set(PRESETS[HEADLINE])
                   if PRESETS[name].get(k) != PRESETS[HEADLINE].get(k)}
        assert len(changed) == 1, (name, changed)
    assert table("11").names == [HEADLINE, *VARIANTS] and table("11").baseline == HEADLINE
    assert not set(VARIANTS) & set(candidate_results())  # not screened: another scale


def test_the_final_preset_is_what_the_rule_chose_on_the_committed_runs():
    from bert_core.experiments import preset
    from bert_core.experiments.presets import FINAL, PRESETS

    stage_two, chosen, missing = final_choice()
    assert (chosen is None) == bool(missing)
    assert not (set(stage_two.index) | {HEADLINE}) & set(missing)
    assert chosen == FINAL and PRESETS["final"] == PRESETS[FINAL]
    assert (stage_two["seeds"] == 3).all()  # three seeds a side, not the profile's default
    assert preset("final", "cpu").name == FINAL  # its stored runs are the recipe's own
