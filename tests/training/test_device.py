"""The CUDA path as far as a CPU can run it (``bert_core.device``): which precision a
device computes in, bf16 autocast (run on the CPU), the copies to a device, torch.compile
(traced with the eager backend), and a training run in bf16."""

from __future__ import annotations

import math

import pytest
import torch

from bert_core.bert.model import BertModel
from bert_core.device import autocast_for, compiled, compute_dtype, to_device
from bert_core.errors import ConfigError
from bert_core.multitask.data import sample_data_dir
from bert_core.training.loop import train_run


def test_auto_precision_is_bf16_on_cuda_and_fp32_elsewhere():
    assert compute_dtype("cuda") == torch.bfloat16  # a device name needs no GPU
    assert compute_dtype("cuda:1", "auto") == torch.bfloat16
    assert compute_dtype("cpu") == torch.float32
    assert compute_dtype("cuda", "fp32") == torch.float32
    assert compute_dtype("cpu", "bf16") == torch.bfloat16
    with pytest.raises(ValueError, match="precision must be"):
        compute_dtype("cpu", "fp16")


def test_bf16_autocast_computes_the_products_in_bf16_and_keeps_fp32_weights(tiny_config):
    model = BertModel(tiny_config).eval()
    ids = torch.randint(1, tiny_config.vocab_size, (3, 7))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        reference = model(ids, mask)["last_hidden_state"]
        with autocast_for("cpu", "bf16"):
            assert torch.nn.functional.linear(torch.ones(2, 3), torch.ones(4, 3)).dtype == torch.bfloat16
            low = model(ids, mask)["last_hidden_state"]
        with autocast_for("cpu", "auto"):  # nothing changes on a CPU
            same = model(ids, mask)["last_hidden_state"]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    torch.testing.assert_close(same, reference)
    # bf16 keeps 8 bits of mantissa: outputs of unit scale agree to about 1e-2
    torch.testing.assert_close(low.float(), reference, atol=0.1, rtol=0.05)
    assert not torch.equal(low.float(), reference)


def test_to_device_copies_values():
    t = torch.arange(6).view(2, 3)
    assert torch.equal(to_device(t, "cpu"), t)
    assert to_device(t, "meta").device.type == "meta"


@pytest.mark.slow
def test_compiled_encoder_gives_the_same_outputs(tiny_config):
    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel(tiny_config)

    model = Wrapper().eval()
    ids = torch.randint(1, tiny_config.vocab_size, (2, 9))
    mask = torch.ones_like(ids)
    with torch.no_grad():
        reference = model.bert(ids, mask)["last_hidden_state"]
        assert compiled(model, False) is model and model.bert(ids, mask)["last_hidden_state"].equal(reference)
        compiled(model, True, backend="eager")
        out = model.bert(ids, mask)["last_hidden_state"]
        shorter = model.bert(ids[:, :5], mask[:, :5])["last_hidden_state"]  # another length: dynamic shapes
    torch.testing.assert_close(out, reference)
    assert shorter.shape == (2, 5, tiny_config.hidden_size)


@pytest.mark.slow
def test_inductor_compiled_encoder_trains_with_the_eager_dropout(tiny_config):
    """In training mode the compiled encoder must draw the eager model's dropout masks:
    without ``fallback_random`` inductor draws its own and the outputs differ by far more
    than float rounding (the config hash treats a compiled run as the same run)."""
    model = BertModel(tiny_config).train()
    ids = torch.randint(1, tiny_config.vocab_size, (4, 9))
    mask = torch.ones_like(ids)
    torch.manual_seed(1)
    reference = model(ids, mask)["last_hidden_state"]
    compiled(model, True)
    torch.manual_seed(1)
    out = model(ids, mask)["last_hidden_state"]
    torch.manual_seed(1)
    again = model(ids, mask)["last_hidden_state"]
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(again, reference, atol=1e-5, rtol=1e-5)


def test_precision_is_checked_and_counts_in_the_hash_but_compile_does_not(tiny_run):
    base = tiny_run("a")
    assert tiny_run("b", precision="fp32").run_hash(0) != base.run_hash(0)
    assert tiny_run("c", compile=True).run_hash(0) == base.run_hash(0)
    with pytest.raises(ConfigError, match="precision"):
        tiny_run("d", precision="fp16")


def test_a_bf16_run_trains_on_the_cpu_close_to_fp32(tiny_run, isolated_outputs):
    fp32 = train_run(tiny_run("fp32", precision="fp32"), 0, sample_data_dir(), progress=False)
    bf16 = train_run(tiny_run("bf16", precision="bf16"), 0, sample_data_dir(), progress=False)
    first = {r[1]: r[2] for r in fp32["losses"] if r[0] == 1}
    first_bf16 = {r[1]: r[2] for r in bf16["losses"] if r[0] == 1}
    for task, loss in first.items():
        assert math.isfinite(first_bf16[task]) and first_bf16[task] == pytest.approx(loss, rel=0.05)
    assert all(math.isfinite(v) for v in bf16["best"].values())
