"""Profiles, result artefacts, data statistics, and the notebooks' jupytext pairing."""

from __future__ import annotations

import os

import pytest

from bert_core.bert.tokenizer import Tokenizer
from bert_core.course.describe import describe_tasks, label_summary, token_lengths
from bert_core.experiments import store as results
from bert_core.experiments.profiles import get_profile
from bert_core.multitask.data import sample_data_dir
from bert_core.multitask.examples import PairExample


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("BERT_CORE_PROFILE", "smoke")
    profile = get_profile()
    assert profile.name == "smoke" and profile.data_dir == sample_data_dir()
    assert get_profile("gpu").checkpoint == "bert-base-uncased"
    monkeypatch.setenv("BERT_CORE_PROFILE", "laptop")
    with pytest.raises(ValueError, match="unknown profile 'laptop'.*smoke"):
        get_profile()


def test_artefacts_round_trip_with_provenance(monkeypatch, tmp_path):
    monkeypatch.setenv("BERT_CORE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("BERT_CORE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("BERT_CORE_COMMAND", "make run")
    path = results.save_artefact("cpu", "demo", {"accuracy": 0.5})
    assert path == tmp_path / "results" / "cpu" / "demo.json"
    loaded = results.load_artefact("cpu", "demo")
    assert loaded["payload"] == {"accuracy": 0.5}
    assert loaded["meta"]["command"] == "make run" and loaded["meta"]["profile"] == "cpu"
    assert set(loaded["meta"]["versions"]) == {"python", "torch", "bert_core"}
    assert results.load_artefact("cpu", "absent") is None
    assert not list(path.parent.glob("*.tmp"))
    # the smoke profile's artefacts are scratch, beside the runs, never among the committed ones
    assert results.save_artefact("smoke", "demo", {}) == tmp_path / "runs" / "results" / "smoke" / "demo.json"



def test_an_unchanged_artefact_keeps_its_provenance(monkeypatch, tmp_path):
    monkeypatch.setenv("BERT_CORE_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("BERT_CORE_COMMAND", "the first run")
    path = results.save_artefact("cpu", "demo", {"r": 0.8382277277428868, "n": [863, (1, 2)]})
    first = path.read_bytes()
    monkeypatch.setenv("BERT_CORE_COMMAND", "a second run")
    # another thread count changes the last digits only: the file and its meta stay
    results.save_artefact("cpu", "demo", {"r": 0.8382277188965974, "n": [863, [1, 2]]})
    assert path.read_bytes() == first
    results.save_artefact("cpu", "demo", {"r": 0.8383, "n": [863, [1, 2]]})  # a real change
    assert results.load_artefact("cpu", "demo")["meta"]["command"] == "a second run"
    results.save_artefact("cpu", "demo", {"r": 0.9, "n": [863, [1, 2]]}, keep=True)  # stored once, like a run
    assert results.load_artefact("cpu", "demo")["payload"]["r"] == 0.8383
    path.write_text("{ damaged")  # an unreadable file is replaced, not trusted
    results.save_artefact("cpu", "demo", {"r": 0.8383})
    assert results.load_artefact("cpu", "demo")["payload"] == {"r": 0.8383}


def test_sts_label_summary_by_hand():
    examples = [PairExample(str(i), "a", "b", y) for i, y in enumerate([1.0, 2.0, 2.4, 5.0])]
    summary = label_summary("sts", examples)
    assert summary["share_whole_numbers"] == 0.75
    assert summary["mean"] == 2.6
    hist = summary["histogram_0.2"]
    assert len(hist) == 26 and hist[5] == 1 and hist[10] == 1 and hist[12] == 1 and hist[25] == 1


def test_describe_counts_and_lengths():
    tok = Tokenizer.from_pretrained("minilm-l6")
    summary = describe_tasks(sample_data_dir(), tok)
    assert summary["sst/train"]["examples"] == 48
    assert sum(summary["sst/train"]["labels"]["counts"].values()) == 48
    assert summary["sst/test"]["labels"] == {}
    pair = [PairExample("x", "Is it raining?", "Yes.", 1.0)]
    assert token_lengths(pair, tok).tolist() == [9]
    long = [PairExample("y", "word " * 400, "word " * 300, None)]
    assert token_lengths(long, tok).tolist() == [703]  # measured, not truncated at 512


def test_notebooks_are_paired_and_in_sync():
    jupytext = pytest.importorskip("jupytext")
    from bert_core.course.execute import notebook_sources

    notebooks = notebook_sources()  # the solutions too
    assert notebooks, "no notebooks found"
    for source in notebooks:
        ipynb = source.with_suffix(".ipynb")
        assert ipynb.exists(), f"{source.name} has no executed {ipynb.name}: run `make notebooks`"
        a, b = jupytext.read(source), jupytext.read(ipynb)
        cells_a = [(c.cell_type, c.source) for c in a.cells]
        cells_b = [(c.cell_type, c.source) for c in b.cells]
        assert cells_a == cells_b, f"{source.name} and {ipynb.name} differ: run `make notebooks`"
        assert any(c.get("outputs") for c in b.cells), f"{ipynb.name} is committed unexecuted"


def test_main_job_without_the_course_data_runs_the_sample_set_and_says_how_to_get_the_data(
        monkeypatch, tmp_path, capsys):
    from bert_core.course.execute import missing_data, profile_to_run

    monkeypatch.setenv("BERT_CORE_DATA", str(tmp_path))
    assert profile_to_run("cpu") == "smoke"
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1 and str(tmp_path) in notice
    assert "python -m bert_core.multitask.data download" in notice and "BERT_CORE_DATA=" in notice
    assert missing_data("smoke") is None  # the sample set is always there
    (tmp_path / "ids-sst-train.csv").write_text("")
    assert profile_to_run("cpu") == "cpu" and capsys.readouterr().err == ""


def test_a_smoke_pass_trains_in_a_scratch_folder_that_goes_away(monkeypatch):
    from bert_core.course.execute import scratch_runs

    monkeypatch.delenv("BERT_CORE_RUNS", raising=False)
    with scratch_runs() as folder:
        assert os.environ["BERT_CORE_RUNS"] == str(folder) and folder.is_dir()
        (folder / "weights").write_text("x")
    assert not folder.exists() and "BERT_CORE_RUNS" not in os.environ
    monkeypatch.setenv("BERT_CORE_RUNS", "/somewhere/kept")
    with scratch_runs() as folder:
        assert str(folder) == "/somewhere/kept"


def test_a_notebook_and_its_solutions_run_in_one_chain_in_teaching_order():
    from bert_core.course.execute import default_workers, notebook_chains, notebook_sources

    chains = notebook_chains(notebook_sources())
    assert [chain[0].name[:2] for chain in chains] == sorted({s.name[:2] for s in notebook_sources()})
    for chain in chains:
        assert chain[0].parent.name == "notebooks" and len({s.name[:2] for s in chain}) == 1
        assert all(s.parent.name == "solutions" for s in chain[1:])
    assert [p.name for p in notebook_chains(notebook_sources(["05"]))[0]] == [
        "05_multitask_baseline.py", "05_multitask_baseline_solutions.py"]
    assert default_workers("cpu") == default_workers("gpu") == 1  # the committed notebooks: one at a time
    assert default_workers("smoke") in (1, 2)


@pytest.mark.slow
def test_two_workers_execute_the_notebooks_and_a_failure_names_its_notebook(monkeypatch):
    from bert_core.course.execute import execute_all, notebook_sources, notebook_target

    monkeypatch.delenv("BERT_CORE_RUNS", raising=False)
    targets = [notebook_target(source, "smoke") for source in notebook_sources(["00", "01"])]
    for target in targets:
        target.unlink(missing_ok=True)
    execute_all("smoke", only=["00", "01"], workers=2)
    assert all(target.exists() for target in targets)
    # a profile the kernels reject: the first cell of each notebook fails, in a worker process
    with pytest.raises(RuntimeError, match=r"0[01]_\w+\.py failed"):
        execute_all("no-such-profile", only=["00", "01"], workers=2)


def test_a_temporary_runs_folder_is_new_inside_a_set_one_and_restores_it(monkeypatch, tmp_path):
    from bert_core.files import runs_root, temporary_runs

    monkeypatch.setenv("BERT_CORE_RUNS", str(tmp_path))
    (tmp_path / "cpu" / "demo" / "seed-0").mkdir(parents=True)  # a run the demonstration must not meet
    with temporary_runs() as folder:
        assert runs_root() == folder != tmp_path and not any(folder.iterdir())
    assert not folder.exists() and runs_root() == tmp_path and (tmp_path / "cpu" / "demo" / "seed-0").is_dir()


def test_committed_notebooks_write_nothing_to_stderr():
    """Warnings in a committed notebook carry the kernel's temporary path, which differs on
    every run, so strict nbval fails on them; progress bars live in NBVAL_IGNORE_OUTPUT cells."""
    import json

    from bert_core.course.execute import notebook_sources

    for path in (source.with_suffix(".ipynb") for source in notebook_sources()):
        for number, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "code" or "NBVAL_IGNORE_OUTPUT" in "".join(cell["source"]):
                continue
            stderr = [o for o in cell["outputs"] if o.get("name") == "stderr"]
            assert not stderr, f"{path.name}, cell {number}: {''.join(stderr[0]['text'])[:200]}"
