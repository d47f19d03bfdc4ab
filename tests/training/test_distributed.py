"""Data-parallel training (``bert_core.training.distributed``): N processes on the gloo
backend end with the weights of one process that trains the same global batches, plain,
with PCGrad, with SMART and with the ranking loss and DWA; only rank 0 prints and stores;
a killed job resumes under another number of processes. Runs use the tiny random BERT
without any dropout (dropout masks are drawn per process, so a run with dropout matches in
distribution only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from bert_core.multitask.data import sample_data_dir
from bert_core.training.distributed import SINGLE, World, run_in_processes
from bert_core.training.loop import train_run
from bert_core.training.run_folder import run_dir
from bert_core.training.smart_terms import example_noise

NO_DROPOUT = {"hidden_dropout": 0.0, "head_dropout": 0.0, "attention_dropout": 0.0}


@pytest.fixture
def still_run(tiny_run):
    """``tiny_run`` configs without any dropout."""
    def make(name: str, **options):
        return tiny_run(name, **{**NO_DROPOUT, **options})

    return make


def _weights(config, seed: int = 0) -> dict[str, torch.Tensor]:
    return load_file(str(run_dir(config, seed) / "last.safetensors"))


def _assert_same_weights(one: dict[str, torch.Tensor], other: dict[str, torch.Tensor]) -> None:
    assert one.keys() == other.keys()
    for name in one:
        torch.testing.assert_close(other[name], one[name], rtol=1e-4, atol=1e-5, msg=name)


# --- what each process computes ------------------------------------------------------------

def test_shards_cover_the_batch_once_and_weigh_by_size():
    batch = list(range(5))
    shards = [World(r, 2).shard(batch) for r in range(2)]
    assert shards == [([0, 1], 0.4), ([2, 3, 4], 0.6)]
    assert sum(w for _, w in shards) == 1.0
    three = [World(r, 3).shard(batch) for r in range(3)]
    assert [x for shard, _ in three for x in shard] == batch
    assert SINGLE.shard(batch) == (batch, 1.0)


def test_a_rank_left_without_examples_computes_one_at_weight_zero():
    # a batch of one over two ranks: rank 0 has nothing, so it runs the example at weight 0
    assert World(0, 2).shard(["x"]) == (["x"], 0.0)
    assert World(1, 2).shard(["x"]) == (["x"], 1.0)


def test_an_unshardable_loss_runs_the_whole_batch_at_one_over_n():
    assert World(1, 4).shard([1, 2, 3], shardable=False) == ([1, 2, 3], 0.25)


def test_smart_noise_depends_on_the_example_not_on_its_batch():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    both = example_noise(["a", "b"], mask, 5)
    alone = example_noise(["b"], torch.tensor([[1, 1]]), 5)  # another batch, padded otherwise
    torch.testing.assert_close(alone[0], both[1, :2])
    assert both[0, 3].abs().sum() == 0 and both[1, 2:].abs().sum() == 0  # padding gets none
    assert not torch.equal(both[0, :2], both[1, :2])
    torch.testing.assert_close(example_noise(["a", "b"], mask, 5), both)  # a function of the key


# --- N processes against one ---------------------------------------------------------------

CASES = {
    "plain": {"task_weights": {"sts": 0.2}},
    "pcgrad": {"pcgrad": True},
    "smart": {"smart": "smarter-minbert"},
    "ranking-dwa": {"sts_loss": "mnr_then_mse", "loss_balancing": "dwa"},
}


def _train_each(configs: list) -> list[dict]:
    """Train seed 0 of each config in turn (every rank of a job runs this)."""
    return [train_run(config, 0, sample_data_dir(), "cpu", True, False) for config in configs]


@pytest.fixture(scope="module")
def runs(tiny_checkpoint, tmp_path_factory) -> dict[str, dict]:
    """Each case trained by one process, by two (one job for all cases: a job's start costs
    more than its tiny runs) and, plain only, by three. Batches of 5 split 2 / 3, and each
    epoch's last batch of 2 split 1 / 1, or 0 / 1 / 1 over three ranks."""
    from bert_core.experiments import make_config

    folder = tmp_path_factory.mktemp("distributed")
    settings = dict(checkpoint=str(tiny_checkpoint), epochs=2, batch_size=5, max_length=32, train_limit=12,
                    dev_limit=10, checkpoint_every=2, predict_test=False, finetune_lr=1e-3, **NO_DROPOUT)

    def configs(suffix: str, cases: list[str]) -> list:
        return [make_config(f"{case}-{suffix}", "smoke", **{**settings, **CASES[case]}) for case in cases]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BERT_CORE_RUNS", str(folder / "runs"))
        patch.setenv("BERT_CORE_RESULTS", str(folder / "results"))
        out: dict[str, dict] = {}
        for config, record in zip(configs("one", list(CASES)), _train_each(configs("one", list(CASES)))):
            out[config.name] = {"record": record, "weights": _weights(config)}
        ranks = run_in_processes(2, _train_each, configs("two", list(CASES)))
        for i, config in enumerate(configs("two", list(CASES))):
            out[config.name] = {"record": ranks[0][i], "other": ranks[1][i], "weights": _weights(config)}
        ranks = run_in_processes(3, _train_each, configs("three", ["plain"]))
        (config,) = configs("three", ["plain"])
        out[config.name] = {"record": ranks[0][0], "other": ranks[2][0], "weights": _weights(config)}
    return out


@pytest.mark.slow
@pytest.mark.parametrize("case", [*CASES, "plain@3"])
def test_processes_end_with_the_weights_of_one(runs, case):
    case, _, n = case.partition("@")
    alone, together = runs[f"{case}-one"], runs[f"{case}-{'three' if n == '3' else 'two'}"]
    size = int(n or 2)
    assert together["other"] == {"rank": size - 1, "world_size": size}
    assert together["record"]["world_size"] == size and alone["record"]["world_size"] == 1
    _assert_same_weights(alone["weights"], together["weights"])
    # the losses the records keep are the global batch means, as one process computes them
    for a, b in zip(alone["record"]["losses"], together["record"]["losses"], strict=True):
        assert a[:2] == b[:2] and b[2] == pytest.approx(a[2], abs=1e-4)
    for name in ("smart", "gradients"):  # SMART's penalties, PCGrad's cosines
        if name in alone["record"]:
            for a, b in zip(alone["record"][name], together["record"][name], strict=True):
                assert a[:-1] == b[:-1] and b[-1] == pytest.approx(a[-1], rel=1e-3, abs=1e-6)


class _Killed(RuntimeError):
    pass


def _kill_at_step_3(step: int) -> None:
    if step == 3:
        raise _Killed(f"killed at step {step}")


@pytest.mark.slow
def test_a_killed_job_resumes_under_another_number_of_processes(still_run, isolated_outputs):
    options = {"batch_size": 4, "pcgrad": True}
    whole = still_run("whole", **options)
    train_run(whole, 0, sample_data_dir(), progress=False)
    broken = still_run("broken", **options)
    with pytest.raises(Exception, match="killed at step 3"):
        run_in_processes(2, train_run, broken, 0, sample_data_dir(), "cpu", True, False, _kill_at_step_3)
    assert json.loads((run_dir(broken, 0) / "latest.json").read_text())["step"] == 2
    resumed = train_run(broken, 0, sample_data_dir(), progress=False)  # one process goes on
    _assert_same_weights(_weights(whole), _weights(broken))
    assert resumed["world_size"] == 1


@pytest.mark.slow
def test_torchrun_two_processes_give_the_one_process_result(tiny_checkpoint, tmp_path):
    """The README's command, ``torchrun --nproc_per_node 2 -m bert_core.train``, in smoke:
    the result of one process, printed and stored once (rank 0), in one run folder."""
    settings = [f"checkpoint={tiny_checkpoint}", "hidden_dropout=0", "head_dropout=0", "attention_dropout=0",
                "train_limit=12",
                "dev_limit=10", "predict_test=false", "finetune_lr=1e-3"]
    common = ["multitask-baseline", "--profile", "smoke", "--seeds", "0"]
    common += [arg for setting in settings for arg in ("--set", setting)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    torchrun = Path(sys.executable).with_name("torchrun")
    one = subprocess.run([sys.executable, "-m", "bert_core.train", *common, "--name", "one"],
                         env={**env, "BERT_CORE_RUNS": str(tmp_path / "runs-one")}, capture_output=True,
                         text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-2000:]
    launch = [str(torchrun), "--standalone", "--nproc_per_node", "2", "-m", "bert_core.train"]
    two = subprocess.run([*launch, *common, "--name", "two"], capture_output=True, text=True, timeout=600,
                         env={**env, "BERT_CORE_RUNS": str(tmp_path / "runs-two")})
    assert two.returncode == 0, two.stderr[-2000:]
    assert two.stdout.count("best dev checkpoint per seed") == 1  # rank 0 alone prints
    # smoke results are scratch beside the runs (store.results_dir)
    first = json.loads((tmp_path / "runs-one/results/smoke/experiments/one.json").read_text())
    second = json.loads((tmp_path / "runs-two/results/smoke/experiments/two.json").read_text())
    run_one, run_two = (next(iter(r["payload"]["runs"].values())) for r in (first, second))
    assert list(second["payload"]["runs"]) == ["0"] and run_two["world_size"] == 2  # stored once
    folders = tmp_path / "runs-two/smoke/two"
    assert sorted(p.name for p in folders.iterdir()) == ["seed-0", "seed-0.lock"]
    for task, value in run_one["best"].items():
        assert run_two["best"][task] == pytest.approx(value, abs=1e-3)
    _assert_same_weights(load_file(str(tmp_path / "runs-one/smoke/one/seed-0/last.safetensors")),
                         load_file(str(tmp_path / "runs-two/smoke/two/seed-0/last.safetensors")))
