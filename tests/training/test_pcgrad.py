"""PCGrad's projection against hand computations."""

from __future__ import annotations

import pytest
import torch

from bert_core.course.tables import conflict_rates
from bert_core.training.pcgrad import GradientSurgery, project_conflicting, surgery_weights


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


@pytest.mark.parametrize("tasks", [2, 3, 5])
def test_gram_form_equals_the_algorithm_as_written(tasks):
    g = torch.Generator().manual_seed(tasks)
    for trial in range(20):
        grads = [torch.randn(40, generator=g) for _ in range(tasks)]
        expected = sum(project_conflicting(grads, torch.Generator().manual_seed(trial)))
        stacked = torch.stack(grads)
        weights = surgery_weights(stacked @ stacked.T, torch.Generator().manual_seed(trial))
        torch.testing.assert_close(weights.float() @ stacked, expected)


def test_gradient_surgery_on_a_real_model(tiny_checkpoint):
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.multitask.examples import PairExample, SentimentExample
    from bert_core.multitask.model import MultitaskBERT
    from bert_core.training.losses import task_loss

    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint).with_max_length(32)
    model = MultitaskBERT.from_pretrained(tiny_checkpoint).eval()  # no dropout: the same terms twice
    batches = {"sst": [SentimentExample("a", "a fine film", 4), SentimentExample("b", "awful", 0)],
               "quora": [PairExample("c", "how to cook rice", "how do I cook rice", 1.0)],
               "sts": [PairExample("d", "a dog runs", "a cat sleeps", 1.5)]}

    def terms():
        return {t: task_loss(t, model.task_outputs(tokenizer, t, ex),
                             torch.tensor([float(e.label) for e in ex])) for t, ex in batches.items()}

    surgery = GradientSurgery(model)
    shared = surgery.params
    per_task = {}
    for task, term in terms().items():  # the reference: each task's gradients on their own
        model.zero_grad(set_to_none=True)
        term.backward()
        per_task[task] = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    flat = [torch.cat([per_task[t][n].reshape(-1) for n in surgery.names]) for t in batches]
    expected_shared = sum(project_conflicting(flat, torch.Generator().manual_seed(7)))

    model.zero_grad(set_to_none=True)
    stats = surgery.backward(terms(), torch.Generator().manual_seed(7))
    got = torch.cat([p.grad.reshape(-1) for p in shared])
    torch.testing.assert_close(got, expected_shared, rtol=1e-4, atol=1e-7)
    for name, p in model.named_parameters():  # heads keep their own task's gradient
        if name.startswith("heads."):
            task = name.split(".")[1]
            torch.testing.assert_close(p.grad, per_task[task][name])
    a, b = flat[0], flat[1]
    assert stats["all"]["sst/quora"] == pytest.approx((a @ b / (a.norm() * b.norm())).item(), abs=1e-4)
    assert set(stats) == {"all", "embeddings", "layer 0", "layer 1", "pooler"}
    assert set(stats["layer 0"]) == {"sst/quora", "sst/sts", "quora/sts"}


def test_conflict_rates_by_hand():
    rows = [[1, "all", "sst/sts", 0.1], [1, "all", "sst/quora", -0.2], [1, "layer 0", "sst/quora", 0.3],
            [2, "all", "sst/quora", 0.4], [2, "all", "sst/sts", -0.1], [2, "layer 0", "sst/quora", -0.5],
            [3, "all", "sst/quora", -0.6], [3, "all", "sst/sts", 0.2], [3, "layer 0", "sst/quora", -0.1]]
    rates = conflict_rates(rows)
    # groups and pairs in the order the run recorded them
    assert list(rates.index) == [("all", "sst/sts"), ("all", "sst/quora"), ("layer 0", "sst/quora")]
    assert rates.loc[("all", "sst/quora"), "conflict"] == pytest.approx(2 / 3)
    assert rates.loc[("all", "sst/quora"), "mean cosine"] == pytest.approx(-0.4 / 3)
    assert rates.loc[("all", "sst/quora"), "mean |cosine|"] == pytest.approx(1.2 / 3)
    assert rates.loc[("all", "sst/sts"), "conflict"] == pytest.approx(1 / 3)
    assert rates.loc[("layer 0", "sst/quora"), "conflict"] == pytest.approx(2 / 3)
    assert (rates["steps"] == 3).all()
    assert conflict_rates([]).empty
    strong = conflict_rates(rows, below=-0.15)  # only cosines below -0.15 count
    assert strong.loc[("all", "sst/quora"), "conflict"] == pytest.approx(2 / 3)
    assert strong.loc[("all", "sst/sts"), "conflict"] == 0
    assert strong.loc[("layer 0", "sst/quora"), "conflict"] == pytest.approx(1 / 3)
