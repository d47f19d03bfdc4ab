"""The multiple negatives ranking loss as a training plug-in ("Multi-BERT: Investigating
Methods", 4.2): for the first ``epochs`` epochs, STS trains on its pairs scored 4 or more,
each pair's second sentence the positive of its first and the other pairs' second
sentences its negatives (``bert_core.training.losses.multiple_negatives_ranking_loss``);
then the usual mean squared error. Config: ``sts_loss="mnr_then_mse"``. Notebook 06.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.multitask.tasks import TASKS
from bert_core.training.config import ExperimentConfig
from bert_core.training.hooks import Extension, Source, labels_of
from bert_core.training.losses import multiple_negatives_ranking_loss

__all__ = ["RANKING_MIN_SCORE", "ranking_batch_loss", "RankingLoss", "check", "build"]

# "Investigating Methods" 4.2: the ranking loss trains on the STS pairs scored 4 or more
RANKING_MIN_SCORE = 4.0


def ranking_batch_loss(model: MultitaskBERT, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                       device: torch.device) -> tuple[Tensor, dict[str, Tensor]]:
    """L_MNR of a batch of positive pairs, scored by the dot product of their separately
    encoded embeddings u and v."""
    return multiple_negatives_ranking_loss(*model.pair_embeddings(tokenizer, examples, device, task)), {}


class RankingLoss(Extension):
    """The similarity task's batches come from its positive pairs, under the ranking loss,
    for the first ``epochs`` epochs."""

    def __init__(self, name: str, examples: Sequence[Example], epochs: int):
        labels = labels_of(examples)
        self.positives = [e for e, label in zip(examples, labels) if label >= RANKING_MIN_SCORE]
        self.epochs = epochs
        if not self.positives:
            raise ValueError(f"{name}: sts_loss='mnr_then_mse' trains on STS pairs scored "
                             f"{RANKING_MIN_SCORE:g} or more, and none of the {len(examples)} training "
                             "pairs is; raise train_limit or use sts_loss='mse'")

    def source(self, task: str, epoch: int, source: Source) -> Source:
        if TASKS[task].kind != "similarity" or epoch >= self.epochs:
            return source
        return Source(f"{task}-ranking", self.positives, ranking_batch_loss, shardable=False)


def check(config: ExperimentConfig) -> None:
    """The ranking loss ranks separately encoded STS sentences."""
    if config.sts_loss == "mnr_then_mse" and ("sts" not in config.tasks
                                             or config.encoding_map["similarity"] != "separate"):
        raise ValueError("sts_loss='mnr_then_mse' ranks separately encoded STS sentences; it needs the sts "
                         "task and pair_encoding 'separate' for similarity")


def build(config: ExperimentConfig, model: MultitaskBERT, train: Mapping[str, Sequence[Example]],
          seed: int) -> RankingLoss | None:
    return RankingLoss(config.name, train["sts"], config.ranking_epochs) if config.ranking_epochs else None
