"""Shared fixtures: a tiny config for fast tests, the offline checkpoint for parity tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bert_core.config import BertConfig
from bert_core.data import data_dir, sample_data_dir
from bert_core.weights import resolve_checkpoint


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
