"""The transformers yardstick benchmark runs end to end on the sample set and records what
it measured (``benchmarks/bench_transformers_yardsticks.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bert_core.files import PROJECT_ROOT
from bert_core.multitask.data import sample_data_dir

pytest.importorskip("transformers")
pytest.importorskip("accelerate")  # Trainer's (the bench extra)


@pytest.mark.slow
def test_the_yardstick_benchmark_trains_each_task_and_records_it(tmp_path: Path):
    out = tmp_path / "yardsticks.json"
    subprocess.run([sys.executable, str(PROJECT_ROOT / "benchmarks" / "bench_transformers_yardsticks.py"),
                    "--data", str(sample_data_dir()), "--tasks", "sst,sts", "--seeds", "0", "--limit", "16",
                    "--out", str(out)], check=True, capture_output=True, timeout=600)
    record = json.loads(out.read_text())
    assert set(record["runs"]) == {"sst", "sts"}
    sst, sts = record["runs"]["sst"]["0"], record["runs"]["sts"]["0"]
    assert 0 <= sst["accuracy"] <= 1 and sst["steps"] == 6  # 16 examples, batches of 8, 3 epochs
    assert -1 <= sts["pearson"] <= 1 and sts["steps"] == 4  # 16 pairs at most, batches of 16, 4 epochs
    assert record["classifier_defaults"]["learning_rate"] == 5e-5
