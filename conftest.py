"""pytest's set-up for the whole repository: the unit tests and the notebooks (--nbval).

- Every run trains in a scratch runs folder (``BERT_CORE_RUNS``, which the notebooks'
  kernels inherit) that is removed at the end, unless the caller set one: a test run
  leaves no weights behind, and a second run in the same clone starts as fresh as the
  first (the smoke profile's stored results live there too).
- nbval waits at most 5 s for a finished cell's output messages; on a loaded machine a
  training cell's last messages can take longer, so the notebooks get a minute.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

NBVAL_OUTPUT_TIMEOUT = 60  # seconds
_SCRATCH = pytest.StashKey[str]()


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
