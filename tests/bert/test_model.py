"""minBERT against transformers' BertModel with the same weights, and its own invariants."""

from __future__ import annotations

import pytest
import torch

from bert_core.bert.config import BertConfig
from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.bert.weights import load_pretrained_weights

transformers = pytest.importorskip("transformers")

PAIRS = (
    ["A man is playing a guitar.", "How do I learn Python quickly?", "Short."],
    ["Someone plays an instrument on stage tonight.", "What is the fastest way?", "Yes"],
)


@pytest.fixture(scope="module")
def minilm_batch(minilm_folder):
    tok = Tokenizer.from_pretrained(minilm_folder)
    batch = tok(*PAIRS)
    assert (batch["attention_mask"] == 0).any(), "the batch must contain padding"
    assert (batch["token_type_ids"] == 1).any(), "the batch must contain second-segment tokens"
    return batch


@pytest.fixture(scope="module")
def reference_outputs(minilm_folder, minilm_batch):
    ref = transformers.BertModel.from_pretrained(minilm_folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = ref(**minilm_batch)
    return out.last_hidden_state, out.pooler_output


@pytest.mark.parametrize("attn", ["explicit", "sdpa"])
def test_matches_transformers_on_offline_checkpoint(minilm_folder, minilm_batch, reference_outputs, attn):
    model = BertModel.from_pretrained(minilm_folder, attn_implementation=attn).eval()
    with torch.no_grad():
        out = model(**minilm_batch)
    real = minilm_batch["attention_mask"].bool()
    ref_hidden, ref_pooled = reference_outputs
    torch.testing.assert_close(out["last_hidden_state"][real], ref_hidden[real], atol=1e-4, rtol=0)
    torch.testing.assert_close(out["pooler_output"], ref_pooled, atol=1e-4, rtol=0)


def test_matches_transformers_on_tiny_random_config(tiny_config, tmp_path):
    """Loading transformers' own weights for an odd-sized config (intermediate 37, 4 heads)."""
    ref_config = transformers.BertConfig(**{k: v for k, v in tiny_config.to_dict().items()
                                            if k != "attn_implementation"}, attn_implementation="eager")
    ref = transformers.BertModel(ref_config).eval()
    ref.save_pretrained(tmp_path)
    model = BertModel(BertConfig.from_json(tmp_path, attn_implementation="explicit")).eval()
    report = load_pretrained_weights(model, tmp_path)
    assert report.missing == [] and report.unexpected == []
    ids = torch.randint(1, 99, (3, 11))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    with torch.no_grad():
        ours = model(ids, mask, types)
        theirs = ref(input_ids=ids, attention_mask=mask, token_type_ids=types)
    real = mask.bool()
    torch.testing.assert_close(ours["last_hidden_state"][real], theirs.last_hidden_state[real],
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(ours["pooler_output"], theirs.pooler_output, atol=1e-5, rtol=0)


def _random_batch(config: BertConfig, B: int = 4, T: int = 13):
    ids = torch.randint(1, config.vocab_size, (B, T))
    mask = torch.ones_like(ids)
    mask[0, 9:] = 0
    mask[2, 4:] = 0
    types = (torch.arange(T) >= 6).long().expand(B, T)
    return ids, mask, types


def test_explicit_and_fused_attention_agree(tiny_config, minilm_folder, minilm_batch):
    explicit = BertModel(BertConfig(**{**tiny_config.to_dict(), "attn_implementation": "explicit"})).eval()
    fused = BertModel(BertConfig(**{**tiny_config.to_dict(), "attn_implementation": "sdpa"})).eval()
    fused.load_state_dict(explicit.state_dict())
    ids, mask, types = _random_batch(tiny_config)
    with torch.no_grad():
        a, b = explicit(ids, mask, types), fused(ids, mask, types)
    real = mask.bool()
    torch.testing.assert_close(a["last_hidden_state"][real], b["last_hidden_state"][real], atol=1e-5, rtol=0)
    torch.testing.assert_close(a["pooler_output"], b["pooler_output"], atol=1e-5, rtol=0)
    # and on the real checkpoint
    real_explicit = BertModel.from_pretrained(minilm_folder, attn_implementation="explicit").eval()
    real_fused = BertModel.from_pretrained(minilm_folder, attn_implementation="sdpa").eval()
    with torch.no_grad():
        a, b = real_explicit(**minilm_batch), real_fused(**minilm_batch)
    real = minilm_batch["attention_mask"].bool()
    torch.testing.assert_close(a["last_hidden_state"][real], b["last_hidden_state"][real], atol=1e-5, rtol=0)


def test_padding_does_not_change_real_tokens(tiny_config):
    model = BertModel(tiny_config).eval()
    ids = torch.randint(1, 99, (1, 7))
    padded = torch.cat([ids, torch.zeros(1, 5, dtype=torch.long)], dim=1)
    mask = torch.cat([torch.ones(1, 7), torch.zeros(1, 5)], dim=1).long()
    with torch.no_grad():
        alone = model(ids, torch.ones_like(ids))
        with_pad = model(padded, mask)
    torch.testing.assert_close(alone["last_hidden_state"], with_pad["last_hidden_state"][:, :7],
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(alone["pooler_output"], with_pad["pooler_output"], atol=1e-5, rtol=0)


def test_attention_probabilities_are_distributions_that_ignore_padding(tiny_config):
    model = BertModel(tiny_config).eval()
    ids, mask, types = _random_batch(tiny_config)
    with torch.no_grad():
        out = model(ids, mask, types, output_attentions=True)
    assert len(out["attentions"]) == tiny_config.num_hidden_layers
    probs = out["attentions"][0]  # (B, H, T, T)
    assert probs.shape == (4, 4, 13, 13)
    torch.testing.assert_close(probs.sum(-1), torch.ones(4, 4, 13))
    assert probs[0, :, :, 9:].abs().max() == 0.0  # padding keys get exactly zero weight


def test_dropout_is_active_only_in_training(tiny_config):
    model = BertModel(BertConfig(**{**tiny_config.to_dict(), "hidden_dropout_prob": 0.5}))
    ids, mask, types = _random_batch(tiny_config)
    model.train()
    a, b = model(ids, mask, types), model(ids, mask, types)
    assert not torch.allclose(a["pooler_output"], b["pooler_output"])
    model.eval()
    with torch.no_grad():
        a, b = model(ids, mask, types), model(ids, mask, types)
    torch.testing.assert_close(a["pooler_output"], b["pooler_output"], atol=0, rtol=0)


def test_gradients_reach_every_parameter(tiny_config):
    model = BertModel(tiny_config)
    ids, mask, types = _random_batch(tiny_config)
    out = model(ids, mask, types)
    (out["last_hidden_state"].sum() + out["pooler_output"].sum()).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert no_grad == []


def test_inputs_embeds_replace_the_embedding_lookup(tiny_config):
    model = BertModel(tiny_config).eval()
    ids, mask, types = _random_batch(tiny_config)
    with torch.no_grad():
        direct = model(ids, mask, types)
        via = model(ids, mask, types, inputs_embeds=model.embed(ids, types))
    torch.testing.assert_close(direct["pooler_output"], via["pooler_output"], atol=0, rtol=0)


def test_config_rejects_bad_values(tmp_path):
    with pytest.raises(ValueError, match="multiple of"):
        BertConfig(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ValueError, match="attn_implementation"):
        BertConfig(attn_implementation="flash")
    (tmp_path / "config.json").write_text('{"hidden_size": 32,\n "oops"}')
    with pytest.raises(ValueError, match=r"config.json, line 2"):
        BertConfig.from_json(tmp_path)


def test_too_long_input_says_how_to_fix(tiny_config):
    model = BertModel(tiny_config)
    ids = torch.ones(1, 65, dtype=torch.long)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model(ids, torch.ones_like(ids))
