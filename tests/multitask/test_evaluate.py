"""Metrics, prediction over a dataset, and the starter's prediction files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask import evaluate
from bert_core.multitask.data import load_task, sample_data_dir
from bert_core.multitask.examples import PairExample
from bert_core.multitask.model import MultitaskBERT


def test_metrics_against_hand_computed_values():
    assert evaluate.accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    # x = (1, 2, 3), y = (1, 3, 2): cov = 0.5 (sample), var = 1 each -> r = 0.5
    assert evaluate.pearson([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)
    assert evaluate.pearson([2, 2, 2], [1, 3, 2]) == 0.0  # constant predictions
    # (0.5 + 0.8 + (0.6 + 1) / 2) / 3 = 0.7
    assert evaluate.overall_score({"sst": 0.5, "quora": 0.8, "sts": 0.6}) == pytest.approx(0.7)
    by_metric = {"sst_acc": 0.5, "para_acc": 0.8, "sts_corr": -1.0}
    assert evaluate.overall_score(by_metric) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert evaluate.overall_score({"cfimdb": 0.9}) == pytest.approx(0.9)
    with pytest.raises(ValueError, match="equal"):
        evaluate.accuracy([1, 2], [1])


def test_pearson_matches_numpy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    assert evaluate.pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)


@pytest.mark.parametrize("task,values",
                         [("sst", [0, 4, 2]), ("quora", [1, 0, 1]), ("sts", [0.125, 4.75, 2.5])])
def test_prediction_files_parse_back(tmp_path, task, values):
    ids = ["a1", "b2", "c3"]
    path = tmp_path / evaluate.prediction_file_name(task, "dev")
    evaluate.write_predictions(path, task, ids, values)
    header = path.read_text().splitlines()[0]
    assert header == evaluate.PREDICTION_HEADERS[task]
    assert evaluate.read_predictions(path) == dict(zip(ids, map(float, values)))


def test_an_sts_score_outside_the_gold_range_is_written_clipped(tmp_path):
    """5 cos(u, v) scores some unrelated pairs below 0: the file holds 0, and the
    submission check accepts it."""
    path = tmp_path / evaluate.prediction_file_name("sts", "dev")
    evaluate.write_predictions(path, "sts", ["a", "b", "c"], [-0.1981, 2.5, 5.3])
    assert evaluate.read_predictions(path) == {"a": 0.0, "b": 2.5, "c": 5.0}


def test_prediction_file_names_are_the_starters():
    assert evaluate.prediction_file_name("quora", "test") == "para-test-output.csv"
    assert evaluate.prediction_file_name("sts", "dev") == "sts-dev-output.csv"


def test_predict_keeps_the_data_order(tiny_checkpoint):
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint)).eval()
    examples = load_task("sts", "dev", sample_data_dir())[:7]
    batched = evaluate.predict(model, tokenizer, "sts", examples, batch_size=3, progress=False)
    one_by_one = [evaluate.predict(model, tokenizer, "sts", [e], progress=False)[0] for e in examples]
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_length_sorted_batches_cover_every_index_once_shortest_first():
    batches = evaluate.length_sorted_batches([5, 2, 9, 2, 7], 2)
    assert batches == [[1, 3], [0, 4], [2]]
    with pytest.raises(ValueError, match="batch_size"):
        evaluate.length_sorted_batches([1], 0)


@pytest.mark.parametrize("settings", [
    {},                                                    # concat heads on the [CLS] pooler
    {"pooling": "mean", "heads": {"similarity": "mlp", "paraphrase": "mlp", "sentiment": "mlp"}},
    {"pair_encoding": {"similarity": "cross"}},            # STS cross-encoded, Quora separate
    {"adapters": "pal"},                                   # every encoder call names its task
], ids=["concat", "mean-mlp", "cross-sts", "pal"])
def test_predict_gives_task_outputs_of_each_example_alone(tiny_checkpoint, settings):
    """Regrouping (length-sorted batches; a pair task's sentences encoded once, repeats and
    both sides together) changes nothing but float rounding: each prediction is what
    ``task_outputs`` gives the example alone, and a training model is left training."""
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint), **settings)
    data = {task: load_task(task, "dev", sample_data_dir())[:6] for task in ("sst", "quora", "sts")}
    first = data["sts"][0]
    # a repeated sentence, and one on both sides of a pair
    data["sts"] += [PairExample("r1", first.sentence1, first.sentence2, 1.0),
                    PairExample("r2", first.sentence2, first.sentence1, 2.0)]
    model.train()
    torch.manual_seed(0)
    for task, examples in data.items():
        batched = evaluate.predict(model, tokenizer, task, examples, batch_size=4, progress=False)
        assert model.training
        model.eval()
        with torch.no_grad():
            alone = [model.task_outputs(tokenizer, task, [e]).float() for e in examples]
        model.train()
        if task == "sst":
            expected = [int(o.argmax()) for o in alone]
        elif task == "quora":
            expected = [int(o[0] > 0) for o in alone]
        else:
            expected = [float(o[0]) for o in alone]
        np.testing.assert_allclose(batched, expected, atol=1e-5)
    assert evaluate.predict(model, tokenizer, "sts", [], progress=False).shape == (0,)
