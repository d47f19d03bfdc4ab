"""The training loop: runs that repeat, resume where they were killed and stop on NaN.
Runs use a tiny random BERT (``tiny_checkpoint``) on the sample set."""

from __future__ import annotations

import math
import os

import pytest
import torch
from safetensors.torch import load_file

from bert_core.bert.model import BertModel
from bert_core.experiments import (
    ExperimentConfig,
)
from bert_core.multitask.data import sample_data_dir
from bert_core.multitask.model import MultitaskBERT
from bert_core.training import hooks
from bert_core.training.checkpoint import latest_checkpoint, load_weights
from bert_core.training.loop import TrainingDiverged, train_run
from bert_core.training.run_folder import run_dir


def _final_weights(config: ExperimentConfig, seed: int = 0) -> dict[str, torch.Tensor]:
    folder = run_dir(config, seed)
    assert latest_checkpoint(folder) is None and not list(folder.glob("checkpoint-*"))  # finished
    return load_file(str(folder / "last.safetensors"))


def test_same_seed_same_metrics(tiny_run, isolated_outputs):
    first = train_run(tiny_run("a"), 0, sample_data_dir(), progress=False)
    second = train_run(tiny_run("b"), 0, sample_data_dir(), progress=False)
    assert first["epochs"] == second["epochs"] and first["losses"] == second["losses"]
    other = train_run(tiny_run("c"), 1, sample_data_dir(), progress=False)
    assert other["losses"] != first["losses"]
    # a record names its folder the same way wherever the runs folder is
    assert first["run_dir"] == "$BERT_CORE_RUNS/smoke/a/seed-0"


@pytest.mark.parametrize("links", [True, False])
def test_best_weights_of_the_last_epoch_are_on_disk_once(tiny_run, isolated_outputs, monkeypatch, links):
    """One epoch: the best model is the final one, so ``best.safetensors`` and
    ``last.safetensors`` are one file with two names (a copy where hard links fail)."""
    if not links:
        def no_link(*args, **kwargs):
            raise OSError("no hard links here")
        monkeypatch.setattr(os, "link", no_link)
    config = tiny_run("once", epochs=1)
    record = train_run(config, 0, sample_data_dir(), progress=False)
    folder = run_dir(config, 0)
    best, last = folder / "best.safetensors", folder / "last.safetensors"
    assert record["best_epoch"] == 1
    assert os.path.samefile(best, last) is links
    assert best.read_bytes() == last.read_bytes()
    assert not list(folder.glob("*.tmp"))


# The plain case runs in the fast suite; the extensions' cases are the slow matrix.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("sampling,stop_at,options", [
    ("simultaneous", 3, {}),
    # notebook 05's recipe: bucketed batches, the heads' own lr, STS weighted, a fresh pooler
    ("simultaneous", 3, {"length_buckets": True, "head_lr": 1e-2, "task_weights": {"sts": 0.2},
                         "pooler_init": "reset", "train_word_embeddings": False}),
    # every adapter at once (report 003), routed by task; then a frozen encoder with Houlsby's
    # trainable layer norms under the hybrid curriculum's frozen epochs
    ("simultaneous", 3, {"adapters": "pal+low_rank+houlsby+top"}),
    pytest.param("simultaneous", 5, {"adapters": "houlsby", "mode": "pretrain", "curriculum": "hybrid"},
                 marks=SLOW),
    # EDA's variants are drawn by (seed, epoch, id): a resumed run draws the same ones
    ("simultaneous", 3, {"eda_alpha": 0.3, "eda_share": 1.0}),
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
def test_a_killed_run_resumes_to_the_same_weights(tiny_run, isolated_outputs, sampling, stop_at,
                                                  options):
    whole = tiny_run("whole", sampling=sampling, **options)
    whole_record = train_run(whole, 0, sample_data_dir(), progress=False)

    class Killed(Exception):
        pass

    def kill(step: int) -> None:
        if step == stop_at:
            raise Killed

    broken = tiny_run("broken", sampling=sampling, **options)
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


def test_nan_loss_stops_with_step_and_task_and_keeps_the_checkpoint(tiny_run, tiny_checkpoint,
                                                                     isolated_outputs, monkeypatch):
    real_loss = hooks.task_loss
    calls = {"n": 0}

    def poisoned(task, outputs, labels):
        calls["n"] += 1
        loss = real_loss(task, outputs, labels)
        return loss * math.nan if calls["n"] == 8 else loss  # step 3, second task (quora)

    monkeypatch.setattr(hooks, "task_loss", poisoned)
    config = tiny_run("nan")
    with pytest.raises(TrainingDiverged, match=r"quora loss is nan at step 3 .*checkpoint-0000002"):
        train_run(config, 0, sample_data_dir(), progress=False)
    folder = run_dir(config, 0)
    assert latest_checkpoint(folder)["step"] == 2
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint))
    load_weights(model, folder / "checkpoint-0000002.safetensors")  # loads, every key matches
