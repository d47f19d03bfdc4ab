"""The committed results still load: every stored run matches the hash of its preset under
the cpu caps of today or under the small caps that notebooks 06-09 pin, so the cpu main
job on a fresh clone trains nothing."""

from __future__ import annotations

import json

import pytest

from bert_core.experiments import PRESETS, ExperimentConfig, preset, run_experiment
from bert_core.experiments import run as experiments_run
from bert_core.experiments.ablation import stall_ablation
from bert_core.experiments.profiles import SMALL_CPU_CAPS
from bert_core.files import PROJECT_ROOT

STORED = sorted((PROJECT_ROOT / "results" / "cpu" / "experiments").glob("*.json"))
ABLATION = {config.name: config for config in stall_ablation("cpu")}


def test_there_are_committed_results():
    assert len(STORED) >= 40


def _candidates(name: str, seeds: tuple[int, ...]) -> list[ExperimentConfig]:
    """The configs a notebook asks for under this name in cpu."""
    ablation = [ABLATION[name].__class__.from_dict({**ABLATION[name].to_dict(), "seeds": seeds})
                for _ in [0] if name in ABLATION]
    if name not in PRESETS:
        assert ablation, f"{name}.json is no preset's result"
        return ablation
    return [*ablation, preset(name, "cpu", seeds=seeds), preset(name, "cpu", seeds=seeds, **SMALL_CPU_CAPS)]


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
def test_a_committed_result_loads_under_its_preset_without_training(path, monkeypatch):
    payload = json.loads(path.read_text())["payload"]
    runs = payload["runs"].values()
    seeds = tuple(sorted({run["seed"] for run in runs}))

    def no_training(*args, **kwargs):
        raise AssertionError(f"{path.name}: run_experiment would train instead of loading")

    monkeypatch.setattr(experiments_run, "train_run", no_training)
    loaded = set()
    for config in _candidates(path.stem, seeds):
        hashes = {config.run_hash(seed) for seed in seeds}
        matching = tuple(sorted({run["seed"] for run in runs if run["config_hash"] in hashes}))
        if matching:
            result = run_experiment(config.__class__.from_dict({**config.to_dict(), "seeds": matching}),
                                    progress=False)
            loaded |= {r["config_hash"] for r in result.runs.values()}
    # every stored record is what some config of today asks for (the hash function still
    # gives the stored hashes)
    assert loaded == {run["config_hash"] for run in runs}
