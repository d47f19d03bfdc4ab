"""Readers on fixture files the tests write, bad rows included; the download command."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bert_core.errors import DataWarning
from bert_core.multitask.data import data_dir, load_task, sample_data_dir, task_file
from bert_core.multitask.download import download
from bert_core.multitask.examples import PairExample, SentimentExample
from bert_core.multitask.reader import read_sentiment

SST_HEADER = "\tid\tsentence\tsentiment\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_sentiment_rows_and_types(tmp_path):
    path = _write(tmp_path / "ids-sst-dev.csv", SST_HEADER
                  + "0\taaa\t A fine film .\t3\n1\tbbb\tDull .\t0\n")
    examples = read_sentiment(path)
    assert examples == [SentimentExample("aaa", "A fine film .", 3), SentimentExample("bbb", "Dull .", 0)]


def test_bad_rows_are_skipped_with_one_warning_naming_lines(tmp_path):
    path = _write(tmp_path / "ids-sst-train.csv", SST_HEADER
                  + "0\ta\tGood .\t4\n"        # line 2: fine
                  + "1\tb\tNo label .\t\n"      # line 3: empty label
                  + "2\tc\tToo high .\t7\n"     # line 4: out of range
                  + "3\td\tshort row\n"         # line 5: 3 fields
                  + "4\te\t \t2\n"              # line 6: empty sentence
                  + "5\tf\tHalf .\t2.5\n"       # line 7: not a whole class
                  + "6\tg\tOkay .\t2\n")        # line 8: fine
    with pytest.warns(DataWarning) as record:
        examples = read_sentiment(path)
    assert [e.id for e in examples] == ["a", "g"]
    assert len(record) == 1
    message = str(record[0].message)
    assert str(path) in message and "skipped 5 of 7 rows" in message
    assert "line 3: empty sentiment" in message and "line 4: sentiment 7.0 outside [0, 4]" in message
    assert "line 5: 3 fields" in message and "(2 more)" in message


def test_wrong_column_layout_is_an_error(tmp_path):
    path = _write(tmp_path / "ids-sst-dev.csv", "id,sentence,sentiment\n0,a,3\n")
    with pytest.raises(ValueError, match=r"ids-sst-dev.csv, line 1: .*tab-separated"):
        read_sentiment(path)


def test_train_file_without_labels_is_an_error(tmp_path):
    _write(tmp_path / "ids-sst-train.csv", "\tid\tsentence\n0\ta\tGood .\n")
    with pytest.raises(ValueError, match="needs a 'sentiment' column"):
        load_task("sst", "train", tmp_path)


def test_missing_file_names_the_path_and_the_download_command(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=r"quora-dev.csv.*python -m bert_core.multitask.data download"):
        load_task("quora", "dev", tmp_path)


def test_test_student_layout_with_two_index_columns(tmp_path):
    _write(tmp_path / "ids-sst-test-student.csv",
           "0\t\tid\tsentence\n1\t0.0\tx1\t First .\n2\t1.0\tx2\t Second .\n")
    assert load_task("sst", "test", tmp_path) == [
        SentimentExample("x1", "First .", None), SentimentExample("x2", "Second .", None)]


def test_pairs_with_quotes_empty_labels_and_ranges(tmp_path):
    _write(tmp_path / "quora-train.csv",
           "\tid\tsentence1\tsentence2\tis_duplicate\n"
           '0\tq1\t"""Quoted"" question?"\tPlain?\t1.0\n'   # line 2: doubled quotes
           "1\tq2\tA?\tB?\t\n"                                # line 3: empty label
           "2\tq3\tC?\tD?\t0.0\n")
    with pytest.warns(DataWarning, match="skipped 1 of 3 rows.*line 3: empty is_duplicate"):
        examples = load_task("quora", "train", tmp_path)
    assert examples == [PairExample("q1", '"Quoted" question?', "Plain?", 1.0),
                        PairExample("q3", "C?", "D?", 0.0)]
    _write(tmp_path / "sts-dev.csv", "\tid\tsentence1\tsentence2\tsimilarity\n"
           "0\ts1\tA.\tB.\t4.6\n1\ts2\tC.\tD.\t5.2\n1\ts3\tE.\tF.\tabc\n")
    with pytest.warns(DataWarning, match=r"similarity 5.2 outside \[0, 5\].*'abc' is not a number"):
        assert [e.label for e in load_task("sts", "dev", tmp_path)] == [4.6]


def test_a_file_is_reported_once_per_process_and_the_warning_points_at_the_caller(tmp_path):
    path = _write(tmp_path / "ids-sst-dev.csv", SST_HEADER + "0\ta\tGood .\t9\n")
    with pytest.warns(DataWarning) as record:
        read_sentiment(path)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_sentiment(path) == []


def test_real_quora_train_keeps_all_but_the_two_empty_labels(course_data):
    path = task_file("quora", "train", course_data)
    if course_data == sample_data_dir():
        pytest.skip("needs the course data (BERT_CORE_DATA)")
    with pytest.warns(DataWarning, match="skipped 2 of 16260 rows.*line 2062.*line 11419"):
        examples = load_task("quora", "train", course_data)
    assert len(examples) == 16258 and path.exists()


def test_sample_set_reads_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sizes = {(t, s): len(load_task(t, s, sample_data_dir()))
                 for t in ("sst", "cfimdb", "quora", "sts") for s in ("train", "dev", "test")}
    assert min(sizes.values()) >= 8
    assert all(e.label is None for e in load_task("sts", "test", sample_data_dir()))
    assert {e.label for e in load_task("sst", "train", sample_data_dir())} == {0, 1, 2, 3, 4}


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BERT_CORE_DATA", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.delenv("BERT_CORE_DATA")
    assert data_dir().name == "data"


def test_download_copies_every_file_and_never_leaves_half_files(tmp_path):
    target = tmp_path / "data"
    written = download(target, base_url=sample_data_dir().as_uri() + "/")
    assert len(written) == 12
    assert load_task("sts", "dev", target) == load_task("sts", "dev", sample_data_dir())
    assert download(target, base_url="file:///nonexistent/") == []  # all present: nothing to do
    empty = tmp_path / "elsewhere"
    with pytest.raises(ConnectionError, match="could not download.*BERT_CORE_DATA"):
        download(empty, base_url=(tmp_path / "missing").as_uri() + "/")
    assert list(empty.iterdir()) == []
