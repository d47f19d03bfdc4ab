"""Samplers, curricula and training-set sizes (bert_core.sampling): frequencies on many
draws, the annealing schedule, the plans of the curricula, and what a run trains."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from bert_core.experiments import make_config
from bert_core.multitask.data import sample_data_dir
from bert_core.training.datasets import training_data
from bert_core.training.loop import train_run
from bert_core.training.run_folder import run_dir
from bert_core.training.sampling import (
    Schedule,
    TaskStream,
    annealing_alpha,
    batches_per_task,
    limited_sizes,
    step_tasks,
    steps_per_epoch,
    task_probabilities,
)

SIZES = {"sst": 8544, "quora": 16260, "sts": 6040}  # the course's training sets here


def _frequencies(schedule: Schedule, epoch: int) -> dict[str, float]:
    counts = schedule.plan(epoch).batches()
    return {t: counts.get(t, 0) / schedule.plan(epoch).steps for t in schedule.tasks}


def test_proportional_draws_each_task_as_often_as_its_share_of_the_data():
    schedule = Schedule(SIZES, 8, epochs=1, seed=0, sampling="proportional", epoch_length=20000)
    total = sum(SIZES.values())
    for task, frequency in _frequencies(schedule, 0).items():
        assert frequency == pytest.approx(SIZES[task] / total, abs=0.01)  # 3.5 standard errors
    assert all(len(tasks) == 1 for tasks in schedule.plan(0).step_tasks)


def test_annealing_alpha_follows_the_schedule():
    assert annealing_alpha(1, 10) == 1.0 and annealing_alpha(10, 10) == pytest.approx(0.2)
    assert annealing_alpha(4, 10) == pytest.approx(1 - 0.8 * 3 / 9)
    assert annealing_alpha(1, 1) == 1.0
    with pytest.raises(ValueError):
        annealing_alpha(0, 3)


def test_annealed_sampling_moves_from_proportional_to_nearly_uniform():
    schedule = Schedule(SIZES, 8, epochs=3, seed=0, sampling="annealed", epoch_length=20000)
    first = task_probabilities(SIZES, "annealed", 1, 3)
    assert first == pytest.approx(task_probabilities(SIZES, "proportional"))
    last = {t: n ** 0.2 for t, n in SIZES.items()}
    for task, frequency in _frequencies(schedule, 2).items():
        assert frequency == pytest.approx(last[task] / sum(last.values()), abs=0.01)
    middle = _frequencies(schedule, 1)["quora"]
    assert _frequencies(schedule, 0)["quora"] > middle > _frequencies(schedule, 2)["quora"] > 1 / 3


def test_drawn_plans_are_a_function_of_the_seed_and_epoch():
    def plan(seed, epoch=0):
        return Schedule(SIZES, 8, 2, seed, "proportional", 50).plan(epoch).step_tasks

    assert plan(0) == plan(0) and plan(0) != plan(1) and plan(0) != plan(0, 1)


def test_epoch_length_sum_and_sequential_blocks():
    sizes = {"sst": 100, "quora": 1000, "sts": 50}
    assert steps_per_epoch(sizes, 10, "proportional", "sum") == 10 + 100 + 5
    assert steps_per_epoch(sizes, 10, "simultaneous", "sum") == 39  # ceil(115 / 3): the same batches
    assert batches_per_task(sizes, 10, 7) == {"sst": 3, "quora": 2, "sts": 2}
    plan = Schedule(sizes, 10, 2, 0, curriculum="sequential", epoch_length="sum").plan(1)
    assert plan.step_tasks == (("sst",),) * 10 + (("quora",),) * 100 + (("sts",),) * 5
    assert not plan.shared_frozen


def test_hybrid_curriculum_alternates_frozen_sequential_and_downsampled_simultaneous_epochs():
    sizes = {"sst": 100, "quora": 1000, "sts": 50}
    schedule = Schedule(sizes, 10, 3, 0, curriculum="hybrid")
    first, second, third = (schedule.plan(e) for e in range(3))
    assert first.shared_frozen and first.kind == "sequential"
    assert first.batches() == {"sst": 10, "quora": 100, "sts": 5}  # each task a pass over its data
    assert not second.shared_frozen
    assert second.step_tasks == (("sst", "quora", "sts"),) * 5  # cut to STS's size
    assert third == Schedule(sizes, 10, 3, 0, curriculum="hybrid").plan(2) and third.shared_frozen
    assert schedule.epoch_start(2) == 115 + 5 and schedule.total_steps == 115 + 5 + 115


def test_limits_per_task_or_as_a_share_of_a_total():
    assert limited_sizes(SIZES, 400) == {"sst": 400, "quora": 400, "sts": 400}
    shares = limited_sizes(SIZES, 400, "total")
    assert sum(shares.values()) <= 1200 and shares["quora"] > shares["sst"] > shares["sts"]
    assert shares["quora"] / shares["sts"] == pytest.approx(16260 / 6040, rel=0.01)
    assert limited_sizes({"a": 5, "b": 7}, 400, "total") == {"a": 5, "b": 7}
    with pytest.raises(ValueError, match="train_limit_mode"):
        limited_sizes(SIZES, 400, "proportional")


def test_training_data_subsamples_a_fixed_fraction_before_the_limit(tiny_checkpoint):
    config = make_config("sub", "smoke", checkpoint=str(tiny_checkpoint), subsample={"quora": 0.5})
    full = training_data(make_config("full", "smoke", checkpoint=str(tiny_checkpoint)), sample_data_dir())
    half = training_data(config, sample_data_dir())
    assert len(half["quora"]) == round(0.5 * len(full["quora"])) and half["sst"] == full["sst"]
    assert half["quora"] == training_data(config, sample_data_dir())["quora"]  # the same subset every time
    assert {e.id for e in half["quora"]} <= {e.id for e in full["quora"]}
    with pytest.raises(ValueError, match="fraction"):
        make_config("bad", "smoke", subsample={"quora": 1.5})


def test_config_refuses_combinations_that_mean_nothing():
    with pytest.raises(ValueError, match="leave sampling"):
        make_config("x", "smoke", curriculum="hybrid", sampling="round_robin")
    with pytest.raises(ValueError, match="own epoch"):
        make_config("x", "smoke", curriculum="hybrid", epoch_length="sum")
    with pytest.raises(ValueError, match="pcgrad projects"):
        make_config("x", "smoke", pcgrad=True, curriculum="sequential")
    make_config("x", "smoke", pcgrad=True, curriculum="hybrid")  # its even epochs are simultaneous


def test_hybrid_first_epoch_trains_only_the_heads(tiny_checkpoint, isolated_outputs):
    config = make_config("hybrid", "smoke", checkpoint=str(tiny_checkpoint), epochs=1, batch_size=4,
                         max_length=32, train_limit=8, dev_limit=4, predict_test=False, finetune_lr=1e-3,
                         curriculum="hybrid")
    record = train_run(config, 0, sample_data_dir(), progress=False)
    assert record["epoch_batches"] == [{"sst": 2, "quora": 2, "sts": 2}]
    before = load_file(str(tiny_checkpoint / "model.safetensors"))
    after = load_file(str(run_dir(config, 0) / "best.safetensors"))
    for key, value in before.items():
        assert torch.equal(after[f"bert.{key}"], value), key  # the encoder was frozen all epoch


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
