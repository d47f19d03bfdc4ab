"""The training engine: metrics, prediction files, sampling, configs, runs that resume,
repeat and stop on NaN. Runs use a tiny random BERT (``tiny_checkpoint``) on the sample set."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.experiments import (
    ExperimentConfig,
    ExperimentResult,
    in_profile,
    load_result,
    make_config,
    preset,
    run_experiment,
)
from bert_core.experiments import run as experiments_run
from bert_core.experiments.__main__ import main as cli_main
from bert_core.multitask import evaluate
from bert_core.multitask.data import load_task, sample_data_dir
from bert_core.multitask.model import MultitaskBERT
from bert_core.training import hooks
from bert_core.training.checkpoint import latest_checkpoint, load_weights
from bert_core.training.loop import TrainingDiverged, train_run
from bert_core.training.run_folder import run_dir
from bert_core.training.sampling import TaskStream, step_tasks, steps_per_epoch

# -- metrics and prediction files ------------------------------------------------------

def test_metrics_against_hand_computed_values():
    assert evaluate.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    # x = (1, 2, 3), y = (1, 3, 2): cov = 0.5 (sample), var = 1 each -> r = 0.5
    assert evaluate.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert evaluate.pearson([2, 2, 2], [1, 3, 2]) == 0.0  # constant predictions
    # (0.5 + 0.8 + (0.6 + 1) / 2) / 3 = 0.7
    assert evaluate.overall_score({"sst": 0.5, "quora": 0.8, "sts": 0.6}) == pytest.approx(0.7)
    by_metric = {"sst_acc": 0.5, "para_acc": 0.8, "sts_corr": -1.0}
    assert evaluate.overall_score(by_metric) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert evaluate.overall_score({"cfimdb": 0.9}) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="equal"):
        evaluate.accuracy([1, 2], [1])


def test_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert evaluate.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)


@pytest.mark.parametrize("task,values",
                         [("sst", [0, 4, 2]), ("quora", [1, 0, 1]), ("sts", [0.125, 4.75, 2.5])])
def test_prediction_files_parse_back(tmp_path, task, values):
    ids = ["a1", "b2", "c3"]
    path = tmp_path / evaluate.prediction_file_name(task, "dev")
    evaluate.write_predictions(path, task, ids, values)
    header = path.read_text().splitlines()[0]
    assert header == evaluate.PREDICTION_HEADERS[task]
    assert evaluate.read_predictions(path) == dict(zip(ids, map(float, values)))


def test_prediction_file_names_are_the_starters():
    assert evaluate.prediction_file_name("quora", "test") == "para-test-output.csv"
    assert evaluate.prediction_file_name("sts", "dev") == "sts-dev-output.csv"


# -- sampling ----------------------------------------------------------------------------

def test_steps_per_epoch_rules():
    sizes = {"sst": 100, "quora": 1000, "sts": 50}
    assert steps_per_epoch(sizes, 10, "simultaneous", "min") == 5
    assert steps_per_epoch(sizes, 10, "simultaneous", "max") == 100
    assert steps_per_epoch(sizes, 10, "round_robin", "min") == 15  # 5 batches of each of 3 tasks
    assert steps_per_epoch(sizes, 10, "round_robin", 7) == 7
    with pytest.raises(ValueError, match="epoch_length"):
        steps_per_epoch(sizes, 10, "simultaneous", "longest")


def test_round_robin_takes_turns():
    tasks = ("sst", "quora", "sts")
    turns = [step_tasks(s, tasks, "round_robin") for s in range(4)]
    assert turns == [("sst",), ("quora",), ("sts",), ("sst",)]
    assert step_tasks(5, tasks, "simultaneous") == tasks


def test_task_stream_covers_each_pass_once_and_is_a_function_of_the_seed():
    stream = TaskStream(10, 4, seed=0, task="sst")
    first_pass = stream.batch(0) + stream.batch(1) + stream.batch(2)
    assert sorted(first_pass) == list(range(10)) and len(stream.batch(2)) == 2
    assert sorted(stream.batch(3) + stream.batch(4) + stream.batch(5)) == list(range(10))
    assert stream.batch(3) != stream.batch(0) or stream.batch(4) != stream.batch(1)  # reshuffled
    assert TaskStream(10, 4, seed=0, task="sst").batch(4) == stream.batch(4)
    assert TaskStream(10, 4, seed=1, task="sst").batch(0) != stream.batch(0)


# -- configs -----------------------------------------------------------------------------

def test_config_layers_and_validation():
    config = preset("sst-pretrain", profile="cpu", seeds=(0, 1))
    assert config.tasks == ("sst",) and config.mode == "pretrain" and config.learning_rate == 1e-3
    assert config.train_limit is not None  # the cpu cap
    assert preset("sst-finetune", profile="gpu").learning_rate == 1e-5
    with pytest.raises(ValueError, match="sampling='annealing' is not available"):
        make_config("x", "cpu", sampling="annealing")
    with pytest.raises(ValueError, match="pcgrad projects"):
        make_config("x", "cpu", pcgrad=True, sampling="round_robin")
    with pytest.raises(ValueError, match="unknown preset"):
        preset("nope")
    assert ExperimentConfig.from_dict(config.to_dict()) == config


def test_run_hash_ignores_names_and_bookkeeping_but_not_settings():
    config = make_config("a", "smoke")
    assert config.run_hash(0) == make_config("b", "smoke", checkpoint_every=5, seeds=(0, 3)).run_hash(0)
    assert config.run_hash(0) != config.run_hash(1)
    assert config.run_hash(0) != make_config("a", "smoke", finetune_lr=2e-5).run_hash(0)
    assert config.run_hash(0) != make_config("a", "cpu").run_hash(0)


def test_summary_is_mean_and_sample_std_over_seeds():
    config = make_config("s", "smoke", tasks=("sst",), seeds=(0, 1, 2))
    runs = {seed: {"best": {"sst": acc}, "wall_seconds": 1.0, "peak_memory_mb": 2.0,
                   "trainable_parameters": 5} for seed, acc in zip((0, 1, 2), (0.4, 0.5, 0.6))}
    summary = ExperimentResult(config, runs).summary()
    assert summary["sst_acc"]["mean"] == pytest.approx(0.5)
    assert summary["sst_acc"]["std"] == pytest.approx(0.1)  # sqrt((0.01 + 0 + 0.01) / 2)
    assert summary["overall"]["n"] == 3


# -- the model ---------------------------------------------------------------------------

def test_multitask_bert_heads_and_pair_encoding(tiny_checkpoint):
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint)).eval()
    a, b = tokenizer(["a short one", "a rather longer sentence here"]), tokenizer(["x", "y z"])
    assert model.predict_sentiment(a["input_ids"], a["attention_mask"]).shape == (2, 5)
    args = (a["input_ids"], a["attention_mask"], b["input_ids"], b["attention_mask"])
    assert model.predict_paraphrase(*args).shape == (2,)
    u, v = model.encode_pair(*args)  # one stacked call == two separate calls
    torch.testing.assert_close(u, model(a["input_ids"], a["attention_mask"]), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(v, model(b["input_ids"], b["attention_mask"]), atol=1e-5, rtol=1e-5)


def test_pretrain_mode_trains_only_the_heads(tiny_checkpoint):
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint), tasks=("cfimdb",), freeze_bert=True)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"heads.cfimdb.classifier.weight", "heads.cfimdb.classifier.bias"}
    batch = Tokenizer.from_pretrained(tiny_checkpoint)(["fine"])
    assert model.predict_sentiment(batch["input_ids"], batch["attention_mask"]).shape == (1, 2)


def test_predict_keeps_the_data_order(tiny_checkpoint):
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint)).eval()
    examples = load_task("sts", "dev", sample_data_dir())[:7]
    batched = evaluate.predict(model, tokenizer, "sts", examples, batch_size=3, progress=False)
    one_by_one = [evaluate.predict(model, tokenizer, "sts", [e], progress=False)[0] for e in examples]
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


# -- runs --------------------------------------------------------------------------------

def _tiny(name: str, tiny_checkpoint, **overrides) -> ExperimentConfig:
    settings = dict(checkpoint=str(tiny_checkpoint), epochs=2, batch_size=4, max_length=32, train_limit=12,
                    dev_limit=10, checkpoint_every=2, predict_test=False, finetune_lr=1e-3)
    return make_config(name, "smoke", **{**settings, **overrides})


def _final_weights(config: ExperimentConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    folder = run_dir(config, seed)
    assert latest_checkpoint(folder) is None and not list(folder.glob("checkpoint-*"))  # finished
    return load_file(str(folder / "last.safetensors"))


def test_same_seed_same_metrics(tiny_checkpoint, isolated_outputs):
    first = train_run(_tiny("a", tiny_checkpoint), 0, sample_data_dir(), progress=False)
    second = train_run(_tiny("b", tiny_checkpoint), 0, sample_data_dir(), progress=False)
    assert first["epochs"] == second["epochs"] and first["losses"] == second["losses"]
    other = train_run(_tiny("c", tiny_checkpoint), 1, sample_data_dir(), progress=False)
    assert other["losses"] != first["losses"]


# The plain case runs in the fast suite; the extensions' cases are the slow matrix.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("sampling,stop_at,options", [
    ("simultaneous", 3, {}),
    pytest.param("round_robin", 7, {}, marks=SLOW),
    pytest.param("simultaneous", 3, {"pair_encoding": "cross"}, marks=SLOW),
    # killed in the ranking epoch: the positives' stream resumes where it was
    pytest.param("simultaneous", 3, {"heads": {"similarity": "cosine"}, "sts_loss": "mnr_then_mse"},
                 marks=SLOW),
    # issue 5: drawn tasks, a curriculum with a frozen epoch, DWA, PCGrad, SMART's momentum copy
    pytest.param("annealed", 7, {"epoch_length": "sum"}, marks=SLOW),
    pytest.param("simultaneous", 5, {"curriculum": "hybrid"}, marks=SLOW),
    pytest.param("simultaneous", 3, {"loss_balancing": "dwa", "dwa_window": 1}, marks=SLOW),
    pytest.param("simultaneous", 3, {"pcgrad": True, "smart": "smart-surgery",
                                     "pair_encoding": {"similarity": "cross"}}, marks=SLOW),
    # SMART replaying the clean pass's dropout masks (the momentum copy in train mode)
    pytest.param("simultaneous", 3, {"smart": "smart-surgery", "smart_options": {"dropout": "shared"}},
                 marks=SLOW),
])
def test_a_killed_run_resumes_to_the_same_weights(tiny_checkpoint, isolated_outputs, sampling, stop_at,
                                                  options):
    whole = _tiny("whole", tiny_checkpoint, sampling=sampling, **options)
    whole_record = train_run(whole, 0, sample_data_dir(), progress=False)

    class Killed(Exception):
        pass

    def kill(step: int) -> None:
        if step == stop_at:
            raise Killed

    broken = _tiny("broken", tiny_checkpoint, sampling=sampling, **options)
    with pytest.raises(Killed):
        train_run(broken, 0, sample_data_dir(), progress=False, on_step=kill)
    assert latest_checkpoint(run_dir(broken, 0))["step"] < stop_at
    resumed_record = train_run(broken, 0, sample_data_dir(), progress=False)

    expected, actual = _final_weights(whole), _final_weights(broken)
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key
    assert resumed_record["epochs"] == whole_record["epochs"]
    assert resumed_record["losses"] == whole_record["losses"]


def test_nan_loss_stops_with_step_and_task_and_keeps_the_checkpoint(tiny_checkpoint, isolated_outputs,
                                                                     monkeypatch):
    real_loss = hooks.task_loss
    calls = {"n": 0}

    def poisoned(task, outputs, labels):
        calls["n"] += 1
        loss = real_loss(task, outputs, labels)
        return loss * math.nan if calls["n"] == 8 else loss  # step 3, second task (quora)

    monkeypatch.setattr(hooks, "task_loss", poisoned)
    config = _tiny("nan", tiny_checkpoint)
    with pytest.raises(TrainingDiverged, match=r"quora loss is nan at step 3 .*checkpoint-0000002"):
        train_run(config, 0, sample_data_dir(), progress=False)
    folder = run_dir(config, 0)
    assert latest_checkpoint(folder)["step"] == 2
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint))
    load_weights(model, folder / "checkpoint-0000002.safetensors")  # loads, every key matches


def test_run_experiment_writes_runs_and_reuses_by_hash(tiny_checkpoint, isolated_outputs, monkeypatch):
    config = _tiny("reuse", tiny_checkpoint, seeds=(0, 1), predict_test=True)
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
    assert load_result(_tiny("reuse", tiny_checkpoint, finetune_lr=5e-4)) is None  # another hash
    with pytest.raises(AssertionError, match="reused"):
        run_experiment(config, reuse=False, progress=False)


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
    with pytest.raises(SystemExit):
        cli_main(["sst-finetune", "--set", "sampling=annealing"])


def test_in_profile_keeps_what_the_config_chose_and_takes_the_other_caps():
    smoke = preset("sst-finetune", "smoke", seeds=(0, 1, 2), finetune_lr=3e-5)
    cpu = in_profile(smoke, "cpu")
    assert (cpu.profile, cpu.tasks, cpu.seeds, cpu.finetune_lr) == ("cpu", ("sst",), (0, 1, 2), 3e-5)
    assert cpu.train_limit == make_config("x", "cpu").train_limit != smoke.train_limit


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


def test_cli_says_what_is_wrong_with_a_bad_config(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"tasks": ["sst"],\n "epochs": }')
    with pytest.raises(SystemExit):
        cli_main(["--config", str(broken), "--profile", "smoke"])
    assert "broken.json, line 2" in capsys.readouterr().err
    typo = tmp_path / "typo.json"
    typo.write_text('{"epoch": 3}')
    with pytest.raises(SystemExit):
        cli_main(["--config", str(typo), "--profile", "smoke"])
    assert "unknown ExperimentConfig field(s) ['epoch']" in capsys.readouterr().err


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


def test_a_new_option_at_its_default_keeps_stored_hashes():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Later(ExperimentConfig):  # a field a later issue might add
        new_option: str = "off"

    config = preset("multitask-baseline", "cpu", seeds=(0, 1))
    later = Later(**config.to_dict())
    assert later.run_hash(1) == config.run_hash(1)
    assert Later(**{**config.to_dict(), "new_option": "on"}).run_hash(1) != config.run_hash(1)
