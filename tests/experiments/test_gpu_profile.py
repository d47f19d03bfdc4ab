"""The ``gpu`` profile must not rot unseen: no GPU and no bert-base-uncased download here,
so every table's configs are built in ``gpu``, and one of them trains a step of a randomly
initialised model of bert-base's shape on the CPU (its config is the profile's, but for the
checkpoint folder and the caps that keep it to seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bert_core.bert.config import BertConfig
from bert_core.experiments import preset
from bert_core.experiments.grid import GRID
from bert_core.experiments.profiles import get_profile
from bert_core.multitask.data import sample_data_dir
from bert_core.training.loop import train_run

BERT_BASE = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                       intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)


@pytest.mark.parametrize("t", GRID, ids=[t.key for t in GRID])
def test_every_table_builds_its_configs_in_the_gpu_profile(t):
    configs = t.configs("gpu")
    assert [c.name for c in configs] == t.names
    caps = get_profile("gpu").caps
    for config in configs:  # the course data uncapped, the reports' checkpoint and settings
        assert config.profile == "gpu" and config.checkpoint == caps["checkpoint"] == "bert-base-uncased"
        assert config.train_limit is None and config.batch_size == caps["batch_size"]


@pytest.fixture(scope="module")
def bert_base_shaped(tmp_path_factory, minilm_folder, write_checkpoint) -> Path:
    """A checkpoint folder of bert-base's shape with random weights and the uncased vocabulary."""
    return write_checkpoint(tmp_path_factory.mktemp("bert-base-shaped"), BERT_BASE, minilm_folder)


@pytest.mark.slow
def test_the_gpu_headline_trains_a_step_of_a_bert_base_shaped_model(bert_base_shaped, isolated_outputs):
    config = preset("headline", "gpu", checkpoint=str(bert_base_shaped), train_limit=2, dev_limit=4,
                    epochs=1, batch_size=2, max_length=32, eval_batch_size=4, predict_test=False,
                    warmup_steps=0, seeds=(0,))
    assert (config.profile, config.precision) == ("gpu", "auto")
    record = train_run(config, 0, sample_data_dir(), device="cpu", progress=False)
    assert record["total_parameters"] > 100_000_000  # bert-base's 110M and the heads
    assert record["epochs"][0]["step"] >= 1
    assert all(v == v for v in record["best"].values())  # a number, not NaN, for every task
