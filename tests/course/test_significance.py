"""Welch's t-test over seeds, the Δ column, the majority-class check, the pair probe."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from bert_core.course.probe import pair_features, pair_probe
from bert_core.course.significance import (
    clear_of_majority,
    detectable_difference,
    learned_table,
    majority_rate,
    task_by_task,
    versus_baseline,
    welch_p,
)
from bert_core.experiments import ExperimentResult, make_config
from bert_core.multitask.data import load_task, sample_data_dir


def test_welch_p_matches_the_formula_and_handles_no_spread():
    a, b = [0.30, 0.34, 0.31], [0.257, 0.262, 0.250]
    va, vb = np.var(a, ddof=1) / 3, np.var(b, ddof=1) / 3
    t = (np.mean(a) - np.mean(b)) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 2)
    assert welch_p(a, b) == pytest.approx(2 * stats.t.sf(abs(t), dof), rel=1e-9)
    assert welch_p([0.257] * 3, [0.257] * 3) == 1.0  # both stuck at the same rate
    assert welch_p([0.3] * 3, [0.257] * 3) == 0.0
    assert math.isnan(welch_p([0.3], [0.2, 0.25]))
    assert welch_p([0.30, 0.31, 0.29], [0.30, 0.29, 0.31]) > 0.9


def _result(name: str, sst: list[float], quora: list[float],
            labels: dict[str, list[float]]) -> ExperimentResult:
    config = make_config(name, "smoke", tasks=("sst", "quora"), seeds=tuple(range(len(sst))))
    runs = {s: {"best": {"sst": a, "quora": q}, "wall_seconds": 1.0, "peak_memory_mb": 1.0,
                "dev_predictions": {t: {"labels": labels[t]} for t in labels}}
            for s, (a, q) in enumerate(zip(sst, quora))}
    return ExperimentResult(config, runs)


LABELS = {"sst": [0, 1, 1, 1, 2, 3, 4, 4, 1, 1], "quora": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]}


def test_versus_baseline_stars_only_differences_beyond_the_seeds():
    results = {
        "stalled": _result("stalled", [0.5, 0.5, 0.5], [0.6, 0.6, 0.6], LABELS),
        "learns": _result("learns", [0.62, 0.65, 0.60], [0.61, 0.58, 0.62], LABELS),
        "one seed": _result("one", [0.7], [0.6], LABELS),
        "missing": None,
    }
    table = versus_baseline(results, "stalled", metrics=("sst_acc", "para_acc"))
    assert table.loc["stalled", "Δ sst_acc"] == "baseline"
    assert table.loc["learns", "Δ sst_acc"] == "+0.123*"
    assert table.loc["learns", "Δ para_acc"] == "+0.003"  # inside the noise: no star
    assert table.loc["one seed", "Δ sst_acc"] == "+0.200 (1 seed)"
    assert table.loc["missing", "Δ sst_acc"] == ""
    with pytest.raises(ValueError, match="'missing' has no runs"):
        versus_baseline(results, "missing")


def test_the_majority_check_reads_each_run_s_dev_labels():
    assert majority_rate(LABELS["sst"]) == 0.5 and majority_rate(LABELS["quora"]) == 0.6
    stuck = _result("stuck", [0.5, 0.55], [0.6, 0.65], LABELS)
    assert clear_of_majority(stuck, "sst") == {0: False, 1: True}
    table = learned_table({"stuck": stuck})
    assert table.loc["stuck"].tolist() == ["1/2", "1/2"]
    assert list(table.columns) == ["sst_acc > majority 0.500", "para_acc > majority 0.600"]
    with pytest.raises(ValueError, match="scored by pearson"):
        clear_of_majority(stuck, "sts")


def test_pair_features_and_the_probe_see_what_the_concatenation_cannot(tiny_checkpoint):
    u, v = np.array([[1.0, -2.0]]), np.array([[3.0, 4.0]])
    assert pair_features(u, v, "concat").tolist() == [[1.0, -2.0, 3.0, 4.0]]
    assert pair_features(u, v, "siamese").tolist() == [[1.0, -2.0, 3.0, 4.0, 2.0, 6.0, 3.0, -8.0]]
    with pytest.raises(ValueError, match="unknown pair features 'dot'"):
        pair_features(u, v, "dot")
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.multitask.model import MultitaskBERT

    model = MultitaskBERT.from_pretrained(tiny_checkpoint)
    train, dev = load_task("quora", "train", sample_data_dir()), load_task("quora", "dev", sample_data_dir())
    scores = pair_probe(model, Tokenizer.from_pretrained(tiny_checkpoint), train, dev, poolings=("mean",))
    labels = [e.label for e in dev]
    assert scores["majority"]["rate"] == pytest.approx(max(np.mean(labels), 1 - np.mean(labels)))
    assert set(scores["mean"]) == {"concat", "siamese"} and all(0 <= a <= 1 for a in scores["mean"].values())


def test_prior_loss_is_the_entropy_or_the_variance_of_the_labels():
    from bert_core.course.describe import prior_loss

    assert prior_loss("sst", [i % 5 for i in range(10)]) == pytest.approx(math.log(5))
    quora = [float(i < 3) for i in range(10)]
    assert prior_loss("quora", quora) == pytest.approx(-(0.3 * math.log(0.3) + 0.7 * math.log(0.7)))
    assert prior_loss("sts", [0.0, 1.0, 2.0, 5.0]) == pytest.approx(np.var([0, 1, 2, 5]))
    with pytest.raises(ValueError, match="needs sst labels"):
        prior_loss("sst", [])


def test_feature_spread_of_identical_and_orthogonal_vectors():
    from bert_core.course.probe import feature_spread

    same = feature_spread(np.ones((4, 3)))
    assert same["std"] == 0 and same["mean_cosine"] == pytest.approx(1.0)
    apart = feature_spread(np.eye(3))
    assert apart["mean_cosine"] == pytest.approx(0.0) and apart["std"] == pytest.approx(np.sqrt(2 / 9))


def test_losses_against_prior_reads_a_run_record():
    from bert_core.course.describe import losses_against_prior

    run = {"dev_predictions": {"quora": {"labels": [0.0, 0.0, 1.0, 1.0]}},
           "losses": [[1, "quora", 0.9], [2, "quora", 0.7], [3, "quora", 0.6]],
           "epochs": [{"epoch": 1, "train_loss": {"quora": 0.65}}]}
    table = losses_against_prior(run, ("quora",), first=2)
    assert table.loc["quora"].tolist() == [0.8, 0.65, round(math.log(2), 3)]
    assert list(table.columns) == ["first 2 steps", "epoch 1", "prior's loss"]


def test_compared_table_puts_metrics_deltas_and_the_majority_check_side_by_side():
    from bert_core.course.significance import compared_table

    results = {"stalled": _result("stalled", [0.5, 0.5, 0.5], [0.6, 0.6, 0.6], LABELS),
               "learns": _result("learns", [0.62, 0.65, 0.60], [0.61, 0.58, 0.62], LABELS)}
    table = compared_table(results, "stalled")
    assert table.loc["learns", "Δ sst_acc"] == "+0.123*" and table.loc["learns", "seeds"] == 3
    assert table.loc["learns", "sst_acc > majority 0.500"] == "3/3"
    assert "sst_acc > majority 0.500" not in compared_table(results, "stalled", learned=False).columns


def test_task_by_task_sets_each_task_beside_its_single_task_run():
    together = _result("together", [0.44, 0.45, 0.43], [0.80, 0.79, 0.81], LABELS)
    sst_alone = _result("sst-alone", [0.40, 0.41, 0.39], [0.0] * 3, LABELS)
    one_seed = _result("quora-alone", [0.0], [0.70], LABELS)
    table = task_by_task(together, {"sst": sst_alone, "quora": one_seed})
    assert list(table.index) == ["sst_acc", "para_acc"]
    assert table.loc["sst_acc", "together"] == "0.440 ± 0.010 (3)"
    assert table.loc["sst_acc", "alone"] == "0.400 ± 0.010 (3)"
    assert table.loc["sst_acc", "Δ together - alone"] == "+0.040*"
    assert table.loc["sst_acc", "Welch p"] == pytest.approx(welch_p([0.44, 0.45, 0.43], [0.40, 0.41, 0.39]))
    assert table.loc["para_acc", "Δ together - alone"] == "+0.100 (1 seed)"
    assert table.loc["para_acc", "alone"] == "0.700 (1 seed)"
    assert task_by_task(together, {}).loc["sst_acc", "alone"] == ""


def test_task_by_task_adds_a_library_yardstick_by_task():
    together = _result("together", [0.44, 0.45, 0.43], [0.80, 0.79, 0.81], LABELS)
    table = task_by_task(together, {}, library={"sst": [0.42, 0.43, 0.44]}, library_name="transformers")
    assert table.loc["sst_acc", "transformers"] == "0.430 ± 0.010 (3)"
    assert table.loc["sst_acc", "Δ together - transformers"] == "+0.010"
    assert table.loc["sst_acc", "Welch p, transformers"] == pytest.approx(
        welch_p([0.44, 0.45, 0.43], [0.42, 0.43, 0.44]))
    assert table.loc["para_acc", "transformers"] == ""  # no benchmark run for Quora
    one = task_by_task(together, {}, library={"quora": [0.70]}, library_name="transformers")
    assert one.loc["para_acc", "Δ together - transformers"] == "+0.100 (1 seed)"


def test_detectable_difference_is_where_welch_p_crosses_alpha():
    a = [0.40, 0.42, 0.44]  # std 0.02
    b = [0.40, 0.41, 0.42]  # std 0.01
    d = detectable_difference(0.02, 0.01, 3, 3)
    shifted = [x - sum(a) / 3 + sum(b) / 3 for x in a]  # same spread, equal means
    assert welch_p([x + d * 1.001 for x in shifted], b) < 0.05 < welch_p([x + d * 0.999 for x in shifted], b)
    assert detectable_difference(0.02, 0.01, 5, 5) < d  # more seeds, a smaller threshold
    assert detectable_difference(0.0, 0.0, 3, 3) == 0.0
    with pytest.raises(ValueError, match="two seeds a side"):
        detectable_difference(0.02, 0.01, 1, 3)
