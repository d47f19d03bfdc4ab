"""PCGrad's projection against hand computations."""

from __future__ import annotations

import pytest
import torch

from bert_core.pcgrad import project_conflicting


def test_two_conflicting_gradients_by_hand():
    g1, g2 = torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])  # g1 · g2 = -1 < 0
    p1, p2 = project_conflicting([g1, g2])
    # g1 - (g1·g2 / |g2|²) g2 = (1, 0) + 0.5 (-1, 1);  g2 - (g2·g1 / |g1|²) g1 = (-1, 1) + (1, 0)
    torch.testing.assert_close(p1, torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(p2, torch.tensor([0.0, 1.0]))
    # no longer in conflict with the other task's original gradient
    assert p1.dot(g2) >= -1e-6 and p2.dot(g1) >= -1e-6


def test_non_conflicting_gradients_come_back_unchanged():
    grads = [torch.tensor([1.0, 2.0, 0.0]), torch.tensor([0.5, 0.0, 3.0]), torch.tensor([0.0, 1.0, 1.0])]
    for original, projected in zip(grads, project_conflicting(grads)):
        torch.testing.assert_close(projected, original)


def test_random_conflicts_are_removed_pairwise_for_two_tasks():
    g = torch.Generator().manual_seed(0)
    for _ in range(100):
        a, b = torch.randn(50, generator=g), torch.randn(50, generator=g)
        pa, pb = project_conflicting([a, b])
        assert pa.dot(b) >= -1e-4 and pb.dot(a) >= -1e-4


def test_the_order_is_the_generators_and_inputs_are_not_modified():
    g = torch.Generator().manual_seed(1)
    grads = [torch.randn(20, generator=g) for _ in range(3)]
    copies = [x.clone() for x in grads]
    first = project_conflicting(grads, torch.Generator().manual_seed(7))
    second = project_conflicting(grads, torch.Generator().manual_seed(7))
    for x, y in zip(first, second):
        assert torch.equal(x, y)
    for x, y in zip(grads, copies):
        assert torch.equal(x, y)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="flat gradients of one length"):
        project_conflicting([torch.zeros(3), torch.zeros(4)])
