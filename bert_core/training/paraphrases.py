"""Back-translation and generated paraphrases of SST sentences: the hook, its cache, and
the augmentation that reads the cache (report 000; notebook 12).

Report 000 ("Maximizing MinBert", section 3) augments SST with back-translations
(English -> another language -> English) and with sentences a language model generates.
Both need a model that an offline machine does not have, so this module fixes the
interface and leaves the model to the user:

    Paraphraser = (sentences) -> for each sentence, a list of paraphrases

``fill_cache(sentences, paraphraser, path)`` calls it only for the sentences the cache
lacks and writes the cache file, JSON Lines, one object per sentence::

    {"sentence": "a gorgeous film .", "paraphrases": ["a beautiful movie ."], "source": "de back-translation"}

The ``sst_paraphrases`` augmentation (``augmentation=("sst_paraphrases",)``) then adds, for
every SST training sentence in the cache, its paraphrases as new examples with the same
label (ids ``<id>-para<k>``), read from ``$BERT_CORE_DATA/extra/sst-paraphrases.jsonl``.
A paraphrase can change a sentence's sentiment ("not bad" -> "bad"); the label is kept
all the same, as report 000 kept it. The offline default is EDA (``bert_core.training.eda``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from bert_core.errors import DataError
from bert_core.files import atomic_write
from bert_core.multitask.data import data_dir
from bert_core.multitask.examples import Example, SentimentExample

__all__ = ["Paraphraser", "CACHE_FILE", "cache_path", "read_cache", "write_cache", "fill_cache",
           "sst_paraphrases"]

Paraphraser = Callable[[Sequence[str]], list[list[str]]]
CACHE_FILE = "sst-paraphrases.jsonl"


def cache_path(folder: str | Path | None = None) -> Path:
    """``<data folder>/extra/sst-paraphrases.jsonl``."""
    return (Path(folder) if folder is not None else data_dir()) / "extra" / CACHE_FILE


def read_cache(path: str | Path) -> dict[str, list[str]]:
    """``{sentence: paraphrases}`` from a cache file (empty when there is none); a broken
    line stops with the file and line."""
    path = Path(path)
    if not path.exists():
        return {}
    cache: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            sentence, paraphrases = record["sentence"], record["paraphrases"]
        except (ValueError, KeyError, TypeError) as error:
            raise DataError(f"{path}, line {number}: not a cache record ({error}); expected "
                            '{"sentence": ..., "paraphrases": [...]}') from None
        if not isinstance(paraphrases, list) or not all(isinstance(p, str) for p in paraphrases):
            raise DataError(f"{path}, line {number}: paraphrases must be a list of strings")
        cache[sentence] = paraphrases
    return cache


def write_cache(path: str | Path, cache: Mapping[str, Sequence[str]], source: str = "") -> Path:
    """Write ``cache`` as JSON Lines, atomically, sentences in sorted order."""
    lines = [json.dumps({"sentence": s, "paraphrases": list(p), "source": source}, ensure_ascii=False)
             for s, p in sorted(cache.items())]
    text = "\n".join(lines) + ("\n" if lines else "")
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def fill_cache(sentences: Sequence[str], paraphraser: Paraphraser, path: str | Path, source: str = "",
               batch_size: int = 64) -> dict[str, list[str]]:
    """Paraphrase the sentences the cache at ``path`` lacks, in batches, writing the cache
    after each batch (an interrupted run keeps what it did); return the whole cache."""
    cache = read_cache(path)
    missing = list(dict.fromkeys(s for s in sentences if s not in cache))
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        out = paraphraser(batch)
        if len(out) != len(batch):
            raise ValueError(f"the paraphraser returned {len(out)} lists for {len(batch)} sentences")
        cache.update({s: list(p) for s, p in zip(batch, out)})
        write_cache(path, cache, source)
    return cache


def sst_paraphrases(task: str, examples: Sequence[Example],
                    folder: str | Path | None = None) -> list[Example]:
    """The ``sst_paraphrases`` augmentation: the examples, then each cached paraphrase of a
    sentiment example as a new example with its label (other tasks unchanged)."""
    if task != "sst":
        return list(examples)
    path = cache_path(folder)
    if not path.exists():
        raise DataError(f"{path}: no paraphrase cache; make one with "
                        "bert_core.training.paraphrases.fill_cache and a paraphraser of your own "
                        "(notebook 12), or train with EDA (eda_alpha) instead")
    cache = read_cache(path)
    extra = [replace(e, id=f"{e.id}-para{k}", sentence=p)
             for e in examples if isinstance(e, SentimentExample)
             for k, p in enumerate(cache.get(e.sentence, []))]
    return [*examples, *extra]
