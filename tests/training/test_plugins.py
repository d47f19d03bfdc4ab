"""The loop's plug-in points: which extensions a config turns on, in which order, and that
a new extension needs its module and one registration, not a change to the loop."""

from __future__ import annotations

import pytest
import torch

from bert_core.experiments import make_config
from bert_core.multitask.data import sample_data_dir
from bert_core.training import plugins
from bert_core.training.balancing import LossBalancing
from bert_core.training.datasets import training_data
from bert_core.training.hooks import Extension
from bert_core.training.loop import train_run
from bert_core.training.pcgrad import SurgeryExtension
from bert_core.training.ranking import RankingLoss
from bert_core.training.recipe import model_for
from bert_core.training.smart import SmartExtension


def _config(tiny_checkpoint, **fields):
    return make_config("plug", "smoke", **{"checkpoint": str(tiny_checkpoint), "epochs": 1, "batch_size": 4,
                                           "max_length": 32, "epoch_length": 2, "dev_limit": 4,
                                           "predict_test": False, **fields})


@pytest.mark.parametrize("fields,kinds", [
    ({}, []),
    ({"loss_balancing": "dwa"}, [LossBalancing]),
    ({"pcgrad": True, "smart": "smart-surgery"}, [SmartExtension, SurgeryExtension]),
    ({"heads": {"similarity": "cosine"}, "sts_loss": "mnr_then_mse", "loss_balancing": "squared",
      "smart": "jiang2020", "epochs": 2}, [RankingLoss, LossBalancing, SmartExtension]),
])
def test_a_config_turns_on_its_extensions_in_order(tiny_checkpoint, fields, kinds):
    config = _config(tiny_checkpoint, **fields)
    built = plugins.extensions_for(config, model_for(config), training_data(config, sample_data_dir()))
    assert [type(e) for e in built] == kinds


def test_a_registered_extension_acts_without_a_change_to_the_loop(tiny_checkpoint, isolated_outputs,
                                                                  monkeypatch):
    """An extension that doubles the STS term and counts the steps it saw: the STS loss's
    gradient doubles, so the run's weights differ from the baseline's."""
    seen = []

    class DoubleSts(Extension):
        records = ("doubled",)

        def terms(self, losses, extras, step, terms):
            return {t: 2 * v if t == "sts" else v for t, v in terms.items()}

        def after_step(self, model, step, losses, extras):
            seen.append(step.index)
            step.state.record("doubled").append([step.index + 1, round(losses["sts"].item(), 5)])

    config = _config(tiny_checkpoint)
    baseline = train_run(config, 0, sample_data_dir(), progress=False)
    monkeypatch.setattr(plugins, "PLUGINS", (*plugins.PLUGINS, plugins.Plugin(
        "double-sts", lambda config, model, train, seed: DoubleSts())))
    with pytest.warns(UserWarning, match="held another run"):  # the baseline's folder, moved aside
        doubled = train_run(config, 0, sample_data_dir(), progress=False)
    assert seen == [0, 1]
    assert [row[0] for row in doubled["doubled"]] == [1, 2]  # its record reaches the run's record
    first = [r for r in doubled["losses"] if r[0] == 1]
    assert first == [r for r in baseline["losses"] if r[0] == 1]  # the same first batch and weights
    assert doubled["losses"] != baseline["losses"]  # then the doubled gradient moved them apart
    assert "doubled" not in baseline
    assert torch.tensor([r[2] for r in doubled["losses"]]).isfinite().all()


def test_two_extensions_that_own_the_backward_pass_stop_the_run_before_it_trains(tiny_checkpoint,
                                                                                 monkeypatch):
    class OwnBackward(Extension):
        def backward(self, terms, step):
            sum(terms.values()).backward()
            return True

    config = _config(tiny_checkpoint, pcgrad=True)
    model, train = model_for(config), training_data(config, sample_data_dir())
    assert [plugins.owns_backward(e) for e in plugins.extensions_for(config, model, train)] == [True]
    monkeypatch.setattr(plugins, "PLUGINS", (*plugins.PLUGINS, plugins.Plugin(
        "own-backward", lambda config, model, train, seed: OwnBackward())))
    with pytest.raises(ValueError, match="pcgrad, own-backward each own the backward pass"):
        plugins.extensions_for(config, model, train)


def test_the_training_step_is_the_sum_of_the_task_losses_then_adamw(tiny_checkpoint):
    """With no extension, ``training_step`` is the step written out by hand: each task's
    batch loss, their sum back-propagated, one AdamW step; bit for bit."""
    from bert_core.bert.optim import AdamW
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.training.hooks import Source, Step, task_batch_loss
    from bert_core.training.state import TrainingState
    from bert_core.training.step import training_step

    config = _config(tiny_checkpoint, hidden_dropout=0.0, attention_dropout=0.0, head_dropout=0.0)
    train = training_data(config, sample_data_dir())
    batches = {task: examples[:4] for task, examples in train.items()}
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(32)
    torch.manual_seed(0)
    stepped = model_for(config)
    by_hand = model_for(config)
    by_hand.load_state_dict(stepped.state_dict())
    before = {k: v.clone() for k, v in stepped.state_dict().items()}
    optimizers = [AdamW(m.parameters(), lr=1e-3) for m in (stepped, by_hand)]

    sources = {task: Source(task, examples) for task, examples in train.items()}
    losses = training_step(stepped, optimizers[0], tokenizer, batches, sources, [],
                           Step(0, 0, 0, TrainingState("test")), torch.device("cpu"))
    expected = {task: task_batch_loss(by_hand, tokenizer, task, batch, torch.device("cpu"))[0]
                for task, batch in batches.items()}
    sum(expected.values()).backward()
    optimizers[1].step()
    assert {t: v.item() for t, v in losses.items()} == {t: v.item() for t, v in expected.items()}
    after, reference = stepped.state_dict(), by_hand.state_dict()
    assert all(torch.equal(after[k], reference[k]) for k in after)
    assert not all(torch.equal(after[k], v) for k, v in before.items())  # and the step moved the weights


def test_a_registered_plugin_checks_its_own_fields_when_a_config_is_made(monkeypatch):
    """The config asks every plug-in of the registry; a new one's check needs no change to
    ``ExperimentConfig`` (here a toy that refuses more than 5 epochs)."""
    from bert_core.errors import ConfigError

    def at_most_five_epochs(config):
        if config.epochs > 5:
            raise ValueError(f"epochs={config.epochs}: the toy extension trains at most 5")

    make_config("toy", "smoke", epochs=6)  # not registered yet: fine
    monkeypatch.setattr(plugins, "PLUGINS", (*plugins.PLUGINS, plugins.Plugin(
        "toy", lambda config, model, train, seed: None, at_most_five_epochs)))
    with pytest.raises(ConfigError, match=r"ExperimentConfig\('toy'\): epochs=6: the toy extension"):
        make_config("toy", "smoke", epochs=6)


def test_the_registry_keeps_its_order_rules():
    position = {plugin.name: i for i, plugin in enumerate(plugins.PLUGINS)}
    assert len(position) == len(plugins.PLUGINS)  # one line each
    for earlier, later, why in plugins.ORDER:
        assert position[earlier] < position[later], why


def test_every_preset_builds_its_extensions_in_the_registry_s_order(tiny_checkpoint):
    """Every combination of extensions that a preset turns on builds in ``PLUGINS``' order,
    with one backward owner at most."""
    from bert_core.experiments.presets import PRESETS, preset
    from bert_core.training.balancing import TaskWeights
    from bert_core.training.eda import EdaAugmentation

    plugin_of = {RankingLoss: "ranking", LossBalancing: "balancing", TaskWeights: "weights",
                 SmartExtension: "smart", SurgeryExtension: "pcgrad", EdaAugmentation: "eda"}
    order = [plugin.name for plugin in plugins.PLUGINS]
    combinations = set()
    for profile in ("smoke", "cpu"):  # the cpu profile's caps add fixed task weights
        for name in PRESETS:
            config = preset(name, profile, checkpoint=str(tiny_checkpoint), max_length=32)
            train = training_data(config, sample_data_dir())
            built = plugins.extensions_for(config, model_for(config), train)
            names = [plugin_of[type(extension)] for extension in built]
            assert names == sorted(names, key=order.index), (profile, name)
            combinations.add(tuple(names))
    assert {("ranking", "weights"), ("balancing", "weights"), ("weights", "smart", "pcgrad"),
            ("weights", "eda")} <= combinations
