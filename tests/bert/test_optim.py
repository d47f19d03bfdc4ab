"""AdamW against torch.optim.AdamW and the course's optimiser oracle."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from bert_core.bert.optim import AdamW

SHARED = Path(__file__).resolve().parents[3] / "shared"
ORACLE = SHARED / "reference" / "course_oracles" / "optimizer_test.npy"


def _mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))


def _train(model, opt, steps: int = 200) -> None:
    data = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(32, 8, generator=data)
        y = torch.randn(32, 3, generator=data)
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_matches_torch_adamw_over_200_steps(weight_decay):
    ours, theirs = _mlp(), _mlp()
    kwargs = dict(lr=3e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=weight_decay)
    _train(ours, AdamW(ours.parameters(), **kwargs))
    _train(theirs, torch.optim.AdamW(theirs.parameters(), foreach=False, **kwargs))
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        rel = ((a - b).norm() / b.norm()).item()
        assert rel <= 1e-6, f"{name}: relative difference {rel:.2e}"
    # and it moved: 200 steps of lr 3e-3 change the weights far more than the tolerance
    assert (ours[0].weight - _mlp()[0].weight).abs().max() > 1e-2


@pytest.mark.parametrize("correct_bias", [True, False])
def test_multi_tensor_path_is_the_loop_step_for_step(correct_bias):
    """foreach=True: the same numbers as the loop after every step, and torch's own
    multi-tensor AdamW's; a parameter group whose parameter skips steps (a task head
    idle while another task trains) keeps its own step count."""
    models = [_mlp() for _ in range(3)]
    kwargs = dict(lr=3e-3, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.1)

    def groups(model):
        return [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 1e-2}]

    loop = AdamW(groups(models[0]), correct_bias=correct_bias, **kwargs)
    multi = AdamW(groups(models[1]), correct_bias=correct_bias, foreach=True, **kwargs)
    torch_multi = torch.optim.AdamW(groups(models[2]), foreach=True, **kwargs)
    optimisers = [loop, multi] + ([torch_multi] if correct_bias else [])
    data = torch.Generator().manual_seed(1)
    for step in range(30):
        x, y = torch.randn(32, 8, generator=data), torch.randn(32, 3, generator=data)
        for model, opt in zip(models, optimisers):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            if step % 3 == 1:  # the last layer's bias sits out: its state lags one step a time
                model[2].bias.grad = None
            opt.step()
        for name, a in models[0].named_parameters():
            assert torch.equal(a, dict(models[1].named_parameters())[name]), f"step {step}: {name}"
            if correct_bias:
                b = dict(models[2].named_parameters())[name]
                torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert multi.state[models[1][2].bias]["step"] == 20 and multi.state[models[1][0].weight]["step"] == 30


def test_course_optimizer_oracle():
    """The course's check, reproduced from shared/reference/course_oracles/README.md."""
    if not ORACLE.exists():
        pytest.skip(f"{ORACLE} not present (it comes with the course's shared folder)")
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2, bias=False)
    opt = AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4, correct_bias=True)
    for _ in range(1000):
        opt.zero_grad()
        x = torch.tensor(rng.uniform(size=[3]), dtype=torch.float32)
        y = torch.stack([x[0] + x[1], -x[2]])
        ((y - model(x)) ** 2).sum().backward()
        opt.step()
    expected = torch.from_numpy(np.load(ORACLE))
    torch.testing.assert_close(model.weight.detach(), expected, atol=1e-6, rtol=1e-4)


def test_first_step_by_hand_without_bias_correction():
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    p.grad = torch.tensor([0.5, 0.1])
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.99, 1e-6, 0.01
    AdamW([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, correct_bias=False).step()
    g = torch.tensor([0.5, 0.1])
    theta = torch.tensor([1.0, -2.0]) * (1 - lr * wd)
    expected = theta - lr * (1 - b1) * g / (((1 - b2) * g * g).sqrt() + eps)
    torch.testing.assert_close(p.detach(), expected)


def test_first_step_with_bias_correction_is_lr_times_sign():
    # m̂_1 = g, v̂_1 = g², so the first step is lr · g / (|g| + eps) ≈ lr · sign(g)
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    p.grad = torch.tensor([1e-3, -5.0, 40.0])
    AdamW([p], lr=0.01, eps=1e-12).step()
    torch.testing.assert_close(p.detach(), torch.tensor([0.99, -1.99, 2.99]))


def test_state_dict_round_trip_continues_identically():
    a, b = _mlp(), _mlp()
    opt_a = AdamW(a.parameters(), lr=1e-2, weight_decay=0.01)
    _train(a, opt_a, steps=5)
    b.load_state_dict(a.state_dict())
    opt_b = AdamW(b.parameters(), lr=1e-2, weight_decay=0.01)
    # a deep copy, as a checkpoint on disk is: load_state_dict keeps references to the
    # tensors it is given, so the two optimisers would otherwise share their moments
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))
    _train(a, opt_a, steps=5)
    _train(b, opt_b, steps=5)
    for x, y in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(x, y, atol=0, rtol=0)


@pytest.mark.parametrize("bad", [dict(lr=-1.0), dict(betas=(1.0, 0.9)), dict(eps=-1.0),
                                 dict(weight_decay=-0.1)])
def test_invalid_arguments(bad):
    with pytest.raises(ValueError, match="Invalid"):
        AdamW([torch.nn.Parameter(torch.zeros(1))], **bad)
