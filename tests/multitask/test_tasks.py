"""The task registry: every fact about a task in one record that data, heads, losses,
evaluation and prediction files all read."""

from __future__ import annotations

import pytest
import torch

from bert_core.multitask.data import load_task, sample_data_dir, task_file
from bert_core.multitask.evaluate import METRIC_NAMES, overall_score, prediction_file_name, task_metric
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.tasks import KINDS, TASKS, get_task
from bert_core.training.losses import task_loss


def test_the_registry_holds_the_course_tasks():
    assert list(TASKS) == ["sst", "cfimdb", "quora", "sts"]
    assert {t.kind for t in TASKS.values()} == set(KINDS)
    assert [t.metric_name for t in TASKS.values()] == ["sst_acc", "cfimdb_acc", "para_acc", "sts_corr"]
    assert METRIC_NAMES == {name: t.metric_name for name, t in TASKS.items()}
    with pytest.raises(ValueError, match="unknown task 'mnli'.*'sst'"):
        get_task("mnli")


@pytest.mark.parametrize("name", list(TASKS))
def test_every_reader_follows_the_record(name):
    task = TASKS[name]
    examples = load_task(name, "train", sample_data_dir())
    low, high = task.label_range
    assert all(low <= e.label <= high for e in examples)
    assert task_file(name, "dev").name == task.file_pattern.format("dev")
    assert prediction_file_name(name, "test") == f"{task.file_stem}-test-output.csv"


def test_heads_losses_and_metrics_follow_the_kind(tiny_checkpoint):
    model = MultitaskBERT.from_pretrained(tiny_checkpoint, tasks=tuple(TASKS))
    assert model.heads["sst"](torch.zeros(2, 32)).shape == (2, 5)
    assert model.heads["cfimdb"](torch.zeros(2, 32)).shape == (2, 2)
    labels = torch.tensor([1.0, 0.0])
    logits = torch.tensor([2.0, -1.0])
    # the paraphrase loss is binary cross-entropy on one logit, the similarity loss squared error
    assert task_loss("quora", logits, labels).item() == pytest.approx(
        torch.nn.functional.binary_cross_entropy_with_logits(logits, labels).item())
    assert task_loss("sts", logits, labels).item() == pytest.approx(((logits - labels) ** 2).mean().item())
    assert task_metric("sts", [1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)  # Pearson
    assert task_metric("quora", [1, 0, 1], [1, 1, 1]) == pytest.approx(2 / 3)  # accuracy
    assert overall_score({"sst": 0.5, "quora": 0.7, "sts": 0.2}) == pytest.approx((0.5 + 0.7 + 0.6) / 3)
