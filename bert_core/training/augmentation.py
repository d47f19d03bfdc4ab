"""Training-data augmentation: named transforms of a task's training examples.

    sts_swap    every STS pair (a, b, y) also as (b, a, y): similarity is symmetric, so the
                reversed pair is a free second example and teaches an order-free encoder
                ("SMART Surgery", section 3, "stsAug"; it also doubled the STS batch size).

    sst_paraphrases  every SST sentence's cached paraphrases (back-translations, generated
                sentences: "Maximizing MinBert") as new examples with its label; the cache
                and the hook that fills it are ``bert_core.training.paraphrases``

The hook is ``AUGMENTATIONS[name](task, examples, folder) -> examples``: a function of the
training list of one task (and the run's data folder, where a cache lives), applied
before training, never to dev or test. EDA, which draws new variants every epoch, is a
training extension instead (``bert_core.training.eda``). Taught in notebooks 06 and 12.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from bert_core.multitask.examples import Example, PairExample
from bert_core.multitask.tasks import TASKS
from bert_core.training.paraphrases import sst_paraphrases

__all__ = ["AUGMENTATIONS", "sts_swap", "augment"]


def sts_swap(task: str, examples: Sequence[Example], folder: str | Path | None = None) -> list[Example]:
    """STS: the pairs, then each pair reversed (id ``<id>-swap``); other tasks unchanged."""
    if TASKS[task].kind != "similarity":
        return list(examples)
    swapped = [replace(e, id=f"{e.id}-swap", sentence1=e.sentence2, sentence2=e.sentence1)
               for e in examples if isinstance(e, PairExample)]
    return [*examples, *swapped]


AUGMENTATIONS: dict[str, Callable[[str, Sequence[Example], str | Path | None], list[Example]]] = {
    "sts_swap": sts_swap, "sst_paraphrases": sst_paraphrases}


def augment(task: str, examples: Sequence[Example], names: Sequence[str],
            folder: str | Path | None = None) -> list[Example]:
    """Apply the named augmentations in order to one task's training examples (``folder``:
    the run's data folder)."""
    out = list(examples)
    for name in names:
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTATIONS)}")
        out = AUGMENTATIONS[name](task, out, folder)
    return out
