"""Reading a cosine back from an STS head's scores, and the geometry table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bert_core.course.sts_geometry import READ_BACK, checkpoint_cosines, geometry_table, head_cosines
from bert_core.experiments import ExperimentResult, make_config
from bert_core.multitask.heads import build_head


@pytest.mark.parametrize("name", ["cosine", "scaled_cosine"])
def test_the_read_back_inverts_the_heads_map(name):
    head = build_head("similarity", name, 8, dropout=0.0)
    u, v = torch.randn(5, 8), torch.randn(5, 8)
    a, b = READ_BACK[name]
    torch.testing.assert_close(a * head(u, v) + b, torch.nn.functional.cosine_similarity(u, v))


def test_cosine_fc_reads_back_the_clipped_cosine_of_its_transform():
    head = build_head("similarity", "cosine_fc", 8, dropout=0.0)
    u, v = torch.randn(5, 8), torch.randn(5, 8)
    a, b = READ_BACK["cosine_fc"]
    cos = torch.nn.functional.cosine_similarity(head.transform(u), head.transform(v))
    torch.testing.assert_close(a * head(u, v) + b, cos.clamp(min=0))


def _result(head: str, labels: list[float], predictions: list[float]) -> ExperimentResult:
    config = make_config("geometry", "smoke", tasks=("sts",), heads={"similarity": head}, seeds=(0,))
    run = {"best": {"sts": 0.5}, "dev_predictions": {"sts": {"ids": list("abcd"), "labels": labels,
                                                              "predictions": predictions}}}
    return ExperimentResult(config, {0: run})


def test_head_cosines_and_the_table_by_hand():
    gold, cos = head_cosines(_result("cosine", [0.0, 1.0, 4.0, 5.0], [0.0, 1.0, 4.5, 5.0]))
    np.testing.assert_allclose(cos, [-1.0, -0.6, 0.8, 1.0])
    table = geometry_table({"cosine": (gold, cos)})
    assert table.loc["cosine", "mean cos, gold ≤ 1"] == pytest.approx(-0.8)
    assert table.loc["cosine", "mean cos, gold ≥ 4"] == pytest.approx(0.9)
    assert table.loc["cosine", "gap"] == pytest.approx(1.7)


def test_a_head_that_is_not_a_cosine_map_is_refused_in_one_line():
    with pytest.raises(ValueError, match="not a fixed map of a cosine"):
        head_cosines(_result("concat", [0.0, 1.0, 4.0, 5.0], [0.0, 1.0, 4.5, 5.0]))


def test_checkpoint_cosines_follow_the_runs_pairs_in_its_order():
    from bert_core.course.zero_shot import stored_pairs

    stored = stored_pairs("cpu")
    ids = [str(i) for i in stored["ids"][[5, 0, 2]]]
    config = make_config("geometry", "smoke", tasks=("sts",), heads={"similarity": "cosine"}, seeds=(0,))
    run = {"best": {"sts": 0.5}, "dev_predictions": {"sts": {"ids": ids, "labels": [0, 0, 0],
                                                              "predictions": [0, 0, 0]}}}
    gold, cosine = checkpoint_cosines(ExperimentResult(config, {0: run}))
    np.testing.assert_allclose(cosine, stored["cosine"][[5, 0, 2]])
    np.testing.assert_allclose(gold, stored["gold"][[5, 0, 2]])
