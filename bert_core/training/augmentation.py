"""Training-data augmentation: named transforms of a task's training examples.

    sts_swap    every STS pair (a, b, y) also as (b, a, y): similarity is symmetric, so the
                reversed pair is a free second example and teaches an order-free encoder
                ("SMART Surgery", section 3, "stsAug"; it also doubled the STS batch size).

The hook is ``AUGMENTATIONS[name](task, examples) -> examples``: a function of the
training list of one task, applied before training, never to dev or test. The reports'
SST augmentations (back-translation, generated paraphrases: "Maximizing MinBert", "A
SMARTer minBERT") fit the same hook, but need a translation or generation model that an
offline machine does not have, so they are not implemented here. Taught in notebook 06.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bert_core.multitask.data import Example, PairExample
from bert_core.multitask.tasks import TASKS

__all__ = ["AUGMENTATIONS", "sts_swap", "augment"]


def sts_swap(task: str, examples: Sequence[Example]) -> list[Example]:
    """STS: the pairs, then each pair reversed (id ``<id>-swap``); other tasks unchanged."""
    if TASKS[task].kind != "similarity":
        return list(examples)
    swapped = [replace(e, id=f"{e.id}-swap", sentence1=e.sentence2, sentence2=e.sentence1)
               for e in examples if isinstance(e, PairExample)]
    return [*examples, *swapped]


AUGMENTATIONS: dict[str, Callable[[str, Sequence[Example]], list[Example]]] = {"sts_swap": sts_swap}


def augment(task: str, examples: Sequence[Example], names: Sequence[str]) -> list[Example]:
    """Apply the named augmentations in order to one task's training examples."""
    out = list(examples)
    for name in names:
        if name not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {name!r}; choose from {sorted(AUGMENTATIONS)}")
        out = AUGMENTATIONS[name](task, out)
    return out
