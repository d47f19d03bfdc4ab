"""Shared fixtures: a tiny config for fast tests, the offline checkpoint for parity tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bert_core.bert.config import BertConfig
from bert_core.bert.weights import resolve_checkpoint
from bert_core.multitask.data import data_dir, sample_data_dir


@pytest.fixture
def tiny_config() -> BertConfig:
    # transformers' test sizes: small enough for milliseconds, odd enough to catch mix-ups.
    return BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=37, max_position_embeddings=64, type_vocab_size=2)


@pytest.fixture(scope="session")
def minilm_folder() -> Path:
    return resolve_checkpoint("minilm-l6")


@pytest.fixture(scope="session")
def course_data() -> Path:
    """The real course data when BERT_CORE_DATA (or data/) has it, else the sample set."""
    folder = data_dir()
    return folder if (folder / "ids-sst-dev.csv").exists() else sample_data_dir()


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, minilm_folder) -> Path:
    """A randomly initialised 2-layer BERT saved as a checkpoint folder (config.json,
    model.safetensors, the real vocab.txt): training tests run in seconds on it."""
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=128, type_vocab_size=2)
    return random_checkpoint(tmp_path_factory.mktemp("tiny-bert"), config, minilm_folder)


@pytest.fixture(scope="session")
def write_checkpoint():
    """``random_checkpoint``, for tests that need a checkpoint folder of another shape."""
    return random_checkpoint


def random_checkpoint(folder: Path, config: BertConfig, vocab_from: Path) -> Path:
    """``folder`` as a checkpoint of ``config`` with random weights (seed 0): config.json,
    model.safetensors and ``vocab_from``'s vocab.txt."""
    import dataclasses
    import json
    import shutil

    from safetensors.torch import save_file

    from bert_core.bert.model import BertModel

    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    torch.manual_seed(0)
    save_file({k: v.contiguous() for k, v in BertModel(config).state_dict().items()},
              str(folder / "model.safetensors"))
    shutil.copy(vocab_from / "vocab.txt", folder / "vocab.txt")
    return folder


@pytest.fixture
def isolated_outputs(tmp_path, monkeypatch) -> Path:
    """Runs and results of the test go to a temporary folder, not the repository."""
    monkeypatch.setenv("BERT_CORE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("BERT_CORE_RESULTS", str(tmp_path / "results"))
    return tmp_path


@pytest.fixture
def tiny_run(tiny_checkpoint):
    """A factory of smoke-profile configs on the tiny BERT: two short epochs, a checkpoint
    every second step, a learning rate that moves a random model."""
    from bert_core.experiments import make_config

    def make(name: str, **overrides):
        settings = dict(checkpoint=str(tiny_checkpoint), epochs=2, batch_size=4, max_length=32,
                        train_limit=12, dev_limit=10, checkpoint_every=2, predict_test=False,
                        finetune_lr=1e-3)
        return make_config(name, "smoke", **{**settings, **overrides})

    return make
