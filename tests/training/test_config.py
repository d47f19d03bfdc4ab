"""ExperimentConfig, profiles and presets: layers of defaults, validation, hashes."""

from __future__ import annotations

import pytest

from bert_core.experiments import (
    ExperimentConfig,
    in_profile,
    make_config,
    preset,
)


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


def test_in_profile_keeps_what_the_config_chose_and_takes_the_other_caps():
    smoke = preset("sst-finetune", "smoke", seeds=(0, 1, 2), finetune_lr=3e-5)
    cpu = in_profile(smoke, "cpu")
    assert (cpu.profile, cpu.tasks, cpu.seeds, cpu.finetune_lr) == ("cpu", ("sst",), (0, 1, 2), 3e-5)
    assert cpu.train_limit == make_config("x", "cpu").train_limit != smoke.train_limit


def test_a_new_option_at_its_default_keeps_stored_hashes():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Later(ExperimentConfig):  # a field a later issue might add
        new_option: str = "off"

    config = preset("multitask-baseline", "cpu", seeds=(0, 1))
    later = Later(**config.to_dict())
    assert later.run_hash(1) == config.run_hash(1)
    assert Later(**{**config.to_dict(), "new_option": "on"}).run_hash(1) != config.run_hash(1)
