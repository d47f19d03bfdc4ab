"""The committed grid and the README's generated results section: every declared seed is
committed, the section is what the files say, and a table's cells carry the right Δ."""

from __future__ import annotations

import dataclasses

import pytest

from bert_core.course import readme as readme_module
from bert_core.course.readme import (
    BEGIN,
    END,
    headline_section,
    main,
    results_section,
    table_markdown,
    updated_readme,
)
from bert_core.experiments import ExperimentResult, make_config
from bert_core.experiments.ablation import stall_ablation
from bert_core.experiments.grid import GRID, Table, table
from bert_core.files import PROJECT_ROOT


@pytest.mark.parametrize("t", GRID, ids=[t.key for t in GRID])
def test_every_seed_the_grid_declares_is_committed(t):
    for name, result in t.committed().items():
        committed = tuple(sorted(result.runs)) if result else ()
        if name in t.to_come:  # when they land, the row leaves to_come
            assert committed != t.seeds[name], f"table {t.key}: {name} is committed; take it out of to_come"
        else:
            assert committed == t.seeds[name], f"table {t.key}: {name} has seeds {committed}"


def test_the_stall_table_is_the_ablation():
    ablation = {c.name: c for c in stall_ablation("cpu")}
    for config in table("05-stall").configs("cpu"):
        assert config == ablation[config.name]


def test_a_pinned_table_uses_the_small_caps_in_cpu_only():
    pinned_06 = dataclasses.replace(table("06"), pinned=True)
    pinned = pinned_06.configs("cpu")[0]
    assert (pinned.train_limit, pinned.epochs, pinned.length_buckets) == (400, 3, False)
    today = pinned_06.configs("cpu", pinned=False)[0]
    assert (today.train_limit, today.length_buckets) == (1600, True)
    assert pinned_06.configs("smoke")[0] == make_config("multitask-baseline", "smoke", seeds=(0,))


def test_smoke_trains_the_first_committed_seed_of_each_row_and_cpu_all():
    assert all(c.seeds == (0,) for c in table("06").configs("smoke"))
    assert all(c.seeds == (0,) for c in stall_ablation("smoke"))
    assert [c.seeds for c in table("06").configs("cpu")] == [(0, 1, 2)] * len(table("06").names)
    assert {c.seeds for c in stall_ablation("cpu")} == {(0, 1), (0, 1, 2)}
    assert all(c.seeds == (1, 2) for c in table("06").configs("smoke", seeds=(1, 2)))  # asked for


def test_a_table_rejects_rows_it_lacks():
    with pytest.raises(ValueError, match="to_come"):
        Table("x", "00", "t", {"a": (0,)}, to_come=frozenset({"b"}))
    with pytest.raises(ValueError, match="against"):
        Table("x", "00", "t", {"a": (0,)}, baseline="a", against={"b": "a"})
    with pytest.raises(KeyError, match="no table 'nope'"):
        table("nope")


def test_the_generated_sections_are_what_the_committed_files_say():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    results = (PROJECT_ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    headline, every_table = headline_section(), results_section()  # each reads every result file
    assert updated_readme(readme, headline) == readme, "python -m bert_core.course.readme"
    assert updated_readme(results, every_table) == results, "python -m bert_core.course.readme"
    assert "**05**" in headline and "**11**" in headline and "**06**" not in headline
    assert all(f"**{t.key}**" in every_table for t in GRID)


def test_check_fails_on_a_stale_section(tmp_path, capsys, monkeypatch):
    # the command's own logic, on stand-in sections (the real ones, which read every result
    # file, are checked against the committed pages above)
    monkeypatch.setattr(readme_module, "headline_section", lambda: "| **05** headline |")
    monkeypatch.setattr(readme_module, "results_section", lambda: "| **05** |\n| **06** |")
    readme, results = tmp_path / "README.md", tmp_path / "results.md"
    for path in (readme, results):
        path.write_text(f"# x\n{BEGIN}\n| typed by hand |\n{END}\nrest\n", encoding="utf-8")
    paths = ["--readme", str(readme), "--results", str(results)]
    assert main(["--check", *paths]) == 1
    out = capsys.readouterr().out
    assert "README.md" in out and "results.md" in out and "out of date" in out
    assert main(paths) == 0
    assert main(["--check", *paths]) == 0
    assert readme.read_text(encoding="utf-8").endswith(f"{END}\nrest\n")
    assert "**06**" in results.read_text(encoding="utf-8")
    assert "**06**" not in readme.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="needs one line"):
        updated_readme("no markers", "x")
    with pytest.raises(SystemExit, match="results.md: needs one line"):
        results.write_text("no markers", encoding="utf-8")
        main(paths)


def _result(name: str, sst: list[float], quora: list[float]) -> ExperimentResult:
    labels = {"sst": [0, 1, 1, 1, 2, 3, 4, 4, 1, 1], "quora": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]}
    config = make_config(name, "smoke", tasks=("sst", "quora"), seeds=tuple(range(len(sst))))
    runs = {s: {"best": {"sst": a, "quora": q}, "wall_seconds": 10.0, "peak_memory_mb": 100.0,
                "dev_predictions": {t: {"labels": labels[t]} for t in labels}, "meta": {"date": "2026-12-01"}}
            for s, (a, q) in enumerate(zip(sst, quora))}
    return ExperimentResult(config, runs)


def test_a_table_cell_carries_the_rows_own_baseline_and_the_star():
    seeds = {"base": (0, 1, 2), "model": (0, 1, 2), "model+x": (0,), "later": (0,)}
    t = Table("t", "00", "a test table", seeds, baseline="base", against={"model+x": "model"})
    results = {"base": _result("base", [0.3, 0.3, 0.3], [0.6, 0.6, 0.6]),
               "model": _result("model", [0.62, 0.65, 0.60], [0.61, 0.58, 0.62]),
               "model+x": _result("model+x", [0.70], [0.60]),
               "later": None}
    text = table_markdown(t, results)
    rows = {line.split(" | ")[0][2:]: line.split(" | ")
            for line in text.splitlines() if line.startswith("| `")}
    # columns: run, against, SST, Quora, overall, seeds, learned, s / run, peak MB
    assert rows["`base`"][2] == "0.300 ± 0.000"
    assert rows["`model`"][1] == "`base`"
    assert rows["`model`"][2] == "0.623 ± 0.025, +0.323*"
    assert rows["`model`"][3] == "0.603 ± 0.021, +0.003"  # inside the noise: no star
    assert rows["`model+x`"][1] == "`model`"
    assert rows["`model+x`"][2] == "0.700, +0.077 *1 seed*"
    assert rows["`base`"][6] == "0/3, 0/3"  # the majority rates are 0.5 and 0.6
    assert rows["`model`"][6] == "3/3, 1/3"  # Quora: only 0.62 clears 0.6 + 0.01
    assert "No committed runs yet: `later`." in text
    assert "runs of 2026-12-01" in text


def test_the_cpu_job_leaves_rows_to_come_to_the_batch_job():
    t = dataclasses.replace(table("10"), to_come=frozenset({"adapters-pal", "adapters-top"}))
    assert {c.name for c in t.runnable("cpu")} == set(t.names) - t.to_come
    assert [c.name for c in t.runnable("smoke")] == t.names
