"""Error analysis (notebook 11): hand-made predictions with known confusion matrices,
per-class scores, near misses, categories and paired tests; the submission validator
against broken files; the widgets' callbacks on the tiny BERT."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from sklearn.metrics import classification_report

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.course import analysis, categories, paired, widgets
from bert_core.errors import DataError
from bert_core.experiments.run import missing_weights_line, run_experiment, stored_model, trained_model
from bert_core.experiments.submission import check_file, check_submission, write_submission
from bert_core.multitask.data import load_task, sample_data_dir
from bert_core.multitask.evaluate import PREDICTION_HEADERS, predict, prediction_file_name
from bert_core.multitask.examples import PairExample, SentimentExample
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.run_folder import run_dir

SST_LABELS = [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
SST_PREDICTED = [0, 1, 1, 3, 2, 2, 3, 4, 4, 0]


def _sst_frame(labels=SST_LABELS, predicted=SST_PREDICTED) -> pd.DataFrame:
    ids = [f"s{i}" for i in range(len(labels))]
    run = {"dev_predictions": {"sst": {"ids": ids, "predictions": predicted, "labels": labels}}}
    examples = [SentimentExample(i, f"a film that is not good at all number {k}" if k % 2 else "fine film", y)
                for k, (i, y) in enumerate(zip(ids, labels))]
    return analysis.prediction_frame(run, "sst", examples)


def _sts_frame(labels, predicted, pairs=None) -> pd.DataFrame:
    ids = [f"p{i}" for i in range(len(labels))]
    pairs = pairs or [("a b c", "a b d")] * len(labels)
    run = {"dev_predictions": {"sts": {"ids": ids, "predictions": list(predicted), "labels": list(labels)}}}
    examples = [PairExample(i, a, b, y) for i, (a, b), y in zip(ids, pairs, labels)]
    return analysis.prediction_frame(run, "sts", examples)


def test_confusion_counts_true_rows_and_predicted_columns():
    matrix = analysis.confusion(_sst_frame(), 5)
    expected = np.array([[1, 1, 0, 0, 0],
                         [0, 1, 0, 1, 0],
                         [0, 0, 2, 0, 0],
                         [0, 0, 0, 1, 1],
                         [1, 0, 0, 0, 1]])
    np.testing.assert_array_equal(matrix, expected)
    np.testing.assert_allclose(analysis.normalised(matrix).sum(axis=1), 1.0)
    np.testing.assert_array_equal(analysis.normalised(np.zeros((2, 2), dtype=int)), np.zeros((2, 2)))


def test_class_report_matches_scikit_learn_and_hand_values():
    report = analysis.class_report(_sst_frame(), analysis.SST_NAMES)
    # class 4: predicted for examples 7, 8 (true 3, 4): precision 1/2; recall 1/2
    assert report.loc["very positive", "precision"] == pytest.approx(0.5)
    assert report.loc["neutral", "f1"] == pytest.approx(1.0)
    assert report.loc["macro", "support"] == 10
    reference = classification_report(SST_LABELS, SST_PREDICTED, output_dict=True, zero_division=0)
    assert report.loc["macro", "f1"] == pytest.approx(reference["macro avg"]["f1-score"])
    assert report.loc["weighted", "recall"] == pytest.approx(reference["weighted avg"]["recall"])


def test_near_misses_count_distance_and_polarity_flips():
    misses = analysis.near_misses(_sst_frame())
    # errors: 0->1 (1 away), 1->3 (2 away, a flip), 3->4 (1 away), 4->0 (4 away, a flip)
    assert misses["errors"] == 4
    assert (misses["1 away"], misses["2 away"], misses["3 away"], misses["4 away"]) == (2, 1, 0, 1)
    assert misses["share one away"] == pytest.approx(0.5)
    assert misses["polarity flips"] == 2


def test_prediction_frame_refuses_ids_of_another_dev_file():
    run = {"dev_predictions": {"sst": {"ids": ["x"], "predictions": [1], "labels": [1]}}}
    with pytest.raises(ValueError, match="not in the examples"):
        analysis.prediction_frame(run, "sst", [SentimentExample("y", "s", 1)])


def test_correlation_interval_is_fishers_and_covers_r():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 0.5 * x + rng.normal(size=200)
    out = analysis.correlation_interval(x, y)
    r = stats.pearsonr(x, y)[0]
    assert out["r"] == pytest.approx(r)
    half = 1.959964 / math.sqrt(197)
    assert out["low"] == pytest.approx(math.tanh(math.atanh(r) - half), abs=1e-6)
    assert out["low"] < r < out["high"]


def test_residual_correlation_sees_long_pairs_over_estimated():
    # the longer the pair, the more the prediction overshoots the gold score
    pairs = [("word " * k, "word " * k) for k in range(1, 41)]
    gold = np.full(40, 2.5)
    frame = _sts_frame(gold, gold + np.linspace(-0.5, 1.5, 40), pairs)
    table = analysis.residual_correlation(frame, against=("characters",))
    assert table.loc["characters", "r"] == pytest.approx(1.0)
    assert table.loc["characters", "low"] > 0.9
    bins = analysis.residuals_by_bin(frame, "characters", [0, 100, 1000])
    assert bins["mean residual"].iloc[1] > bins["mean residual"].iloc[0]


def test_categories_are_the_rules_they_say():
    assert categories.jaccard("What makes one angry?", "what makes one ANGRY") == 1.0
    assert categories.jaccard("a b", "c d") == 0.0
    frame = _sst_frame()
    marked = categories.categorise(frame, "sst")
    assert marked["negation"].tolist() == [k % 2 == 1 for k in range(10)]
    assert not marked["contrast"].any()
    quora = pd.DataFrame({"sentence1": ["What makes one angry?", "How do I cook rice?"],
                          "sentence2": ["What is the one thing that makes you most angry?",
                                        "How to cook rice?"],
                          "words": [10, 9], "error": [True, False]})
    assert categories.categorise(quora, "quora")["pronoun mismatch"].tolist() == [True, True]


def test_category_table_compares_error_rates_inside_and_outside():
    table = categories.category_table(_sst_frame(), "sst")
    # negation marks the odd examples 1, 3, 5, 7, 9: errors at 1, 3, 7, 9 (4 of 5); outside 0 of 5
    assert table.loc["negation", "examples"] == 5
    assert table.loc["negation", "error rate"] == pytest.approx(0.8)
    assert table.loc["negation", "rate outside"] == pytest.approx(0.0)
    assert table.loc["negation", "p (rates)"] == pytest.approx(stats.fisher_exact([[4, 1], [0, 5]])[1])


def test_mcnemar_exact_known_cases():
    assert paired.mcnemar_p(10, 0) == pytest.approx(2 * 0.5 ** 10)
    assert paired.mcnemar_p(5, 5) == 1.0
    assert paired.mcnemar_p(0, 0) == 1.0
    # 2 * P[Binomial(12, 1/2) <= 2] = 2 * 79 / 4096
    assert paired.mcnemar_p(2, 10) == pytest.approx(2 * 79 / 4096)
    with pytest.raises(ValueError):
        paired.mcnemar_p(-1, 3)


def test_paired_table_and_compare_on_common_ids():
    a = _sst_frame()
    b = _sst_frame(predicted=SST_LABELS)  # b gets every example right
    table = paired.paired_table(a, b, ("A", "B"))
    assert table.loc["A right", "B right"] == 6 and table.loc["A wrong", "B right"] == 4
    assert table.loc["A right", "B wrong"] == 0 and table.loc["A wrong", "B wrong"] == 0
    line = paired.compare_pair(a, b, "accuracy")
    assert (line["only A right"], line["only B right"], line["n"]) == (0, 4, 10)
    assert line["p"] == pytest.approx(2 * 0.5 ** 4)
    assert paired.compare_pair(a, b.iloc[:5], "accuracy")["n"] == 5


def test_paired_bootstrap_finds_the_better_model_and_no_difference_with_itself():
    rng = np.random.default_rng(1)
    gold = rng.uniform(0, 5, 300)
    good, bad = gold + rng.normal(0, 0.5, 300), gold + rng.normal(0, 2.0, 300)
    out = paired.paired_bootstrap(good, bad, gold, draws=500)
    assert out["difference"] > 0 and out["low"] > 0 and out["p"] < 0.01
    same = paired.paired_bootstrap(good, good, gold, draws=200)
    assert same["difference"] == 0 and same["p"] == 1.0


def _fake_run(folder):
    sst = load_task("sst", "dev", folder)
    sts_test = load_task("sts", "test", folder)
    return {"dev_predictions": {"sst": {"ids": [e.id for e in sst], "predictions": [2.0] * len(sst),
                                        "labels": [e.label for e in sst]}},
            "test_predictions": {"sts": {"ids": [e.id for e in sts_test],
                                         "predictions": [4.9] * len(sts_test)}}}


def test_a_written_submission_passes_the_validator(tmp_path):
    data = sample_data_dir()
    written = write_submission(_fake_run(data), tmp_path)
    assert sorted(p.name for p in written) == ["sst-dev-output.csv", "sts-test-output.csv"]
    ids = [e.id for e in load_task("sst", "dev", data)]
    assert check_file(tmp_path / "sst-dev-output.csv", "sst", ids) == len(ids)
    with pytest.raises(DataError, match="sst-test-output.csv: missing"):
        check_submission(tmp_path, data)  # the run predicted no SST test file


@pytest.mark.parametrize("breakage, message", [
    (lambda lines: lines[:1] + lines[2:], "have no prediction"),
    (lambda lines: lines + [lines[1]], "appears twice"),
    (lambda lines: lines + ["not-an-id , 2 "], "not in the sst data file"),
    (lambda lines: ["id , sentiment"] + lines[1:], "line 1: the header"),
    (lambda lines: lines[:1] + [lines[1].replace(" 2 ", " 7 ")] + lines[2:], "not a class in"),
    (lambda lines: lines[:1] + [lines[1].replace(" 2 ", " 2.5 ")] + lines[2:], "not a class in"),
])
def test_the_validator_rejects_a_broken_file(tmp_path, breakage, message):
    data = sample_data_dir()
    write_submission(_fake_run(data), tmp_path)
    path = tmp_path / prediction_file_name("sst", "dev")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == PREDICTION_HEADERS["sst"]
    path.write_text("\n".join(breakage(lines)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=message):
        check_file(path, "sst", [e.id for e in load_task("sst", "dev", data)])


def test_an_sts_score_outside_the_scale_is_refused(tmp_path):
    # write_submission clips; a file written some other way is checked all the same
    (tmp_path / "sts-dev-output.csv").write_text(f"{PREDICTION_HEADERS['sts']}\na , 1.0 \nb , 5.2 \n")
    with pytest.raises(DataError, match="id 'b' has 5.2.*clip"):
        check_file(tmp_path / "sts-dev-output.csv", "sts", ["a", "b"])
    run = {"dev_predictions": {"sts": {"ids": ["a", "b"], "predictions": [1.0, 5.2], "labels": [1, 5]}}}
    write_submission(run, tmp_path)
    assert check_file(tmp_path / "sts-dev-output.csv", "sts", ["a", "b"]) == 2


def test_worst_errors_orders_and_filters():
    frame = _sst_frame()
    worst = widgets.worst_errors(frame, "sst")
    assert worst["id"].tolist()[0] == "s9"  # 4 classes away
    assert len(worst) == 4
    assert widgets.worst_errors(frame, "sst", true_class=1)["id"].tolist() == ["s3"]
    assert widgets.worst_errors(frame, "sst", predicted_class=4)["id"].tolist() == ["s7"]
    assert widgets.worst_errors(frame, "sst", count=1, category="negation")["id"].tolist() == ["s9"]
    sts = _sts_frame([1.0, 2.0, 3.0], [3.5, 0.5, 3.1])
    assert widgets.worst_errors(sts, "sts")["id"].tolist() == ["p0", "p1"]  # |2.5| then |1.5|; p2 is no error
    with pytest.raises(ValueError, match="no category"):
        widgets.worst_errors(frame, "sst", category="pronoun mismatch")


@pytest.fixture
def tiny_model(tiny_checkpoint):
    torch.manual_seed(0)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint), pair_encoding={"paraphrase": "cross"})
    return model.eval(), Tokenizer.from_pretrained(tiny_checkpoint)


def test_task_answers_are_the_model_outputs(tiny_model):
    model, tokenizer = tiny_model
    answers = widgets.task_answers(model, tokenizer, "a fine film", "a good movie")
    sst = answers[answers["task"] == "sst"]["value"].to_numpy()
    assert sst.sum() == pytest.approx(1.0)
    logits = model.task_outputs(tokenizer, "sst", [SentimentExample("x", "a fine film", None)])
    np.testing.assert_allclose(sst, torch.softmax(logits, -1)[0].detach().numpy(), rtol=1e-5)
    pair = [PairExample("x", "a fine film", "a good movie", None)]
    quora = float(answers[answers["task"] == "quora"]["value"].iloc[0])
    with torch.no_grad():
        expected = float(torch.sigmoid(model.task_outputs(tokenizer, "quora", pair))[0])
    assert quora == pytest.approx(expected, rel=1e-5)
    assert set(widgets.task_answers(model, tokenizer, "alone")["task"]) == {"sst"}
    with pytest.raises(ValueError, match="type a sentence"):
        widgets.task_answers(model, tokenizer, "  ")


def test_attention_map_is_the_layers_probabilities(tiny_model):
    model, tokenizer = tiny_model
    probs, tokens = widgets.attention_map(model, tokenizer, "a fine film", "a good movie", layer=1, head=2)
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2
    assert probs.shape == (len(tokens), len(tokens))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    batch = tokenizer("a fine film", "a good movie")
    with torch.no_grad():
        expected = model.bert(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"],
                              output_attentions=True)["attentions"][1][0, 2]
    np.testing.assert_allclose(probs, expected.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="layer must be"):
        widgets.attention_map(model, tokenizer, "a", layer=5)


def test_sample_answers_are_the_widgets_answers_as_plain_data(tiny_model):
    import json

    model, tokenizer = tiny_model
    shown = {**widgets.SAMPLE_ATTENTION, "layer": 1, "head": 3}  # the tiny BERT has 2 layers of 4 heads
    sample = json.loads(json.dumps(widgets.sample_answers(model, tokenizer, attention=shown)))  # JSON-able
    expected = widgets.task_answers(model, tokenizer, *widgets.SAMPLE_PAIR)
    assert sample["pair"] == list(widgets.SAMPLE_PAIR)
    assert [row["task"] for row in sample["answers"]] == list(expected["task"])
    np.testing.assert_allclose([row["value"] for row in sample["answers"]], expected["value"], rtol=1e-6)
    probs, tokens = widgets.attention_map(model, tokenizer, shown["sentence"], layer=shown["layer"],
                                          head=shown["head"])
    assert sample["attention"]["tokens"] == tokens
    np.testing.assert_allclose(sample["attention"]["probs"], probs, atol=1e-6)


def test_trained_model_is_the_stored_runs_best_model(tiny_run, isolated_outputs):
    config = tiny_run("trained", tasks=("sst",), epochs=1)
    run = run_experiment(config, progress=False).runs[0]
    model = trained_model(config, 0, progress=False)
    examples = load_task("sst", "dev", sample_data_dir())[:10]
    tokenizer = Tokenizer.from_pretrained(config.checkpoint).with_max_length(config.max_length)
    predicted = predict(model, tokenizer, "sst", examples, progress=False)
    np.testing.assert_array_equal(predicted, run["dev_predictions"]["sst"]["predictions"])
    stored = stored_model(config, 0)
    np.testing.assert_array_equal(predict(stored, tokenizer, "sst", examples, progress=False), predicted)
    # without the weights (a fresh clone has only the stored result) stored_model trains
    # nothing and says how to; trained_model trains them again
    (run_dir(config, 0) / "best.safetensors").unlink()
    assert stored_model(config, 0) is None and not (run_dir(config, 0) / "best.safetensors").exists()
    line = missing_weights_line(config, 0)
    assert "\n" not in line and str(run_dir(config, 0)) in line and "trained_model(preset('trained'" in line
    with pytest.warns(UserWarning, match="moved it"):  # the folder without its weights is kept aside
        retrained = trained_model(config, 0, progress=False)
    again = predict(retrained, tokenizer, "sst", examples, progress=False)
    np.testing.assert_array_equal(again, predicted)


def test_error_report_stores_what_the_functions_compute_and_reads_back():
    import json

    from bert_core.course.error_report import error_report, report_table

    gold = np.linspace(0, 5, 12)
    frames = {"sst": _sst_frame(), "sts": _sts_frame(gold, gold + 0.3)}
    other = {"sst": _sst_frame(predicted=SST_LABELS), "sts": _sts_frame(gold, gold[::-1])}
    report = json.loads(json.dumps(error_report(frames, other, draws=100)))  # JSON-able
    assert report["sst"]["metric"] == pytest.approx(0.6)
    np.testing.assert_array_equal(report_table(report, "sst", "confusion").to_numpy(),
                                  analysis.confusion(frames["sst"], 5))
    assert report_table(report, "sst", "near_misses")["polarity flips"].iloc[0] == 2
    assert report_table(report, "sst", "paired")["only B right"].iloc[0] == 4
    assert report["sts"]["mean_residual"] == pytest.approx(0.3)
    assert report_table(report, "sts", "categories").loc["high overlap", "examples"] == 12
    assert report_table(report, "sts", "paired")["difference"].iloc[0] == pytest.approx(2.0)  # 1 - (-1)
    with pytest.raises(KeyError, match="no 'confusion'"):
        report_table(report, "sts", "confusion")


def test_category_examples_are_errors_of_the_category_worst_first():
    frame = _sts_frame([1.0, 1.0, 1.0, 1.0], [2.5, 4.0, 1.2, 3.0],
                       [("a b c d", "a b c e"), ("a b c d", "a b c d"), ("a b", "a b"), ("x y", "z w")])
    shown = categories.category_examples(frame, "sts", "high overlap")
    assert shown["residual"].tolist() == pytest.approx([3.0, 1.5])  # p2 is no error, p3 no overlap
    with pytest.raises(ValueError, match="no category"):
        categories.category_examples(frame, "sts", "negation")


def test_the_submission_command_line_refuses_in_one_line(tmp_path, capsys, isolated_outputs):
    from bert_core.experiments.submission import main

    assert main(["write", "no-such-preset", "--to", str(tmp_path)]) == 2
    assert "unknown preset 'no-such-preset'" in capsys.readouterr().err
    assert main(["write", "final", "--profile", "smoke", "--to", str(tmp_path)]) == 2
    assert "train it first: python -m bert_core.train final --profile smoke" in capsys.readouterr().err
    write_submission(_fake_run(sample_data_dir()), tmp_path)
    assert main(["check", str(tmp_path), "--data", str(sample_data_dir())]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sst-test-output.csv: missing" in err
