"""Task adapters (report 003): identity at the start on real weights, the parameter
arithmetic of its Table 1, where the parallel branch joins the layer, which parameters
learn with a frozen encoder, and routing by task."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from bert_core.bert.config import BertConfig
from bert_core.bert.layers import BertLayer, LayerAdapters
from bert_core.bert.tokenizer import Tokenizer
from bert_core.experiments import make_config
from bert_core.multitask.adapters import (
    ADAPTERS,
    TaskAdapters,
    adapter_methods,
    adapter_size,
    count_parameters,
    formula_parameters,
)
from bert_core.multitask.data import load_task, sample_data_dir
from bert_core.multitask.model import MultitaskBERT

BERT_BASE = BertConfig(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                       intermediate_size=3072)
MINILM = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                    intermediate_size=1536)


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer.from_pretrained("minilm-l6").with_max_length(64)


@pytest.fixture(scope="module")
def examples():
    folder = sample_data_dir()
    return {task: load_task(task, "train", folder)[:6] for task in ("sst", "quora", "sts")}


def _outputs(model, tokenizer, examples):
    model.eval()
    with torch.no_grad():
        return {task: model.task_outputs(tokenizer, task, batch) for task, batch in examples.items()}


@pytest.mark.parametrize("adapters", ["pal", "low_rank", "houlsby", "pal+low_rank+houlsby"])
def test_fresh_adapters_leave_the_pretrained_model_unchanged(adapters, tokenizer, examples):
    torch.manual_seed(0)
    plain = MultitaskBERT.from_pretrained("minilm-l6")
    torch.manual_seed(0)
    adapted = MultitaskBERT.from_pretrained("minilm-l6", adapters=adapters)
    before, after = _outputs(plain, tokenizer, examples), _outputs(adapted, tokenizer, examples)
    for task in examples:
        torch.testing.assert_close(after[task], before[task], atol=1e-6, rtol=0)


def test_the_top_layer_starts_as_a_copy_of_the_last_layer(tokenizer, examples):
    torch.manual_seed(0)
    adapted = MultitaskBERT.from_pretrained("minilm-l6", adapters="top").eval()
    last = adapted.bert.bert_layers[-1]
    for task in adapted.tasks:
        top = adapted.adapters.top[task]
        assert top is not last
        for (name, mine), theirs in zip(top.named_parameters(), last.parameters()):
            assert torch.equal(mine, theirs), name


@pytest.mark.parametrize("config", [MINILM, BERT_BASE], ids=["minilm-l6", "bert-base"])
@pytest.mark.parametrize("method", ADAPTERS)
def test_parameter_counts_are_report_003s_formulas(config, method):
    size = adapter_size(config.hidden_size)
    assert size == {384: 102, 768: 204}[config.hidden_size]  # the report's d_s = 204 on BERT-base
    tasks = ("sst", "quora", "sts")
    module = TaskAdapters([method], config, tasks, size, last_layer=BertLayer(config))
    weights = sum(p.numel() for p in module.parameters() if p.dim() == 2)
    total = sum(p.numel() for p in module.parameters())
    expected = count_parameters(method, config, size, len(tasks))
    assert weights == expected["weights"] == formula_parameters(
        method, config.hidden_size, config.num_hidden_layers, size, len(tasks))
    assert total == expected["total"] == module.parameter_count()[method]


def test_report_003s_table_1_at_its_settings():
    # d_m = 768, d_s = 204, 12 layers, 3 tasks: PAL 2.44M, low-rank 11.3M, Houlsby 22.6M, top 21.2M
    assert formula_parameters("pal", 768, 12, 204, 3) == 3 * (2 * 768 * 204 + 12 * 3 * 204 ** 2)
    assert formula_parameters("low_rank", 768, 12, 204, 3) == 11_280_384
    assert formula_parameters("houlsby", 768, 12, 204, 3) == 22_560_768
    assert formula_parameters("top", 768, 12, 204, 3) == 21_233_664


def test_a_parallel_branch_joins_inside_the_feed_forward_layernorm(tiny_config):
    layer = BertLayer(tiny_config).eval()
    x = torch.randn(2, 5, tiny_config.hidden_size)
    mask = torch.ones(2, 5)
    branch = torch.randn(2, 5, tiny_config.hidden_size)
    seen = {}

    def parallel(h, attention_mask):
        seen["input"] = h
        return branch

    with torch.no_grad():
        out, _ = layer(x, mask, adapters=LayerAdapters(parallel=parallel))
        plain, _ = layer(x, mask)
        context, _ = layer.self_attention(x, mask)
        attended = layer.attention_layer_norm(x + layer.attention_dense(context))
        ffn = layer.out_dense(F.gelu(layer.interm_dense(attended)))
        inside = layer.out_layer_norm(attended + ffn + branch)
    assert seen["input"] is x  # the branch reads the layer's input, not the attention's output
    torch.testing.assert_close(out, inside)
    after = plain + branch  # the usual mistake: added after the LayerNorm
    assert (out - after).abs().max() > 0.1


def test_series_adapters_sit_before_the_residual_sum(tiny_config):
    layer = BertLayer(tiny_config).eval()
    x, mask = torch.randn(2, 5, tiny_config.hidden_size), torch.ones(2, 5)
    with torch.no_grad():
        out, _ = layer(x, mask, adapters=LayerAdapters(after_attention=lambda z: 2 * z,
                                                      after_output=lambda z: -z))
        context, _ = layer.self_attention(x, mask)
        attended = layer.attention_layer_norm(x + 2 * layer.attention_dense(context))
        expected = layer.out_layer_norm(attended - layer.out_dense(F.gelu(layer.interm_dense(attended))))
    torch.testing.assert_close(out, expected)


def _loss(model, tokenizer, task, batch):
    outputs = model.task_outputs(tokenizer, task, batch)
    return outputs.float().pow(2).mean()


@pytest.mark.parametrize("adapters", ["pal+low_rank+top", "houlsby"])
def test_a_frozen_encoder_trains_only_adapters_and_heads(adapters, tiny_checkpoint, examples):
    tok = Tokenizer.from_pretrained(str(tiny_checkpoint)).with_max_length(32)
    model = MultitaskBERT.from_pretrained(str(tiny_checkpoint), adapters=adapters, freeze_bert=True)
    with torch.no_grad():  # decoders off zero, so that every adapter parameter gets a gradient
        for name, p in model.adapters.named_parameters():
            if ".up." in name:
                p.normal_(0, 0.02)
    sum(_loss(model, tok, task, batch) for task, batch in examples.items()).backward()
    for name, p in model.named_parameters():
        learns = name.startswith(("heads.", "adapters.")) or (adapters == "houlsby" and "layer_norm" in name)
        assert p.requires_grad == learns, name
        if not learns:
            assert p.grad is None, name
    assert all(p.grad is not None for p in model.adapters.parameters())


def test_a_tasks_adapters_learn_only_from_its_batches(tiny_checkpoint, examples):
    tok = Tokenizer.from_pretrained(str(tiny_checkpoint)).with_max_length(32)
    model = MultitaskBERT.from_pretrained(str(tiny_checkpoint), adapters="pal+low_rank+houlsby+top")
    with torch.no_grad():
        for name, p in model.adapters.named_parameters():
            if ".up." in name:
                p.normal_(0, 0.02)
    _loss(model, tok, "sst", examples["sst"]).backward()
    for name, p in model.adapters.named_parameters():
        is_sst = ".sst." in f".{name}." or ".sst/" in name
        moved = p.grad is not None and p.grad.abs().sum() > 0
        assert moved == is_sst, name


def test_a_model_with_adapters_needs_the_task(tiny_checkpoint):
    model = MultitaskBERT.from_pretrained(str(tiny_checkpoint), adapters="low_rank")
    ids, mask = torch.tensor([[101, 2023, 102]]), torch.ones(1, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="name the task"):
        model(ids, mask)
    assert model(ids, mask, task="sst").shape == (1, 32)
    with pytest.raises(KeyError, match="no adapters for task 'cfimdb'"):
        model(ids, mask, task="cfimdb")


def test_adapter_options_are_checked_in_the_config():
    assert adapter_methods("low_rank+top") == ("low_rank", "top")
    assert adapter_methods(None) == ()
    with pytest.raises(ValueError, match="join distinct methods"):
        make_config("x", "smoke", adapters="lora")
    with pytest.raises(ValueError, match="join distinct methods"):
        make_config("x", "smoke", adapters="top+top")
    with pytest.raises(ValueError, match="multiple of adapter_heads"):
        make_config("x", "smoke", adapters="pal", adapter_size=100)
    config = make_config("x", "smoke", adapters="low_rank+top")
    assert config.run_hash(0) != make_config("x", "smoke").run_hash(0)
    assert make_config("x", "smoke", adapters=None).run_hash(0) == make_config("x", "smoke").run_hash(0)
