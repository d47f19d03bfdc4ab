"""Finding checkpoints and the one checkpoint-name mapping."""

from __future__ import annotations

import json

import pytest
import torch

from bert_core.bert.config import BertConfig
from bert_core.bert.model import BertModel
from bert_core.bert.weights import (
    checkpoint_key_to_minbert,
    load_pretrained_weights,
    read_checkpoint_state_dict,
    resolve_checkpoint,
)
from bert_core.errors import ModelNotFound


def test_every_checkpoint_key_maps_to_exactly_one_of_ours(minilm_folder):
    state = read_checkpoint_state_dict(minilm_folder)
    ours = BertModel(BertConfig.from_json(minilm_folder)).state_dict()
    mapped = [checkpoint_key_to_minbert(k) for k in state]
    assert None not in mapped
    assert len(set(mapped)) == len(mapped), "two checkpoint keys map to one of ours"
    assert set(mapped) == set(ours), (set(mapped) ^ set(ours))
    for key, name in zip(state, mapped):
        assert state[key].shape == ours[name].shape, key


def test_loaded_tensors_are_the_checkpoint_tensors(minilm_folder):
    model = BertModel.from_pretrained("minilm-l6")
    state = read_checkpoint_state_dict(minilm_folder)
    torch.testing.assert_close(model.bert_layers[3].self_attention.query.weight,
                               state["encoder.layer.3.attention.self.query.weight"], atol=0, rtol=0)
    torch.testing.assert_close(model.embeddings.layer_norm.bias, state["embeddings.LayerNorm.bias"],
                               atol=0, rtol=0)
    assert model.load_report.loaded == len(state)


def _legacy_checkpoint(model: BertModel, folder, with_heads: bool = True) -> dict:
    """Our weights under the original BERT release's names (bert. prefix, gamma/beta)."""
    ref = {
        "bert.embeddings.word_embeddings.weight": model.embeddings.word_embedding.weight,
        "bert.embeddings.position_embeddings.weight": model.embeddings.pos_embedding.weight,
        "bert.embeddings.token_type_embeddings.weight": model.embeddings.tk_type_embedding.weight,
        "bert.embeddings.LayerNorm.gamma": model.embeddings.layer_norm.weight,
        "bert.embeddings.LayerNorm.beta": model.embeddings.layer_norm.bias,
        "bert.pooler.dense.weight": model.pooler_dense.weight,
        "bert.pooler.dense.bias": model.pooler_dense.bias,
    }
    for i, layer in enumerate(model.bert_layers):
        p = f"bert.encoder.layer.{i}."
        for w in ("weight", "bias"):
            ref[p + f"attention.self.query.{w}"] = getattr(layer.self_attention.query, w)
            ref[p + f"attention.self.key.{w}"] = getattr(layer.self_attention.key, w)
            ref[p + f"attention.self.value.{w}"] = getattr(layer.self_attention.value, w)
            ref[p + f"attention.output.dense.{w}"] = getattr(layer.attention_dense, w)
            ref[p + f"intermediate.dense.{w}"] = getattr(layer.interm_dense, w)
            ref[p + f"output.dense.{w}"] = getattr(layer.out_dense, w)
        ref[p + "attention.output.LayerNorm.gamma"] = layer.attention_layer_norm.weight
        ref[p + "attention.output.LayerNorm.beta"] = layer.attention_layer_norm.bias
        ref[p + "output.LayerNorm.gamma"] = layer.out_layer_norm.weight
        ref[p + "output.LayerNorm.beta"] = layer.out_layer_norm.bias
    if with_heads:
        ref["cls.predictions.bias"] = torch.zeros(model.config.vocab_size)
    state = {k: v.detach().clone() for k, v in ref.items()}
    (folder / "config.json").write_text(json.dumps(model.config.to_dict()))
    torch.save(state, folder / "pytorch_model.bin")
    return state


def test_legacy_names_and_pytorch_bin_load(tiny_config, tmp_path):
    source = BertModel(tiny_config)
    _legacy_checkpoint(source, tmp_path)
    target = BertModel(tiny_config)
    report = load_pretrained_weights(target, tmp_path)
    assert report.missing == [] and report.unexpected == []
    assert report.ignored == ["cls.predictions.bias"]
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        torch.testing.assert_close(a, b, atol=0, rtol=0, msg=name)


def test_missing_and_unexpected_keys_are_reported(tiny_config, tmp_path):
    state = _legacy_checkpoint(BertModel(tiny_config), tmp_path, with_heads=False)
    del state["bert.pooler.dense.bias"]
    state["bert.encoder.layer.0.attention.self.rotary.weight"] = torch.zeros(3)
    torch.save(state, tmp_path / "pytorch_model.bin")
    with pytest.raises(KeyError, match="pooler_dense.bias.*rotary"):
        load_pretrained_weights(BertModel(tiny_config), tmp_path)
    report = load_pretrained_weights(BertModel(tiny_config), tmp_path, strict=False)
    assert report.missing == ["pooler_dense.bias"]
    assert report.unexpected == ["bert.encoder.layer.0.attention.self.rotary.weight"]


def test_shape_mismatch_names_the_key(tiny_config, tmp_path):
    _legacy_checkpoint(BertModel(tiny_config), tmp_path)
    wider = BertConfig(**{**tiny_config.to_dict(), "intermediate_size": 40})
    with pytest.raises(ValueError, match="intermediate.dense.weight has shape"):
        load_pretrained_weights(BertModel(wider), tmp_path)


def test_resolve_offline_default_and_folders(minilm_folder, tmp_path):
    assert (resolve_checkpoint("minilm-l6") / "model.safetensors").exists()
    assert resolve_checkpoint(str(minilm_folder)) == minilm_folder
    with pytest.raises(FileNotFoundError, match="config.json"):
        resolve_checkpoint(tmp_path)  # a folder with no checkpoint in it
    with pytest.raises(FileNotFoundError, match="no such checkpoint folder"):
        resolve_checkpoint("./no/such/folder")


def test_hub_id_offline_fails_at_once_with_a_way_out(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    with pytest.raises(ModelNotFound, match="offline.*a typo.*minilm-l6.*folder"):
        resolve_checkpoint("bert-base-uncased")
