"""Submission files: a stored run's dev and test-student predictions in the course's
format, and a validator that reads them back (notebook 11).

The course's leaderboards take one file per task and split, named and laid out as the
starter code writes them (``evaluate.write_predictions``): ``sst-dev-output.csv``,
``para-test-output.csv``, ``sts-test-output.csv``, ..., a header line, then ``id , value``.
A file is valid when

    its header is the starter's for that task,
    every id of the split's data file appears exactly once and no other id does,
    every value is a number: a class in the task's range (0-4 for SST, 0/1 for Quora),
    or an STS score in [0, 5].

``write_submission`` writes them from a stored run's record (its ``dev_predictions``, and
its ``test_predictions`` when the run wrote any: a run with ``predict_test``);
``check_submission`` refuses a broken file with one line naming it, the line or id, and
the fix. From the command line::

    python -m bert_core.experiments.submission write final --profile cpu --to submission/
    python -m bert_core.experiments.submission check submission/ [--data FOLDER]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bert_core.errors import ConfigError, DataError
from bert_core.experiments.cli import user_errors_in_one_line
from bert_core.experiments.presets import preset
from bert_core.experiments.store import load_result
from bert_core.multitask.data import load_task, task_file
from bert_core.multitask.evaluate import (
    PREDICTION_HEADERS,
    prediction_file_name,
    read_predictions,
    write_predictions,
)
from bert_core.multitask.tasks import TASKS

__all__ = ["SPLITS", "write_submission", "check_file", "check_submission", "stored_run", "main"]

SPLITS = ("dev", "test")


def write_submission(run: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write ``run``'s prediction files into ``folder``: dev for every task it was evaluated
    on, test for every task it predicted (``record["test_predictions"]``). Returns the paths."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--to {folder}: is a file; name a folder for the prediction files (it is made if "
                          "missing)")
    written = []
    for split, key in (("dev", "dev_predictions"), ("test", "test_predictions")):
        for task, stored in run.get(key, {}).items():
            path = folder / prediction_file_name(task, split)
            written.append(write_predictions(path, task, stored["ids"], stored["predictions"]))
    if not written:
        raise ValueError("the run holds no predictions to write (no dev_predictions or test_predictions)")
    return written


def check_file(path: str | Path, task: str, ids: Sequence[str]) -> int:
    """Check one prediction file against the ids of its split (``ids``); return its rows.
    Raises ``DataError`` naming the file, the line or id, and the fix."""
    path = Path(path)
    spec = TASKS[task]
    try:
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
    except FileNotFoundError:
        raise DataError(f"{path}: missing; write a run's files with python -m "
                        "bert_core.experiments.submission write PRESET (a run predicts the test files "
                        "only with predict_test, as final does)") from None
    if header.strip().split() != PREDICTION_HEADERS[task].strip().split():
        raise DataError(f"{path}, line 1: the header is {header.strip()!r}, the starter's for {task} is "
                        f"{PREDICTION_HEADERS[task].strip()!r}; write the file with "
                        "evaluate.write_predictions")
    try:
        predictions = read_predictions(path)
    except ValueError as error:
        raise DataError(str(error)) from None
    expected = set(ids)
    extra = [i for i in predictions if i not in expected]
    if extra:
        raise DataError(f"{path}: {len(extra)} ids are not in the {task} data file (first: {extra[0]!r}); "
                        "predict the split's own file")
    missing = [i for i in ids if i not in predictions]
    if missing:
        raise DataError(f"{path}: {len(missing)} of the {len(ids)} ids have no prediction (first: "
                        f"{missing[0]!r}); predict every example of the split, not a subset (dev_limit=None)")
    low, high = spec.label_range
    for id_, value in predictions.items():
        whole = spec.metric != "pearson"
        if not math.isfinite(value) or not low <= value <= high or (whole and value != int(value)):
            kind = "a class" if whole else "a score"
            raise DataError(f"{path}: id {id_!r} has {value!r}, not {kind} in [{low:g}, {high:g}]; "
                            + ("write class ids" if whole else "clip the scores to the range (numpy.clip)"))
    return len(predictions)


def check_submission(folder: str | Path, data: str | Path | None = None,
                     tasks: Sequence[str] = ("sst", "quora", "sts")) -> dict[str, int]:
    """Check every prediction file ``folder`` should hold against the data in ``data``
    (default: the course data folder): one per task and split whose data file exists
    (the offline Quora data has no test file). Returns rows by file name."""
    folder = Path(folder)
    checked = {}
    for task in tasks:
        for split in SPLITS:
            source = task_file(task, split, data)
            if not source.exists():
                continue
            ids = [e.id for e in load_task(task, split, data)]
            name = prediction_file_name(task, split)
            checked[name] = check_file(folder / name, task, ids)
    if not checked:
        raise DataError(f"no data files to check against in {task_file('sst', 'dev', data).parent}; "
                        "set BERT_CORE_DATA or pass --data")
    return checked


@user_errors_in_one_line
def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bert_core.experiments.submission", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write a stored run's prediction files")
    write.add_argument("preset", help="the stored run's name, e.g. final")
    write.add_argument("--profile", default=None, help="default: $BERT_CORE_PROFILE, else gpu/cpu")
    write.add_argument("--seed", type=int, default=0)
    write.add_argument("--to", default="submission", help="the folder to write (default: submission/)")
    check = commands.add_parser("check", help="check a folder of prediction files against the data")
    check.add_argument("folder")
    check.add_argument("--data", default=None, help="the course data folder (default: $BERT_CORE_DATA)")
    args = parser.parse_args(argv)
    if args.command == "write":
        for path in write_submission(stored_run(args.preset, args.profile, args.seed), args.to):
            print(path)
    else:
        for name, rows in check_submission(args.folder, args.data).items():
            print(f"{name}: {rows} predictions, valid")


def stored_run(name: str, profile: str | None = None, seed: int = 0) -> Mapping[str, Any]:
    """The stored record of seed ``seed`` of the preset ``name`` in ``profile``; a
    ``ConfigError`` with the command that trains it when there is none."""
    config = preset(name, profile)
    result = load_result(config)
    if result is None or seed not in result.runs:
        raise ConfigError(f"no stored {config.profile} run of {name} seed {seed}; train it first: "
                          f"python -m bert_core.train {name} --profile {config.profile} --seeds {seed}")
    return result.runs[seed]


if __name__ == "__main__":
    sys.exit(main())
