"""EDA for SST, offline: four label-preserving edits of a sentence, drawn afresh each epoch
(notebook 12).

Wei and Zou (2019), "EDA: Easy Data Augmentation Techniques for Boosting Performance on
Text Classification Tasks", change a sentence of l words with one of four operations, of
strength α (n = max(1, ⌊α l⌋) words):

    SR  synonym replacement  n distinct non-stop words, each replaced by one of its synonyms
    RI  random insertion     n times: a synonym of a random non-stop word, inserted at a
                             random position
    RS  random swap          n times: two random positions swap their words
    RD  random deletion      each word deleted with probability α (one word is always kept)

Their synonyms come from WordNet, which needs a download. Here a word's synonyms are its
nearest neighbours by cosine in the checkpoint's own input word embeddings, among whole-
word WordPiece tokens (lower-case letters, 3+ characters, not stop words), at most ``k`` of
them with cosine ≥ ``min_cosine`` (``Synonyms``). Those are related words, not synonyms:
in MiniLM's space "good" has "bad" among its nearest (cosine 0.53) and "boring" has
"exciting"; notebook 12 shows them. Negations ("not", "never", "n't", ...) are never
replaced, inserted or deleted: deleting one flips a sentence's sentiment.

On the fly: in every epoch, each SST training example in a batch is replaced, with
probability ``share``, by one EDA variant (one operation drawn uniformly). The draws come
from a generator seeded by (the run's seed, the epoch, the example's id), so there is no
state to save: a resumed run draws what the uninterrupted one drew. The sampler's draws
are untouched (the variant replaces the example, not the batch). "JSR's 2023" top CS224N
project credited EDA; report 000 augments SST by back-translation and generated sentences
instead (``bert_core.training.paraphrases`` is their hook).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

import torch
from torch import Tensor

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.examples import Example, SentimentExample
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.tasks import TASKS
from bert_core.training.config import ExperimentConfig
from bert_core.training.hooks import BatchLoss, Extension, Source

__all__ = ["check", "build", "synonyms_for",
           "OPERATIONS", "STOP_WORDS", "NEGATIONS", "Synonyms", "polarity_swaps", "synonym_replacement",
           "random_insertion", "random_swap", "random_deletion", "eda", "EdaAugmentation"]

OPERATIONS = ("sr", "ri", "rs", "rd")
# a short English stop list (articles, pronouns, auxiliaries, prepositions, conjunctions)
STOP_WORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself now of off on once only or other our ours ourselves out over own same she should so some
such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves 's -- ... also
""".split())
NEGATIONS = frozenset({"not", "no", "never", "n't", "nor", "none", "nothing", "neither", "without", "cannot",
                       "nobody", "nowhere", "hardly", "barely"})
_WHOLE_WORD = re.compile(r"[a-z]{3,}")


class Synonyms:
    """Nearest neighbours of whole words in an input word-embedding matrix, by cosine.

    Args:
        vocab: token -> row of ``embeddings`` (the tokenizer's vocabulary).
        embeddings: ``[V, C]`` input word embeddings (the checkpoint's, before training).
        k: at most this many synonyms a word.
        min_cosine: a neighbour below this cosine is not a synonym.
    """

    def __init__(self, vocab: Mapping[str, int], embeddings: Tensor, k: int = 5, min_cosine: float = 0.45):
        chosen = sorted((t for t in vocab if _WHOLE_WORD.fullmatch(t) and t not in STOP_WORDS
                         and t not in NEGATIONS), key=lambda t: vocab[t])
        self.words = chosen
        self.row = {w: i for i, w in enumerate(chosen)}
        rows = torch.tensor([vocab[w] for w in chosen], dtype=torch.long)
        self.vectors = torch.nn.functional.normalize(embeddings.detach().float()[rows], dim=1)  # (W, C)
        self.k, self.min_cosine = k, min_cosine
        self.of = lru_cache(maxsize=None)(self._of)

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` nearest whole words to ``word`` and their cosines (none for a word
        outside the whole-word vocabulary)."""
        if word not in self.row:
            return []
        cosines = self.vectors @ self.vectors[self.row[word]]  # (W,)
        values, index = cosines.topk(min(k + 1, len(self.words)))
        return [(self.words[i], round(float(v), 4)) for v, i in zip(values.tolist(), index.tolist())
                if self.words[i] != word][:k]

    def _of(self, word: str) -> tuple[str, ...]:
        """The synonyms of ``word``: its neighbours at or above ``min_cosine``, at most ``k``."""
        return tuple(w for w, c in self.neighbours(word.lower(), self.k) if c >= self.min_cosine)


def polarity_swaps(synonyms: Synonyms, positive: Sequence[str], negative: Sequence[str]
                   ) -> list[tuple[str, str, float]]:
    """The synonyms that cross a polarity lexicon: ``(word, synonym, cosine)`` for every
    word of ``positive`` whose synonyms include a word of ``negative``, and the reverse. An
    SR or RI edit through one of them can flip a sentence's sentiment under a kept label."""
    opposite = {**dict.fromkeys(positive, frozenset(negative)),
                **dict.fromkeys(negative, frozenset(positive))}
    swaps = []
    for word, other in opposite.items():
        cosines = dict(synonyms.neighbours(word, synonyms.k))
        swaps += [(word, s, cosines[s]) for s in synonyms.of(word) if s in other]
    return swaps


def _editable(word: str) -> bool:
    return word.lower() not in STOP_WORDS and word.lower() not in NEGATIONS and _WHOLE_WORD.fullmatch(
        word.lower()) is not None


def synonym_replacement(words: Sequence[str], n: int, rng: random.Random, synonyms: Synonyms) -> list[str]:
    """SR: up to ``n`` distinct editable words that have synonyms, each replaced by one."""
    out = list(words)
    candidates = [i for i, w in enumerate(out) if _editable(w) and synonyms.of(w)]
    rng.shuffle(candidates)
    for i in candidates[:n]:
        out[i] = rng.choice(synonyms.of(out[i]))
    return out


def random_insertion(words: Sequence[str], n: int, rng: random.Random, synonyms: Synonyms) -> list[str]:
    """RI: ``n`` times, a synonym of a random editable word inserted at a random position
    (nothing when no word has a synonym)."""
    out = list(words)
    sources = [w for w in out if _editable(w) and synonyms.of(w)]
    for _ in range(n if sources else 0):
        out.insert(rng.randint(0, len(out)), rng.choice(synonyms.of(rng.choice(sources))))
    return out


def random_swap(words: Sequence[str], n: int, rng: random.Random) -> list[str]:
    """RS: ``n`` times, two random positions swap their words."""
    out = list(words)
    for _ in range(n if len(out) > 1 else 0):
        i, j = rng.sample(range(len(out)), 2)
        out[i], out[j] = out[j], out[i]
    return out


def random_deletion(words: Sequence[str], p: float, rng: random.Random) -> list[str]:
    """RD: each word deleted with probability ``p``, negations kept; one word always kept."""
    kept = [w for w in words if w.lower() in NEGATIONS or rng.random() >= p]
    return kept if kept else [rng.choice(list(words))] if words else []


def eda(sentence: str, rng: random.Random, synonyms: Synonyms, alpha: float = 0.1,
        operation: str | None = None) -> str:
    """One EDA variant of ``sentence`` (words split on spaces, as SST's are tokenized):
    ``operation`` (one of ``OPERATIONS``), or one drawn uniformly from ``rng``."""
    words = sentence.split()
    if not words:
        return sentence
    operation = operation or rng.choice(OPERATIONS)
    n = max(1, int(alpha * len(words)))
    if operation == "sr":
        out = synonym_replacement(words, n, rng, synonyms)
    elif operation == "ri":
        out = random_insertion(words, n, rng, synonyms)
    elif operation == "rs":
        out = random_swap(words, n, rng)
    elif operation == "rd":
        out = random_deletion(words, alpha, rng)
    else:
        raise ValueError(f"unknown EDA operation {operation!r}; choose one of {OPERATIONS}")
    return " ".join(out)


class EdaAugmentation(Extension):
    """EDA on the fly for the sentiment tasks: wraps each sentiment source's batch loss so
    that it sees each example's variant of the epoch (see the module docstring)."""

    def __init__(self, synonyms: Synonyms, seed: int, alpha: float = 0.1, share: float = 0.5):
        self.synonyms, self.seed, self.alpha, self.share = synonyms, seed, alpha, share

    def variant(self, example: Example, epoch: int) -> Example:
        """The example as epoch ``epoch`` of this run sees it: itself, or an EDA variant."""
        if not isinstance(example, SentimentExample):
            return example
        rng = random.Random(f"eda:{self.seed}:{epoch}:{example.id}")  # str seeds hash with SHA-512
        if rng.random() >= self.share:
            return example
        return replace(example, sentence=eda(example.sentence, rng, self.synonyms, self.alpha))

    def source(self, task: str, epoch: int, source: Source) -> Source:
        if TASKS[task].kind != "sentiment":
            return source
        return replace(source, loss=self._wrapped(source.batch_loss, epoch))

    def _wrapped(self, loss: BatchLoss, epoch: int) -> BatchLoss:
        def augmented(model, tokenizer, task, examples, device):  # type: ignore[no-untyped-def]
            return loss(model, tokenizer, task, [self.variant(e, epoch) for e in examples], device)

        return augmented


def check(config: ExperimentConfig) -> None:
    """EDA's strength is a share of a sentence's words, its share of examples a probability."""
    if not 0 <= config.eda_alpha <= 0.5 or not 0 < config.eda_share <= 1:
        raise ValueError(f"eda_alpha is a share of a sentence's words in [0, 0.5] (0: off) and eda_share a "
                         f"probability in (0, 1]; got {config.eda_alpha} and {config.eda_share}")


def synonyms_for(config: ExperimentConfig, model: MultitaskBERT) -> Synonyms:
    """EDA's synonyms in the space of ``model``'s input word embeddings as built (the
    checkpoint's: extensions are built before any training or resumed checkpoint)."""
    vocab = Tokenizer.from_pretrained(config.checkpoint).vocab
    return Synonyms(vocab, model.bert.embeddings.word_embedding.weight)


def build(config: ExperimentConfig, model: MultitaskBERT, train: Mapping[str, Sequence[Example]],
          seed: int) -> EdaAugmentation | None:
    if not config.eda_alpha:
        return None
    return EdaAugmentation(synonyms_for(config, model), seed, config.eda_alpha, config.eda_share)
