"""The strict reader of the course's tab-separated files (``bert_core.multitask.data``
says where they are and which columns each task's files have).

Bad input is never dropped silently, and what would lose data is an error before any
work is spent (``DataError``, one line naming the file, the line and the fix; a missing
file is a ``FileNotFoundError`` naming it, and ``data.load_task`` adds the download
command): an empty, non-UTF-8 or comma-separated file, a header without the expected
columns, a quoted field that runs over several lines (an unclosed quote would swallow the
rest of the file) and an id that appears twice are errors. Rows that cannot be used
(wrong number of fields, empty sentence, empty or out-of-range label) are skipped with one
``DataWarning`` that counts them by reason and names the first line numbers; every
physical line is accounted for. Sentences are returned as written (stripped); lowercasing
and splitting are the tokenizer's job.
"""

from __future__ import annotations

import csv
import io
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from bert_core.errors import DataError, DataWarning
from bert_core.multitask.examples import PairExample, SentimentExample

_E = TypeVar("_E", SentimentExample, PairExample)

__all__ = ["read_header", "read_sentiment", "read_pairs", "LONG_FIELD"]


# A sentence or review far longer than any in the course files (CFIMDB's longest field is
# about 2,200 characters) is flagged: it is usually two rows run together.
LONG_FIELD = 10_000


def _decoded(path: Path) -> str:
    """The file's text; a missing, empty or non-UTF-8 file is an error naming the fix."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such data file")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a data file; BERT_CORE_DATA names the folder that holds "
                        "the files, not a file")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path}: the file is empty ({len(raw)} bytes); expected a tab-separated header "
                        "and rows. Copy the file again from the course data.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise DataError(f"{path}, line {line}: byte 0x{raw[err.start]:02x} is not UTF-8 text; save the "
                        "file as UTF-8 (the course files are)") from None


def _rows(text: str) -> Iterator[tuple[int, int, list[str], str | None]]:
    """``(first line, last line, fields, error)`` of each record of a tab-separated text;
    ``error`` is the csv module's complaint about a record it cannot read (its fields empty)."""
    csv.field_size_limit(sys.maxsize)  # CFIMDB reviews are long
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    last = 0
    while True:
        try:
            row, error = next(reader), None
        except StopIteration:
            return
        except csv.Error as err:
            row, error = [], str(err)
        yield last + 1, reader.line_num, row, error
        last = reader.line_num


def _check_header(path: Path, header: list[str], required: tuple[str, ...]) -> None:
    if len(header) == 1 and "," in header[0]:
        raise DataError(f"{path}, line 1: the header {header[0]!r} has no tab; the file looks "
                        "comma-separated. The course files are tab-separated: copy the file again "
                        "from the course data, or convert it.")
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"{path}, line 1: the header has columns {header}, not {list(required)} "
            f"(missing {missing}). Is it tab-separated, and the right file for this task?"
        )


def read_header(path: str | Path, required: tuple[str, ...] = ("id",)) -> list[str]:
    """The header of a data file, checked: it exists, is UTF-8, is tab-separated and has the
    ``required`` columns."""
    path = Path(path)
    header = next(_rows(_decoded(path)))[2]
    _check_header(path, header, required)
    return header


def _read_rows(path: Path, required: tuple[str, ...],
               parser: Callable[[list[str]], Callable[[dict[str, str]], _E]]) -> list[_E]:
    """Read a tab-separated file with a header; ``parser(header)`` parses each row.

    Nothing is lost silently. A record that runs over several physical lines (an unclosed
    quote swallows the rest of the file), and an id that appears twice, are errors naming
    the lines. Rows the parser rejects with a ValueError, and rows with the wrong number of
    fields, are skipped and counted by reason in one ``DataWarning``; so are unusually long
    fields (kept). Every physical line is accounted for: header, read, skipped or blank.
    """
    text = _decoded(path)
    records = _rows(text)
    _, header_end, header, _ = next(records)
    _check_header(path, header, required)
    parse = parser(header)
    examples: list[_E] = []
    skipped: list[tuple[int, str, str]] = []  # line, reason, detail
    long_fields: list[int] = []
    first_line: dict[str, int] = {}
    blank = 0
    for first, last, row, error in records:
        if last > first:
            raise DataError(
                f"{path}, line {first}: a quoted field runs on over {last - first + 1} lines (to line "
                f"{last}), swallowing the rows in between: an unclosed quote, or a line break inside "
                f"quotes. Close or remove the quote at line {first}.")
        if error is not None:
            skipped.append((first, "unreadable", f"unreadable ({error})"))
            continue
        if not row or row == [""]:
            blank += 1
            continue
        if len(row) != len(header):
            skipped.append((first, "wrong number of fields", f"{len(row)} fields, header has {len(header)}"))
            continue
        if max(map(len, row)) > LONG_FIELD:
            long_fields.append(first)
        try:
            example = parse(dict(zip(header, row)))
        except ValueError as err:
            skipped.append((first, getattr(err, "reason", str(err)), str(err)))
            continue
        if example.id in first_line:
            raise DataError(f"{path}, lines {first_line[example.id]} and {first}: the id {example.id!r} "
                            "appears twice; every id must be unique (predictions are matched by id). "
                            "Remove or rename one of them.")
        first_line[example.id] = first
        examples.append(example)
    lines = sum(1 for _ in io.StringIO(text, newline=""))  # physical lines, as the reader splits them
    if header_end + len(examples) + len(skipped) + blank != lines:  # cannot happen: one line per record
        raise DataError(f"{path}: read {len(examples)} rows and skipped {len(skipped)} of {lines} lines; "
                        "some lines were not accounted for. Please report this file.")
    if (skipped or long_fields) and _first_report(path):
        warnings.warn(_skip_message(path, examples, skipped, long_fields), DataWarning,
                      stacklevel=_caller_stacklevel())
    return examples


def _skip_message(path: Path, examples: Sequence[object], skipped: list[tuple[int, str, str]],
                  long_fields: list[int]) -> str:
    parts = []
    if skipped:
        first = "; ".join(f"line {n}: {detail}" for n, _, detail in skipped[:3])
        more = f"; ... ({len(skipped) - 3} more)" if len(skipped) > 3 else ""
        reasons = Counter(reason for _, reason, _ in skipped)
        by_reason = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
        parts.append(f"skipped {len(skipped)} of {len(skipped) + len(examples)} rows that cannot be used "
                     f"({first}{more}; by reason: {by_reason}). The other rows were read.")
    if long_fields:
        lines = ", ".join(map(str, long_fields[:5])) + (" ..." if len(long_fields) > 5 else "")
        parts.append(f"{len(long_fields)} rows have a field over {LONG_FIELD:,} characters (lines {lines}): "
                     "two rows run together? They were read; check them.")
    return f"{path}: " + " ".join(parts)


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


class _Unusable(ValueError):
    """A row that cannot be used: ``reason`` is its kind (counted), the message its detail."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail or reason)
        self.reason = reason


def _text(record: dict[str, str], column: str) -> str:
    text = record[column].strip()
    if not text:
        raise _Unusable(f"empty {column}")
    return text


def _label(record: dict[str, str], column: str, low: float, high: float) -> float:
    raw = record[column].strip()
    if not raw:
        raise _Unusable(f"empty {column}")
    try:
        value = float(raw)
    except ValueError:
        raise _Unusable(f"{column} not a number", f"{column} {raw!r} is not a number") from None
    if not low <= value <= high:  # also NaN
        raise _Unusable(f"{column} out of range", f"{column} {value} outside [{low:g}, {high:g}]")
    return value


def read_sentiment(path: str | Path, num_labels: int = 5) -> list[SentimentExample]:
    """Read an SST or CFIMDB file; labels are ints in ``[0, num_labels)``, None if absent."""
    def parser(header: list[str]) -> Callable[[dict[str, str]], SentimentExample]:
        labelled = "sentiment" in header

        def parse(record: dict[str, str]) -> SentimentExample:
            label = None
            if labelled:
                value = _label(record, "sentiment", 0, num_labels - 1)
                if value != int(value):
                    raise _Unusable("sentiment not a whole number",
                                    f"sentiment {value} is not a whole number")
                label = int(value)
            return SentimentExample(_text(record, "id"), _text(record, "sentence"), label)

        return parse

    return _read_rows(Path(path), ("id", "sentence"), parser)


def read_pairs(path: str | Path, label_column: str, low: float, high: float) -> list[PairExample]:
    """Read a Quora or STS file; labels are floats in ``[low, high]``, None if absent."""
    def parser(header: list[str]) -> Callable[[dict[str, str]], PairExample]:
        labelled = label_column in header

        def parse(record: dict[str, str]) -> PairExample:
            label = _label(record, label_column, low, high) if labelled else None
            return PairExample(
                _text(record, "id"), _text(record, "sentence1"), _text(record, "sentence2"), label
            )

        return parse

    return _read_rows(Path(path), ("id", "sentence1", "sentence2"), parser)
