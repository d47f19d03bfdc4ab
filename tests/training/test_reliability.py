"""Reliability: nothing lost, nothing wedged, every bad input a clear message before any
work is spent. Each case asserts on the message and on what is left on disk. Runs use the
tiny random BERT on the sample set (or on broken copies of it)."""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bert_core.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    DataWarning,
    ModelNotFound,
    ResultFileError,
)
from bert_core.experiments import __main__ as cli
from bert_core.experiments import make_config, run_experiment
from bert_core.experiments.store import load_result, results_dir
from bert_core.multitask.data import load_task, sample_data_dir
from bert_core.multitask.evaluate import read_predictions
from bert_core.multitask.reader import read_sentiment
from bert_core.training import hooks, loop
from bert_core.training.checkpoint import CHECKPOINT_FORMAT, latest_checkpoint
from bert_core.training.guard import TrainingDiverged, TrainingWarning, check_gradients, check_weights
from bert_core.training.loop import train_run
from bert_core.training.run_folder import RunLocked, locked_run, run_dir

SST_HEADER = "\tid\tsentence\tsentiment\n"


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample set to break."""
    return Path(shutil.copytree(sample_data_dir(), tmp_path / "data", ignore=shutil.ignore_patterns("*.py")))


# --- data files -------------------------------------------------------------------------

def test_an_unclosed_quote_is_an_error_naming_its_line_not_a_silent_loss(tmp_path):
    rows = "".join(f"{i}\tid{i}\tSentence {i} .\t{i % 5}\n" for i in range(50))
    lines = rows.splitlines(keepends=True)
    lines[3] = '3\tid3\t"An unclosed quote .\t3\n'  # file line 5
    path = _write(tmp_path / "ids-sst-train.csv", SST_HEADER + "".join(lines))
    with pytest.raises(DataError, match=r"ids-sst-train.csv, line 5: a quoted field runs on over 47 lines "
                                        r"\(to line 51\).*Close or remove the quote at line 5"):
        read_sentiment(path)


def test_a_non_utf8_byte_names_the_file_and_line(tmp_path):
    path = _write(tmp_path / "ids-sst-dev.csv", (SST_HEADER + "0\ta\tGood .\t4\n").encode()
                  + b"1\tb\tcaf\xe9 .\t3\n")
    with pytest.raises(DataError, match=r"ids-sst-dev.csv, line 3: byte 0xe9 is not UTF-8"):
        read_sentiment(path)


@pytest.mark.parametrize("content,message", [
    ("", r"the file is empty \(0 bytes\)"),
    (",id,sentence,sentiment\n0,a,Good .,4\n", r"line 1: .* has no tab; the file looks comma-separated"),
])
def test_an_empty_or_comma_separated_train_file_says_so(tmp_path, content, message):
    _write(tmp_path / "ids-sst-train.csv", content)
    with pytest.raises(DataError, match=message) as error:
        load_task("sst", "train", tmp_path)
    assert "test-student file under the wrong name" not in str(error.value)


def test_duplicate_ids_are_an_error_naming_both_lines(tmp_path):
    path = _write(tmp_path / "ids-sst-dev.csv",
                  SST_HEADER + "0\ta\tGood .\t4\n1\tb\tBad .\t0\n2\ta\tMeh .\t2\n")
    with pytest.raises(DataError, match=r"lines 2 and 4: the id 'a' appears twice"):
        read_sentiment(path)


def test_skipped_rows_are_counted_by_reason_and_every_line_accounted_for(tmp_path):
    long = "word " * 2_500  # 12,500 characters: flagged, kept
    path = _write(tmp_path / "ids-sst-train.csv", SST_HEADER + "0\ta\tGood .\t4\n1\tb\tOne .\t\n"
                  "2\tc\tTwo .\t\n3\td\tshort\n\n4\te\tHigh .\t9\n" + f"5\tf\t{long}\t1\n")
    with pytest.warns(DataWarning) as record:
        examples = read_sentiment(path)
    assert [e.id for e in examples] == ["a", "f"]
    message = str(record[0].message)
    assert "skipped 4 of 6 rows" in message
    assert "by reason: 2 empty sentiment, 1 wrong number of fields, 1 sentiment out of range" in message
    assert "1 rows have a field over 10,000 characters (lines 8)" in message


def test_a_prediction_file_with_a_duplicate_id_is_an_error(tmp_path):
    path = _write(tmp_path / "sst-dev-output.csv", "id,Predicted_Sentiment\na , 1\nb , 2\na , 3\n")
    with pytest.raises(ValueError, match=r"lines 2 and 4: the id 'a' appears twice"):
        read_predictions(path)


def test_an_empty_dev_set_fails_before_the_run_folder_is_touched(tiny_run, isolated_outputs, tmp_path):
    data = _sample_copy(tmp_path)
    _write(data / "sts-dev.csv", "\tid\tsentence1\tsentence2\tsimilarity\n0\ts1\tA .\tB .\t\n")
    config = tiny_run("empty-dev")
    with pytest.warns(DataWarning), pytest.raises(DataError, match=r"sts-dev.csv: no usable dev examples"):
        train_run(config, 0, data, progress=False)
    assert not run_dir(config, 0).exists()


def test_a_bad_test_student_file_fails_before_training_and_a_missing_one_is_announced(
        tiny_run, isolated_outputs, tmp_path):
    data = _sample_copy(tmp_path)
    config = tiny_run("bad-test", predict_test=True, epochs=1)
    _write(data / "sts-test-student.csv", b"\tid\tsentence1\tsentence2\n0\ts1\tA \xff.\tB .\n")
    with pytest.raises(DataError, match=r"sts-test-student.csv, line 2: byte 0xff"):
        train_run(config, 0, data, progress=False)
    assert not run_dir(config, 0).exists()
    (data / "sts-test-student.csv").unlink()
    with pytest.warns(DataWarning, match=r"no test-student file for sts .*will not be written"):
        train_run(config, 0, data, progress=False)
    written = sorted(p.name for p in (run_dir(config, 0) / "predictions").iterdir())
    assert "sts-test-output.csv" not in written and "sst-test-output.csv" in written


# --- config and command line ------------------------------------------------------------

@pytest.mark.parametrize("option,message", [
    ("--set epochs=abc", r"epochs='abc' must be int, not str"),
    ("--set finetune_lr=-1", r"finetune_lr must be positive, got -1"),
    ("--set finetune_lr=fast", r"finetune_lr='fast' must be float, not str"),
    ("--set hidden_dropout=2", r"hidden_dropout is a probability in \[0, 1\), got 2"),
    ("--set dev_limit=0", r"dev_limit must be at least 1"),
    ("--set train_limit=-3", r"train_limit must be at least 1"),
    ("--seeds a", r"--seeds 'a': expected whole numbers"),
    ("--set no_such_field=1", r"unknown ExperimentConfig field\(s\) \['no_such_field'\]"),
    ("--set heads=[1,2]", r"heads=\(1, 2\) is not a mapping; write it as a JSON object, e\.g\. --set 'he"),
    ('--set task_weights={"sts":"x"}', r"task_weights\['sts'\] must be a positive number, got 'x'"),
    ("--set tasks=qora", r"tasks='qora' is not available; choose one of"),
])
def test_a_bad_option_is_one_line_and_exit_2_before_any_folder_is_touched(option, message, capsys,
                                                                          isolated_outputs):
    folder = isolated_outputs / "runs" / "smoke" / "multitask-baseline" / "seed-0"
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text("{}")  # a finished run that must survive
    status = cli.main(["multitask-baseline", "--profile", "smoke", *option.split()])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert re.search(message, err), err
    assert (folder / "metrics.json").exists()


def test_an_unknown_preset_is_one_line_with_the_closest_names(capsys):
    assert cli.main(["multitask-basline", "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: unknown preset 'multitask-basline'; did you mean multitask-baseline or multitask-pretrain or "
        "multitask-round-robin? (every preset: python -m bert_core.experiments --help)"]


def test_a_list_field_given_as_a_string_is_names_separated_by_commas():
    assert make_config("one", "smoke", tasks="quora").tasks == ("quora",)
    assert make_config("two", "smoke", tasks="quora, sts").tasks == ("quora", "sts")


def test_verbose_shows_the_traceback(capsys):
    assert cli.main(["multitask-baseline", "--profile", "smoke", "--set", "epochs=abc", "--verbose"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.strip().endswith("must be int, not str")


def test_config_errors_are_config_errors_and_value_errors():
    with pytest.raises(ConfigError):
        make_config("x", "smoke", finetune_lr=float("nan"))
    with pytest.raises(ValueError):
        make_config("x", "smoke", epoch_length="longest")


# --- divergence ---------------------------------------------------------------------------

def _poison(monkeypatch, at_call: int, how):
    real = hooks.task_loss
    calls = {"n": 0}

    def poisoned(task, outputs, labels):
        calls["n"] += 1
        loss = real(task, outputs, labels)
        return how(loss, outputs) if calls["n"] == at_call else loss

    monkeypatch.setattr(hooks, "task_loss", poisoned)


def test_a_nan_gradient_under_a_finite_loss_stops_before_the_weights_change(tiny_run, isolated_outputs,
                                                                             monkeypatch):
    # d sqrt(x)/dx at 0 is infinite, times 0 is NaN: the loss stays finite, the gradient does not
    _poison(monkeypatch, 7, lambda loss, out: loss + 0.0 * torch.sqrt(out.float().abs().sum() * 0.0))
    config = tiny_run("nan-gradient")
    with pytest.raises(TrainingDiverged,
                       match=r"gradient norm is not finite.* at step 3 .*checkpoint-0000002"):
        train_run(config, 0, sample_data_dir(), progress=False)
    folder = run_dir(config, 0)
    assert latest_checkpoint(folder)["step"] == 2
    weights = load_file(str(folder / "checkpoint-0000002.safetensors"))
    assert all(torch.isfinite(t).all() for t in weights.values())


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_guard_names_every_tensor_holding_a_bad_value_and_passes_large_finite_ones(bad):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2, dtype=torch.bfloat16))
    with torch.no_grad():
        model[0].bias.fill_(3e38)  # finite, though a sum of squares would overflow
    check_weights(model)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    model[0].weight.grad[1, 2] = bad
    model[1].weight.grad[0, 0] = bad
    with pytest.raises(TrainingDiverged, match=r"2 gradient tensors hold NaN or infinite values "
                                               r"\(first: 0.weight\)"):
        check_gradients(model)
    with torch.no_grad():
        model[1].bias[1] = bad
    with pytest.raises(TrainingDiverged, match=r"^1 weight tensors hold NaN or infinite values "
                                               r"\(first: 1.bias\)"):
        check_weights(model)


def test_weights_gone_nan_at_an_epoch_end_record_nothing(tiny_run, isolated_outputs, monkeypatch):
    config = tiny_run("nan-weights", checkpoint_every=None)
    model_seen = {}
    real_model_for = loop.model_for

    def remember(cfg, seed):
        model_seen["model"] = real_model_for(cfg, seed)
        return model_seen["model"]

    def ruin(step: int) -> None:
        if step == 3:  # the first epoch's last step (12 examples, batches of 4)
            with torch.no_grad():
                next(model_seen["model"].parameters()).fill_(math.nan)

    monkeypatch.setattr(loop, "model_for", remember)
    with pytest.raises(TrainingDiverged, match=r"weight tensors hold NaN.*at the end of epoch 1"):
        train_run(config, 0, sample_data_dir(), progress=False, on_step=ruin)
    folder = run_dir(config, 0)
    assert not (folder / "best.safetensors").exists() and not (folder / "metrics.json").exists()
    assert latest_checkpoint(folder) is None  # nothing saved from the ruined weights
    assert load_result(config) is None


def test_a_loss_spike_warns_once_and_training_goes_on(tiny_run, isolated_outputs, monkeypatch):
    _poison(monkeypatch, 16, lambda loss, out: loss * 1e6)  # step 6, sst
    with pytest.warns(TrainingWarning, match=r"at step 6 .*the sst loss jumped to .*x its median"):
        record = train_run(tiny_run("spike", epochs=3), 0, sample_data_dir(), progress=False)
    assert len(record["epochs"]) == 3


# --- checkpoints and run folders ----------------------------------------------------------

def _killed_run(tiny_run, name: str = "ckpt", at: int = 3):
    class Killed(Exception):
        pass

    def kill(step: int) -> None:
        if step == at:
            raise Killed

    config = tiny_run(name)
    with pytest.raises(Killed):
        train_run(config, 0, sample_data_dir(), progress=False, on_step=kill)
    return config, run_dir(config, 0)


def test_checkpoints_carry_their_format(tiny_run, isolated_outputs):
    _, folder = _killed_run(tiny_run)
    latest = latest_checkpoint(folder)
    assert latest["format"] == CHECKPOINT_FORMAT
    state = torch.load(folder / f"{latest['stem']}.pt", weights_only=True)
    assert state["format"] == CHECKPOINT_FORMAT


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _malicious(path: Path) -> None:
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    path.write_bytes(pickle.dumps(Exploit()))


def _older_progress(path: Path) -> None:
    state = torch.load(path, weights_only=True)
    del state["progress"]["drawn"]
    torch.save(state, path)


@pytest.mark.parametrize("damage,file,why", [
    (_truncate, "safetensors", r"SafetensorError|Error"),
    (lambda p: p.write_bytes(b"garbage" * 10), "safetensors", r"Error"),
    (_truncate, "pt", r"Error"),
    (_malicious, "pt", r"objects that the safe loader refuses"),
    (lambda p: p.write_text(""), "latest.json", r"not a readable pointer"),
    (lambda p: p.write_text("{broken"), "latest.json", r"not a readable pointer"),
    (_older_progress, "pt", r"lacks \['drawn'\]"),
])
# torch's note on the pickled file that _malicious writes by hand, not a warning of ours
@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_a_corrupt_checkpoint_names_the_file_and_the_way_out(tiny_run, isolated_outputs, damage, file, why):
    config, folder = _killed_run(tiny_run)
    stem = latest_checkpoint(folder)["stem"]
    target = folder / ("latest.json" if file == "latest.json" else f"{stem}.{file}")
    damage(target)
    with pytest.raises(CheckpointError) as error:
        train_run(config, 0, sample_data_dir(), progress=False)
    message = str(error.value)
    assert "--no-resume" in message and "weights_only=False" not in message
    assert re.search(why, message), message
    assert str(folder) in message
    # the way out works, and moves the damaged folder aside instead of deleting it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = train_run(config, 0, sample_data_dir(), progress=False, resume=False)
    assert len(record["epochs"]) == 2
    assert (folder.with_name("seed-0.previous") / target.name).exists()


def test_a_changed_config_moves_the_old_run_aside(tiny_run, isolated_outputs):
    train_run(tiny_run("same-name"), 0, sample_data_dir(), progress=False)
    folder = run_dir(tiny_run("same-name"), 0)
    before = (folder / "metrics.json").read_text()
    with pytest.warns(UserWarning, match="moved it to .*seed-0.previous"):
        train_run(tiny_run("same-name", finetune_lr=2e-3), 0, sample_data_dir(), progress=False)
    assert (folder.with_name("seed-0.previous") / "metrics.json").read_text() == before


def test_moving_runs_aside_twice_keeps_both(tiny_run, isolated_outputs):
    folder = run_dir(tiny_run("thrice"), 0)
    rates = (1e-3, 2e-3, 3e-3)
    for rate in rates:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the move-aside's warning, tested above
            train_run(tiny_run("thrice", finetune_lr=rate), 0, sample_data_dir(), progress=False)
    kept = [json.loads((folder.with_name(name) / "config.json").read_text())["finetune_lr"]
            for name in ("seed-0.previous", "seed-0.previous-2", "seed-0")]
    assert kept == list(rates)


@pytest.mark.parametrize("typo", ["minilm-16", "/etc/passwd", "./no/such/folder"])
def test_a_mistyped_checkpoint_stops_before_a_finished_run_is_touched(tiny_run, isolated_outputs,
                                                                     monkeypatch, typo):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(isolated_outputs / "hf"))  # an empty cache
    train_run(tiny_run("typo"), 0, sample_data_dir(), progress=False)
    folder = run_dir(tiny_run("typo"), 0)
    before = {p.name: p.stat().st_mtime_ns for p in folder.rglob("*")}
    with pytest.raises((ModelNotFound, FileNotFoundError), match=re.escape(typo.lstrip("./"))):
        train_run(tiny_run("typo", checkpoint=typo), 0, sample_data_dir(), progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in folder.rglob("*")} == before
    assert not folder.with_name("seed-0.previous").exists()


def test_a_finished_run_stays_resumable_until_its_result_is_stored(tiny_run, isolated_outputs, monkeypatch):
    from bert_core.experiments import run as run_module

    config = tiny_run("store-killed")
    real_store = run_module.store_run
    monkeypatch.setattr(run_module, "store_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, progress=False)
    folder = run_dir(config, 0)
    assert latest_checkpoint(folder) is not None  # killed before the record was stored: resumable
    monkeypatch.setattr(run_module, "store_run", real_store)
    steps = []
    real_step = loop.training_step
    monkeypatch.setattr(loop, "training_step", lambda *a, **k: (steps.append(1), real_step(*a, **k))[1])
    result = run_experiment(config, progress=False)
    assert steps == []  # nothing retrained: the finished run was picked up
    assert load_result(config).runs[0]["epochs"] == result.runs[0]["epochs"]
    assert latest_checkpoint(folder) is None and (folder / "last.safetensors").exists()


def test_two_processes_never_train_into_one_folder(tiny_run, isolated_outputs):
    config = tiny_run("locked")
    with locked_run(config, 0):
        script = textwrap.dedent(f"""
            import os, sys
            os.environ["BERT_CORE_RUNS"] = {str(isolated_outputs / "runs")!r}
            from bert_core.experiments import make_config
            from bert_core.training.run_folder import locked_run, RunLocked
            config = make_config("locked", "smoke")
            try:
                with locked_run(config, 0):
                    sys.exit(0)
            except RunLocked as error:
                print(error); sys.exit(3)
        """)
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert other.returncode == 3, other.stderr
        assert f"process {os.getpid()} is training this run now" in other.stdout
    with locked_run(config, 0):  # released: the same process takes it again
        pass
    with pytest.raises(RunLocked), locked_run(config, 0):
        with locked_run(config, 0):  # a second open file description in this process
            pass


def test_a_diverged_run_on_the_command_line_is_one_line_and_exit_1(tiny_checkpoint, isolated_outputs,
                                                                   capsys, tmp_path):
    config = {"checkpoint": str(tiny_checkpoint), "epochs": 1, "batch_size": 4, "max_length": 32,
              "train_limit": 12, "dev_limit": 10, "predict_test": False, "finetune_lr": 1e30,
              "profile": "smoke"}
    path = _write(tmp_path / "diverge.json", json.dumps(config))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        status = cli.main(["--config", str(path)])
    err = capsys.readouterr().err.strip()  # after the progress bar
    last = err.splitlines()[-1]
    assert status == 1 and "Traceback" not in err and err.count("error: ") == 1
    assert last.startswith("error: diverge (seed 0): ") and last.endswith("Try a lower lr (now 1e+30).")
    assert load_result(make_config("diverge", "smoke", **{k: v for k, v in config.items()
                                                              if k != "profile"})) is None


@pytest.mark.slow
def test_a_run_killed_at_random_steps_resumes_to_the_same_weights(tiny_run, isolated_outputs):
    """kill -9 at a random step (twice), resume, and compare with an uninterrupted run."""
    whole = tiny_run("whole")
    train_run(whole, 0, sample_data_dir(), progress=False)
    broken = tiny_run("broken")
    rng = random.Random(224)
    script = textwrap.dedent("""
        import os, signal, sys, json
        from bert_core.experiments import make_config
        from bert_core.multitask.data import sample_data_dir
        from bert_core.training.loop import train_run
        settings, stop = json.loads(sys.argv[1]), int(sys.argv[2])
        config = make_config("broken", "smoke", **settings)
        def kill(step):
            if step == stop:
                os.kill(os.getpid(), signal.SIGKILL)
        train_run(config, 0, sample_data_dir(), progress=False, on_step=kill)
    """)
    settings = {k: v for k, v in broken.to_dict().items() if k in (
        "checkpoint", "epochs", "batch_size", "max_length", "train_limit", "dev_limit", "checkpoint_every",
        "predict_test", "finetune_lr")}
    for stop in sorted(rng.sample(range(1, 6), 2)):
        done = subprocess.run([sys.executable, "-c", script, json.dumps(settings), str(stop)],
                              env={**os.environ}, capture_output=True, text=True, timeout=600)
        assert done.returncode == -signal.SIGKILL, done.stderr
    train_run(broken, 0, sample_data_dir(), progress=False)
    expected = load_file(str(run_dir(whole, 0) / "last.safetensors"))
    actual = load_file(str(run_dir(broken, 0) / "last.safetensors"))
    assert all(torch.equal(expected[k], actual[k]) for k in expected)


@pytest.mark.parametrize("damage,why", [
    (lambda text: text[: len(text) // 2], r"Expecting|Unterminated|delimiter"),  # cut short
    (lambda text: "<<<<<<< HEAD\n" + text + "=======\n{}\n>>>>>>> theirs\n", "a merge conflict left in it"),
    (lambda text: json.dumps({"runs": {}}), "not a result file"),
    (lambda text: json.dumps({"meta": {}, "payload": {"runs": [1, 2]}}), "not records with a config_hash"),
])
def test_a_damaged_result_file_is_named_before_anything_trains(tiny_run, isolated_outputs, damage, why):
    config = tiny_run("damaged", epochs=1)
    run_experiment(config, progress=False)
    path = results_dir("smoke") / "experiments" / "damaged.json"
    path.write_text(damage(path.read_text()))
    damaged = path.read_text()
    shutil.rmtree(run_dir(config, 0).parent)
    for reuse in (True, False):  # with --no-reuse, before the training, not at the store step
        with pytest.raises(ResultFileError, match=f"{re.escape(str(path))}: .*(?:{why}).*move it away"):
            run_experiment(config, reuse=reuse, progress=False)
    assert path.read_text() == damaged and not run_dir(config, 0).parent.exists()


def test_a_result_file_from_another_profile_is_named_not_read_as_no_runs(tiny_run, isolated_outputs):
    config = tiny_run("copied", epochs=1)
    run_experiment(config, progress=False)
    path = results_dir("smoke") / "experiments" / "copied.json"
    stored = json.loads(path.read_text())
    stored["payload"]["config"]["profile"] = "cpu"  # as if copied from results/cpu/
    path.write_text(json.dumps(stored))
    with pytest.raises(ResultFileError, match=r"copied.json: holds runs of profile 'cpu', not 'smoke'.*"
                                              r"results/cpu/experiments/copied.json"):
        load_result(config)


def test_the_results_page_names_a_damaged_file_in_one_line(isolated_outputs, capsys):
    from bert_core.course import readme

    path = isolated_outputs / "results" / "cpu" / "experiments" / "multitask-baseline.json"
    path.parent.mkdir(parents=True)
    path.write_text("<<<<<<< HEAD\n{}\n")
    assert readme.main(["--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "multitask-baseline.json" in err and "merge conflict" in err


def test_a_disk_too_full_for_the_checkpoints_stops_before_the_run_folder_is_touched(
        tiny_run, isolated_outputs, monkeypatch):
    import errno
    from collections import namedtuple

    from bert_core.training import run_folder

    train_run(tiny_run("full"), 0, sample_data_dir(), progress=False)
    folder = run_dir(tiny_run("full"), 0)
    before = sorted(p.name for p in folder.rglob("*"))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(run_folder.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    with pytest.raises(OSError) as error:
        train_run(tiny_run("full", finetune_lr=2e-3), 0, sample_data_dir(), progress=False)
    assert error.value.errno == errno.ENOSPC and "needs about" in str(error.value)
    assert sorted(p.name for p in folder.rglob("*")) == before


@pytest.mark.parametrize("code,fix", [(28, "free some disk space"), (30, "read-only"),
                                      (13, "folder of yours")])
def test_an_error_of_the_machine_is_one_line_and_exit_1(monkeypatch, capsys, code, fix):
    def fails(*args, **kwargs):
        raise OSError(code, os.strerror(code), "/somewhere/runs/smoke/x/seed-0")

    monkeypatch.setattr(cli, "run_experiment", fails)
    assert cli.main(["multitask-baseline", "--profile", "smoke"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: /somewhere/runs/smoke/x/seed-0: ") and fix in err[0]


def test_a_data_file_that_is_a_folder_is_named(tmp_path):
    (tmp_path / "ids-sst-train.csv").mkdir()
    with pytest.raises(DataError, match=r"ids-sst-train.csv: is a folder, not a data file"):
        load_task("sst", "train", tmp_path)


def test_the_submission_command_names_a_file_given_as_its_folder_and_an_unknown_profile(
        tmp_path, monkeypatch, capsys):
    from bert_core.experiments import submission

    target = tmp_path / "taken"
    target.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"--to .*taken: is a file; name a folder"):
        submission.write_submission({"dev_predictions": {}}, target)
    monkeypatch.setenv("BERT_CORE_PROFILE", "bogus")
    assert submission.main(["write", "final"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: unknown profile 'bogus' (BERT_CORE_PROFILE); choose one of "
                   "['smoke', 'cpu', 'gpu']"]
