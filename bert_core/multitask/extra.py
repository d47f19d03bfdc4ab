"""Extra training data from outside the course: Yelp reviews for SST, SNLI pairs for STS
(report 001, section 3; notebook 12).

Report 001 ("A SMARTer minBERT", section 3: its "additional data") adds

    yelp   Yelp's fine-grained reviews, 1-5 stars, mapped to SST's five classes as
           stars - 1 (0-4). The public files (Zhang et al. 2015, ``yelp_review_full_csv``;
           the Kaggle copy the report cites) are CSV rows ``stars,"review text"``, with or
           without a header line.
    snli   SNLI (Bowman et al. 2015) premise/hypothesis pairs with five annotators' labels;
           each vote mapped to a similarity, contradiction 0, neutral 3, entailment 5, and
           the votes averaged into a 0-5 score, as STS's are. The public file is JSON Lines
           (``snli_1.0_train.jsonl``: ``sentence1``, ``sentence2``, ``annotator_labels``,
           ``pairID``).

What the report leaves open, and what is chosen here: how many extra examples it mixed in
and in which ratio (here: ``extra_data`` names a ratio to the task's own training set,
e.g. ``{"yelp": 0.5}`` adds half as many Yelp reviews as SST sentences); whether long
Yelp reviews were cut (here: never; the tokenizer truncates at ``max_length`` like any
example); what happens to SNLI pairs without a majority label (gold "-": kept, their
votes average like the others); whether SNLI's many pairs sharing a premise were thinned
(here: no).

The files live in ``$BERT_CORE_DATA/extra/`` (``EXTRA[name].file``). Offline machines have
no copy; online, ``python -m bert_core.multitask.extra download yelp`` (or ``snli``) fetches
one. Without the file, ``load_extra`` stops with a one-line message saying so.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bert_core.errors import DataError
from bert_core.multitask.data import data_dir
from bert_core.multitask.examples import Example, PairExample, SentimentExample

__all__ = ["ExtraData", "EXTRA", "SNLI_SIMILARITY", "extra_file", "read_yelp", "read_snli", "load_extra",
           "download_extra"]

SNLI_SIMILARITY = {"contradiction": 0.0, "neutral": 3.0, "entailment": 5.0}  # report 001, section 3


@dataclass(frozen=True)
class ExtraData:
    """An extra dataset: the course task it feeds, its file under ``extra/``, where to get it."""

    name: str
    task: str
    file: str
    url: str
    member: str  # the file's name inside the downloaded archive


EXTRA: dict[str, ExtraData] = {e.name: e for e in (
    ExtraData("yelp", "sst", "yelp-train.csv", "https://s3.amazonaws.com/fast-ai-nlp/yelp_review_full_csv.tgz",
              "yelp_review_full_csv/train.csv"),
    ExtraData("snli", "sts", "snli_1.0_train.jsonl", "https://nlp.stanford.edu/projects/snli/snli_1.0.zip",
              "snli_1.0/snli_1.0_train.jsonl"),
)}


def extra_file(name: str, folder: str | Path | None = None) -> Path:
    """Where the extra dataset ``name`` is read from: ``<data folder>/extra/<file>``."""
    if name not in EXTRA:
        raise DataError(f"unknown extra dataset {name!r}; choose one of {', '.join(EXTRA)}")
    return (Path(folder) if folder is not None else data_dir()) / "extra" / EXTRA[name].file


def read_yelp(path: str | Path, limit: int | None = None) -> list[SentimentExample]:
    """Yelp reviews as SST examples (label = stars - 1), in file order; ``limit`` stops early.
    A header line (no number in its first field) is skipped; a row whose stars are not 1-5
    stops with the file and line."""
    path = Path(path)
    examples: list[SentimentExample] = []
    with path.open(encoding="utf-8", newline="") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if limit is not None and len(examples) >= limit:
                break
            if not row or (number == 1 and not row[0].strip().isdigit()):
                continue
            if len(row) < 2 or row[0].strip() not in {"1", "2", "3", "4", "5"}:
                raise DataError(f"{path}, line {number}: expected 'stars (1-5),text', got {row[:2]!r}; "
                                "is this the fine-grained (5-class) Yelp file?")
            text = " ".join(row[1:]).replace("\\n", " ").strip()
            examples.append(SentimentExample(f"yelp-{number}", text, int(row[0]) - 1))
    return examples


def snli_similarity(votes: list[str]) -> float | None:
    """The mean of the votes mapped by ``SNLI_SIMILARITY`` (None when no vote is one of them)."""
    scores = [SNLI_SIMILARITY[v] for v in votes if v in SNLI_SIMILARITY]
    return sum(scores) / len(scores) if scores else None


def read_snli(path: str | Path, limit: int | None = None) -> list[PairExample]:
    """SNLI pairs as STS examples (the annotators' votes averaged, ``snli_similarity``), in
    file order; pairs without a usable vote are left out (SNLI marks none so)."""
    path = Path(path)
    examples: list[PairExample] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if limit is not None and len(examples) >= limit:
                break
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                first, second = record["sentence1"], record["sentence2"]
                votes = record.get("annotator_labels") or [record["gold_label"]]
            except (ValueError, KeyError) as error:
                raise DataError(f"{path}, line {number}: not an SNLI record ({error}); expected JSON with "
                                "sentence1, sentence2 and annotator_labels") from None
            score = snli_similarity(votes)
            if score is not None:
                examples.append(PairExample(record.get("pairID", f"snli-{number}"), first, second, score))
    return examples


def load_extra(name: str, folder: str | Path | None = None, limit: int | None = None) -> list[Example]:
    """The examples of the extra dataset ``name`` from ``<folder>/extra/`` (a one-line
    ``DataError`` with the way to get it when the file is absent)."""
    path = extra_file(name, folder)
    if not path.exists():
        raise DataError(f"{path}: no {name} file; online, fetch it with python -m bert_core.multitask.extra "
                        f"download {name} (or put {EXTRA[name].member.split('/')[-1]} there under this name)")
    reader = read_yelp if name == "yelp" else read_snli
    return list(reader(path, limit))


def download_extra(name: str, folder: str | Path | None = None) -> Path:
    """Fetch ``name``'s public archive and keep its training file as ``extra_file(name)``
    (written under a temporary name and renamed when complete)."""
    target = extra_file(name, folder)
    spec = EXTRA[name]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / spec.url.rsplit("/", 1)[-1]
        try:
            with urllib.request.urlopen(spec.url, timeout=60) as response, archive.open("wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as error:
            raise ConnectionError(f"could not download {spec.url} ({error}); offline, copy the file to "
                                  f"{target} by hand") from None
        partial = target.with_suffix(target.suffix + ".part")
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as z, z.open(spec.member) as src, partial.open("wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            with tarfile.open(archive) as t:
                src = t.extractfile(spec.member)
                if src is None:
                    raise DataError(f"{spec.url}: no {spec.member} in the archive")
                with partial.open("wb") as dst:
                    shutil.copyfileobj(io.BufferedReader(src), dst)  # type: ignore[arg-type]
        partial.replace(target)
    return target


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bert_core.multitask.extra",
                                     description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dl = sub.add_parser("download", help="fetch an extra dataset's training file into $BERT_CORE_DATA/extra/")
    dl.add_argument("name", choices=list(EXTRA))
    dl.add_argument("--to", default=None, help="the data folder (default: $BERT_CORE_DATA or data/)")
    check = sub.add_parser("check", help="read an extra dataset and count its examples")
    check.add_argument("name", choices=list(EXTRA))
    check.add_argument("--data", default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            print(f"wrote {download_extra(args.name, args.to)}")
        else:
            count = len(load_extra(args.name, args.data))
            print(f"{args.name}: {count} examples for {EXTRA[args.name].task}")
    except (DataError, ConnectionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main())
