"""The course's data files: where they are, how to read them, how to get them.

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

Bad input never crashes a run and is never dropped silently: a missing file names the
path and the download command; a file without the expected columns is an error naming
what it found; rows that cannot be used (wrong number of fields, empty sentence, empty
or out-of-range label) are skipped with one ``DataWarning`` that counts them and names
the first line numbers. Sentences are returned as written (stripped); lowercasing and
splitting are the tokenizer's job.

Taught in notebook 00.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import urllib.request
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, Union

from bert_core.multitask.tasks import TASKS as REGISTRY

__all__ = [
    "TASKS",
    "SPLITS",
    "SentimentExample",
    "PairExample",
    "Example",
    "DataWarning",
    "data_dir",
    "sample_data_dir",
    "task_file",
    "read_sentiment",
    "read_pairs",
    "load_task",
    "sentences",
    "sentence_pairs",
    "texts",
    "download",
    "DOWNLOAD_COMMAND",
    "STARTER_DATA_URL",
]

TASKS = tuple(REGISTRY)
SPLITS = ("train", "dev", "test")
STARTER_DATA_URL = (
    "https://raw.githubusercontent.com/gpoesia/minbert-default-final-project/main/data/"
)
DOWNLOAD_COMMAND = "python -m bert_core.multitask.data download"
_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SentimentExample:
    id: str
    sentence: str
    label: int | None  # SST 0-4, CFIMDB 0/1; None in test-student files


@dataclass(frozen=True)
class PairExample:
    id: str
    sentence1: str
    sentence2: str
    label: float | None  # Quora 0.0/1.0, STS 0.0-5.0; None in test-student files


Example = Union[SentimentExample, PairExample]
_E = TypeVar("_E", SentimentExample, PairExample)


def sentences(examples: Sequence[Example]) -> list[str]:
    """The sentence of each sentiment example (a TypeError names a pair among them)."""
    return [_as(e, SentimentExample).sentence for e in examples]


def sentence_pairs(examples: Sequence[Example]) -> tuple[list[str], list[str]]:
    """The first and the second sentences of pair examples (a TypeError names a single
    sentence among them)."""
    pairs = [_as(e, PairExample) for e in examples]
    return [p.sentence1 for p in pairs], [p.sentence2 for p in pairs]


def texts(example: Example) -> tuple[str, ...]:
    """The sentence of a sentiment example, or the two of a pair."""
    if isinstance(example, PairExample):
        return (example.sentence1, example.sentence2)
    return (_as(example, SentimentExample).sentence,)


def _as(example: Example, kind: type[_E]) -> _E:
    if not isinstance(example, kind):
        raise TypeError(f"example {example.id!r} is a {type(example).__name__}, expected a {kind.__name__}")
    return example


class DataWarning(UserWarning):
    """Rows of a data file were skipped; the message says which and why."""


def data_dir() -> Path:
    """``$BERT_CORE_DATA`` if set, else ``data/`` at the repository root."""
    env = os.environ.get("BERT_CORE_DATA")
    return Path(env).expanduser() if env else _REPO_ROOT / "data"


def sample_data_dir() -> Path:
    """The tiny sample set shipped with the package (the ``smoke`` profile's data)."""
    return Path(__file__).resolve().parent / "sample_data"


def task_file(task: str, split: str, folder: str | Path | None = None) -> Path:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {TASKS}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {SPLITS}")
    name = REGISTRY[task].file_pattern.format("test-student" if split == "test" else split)
    return Path(folder if folder is not None else data_dir()) / name


def _read_rows(path: Path, required: tuple[str, ...], parse: Callable[[dict[str, str]], _E]) -> list[_E]:
    """Read a tab-separated file with a header; parse each row, skipping (and counting)
    the rows ``parse`` rejects with a ValueError."""
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: no such data file. Download the course data with `{DOWNLOAD_COMMAND}` "
            f"(into {data_dir()}), or point BERT_CORE_DATA at the folder that holds it."
        )
    examples: list[_E] = []
    skipped: list[tuple[int, str]] = []
    csv.field_size_limit(sys.maxsize)  # CFIMDB reviews are long
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: the file is empty; expected a header with {required}")
        missing = [c for c in required if c not in header]
        if missing:
            raise ValueError(
                f"{path}, line 1: the header has columns {header}, not {list(required)} "
                f"(missing {missing}). Is it tab-separated, and the right file for this task?"
            )
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                skipped.append((reader.line_num, f"unreadable ({err})"))
                continue
            if not row:
                continue
            if len(row) != len(header):
                skipped.append((reader.line_num, f"{len(row)} fields, header has {len(header)}"))
                continue
            try:
                examples.append(parse(dict(zip(header, row))))
            except ValueError as err:
                skipped.append((reader.line_num, str(err)))
    if skipped and _first_report(path):
        first = "; ".join(f"line {n}: {why}" for n, why in skipped[:3])
        more = f"; ... ({len(skipped) - 3} more)" if len(skipped) > 3 else ""
        warnings.warn(
            f"{path}: skipped {len(skipped)} of {len(skipped) + len(examples)} rows that "
            f"cannot be used ({first}{more}). The other rows were read.",
            DataWarning,
            stacklevel=_caller_stacklevel(),
        )
    return examples


_reported: set[tuple[str, float]] = set()


def _first_report(path: Path) -> bool:
    """Warn once per file (and version of it) per process: a notebook that reads the same
    file three times learns nothing new from the second warning."""
    key = (str(path.resolve()), path.stat().st_mtime)
    if key in _reported:
        return False
    _reported.add(key)
    return True


def _caller_stacklevel() -> int:
    """The stacklevel that points a warning at the first frame outside bert_core."""
    package = str(Path(__file__).resolve().parents[1])
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _text(record: dict[str, str], column: str) -> str:
    text = record[column].strip()
    if not text:
        raise ValueError(f"empty {column}")
    return text


def _label(record: dict[str, str], column: str, low: float, high: float) -> float:
    raw = record[column].strip()
    if not raw:
        raise ValueError(f"empty {column}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{column} {raw!r} is not a number") from None
    if not low <= value <= high:
        raise ValueError(f"{column} {value} outside [{low:g}, {high:g}]")
    return value


def read_sentiment(path: str | Path, num_labels: int = 5) -> list[SentimentExample]:
    """Read an SST or CFIMDB file; labels are ints in ``[0, num_labels)``, None if absent."""
    path = Path(path)
    labelled = _has_column(path, "sentiment")

    def parse(record: dict[str, str]) -> SentimentExample:
        label = None
        if labelled:
            value = _label(record, "sentiment", 0, num_labels - 1)
            if value != int(value):
                raise ValueError(f"sentiment {value} is not a whole number")
            label = int(value)
        return SentimentExample(_text(record, "id"), _text(record, "sentence"), label)

    return _read_rows(path, ("id", "sentence"), parse)


def read_pairs(path: str | Path, label_column: str, low: float, high: float) -> list[PairExample]:
    """Read a Quora or STS file; labels are floats in ``[low, high]``, None if absent."""
    path = Path(path)
    labelled = _has_column(path, label_column)

    def parse(record: dict[str, str]) -> PairExample:
        label = _label(record, label_column, low, high) if labelled else None
        return PairExample(
            _text(record, "id"), _text(record, "sentence1"), _text(record, "sentence2"), label
        )

    return _read_rows(path, ("id", "sentence1", "sentence2"), parse)


def _has_column(path: Path, column: str) -> bool:
    if not path.exists():
        return False  # _read_rows raises the helpful message
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f, delimiter="\t"), [])
    return column in header


def load_task(task: str, split: str, folder: str | Path | None = None) -> list[Example]:
    """The examples of one task and split from ``folder`` (default: ``data_dir()``).

    Train and dev files must carry their label column; test-student files have none.
    """
    path = task_file(task, split, folder)
    spec = REGISTRY[task]
    if split != "test" and path.exists() and not _has_column(path, spec.label_column):
        raise ValueError(
            f"{path}, line 1: a {split} file needs a {spec.label_column!r} column; "
            "is this a test-student file under the wrong name?"
        )
    if spec.is_pair:
        return list(read_pairs(path, spec.label_column, *spec.label_range))
    return list(read_sentiment(path, spec.num_labels))


def download(to: str | Path | None = None, base_url: str = STARTER_DATA_URL,
             overwrite: bool = False) -> list[Path]:
    """Fetch the starter repository's public data files into ``to`` (default ``data_dir()``).

    Each file is written to a temporary name and renamed when complete, so an interrupted
    download never leaves a half file behind.
    """
    folder = Path(to) if to is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for task in TASKS:
        for split in SPLITS:
            target = task_file(task, split, folder)
            if target.exists() and not overwrite:
                continue
            url = base_url + target.name
            partial = target.with_suffix(".csv.part")
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    partial.write_bytes(response.read())
            except OSError as err:
                partial.unlink(missing_ok=True)
                raise ConnectionError(
                    f"could not download {url} ({err}). Offline? Copy the course's data files "
                    f"into {folder} by hand, or set BERT_CORE_DATA to a folder that has them."
                ) from None
            partial.replace(target)
            written.append(target)
    return written


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
