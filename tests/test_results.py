"""The committed results still load: every stored run matches the hash of its preset, so
the cpu main job on a fresh clone trains nothing."""

from __future__ import annotations

import json

import pytest

from bert_core.experiments import PRESETS, ExperimentConfig, preset, run_experiment
from bert_core.experiments import run as experiments_run
from bert_core.files import PROJECT_ROOT

STORED = sorted((PROJECT_ROOT / "results" / "cpu" / "experiments").glob("*.json"))


def test_there_are_committed_results():
    assert len(STORED) >= 40


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
def test_a_committed_result_loads_under_its_preset_without_training(path, monkeypatch):
    payload = json.loads(path.read_text())["payload"]
    stored = ExperimentConfig.from_dict({**payload["config"], "seeds": tuple(payload["config"]["seeds"])})
    seeds = tuple(int(s) for s in payload["runs"])
    for seed, run in payload["runs"].items():  # the hash function still gives the stored hashes
        assert stored.run_hash(int(seed)) == run["config_hash"], (path.name, seed)
    assert stored.name in PRESETS, f"{path.name} is no preset's result"

    def no_training(*args, **kwargs):
        raise AssertionError(f"{path.name}: run_experiment would train instead of loading")

    monkeypatch.setattr(experiments_run, "train_run", no_training)
    result = run_experiment(preset(stored.name, "cpu", seeds=seeds), progress=False)
    assert sorted(result.runs) == sorted(seeds)
    assert {s: r["config_hash"] for s, r in result.runs.items()} == \
        {int(s): r["config_hash"] for s, r in payload["runs"].items()}
