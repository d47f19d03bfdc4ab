"""Loss balancing (bert_core.losses): the squared sum and dynamic weight average."""

from __future__ import annotations

import math

import pytest
import torch

from bert_core.training.balancing import LossBalancing, dwa_weights_by_round
from bert_core.training.hooks import Step
from bert_core.training.losses import balanced_terms, dwa_weights
from bert_core.training.state import TrainingState

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
    assert sum(balanced_terms(losses).values()).item() == 2.5
    assert sum(balanced_terms(losses, "squared").values()).item() == 4.25
    assert sum(balanced_terms(losses, "dwa", {"sst": 0.5, "sts": 1.5}).values()).item() == pytest.approx(1.75)
    assert balanced_terms(losses, "dwa")["sst"].item() == 2.0  # no weights yet: 1
    with pytest.raises(ValueError, match="loss_balancing"):
        balanced_terms(losses, "max")


def test_dwa_weights_by_round_are_the_weights_the_plug_in_trained_with():
    # a run of 23 steps with rounds of 5: rounds 2, 3 and 4 (steps 11-15, 16-20, 21-23) are weighed
    losses = [[step, task, 1.0 + 0.1 * k + 1.0 / step] for step in range(1, 24)
              for k, task in enumerate(("sst", "quora", "sts"))]
    rounds = dwa_weights_by_round(losses, ("sst", "quora", "sts"), window=5, temperature=0.5)
    assert sorted(rounds) == [2, 3, 4]
    plug_in = LossBalancing("dwa", ("sst", "quora", "sts"), temperature=0.5, window=5)
    ones = {t: torch.tensor(1.0) for t in ("sst", "quora", "sts")}
    for index in range(23):  # the plug-in sees the losses recorded before step index + 1
        state = TrainingState(run_hash="", losses=[r for r in losses if r[0] <= index])
        terms = plug_in.terms(ones, {}, Step(index, 0, 0, state), dict(ones))
        expected = rounds.get(index // 5, {"sst": 1.0, "quora": 1.0, "sts": 1.0})
        assert {t: v.item() for t, v in terms.items()} == pytest.approx(expected)
    assert rounds[3]["sts"] != pytest.approx(1.0)  # the weights do move
    with pytest.raises(ValueError, match="dwa_window"):
        dwa_weights_by_round(losses, ("sst", "quora", "sts"), window=None)
