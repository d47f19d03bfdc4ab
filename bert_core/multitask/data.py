"""The course's data files: where they are and how to read them (how to get them:
``bert_core.multitask.download``; what they hold: ``bert_core.multitask.examples``).

Four tasks, each in the CS224N starter repository's tab-separated format, the first
column an unnamed row index:

============  ===================================  =================================
task          files (``{split}`` = train, dev,      columns
              test-student)
============  ===================================  =================================
``sst``       ``ids-sst-{split}.csv``               id, sentence, sentiment (0-4)
``cfimdb``    ``ids-cfimdb-{split}.csv``            id, sentence, sentiment (0/1)
``quora``     ``quora-{split}.csv``                 id, sentence1, sentence2, is_duplicate
``sts``       ``sts-{split}.csv``                   id, sentence1, sentence2, similarity (0-5)
============  ===================================  =================================

Test-student files have no label column. The folder is ``$BERT_CORE_DATA``, else
``data/`` at the repository root; ``python -m bert_core.multitask.data download`` fetches the
starter repository's public files there. The package also ships a tiny sample set in
the same formats (written for this project) that the ``smoke`` profile and the tests use.

Reading is strict (``bert_core.multitask.reader``): bad input is never dropped
silently, and a missing file names the download command.

Taught in notebook 00.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bert_core.errors import DataError, DataWarning
from bert_core.multitask.examples import Example
from bert_core.multitask.reader import read_header, read_pairs, read_sentiment
from bert_core.multitask.tasks import TASKS

# DataError and DataWarning live in bert_core.errors; named here too, as the notebooks
# silence the reader's warning as data.DataWarning
__all__ = ["SPLITS", "DataWarning", "DataError", "data_dir", "sample_data_dir", "task_file", "load_task",
           "DOWNLOAD_COMMAND", "STARTER_DATA_URL"]

SPLITS = ("train", "dev", "test")
STARTER_DATA_URL = (
    "https://raw.githubusercontent.com/gpoesia/minbert-default-final-project/main/data/"
)
DOWNLOAD_COMMAND = "python -m bert_core.multitask.data download"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """``$BERT_CORE_DATA`` if set, else ``data/`` at the repository root."""
    env = os.environ.get("BERT_CORE_DATA")
    return Path(env).expanduser() if env else _REPO_ROOT / "data"


def sample_data_dir() -> Path:
    """The tiny sample set shipped with the package (the ``smoke`` profile's data)."""
    return Path(__file__).resolve().parent / "sample_data"


def task_file(task: str, split: str, folder: str | Path | None = None) -> Path:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {list(TASKS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    name = TASKS[task].file_pattern.format("test-student" if split == "test" else split)
    return Path(folder if folder is not None else data_dir()) / name


def load_task(task: str, split: str, folder: str | Path | None = None) -> list[Example]:
    """The examples of one task and split from ``folder`` (default: ``data_dir()``).

    Train and dev files must carry their label column; test-student files have none.
    """
    path = task_file(task, split, folder)
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such data file. Download the course data with `{DOWNLOAD_COMMAND}` "
            f"(into {data_dir()}), or point BERT_CORE_DATA at the folder that holds it."
        )
    spec = TASKS[task]
    if split != "test" and spec.label_column not in read_header(path):
        raise DataError(
            f"{path}, line 1: a {split} file needs a {spec.label_column!r} column; "
            "is this a test-student file under the wrong name?"
        )
    if spec.is_pair:
        return list(read_pairs(path, spec.label_column, *spec.label_range))
    return list(read_sentiment(path, spec.num_labels))


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bert_core.multitask.data",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser("download", help="fetch the starter repository's data files")
    dl.add_argument("--to", default=None, help="target folder (default: $BERT_CORE_DATA or data/)")
    dl.add_argument("--base-url", default=STARTER_DATA_URL)
    dl.add_argument("--overwrite", action="store_true")
    check = sub.add_parser("check", help="read every file of a data folder and count its rows")
    check.add_argument("folder", nargs="?", default=None)
    args = parser.parse_args(argv)
    if args.command == "download":
        from bert_core.multitask.download import download

        for path in download(args.to, args.base_url, args.overwrite):
            print(f"wrote {path}")
        return 0
    folder = Path(args.folder) if args.folder else data_dir()
    status = 0
    for task in TASKS:
        for split in SPLITS:
            try:
                print(f"{task:7s} {split:5s} {len(load_task(task, split, folder)):7d}")
            except (FileNotFoundError, ValueError) as err:
                print(f"{task:7s} {split:5s}  -- {err}")
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(_main())
