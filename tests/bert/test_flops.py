"""The FLOP count behind MFU (``bert_core.bert.flops``) against PyTorch's own counter."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from bert_core.bert.config import BertConfig
from bert_core.bert.flops import forward_flops, peak_flops, training_flops
from bert_core.bert.model import BertModel


def test_the_count_equals_torchs_flop_counter():
    # the explicit attention: the counter does not see inside the CPU's fused sdpa kernel
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=64, attn_implementation="explicit")
    model = BertModel(config).eval()
    ids = torch.randint(1, 99, (3, 11))
    mask = torch.ones_like(ids)
    with FlopCounterMode(display=False) as forward:
        model(ids, mask)
    assert forward.get_total_flops() == forward_flops(config, 3, 11)
    model.train()
    with FlopCounterMode(display=False) as step:
        out = model(ids, mask)
        (out["last_hidden_state"].sum() + out["pooler_output"].sum()).backward()
    # backward has no input gradient for the first products (the embeddings need none):
    # the count is the upper bound 3 x forward, within the first layer's input products
    assert step.get_total_flops() <= training_flops(config, 3, 11)
    assert step.get_total_flops() >= 0.9 * training_flops(config, 3, 11)


def test_peaks_come_from_the_table_or_the_cpu_clock():
    assert peak_flops("NVIDIA H200", "bf16")[0] == 989e12
    assert peak_flops("NVIDIA A100-SXM4-80GB", "fp32")[0] == 19.5e12
    peak, how = peak_flops("cpu", "fp32", cpu_cores=2, cpu_ghz=2.5)
    assert peak == 2 * 2.5e9 * 32 and "AVX2" in how
    assert peak_flops("cpu", "fp32") == (None, "unknown device: pass --peak-tflops")
