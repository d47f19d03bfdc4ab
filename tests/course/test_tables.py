"""The notebooks' results tables: seed spread, labels, provenance, the published rows."""

from __future__ import annotations

import json

from bert_core.experiments import (
    ExperimentResult,
    make_config,
    preset,
)


def test_results_table_shows_the_spread_of_several_seeds_even_when_zero():
    from bert_core.course.tables import published_rows, results_table, side_by_side

    config = make_config("t", "smoke", tasks=("sst",), seeds=(0, 1))
    runs = {s: {"best": {"sst": 0.25}, "wall_seconds": 10.0, "peak_memory_mb": 100.0,
                "trainable_parameters": 5} for s in (0, 1)}
    one = make_config("u", "smoke", tasks=("sst",))
    table = results_table({"two seeds": ExperimentResult(config, runs),
                           "one seed": ExperimentResult(one, {0: runs[0]}), "not run": None})
    assert table.loc["two seeds", "sst_acc"] == "0.250 ± 0.000"
    assert table.loc["one seed", "sst_acc"] == "0.250" and table.loc["not run", "sst_acc"] == ""
    both = side_by_side(table, published_rows([("SMART Surgery", "baseline", "finetune")]))
    assert both.loc["SMART Surgery: baseline (finetune)", "para_acc"] == "0.750"
    assert both.loc["two seeds", "para_acc"] == ""


def test_ours_labels_named_results_and_settings_table_shows_fields():
    from bert_core.course.tables import ours, settings_table

    runs = {0: {"best": {"sst": 0.25}, "wall_seconds": 10.0, "peak_memory_mb": 100.0}}
    results = {n: ExperimentResult(make_config(n, "smoke", tasks=("sst",)), runs) for n in ("a", "b")}
    assert list(ours(results, "b").index) == ["ours, cpu: b"]
    assert list(ours(results, profile="gpu").index) == ["ours, gpu: a", "ours, gpu: b"]
    configs = [preset("sampling-annealed", "cpu"), preset("quora-tenth", "cpu")]
    table = settings_table(configs, ["sampling", "subsample"])
    assert table.loc["quora-tenth", "subsample"] == "(('quora', 0.1),)"
    assert table.loc["sampling-annealed", "sampling"] == "annealed"


def test_provenance_line_and_which_results_a_notebook_shows():
    from bert_core.course.tables import provenance_line, results_to_show

    config = make_config("p", "cpu", tasks=("sst",))
    stored = ExperimentResult(config, {0: {}}, {"command": "make run", "machine": "m", "date": "d"})
    assert provenance_line({"p": stored}) == "cpu runs: make run on m, d"
    assert provenance_line({"p": None}) == "No committed cpu runs yet: BERT_CORE_PROFILE=cpu make run"
    other = ExperimentResult(config, {0: {}}, {"command": "python -m bert_core.train x", "machine": "m",
                                               "date": "e"})
    assert provenance_line({"p": stored, "q": other}).splitlines() == [
        "cpu runs on m, d to e, each by its own command (BERT_CORE_PROFILE=cpu RETRAIN=1 make run repeats "
        "them all):", "  p: make run", "  q: python -m bert_core.train x"]
    own = {"p": None}
    assert results_to_show(own, {"p": stored}, "smoke") == ({"p": stored}, "cpu")
    assert results_to_show(own, {"p": None}, "smoke") == (own, "smoke")
    assert results_to_show(own, {"p": stored}, "gpu") == (own, "gpu")


def test_results_table_of_nothing_is_an_empty_table():
    from bert_core.course.tables import results_table

    assert results_table({}).empty  # the cpu job of a table whose runs are all still to come


def test_alongside_puts_committed_rows_in_order_then_ones_own():
    from bert_core.course.tables import alongside

    runs = {0: {"best": {"sst": 0.25}, "wall_seconds": 1.0, "peak_memory_mb": 1.0}}
    made = {n: ExperimentResult(make_config(n, "smoke", tasks=("sst",)), runs) for n in ("a", "b", "c")}
    committed = {"a": made["a"], "b": made["b"], "missing": None}
    rows = alongside(committed, "b", "missing", "a", mine=(made["c"],))
    assert list(rows) == ["b", "missing", "a", "c"] and rows["c"] is made["c"] and rows["missing"] is None


def test_transformers_yardsticks_reads_the_benchmarks_record(tmp_path):
    from bert_core.course.tables import transformers_yardsticks

    record = tmp_path / "bench.json"
    record.write_text(json.dumps({"runs": {"sst": {"1": {"accuracy": 0.41}, "0": {"accuracy": 0.40}},
                                           "sts": {"0": {"pearson": 0.85}}}}))
    assert transformers_yardsticks(record) == {"sst": [0.40, 0.41], "sts": [0.85]}
    assert transformers_yardsticks(tmp_path / "none.json") == {}
