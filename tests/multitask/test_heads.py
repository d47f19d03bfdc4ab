"""Task heads: shapes, symmetry, promised ranges, and each head through a training run."""

from __future__ import annotations

import pytest
import torch

from bert_core.experiments import make_config
from bert_core.multitask.data import sample_data_dir
from bert_core.multitask.heads import HEADS, build_head, head_encoding
from bert_core.training.loop import train_run

C = 16
PAIR_HEADS = [(kind, name) for kind in ("paraphrase", "similarity") for name in HEADS[kind]]
SYMMETRIC = {"dot", "cosine", "scaled_cosine", "cosine_fc"}
ZERO_TO_FIVE = {("similarity", "cosine"), ("similarity", "cosine_fc"), ("similarity", "cross_tanh")}


@pytest.mark.parametrize("kind,name", PAIR_HEADS)
def test_pair_heads_shape_symmetry_and_range(kind, name):
    head = build_head(kind, name, C, dropout=0.0).eval()
    u, v = torch.randn(6, C) * 3, torch.randn(6, C) * 3
    if head_encoding(kind, name) == "cross":  # one pooled pair: far-out inputs test the bounds
        out = head(torch.cat([u * 100, u]))
        assert out.shape == (12,)
    else:
        out = head(u, v)
        assert out.shape == (6,)
    if name in SYMMETRIC:
        torch.testing.assert_close(out, head(v, u))
    if (kind, name) in ZERO_TO_FIVE:
        assert out.min() >= 0 and out.max() <= 5
        if head_encoding(kind, name) == "separate":
            assert head(u, u).allclose(torch.full((6,), 5.0))  # identical sentences score the top


def test_cross_tanh_head_by_hand():
    head = build_head("similarity", "cross_tanh", 2, dropout=0.0)
    with torch.no_grad():
        head.linear.weight.copy_(torch.tensor([[1.0, 0.0]]))
        head.linear.bias.zero_()
    h = torch.tensor([[0.0, 7.0], [50.0, 0.0], [-50.0, 0.0], [0.5, 0.0]])
    expected = torch.tensor([2.5, 5.0, 0.0, 2.5 * (torch.tanh(torch.tensor(0.5)).item() + 1)])
    torch.testing.assert_close(head(h), expected)


def test_cosine_similarity_head_by_hand():
    head = build_head("similarity", "cosine", 2, dropout=0.0)
    u, v = torch.tensor([[1.0, 0.0], [1.0, 0.0]]), torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    torch.testing.assert_close(head(u, v), torch.tensor([2.5, 0.0]))  # orthogonal, opposite


def test_scaled_cosine_head_puts_an_unrelated_pair_at_zero():
    """sentence-transformers' map: score 5 cos, so orthogonal vectors score 0 (the cosine
    head's 2.5 (cos + 1) scores them 2.5 and needs cos = -1 for a 0)."""
    head = build_head("similarity", "scaled_cosine", 2, dropout=0.3)
    u = torch.tensor([[1.0, 0.0], [1.0, 0.0], [3.0, 4.0]])
    v = torch.tensor([[0.0, 1.0], [2.0, 0.0], [4.0, 3.0]])
    torch.testing.assert_close(head(u, v), torch.tensor([0.0, 5.0, 5.0 * 24 / 25]))
    assert not list(head.parameters())


def test_cosine_mix_starts_at_the_even_split():
    head = build_head("similarity", "cosine_mix", C, dropout=0.0)
    u, v = torch.randn(3, C), torch.randn(3, C)
    cos = torch.nn.functional.cosine_similarity(u, v)
    torch.testing.assert_close(head(u, v), 0.5 * head.linear(u, v) + 0.5 * 2.5 * (cos + 1))


@pytest.mark.parametrize("kind", ["sentiment", "similarity"])
def test_mlp_heads_have_three_batchnorm_gelu_blocks_and_take_a_batch_of_one(kind):
    head = build_head(kind, "mlp", C, dropout=0.1, num_labels=5).train()
    blocks = [m for m in head.net if isinstance(m, torch.nn.BatchNorm1d)]
    assert len(blocks) == 3 and sum(isinstance(m, torch.nn.GELU) for m in head.net) == 3
    out = head(torch.randn(1, C)) if kind == "sentiment" else head(torch.randn(1, C), torch.randn(1, C))
    assert out.shape == ((1, 5) if kind == "sentiment" else (1,)) and head.training


@pytest.mark.parametrize("heads", [{"similarity": "cosine", "paraphrase": "siamese"},
                                   {"similarity": "cosine_fc", "sentiment": "mlp", "paraphrase": "mlp"}])
def test_runs_train_with_other_heads(tiny_checkpoint, isolated_outputs, heads):
    # 9 examples in batches of 4: the last batch of a pass has one example (BatchNorm's edge case)
    config = make_config("heads", "smoke", checkpoint=str(tiny_checkpoint), epochs=1, batch_size=4,
                         max_length=32, train_limit=9, dev_limit=6, predict_test=False, heads=heads)
    record = train_run(config, 0, sample_data_dir(), progress=False)
    assert set(record["best"]) == {"sst", "quora", "sts"} and record["epochs"][0]["train_loss"]["sts"] > 0


def test_unknown_head_names_the_choices():
    with pytest.raises(ValueError, match="cosine_fc"):
        build_head("similarity", "cosin", C, dropout=0.0)
    with pytest.raises(ValueError, match="heads\\['similarity'\\]"):
        make_config("x", "smoke", heads={"similarity": "cosin"})


def test_multiple_negatives_ranking_loss_by_hand():
    import math

    from bert_core.training.losses import multiple_negatives_ranking_loss

    u = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    v = torch.tensor([[2.0, 0.0], [1.0, 1.0]])
    # scores u v^T = [[2, 1], [0, 1]]; row 0: -log(e^2 / (e^2 + e^1)), row 1: -log(e^1 / (e^0 + e^1))
    expected = (-math.log(math.e**2 / (math.e**2 + math.e)) - math.log(math.e / (1 + math.e))) / 2
    assert multiple_negatives_ranking_loss(u, v).item() == pytest.approx(expected, rel=1e-6)


def test_sts_swap_doubles_sts_only_and_reverses_the_pairs():
    from bert_core.multitask.data import load_task, sample_data_dir
    from bert_core.training.augmentation import augment

    sts = load_task("sts", "train", sample_data_dir())
    out = augment("sts", sts, ["sts_swap"])
    assert len(out) == 2 * len(sts) and out[:len(sts)] == sts
    first, swapped = sts[0], out[len(sts)]
    assert (swapped.sentence1, swapped.sentence2) == (first.sentence2, first.sentence1)
    assert swapped.label == first.label and swapped.id == f"{first.id}-swap"
    sst = load_task("sst", "train", sample_data_dir())
    assert augment("sst", sst, ["sts_swap"]) == sst
    with pytest.raises(ValueError, match="sts_swap"):
        augment("sts", sts, ["back_translation"])
    assert make_config("x", "smoke", augmentation=["sts_swap"]).augmentation == ("sts_swap",)
