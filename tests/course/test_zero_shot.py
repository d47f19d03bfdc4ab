"""The zero-shot STS reference: what it stores, and the rows the comparison tables show."""

from __future__ import annotations

import pytest

from bert_core.course.comparison import comparison_table
from bert_core.course.zero_shot import LABEL, reference_rows, stored_zero_shot
from bert_core.experiments.grid import table
from bert_core.experiments.store import load_artefact


def test_the_stored_zero_shot_r_is_notebook_02s_measurement():
    """Two code paths, one number: notebook 02's cosine of mean-pooled vectors on all the
    STS dev pairs, and this module's."""
    notebook_02 = load_artefact("cpu", "sentence_similarity")["payload"]
    stored = stored_zero_shot("cpu")
    assert stored[notebook_02["pairs"]] == pytest.approx(notebook_02["pearson"]["mean of tokens"], abs=1e-4)
    assert set(stored) == {863, 600}


def test_a_table_with_an_sts_column_ends_with_the_zero_shot_rows_of_its_dev_sets():
    frame = comparison_table(table("05"))  # cpu caps (600 pairs) and the headline (all 863)
    stored = stored_zero_shot("cpu")
    assert frame.loc[f"{LABEL}, 863 dev pairs", "sts_corr"] == f"{stored[863]:.3f}"
    assert frame.loc[f"{LABEL}, 600 dev pairs", "sts_corr"] == f"{stored[600]:.3f}"
    assert frame.loc[f"{LABEL}, 600 dev pairs", "sst_acc"] == ""
    only_cpu_caps = {name: r for name, r in table("05").committed().items() if name == "cpu-best"}
    assert reference_rows(only_cpu_caps) == {LABEL: stored[600]}


def test_a_table_without_sts_has_no_zero_shot_row():
    frame = comparison_table(table("04"))
    assert not [label for label in frame.index if label.startswith(LABEL)]


def test_every_table_builder_ends_with_the_zero_shot_row_and_can_leave_it_out():
    from bert_core.course.significance import compared_table
    from bert_core.course.tables import ours, results_table

    cpu = table("06").committed(only=["sts-cosine", "sts-cosine-mnr"])
    r0 = f"{stored_zero_shot('cpu')[600]:.3f}"
    for frame in (results_table(cpu), ours(cpu), compared_table(cpu, "sts-cosine")):
        assert frame.index[-1] == LABEL and frame.iloc[-1]["sts_corr"] == r0
    assert LABEL not in results_table(cpu, zero_shot=False).index
