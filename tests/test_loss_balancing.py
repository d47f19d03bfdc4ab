"""Loss balancing (bert_core.losses): the squared sum and dynamic weight average."""

from __future__ import annotations

import math

import pytest
import torch

from bert_core.training.losses import balanced_terms, combine_losses, dwa_weights

PREVIOUS = {"sst": 1.2, "quora": 0.5, "sts": 2.0}
BEFORE = {"sst": 1.5, "quora": 0.5, "sts": 2.5}  # ratios 0.8, 1.0, 0.8


def test_dwa_weights_by_hand_and_sum_to_the_number_of_tasks():
    weights = dwa_weights(PREVIOUS, BEFORE, temperature=2.0)
    e_slow, e_fast = math.exp(1.0 / 2), math.exp(0.8 / 2)
    assert weights["quora"] == pytest.approx(3 * e_slow / (e_slow + 2 * e_fast))
    assert weights["sst"] == pytest.approx(weights["sts"]) and weights["quora"] > weights["sst"]
    for temperature in (0.01, 0.5, 2.0, 100.0):
        assert sum(dwa_weights(PREVIOUS, BEFORE, temperature).values()) == pytest.approx(3.0)


def test_dwa_temperature_limits():
    hot = dwa_weights(PREVIOUS, BEFORE, temperature=1e6)
    assert all(w == pytest.approx(1.0, abs=1e-5) for w in hot.values())  # τ → ∞: equal weights
    cold = dwa_weights(PREVIOUS, BEFORE, temperature=1e-3)
    assert cold["quora"] == pytest.approx(3.0) and cold["sst"] == pytest.approx(0.0, abs=1e-12)  # τ → 0


def test_dwa_weights_are_one_until_two_rounds_exist():
    assert dwa_weights(PREVIOUS, None) == {"sst": 1.0, "quora": 1.0, "sts": 1.0}
    assert dwa_weights(None, None) == {}
    with pytest.raises(ValueError, match="temperature"):
        dwa_weights(PREVIOUS, BEFORE, 0.0)


def test_balanced_terms():
    losses = {"sst": torch.tensor(2.0), "sts": torch.tensor(0.5)}
    assert combine_losses(losses).item() == 2.5
    assert combine_losses(losses, "squared").item() == 4.25
    assert combine_losses(losses, "dwa", {"sst": 0.5, "sts": 1.5}).item() == pytest.approx(1.75)
    assert balanced_terms(losses, "dwa")["sst"].item() == 2.0  # no weights yet: 1
    with pytest.raises(ValueError, match="loss_balancing"):
        balanced_terms(losses, "max")
