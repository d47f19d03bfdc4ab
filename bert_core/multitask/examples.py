"""The examples of the course's tasks: one sentence with a sentiment, or a pair of sentences
with a label (paraphrase 0/1, similarity 0-5). What most of the library reads; the files
they come from are ``bert_core.multitask.data``'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar, Union

__all__ = ["SentimentExample", "PairExample", "Example", "sentences", "sentence_pairs", "texts"]


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
