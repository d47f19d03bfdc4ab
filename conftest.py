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
- Under pytest-xdist (``make test``: ``-n 2 --dist loadfile``) a file is one unit of work: a
  notebook's cells run in order in one worker's kernel, a test module's tests in one worker.
  Each worker has its own scratch folder (a notebook whose earlier notebook ran in the other
  worker trains the smoke runs it needs again, seconds each) and its share of the cores
  (torch's threads, and ``OMP_NUM_THREADS`` for the kernels it starts), so that two workers
  do not fight over two cores.
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
_SCRATCH_ENV = "BERT_CORE_TEST_SCRATCH"


def pytest_configure(config: pytest.Config) -> None:
    # an xdist worker inherits the controller's environment: a runs folder equal to the
    # controller's scratch folder is not the user's choice, and the worker makes its own
    if os.environ.get("BERT_CORE_RUNS", "") in ("", os.environ.get(_SCRATCH_ENV)):
        folder = tempfile.mkdtemp(prefix="bert-core-test-runs-")
        os.environ["BERT_CORE_RUNS"] = os.environ[_SCRATCH_ENV] = folder
        config.stash[_SCRATCH] = folder
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        from bert_core.device import threads_per_worker

        threads = threads_per_worker(int(worker["workercount"]))
        os.environ["OMP_NUM_THREADS"] = str(threads)  # for the notebook kernels this worker starts
        import torch

        torch.set_num_threads(threads)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_SCRATCH, None)
    if folder is not None:
        os.environ.pop("BERT_CORE_RUNS", None)
        os.environ.pop(_SCRATCH_ENV, None)
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
