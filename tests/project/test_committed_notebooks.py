"""The committed notebooks are the course's textbook: executed in the ``cpu`` profile on the
course data, never the sample set's smoke run shown as a result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bert_core.course.execute import notebook_sources

# What only a smoke execution prints: its banner, the sample set's folder, its runs and figures.
SMOKE_MARKS = ("profile smoke", "sample_data", "runs/smoke", "results/smoke", "figures/smoke")
COMMITTED = [source.with_suffix(".ipynb") for source in notebook_sources()]  # solutions included


def smoke_outputs(notebook: dict) -> list[str]:
    """'cell N: <mark>' for each output of ``notebook`` (a parsed .ipynb) that only a smoke
    execution prints."""
    found = []
    for number, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + list(output.get("data", {}).values())
            text = "".join("".join(t) if isinstance(t, list) else str(t) for t in texts)
            found += [f"cell {number}: {mark}" for mark in SMOKE_MARKS if mark in text]
    return found


def banner(notebook: dict) -> str:
    """The first line the notebook's set-up cell prints (``print(profile)``)."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("text", ""))
            if text.startswith("profile "):
                return text.splitlines()[0]
    return ""


def test_the_check_finds_a_smoke_execution():
    smoke = {"cells": [{"cell_type": "code", "outputs": [
        {"name": "stdout", "text": ["profile smoke: checkpoint minilm-l6, data from "
                                    "bert_core/multitask/sample_data\n"]}]}]}
    assert banner(smoke).startswith("profile smoke")
    assert smoke_outputs(smoke) == ["cell 0: profile smoke", "cell 0: sample_data"]
    table = {"cells": [{"cell_type": "code", "outputs": [
        {"data": {"text/plain": "files in runs/smoke/final/seed-0"}}]}]}
    assert smoke_outputs(table) == ["cell 0: runs/smoke"]


def test_each_solutions_notebook_belongs_to_a_notebook():
    chapters = {p.stem for p in COMMITTED if p.parent.name == "notebooks"}
    solutions = [p.stem for p in COMMITTED if p.parent.name == "solutions"]
    assert solutions and all(s.removesuffix("_solutions") in chapters for s in solutions), solutions


@pytest.mark.parametrize("source", [s for s in notebook_sources() if s.parent.name == "notebooks"],
                         ids=lambda s: s.stem)
def test_each_chapter_links_its_worked_solutions(source: Path):
    solutions = source.parent / "solutions" / f"{source.stem}_solutions.py"
    text = source.read_text()
    assert "# ## Exercises" in text, f"{source.name} has no Exercises section"
    assert solutions.exists(), f"{source.name} has exercises and no {solutions.name}"
    assert f"(solutions/{source.stem}_solutions.ipynb)" in text, f"{source.name} does not link its solutions"


@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_committed_notebook_shows_the_cpu_profile(path: Path):
    notebook = json.loads(path.read_text())
    how = "rebuild it with `make notebooks` (the cpu profile, with the course data)"
    assert notebook["metadata"].get("bert_core", {}).get("profile") == "cpu", f"{path.name}: {how}"
    assert banner(notebook).startswith("profile cpu"), f"{path.name} banner {banner(notebook)!r}: {how}"
    assert smoke_outputs(notebook) == [], f"{path.name} shows the sample set's outputs: {how}"
