"""run_experiment (load or train, by hash), ExperimentResult and the command line."""

from __future__ import annotations

import pytest

from bert_core.experiments import (
    ExperimentResult,
    load_result,
    make_config,
    run_experiment,
)
from bert_core.experiments import run as experiments_run
from bert_core.experiments.__main__ import main as cli_main
from bert_core.files import runs_root
from bert_core.multitask import evaluate
from bert_core.training.run_folder import drop_finished_weights, run_dir


def test_run_experiment_writes_runs_and_reuses_by_hash(tiny_run, isolated_outputs, monkeypatch):
    config = tiny_run("reuse", seeds=(0, 1), predict_test=True)
    result = run_experiment(config, progress=False)
    folder = run_dir(config, 1)
    for name in ("config.json", "metrics.json", "best.safetensors", "last.safetensors"):
        assert (folder / name).exists(), name
    assert not (folder / "latest.json").exists()  # finished: nothing to resume
    dev_file = folder / "predictions" / "sst-dev-output.csv"
    stored = result.runs[1]["dev_predictions"]["sst"]
    assert evaluate.read_predictions(dev_file) == dict(zip(stored["ids"], stored["predictions"]))
    assert (folder / "predictions" / "sts-test-output.csv").exists()
    assert stored["predictions"] != [] and result.runs[1]["best_epoch"] in (1, 2)
    best = result.runs[1]["epochs"][result.runs[1]["best_epoch"] - 1]
    assert result.runs[1]["best"] == best["dev"]
    assert best["overall"] == max(e["overall"] for e in result.runs[1]["epochs"])

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run with the same hash should be reused")

    monkeypatch.setattr(experiments_run, "train_run", no_training)
    again = run_experiment(config, progress=False)
    assert again.seed_metrics() == result.seed_metrics()
    assert load_result(config).seed_metrics() == result.seed_metrics()
    assert load_result(tiny_run("reuse", finetune_lr=5e-4)) is None  # another hash
    with pytest.raises(AssertionError, match="reused"):
        run_experiment(config, reuse=False, progress=False)


def test_dropping_finished_weights_keeps_the_records_and_unfinished_runs(tiny_run, isolated_outputs,
                                                                        monkeypatch):
    config = tiny_run("dropped", epochs=1)
    result = run_experiment(config, progress=False)
    folder = run_dir(config, 0)
    training = folder.with_name("seed-9")  # a run still training: its pointer is there
    training.mkdir()
    for name in ("metrics.json", "latest.json", "checkpoint-0000002.safetensors"):
        (training / name).write_text("{}")
    size = (folder / "best.safetensors").stat().st_size  # best and last: one file, two names

    assert drop_finished_weights(runs_root()) == size
    assert not list(folder.glob("*.safetensors")) and (folder / "metrics.json").exists()
    assert (training / "checkpoint-0000002.safetensors").exists()

    def no_training(*args, **kwargs):
        raise AssertionError("the stored record should be loaded")

    monkeypatch.setattr(experiments_run, "train_run", no_training)
    assert run_experiment(config, progress=False).seed_metrics() == result.seed_metrics()


def test_summary_is_mean_and_sample_std_over_seeds():
    config = make_config("s", "smoke", tasks=("sst",), seeds=(0, 1, 2))
    runs = {seed: {"best": {"sst": acc}, "wall_seconds": 1.0, "peak_memory_mb": 2.0,
                   "trainable_parameters": 5} for seed, acc in zip((0, 1, 2), (0.4, 0.5, 0.6))}
    summary = ExperimentResult(config, runs).summary()
    assert summary["sst_acc"]["mean"] == pytest.approx(0.5)
    assert summary["sst_acc"]["std"] == pytest.approx(0.1)  # sqrt((0.01 + 0 + 0.01) / 2)
    assert summary["overall"]["n"] == 3


def test_cli_trains_a_preset_with_overrides(tiny_checkpoint, isolated_outputs, capsys):
    code = cli_main(["sst-finetune", "--profile", "smoke", "--name", "cli", "--seeds", "0",
                        "--set", f"checkpoint={tiny_checkpoint}", "--set", "epochs=1",
                        "--set", "train_limit=8",
                        "--set", "finetune_lr=1e-4", "--set", "predict_test=false"])
    assert code == 0
    out = capsys.readouterr().out
    assert "cli (smoke)" in out and "sst_acc" in out
    assert load_result(make_config("cli", "smoke", checkpoint=str(tiny_checkpoint), tasks=("sst",),
                                   epochs=1, train_limit=8, finetune_lr=1e-4, predict_test=False)) is not None
    assert cli_main(["sst-finetune", "--set", "sampling=annealing"]) == 2  # one line, exit status 2
    assert "sampling='annealing' is not available" in capsys.readouterr().err


def test_cli_reads_a_config_file_and_a_runs_config_json(tiny_checkpoint, isolated_outputs, capsys):
    import json

    path = isolated_outputs / "mine.json"
    path.write_text(json.dumps({"tasks": ["cfimdb"], "checkpoint": str(tiny_checkpoint), "epochs": 1,
                                "train_limit": 8, "predict_test": False, "profile": "smoke"}))
    assert cli_main(["--config", str(path)]) == 0
    assert "mine (smoke)" in capsys.readouterr().out
    config = make_config("mine", "smoke", tasks=("cfimdb",), checkpoint=str(tiny_checkpoint), epochs=1,
                         train_limit=8, predict_test=False)
    run_config = run_dir(config, 0) / "config.json"  # written by the run, with its seed
    assert cli_main(["--config", str(run_config), "--name", "again"]) == 0
    assert load_result(config).seed_metrics() == load_result(
        make_config("again", "smoke", **{k: getattr(config, k) for k in
                                         ("tasks", "checkpoint", "epochs", "train_limit", "predict_test")})
    ).seed_metrics()


def test_cli_says_what_is_wrong_with_a_bad_config(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"tasks": ["sst"],\n "epochs": }')
    assert cli_main(["--config", str(broken), "--profile", "smoke"]) == 2
    assert "broken.json, line 2" in capsys.readouterr().err
    typo = tmp_path / "typo.json"
    typo.write_text('{"epoch": 3}')
    assert cli_main(["--config", str(typo), "--profile", "smoke"]) == 2
    assert "unknown ExperimentConfig field(s) ['epoch']" in capsys.readouterr().err
