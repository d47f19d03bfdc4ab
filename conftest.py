"""pytest's set-up for the whole repository: the unit tests and the notebooks (--nbval).

- Every run trains in a scratch runs folder (``BERT_CORE_RUNS``, which the notebooks'
  kernels inherit) that is removed at the end, unless the caller set one: a test run
  leaves no weights behind, and a second run in the same clone starts as fresh as the
  first (the smoke profile's stored results live there too).
- Between two notebooks the weights of the scratch folder's finished runs are deleted
  (``drop_finished_weights``): a later notebook loads an earlier one's runs from their
  records and never needs their weights, and the suite's runs would otherwise keep about
  8 GB of weights on disk to the end (CI once ran out of disk).
- nbval waits at most 5 s for a finished cell's output messages; on a loaded machine a
  training cell's last messages can take longer, so the notebooks get a minute.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

NBVAL_OUTPUT_TIMEOUT = 60  # seconds
_SCRATCH = pytest.StashKey[str]()
_NOTEBOOK = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("BERT_CORE_RUNS"):
        folder = tempfile.mkdtemp(prefix="bert-core-test-runs-")
        os.environ["BERT_CORE_RUNS"] = folder
        config.stash[_SCRATCH] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SCRATCH, None)
    if folder is not None:
        os.environ.pop("BERT_CORE_RUNS", None)
        shutil.rmtree(folder, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if hasattr(item, "output_timeout"):  # an nbval cell
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT


def pytest_runtest_setup(item: pytest.Item) -> None:
    scratch = item.config.stash.get(_SCRATCH, None)
    if scratch is None or not hasattr(item, "output_timeout"):  # only our own folder, only nbval cells
        return
    notebook = str(item.path)
    if item.config.stash.get(_NOTEBOOK, None) != notebook:  # the first cell of the next notebook
        item.config.stash[_NOTEBOOK] = notebook
        from bert_core.training.run_folder import drop_finished_weights  # torch: only once a notebook runs

        drop_finished_weights(Path(scratch))
