"""What a config builds before its first step: the model, the optimiser's parameter groups,
the schedule of tasks and the learning-rate schedule (``bert_core.training.loop`` trains
with them; notebooks 06 and 07 build them on their own to look inside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.config import ExperimentConfig
from bert_core.training.sampling import Schedule

__all__ = ["model_for", "parameter_groups", "schedule_for", "lr_schedule"]


def model_for(config: ExperimentConfig, seed: int = 0) -> MultitaskBERT:
    """The model ``config`` trains: its checkpoint, heads, pooling, pair encodings and
    dropout (the attention's too, when ``attention_dropout`` is set); the pooler drawn
    afresh (``pooler_init="reset"``: N(0, 0.02), bias 0, BERT's initialisation) and the
    word embeddings frozen (``train_word_embeddings=False``) when asked. The fresh weights
    (heads, adapters, a reset pooler) are drawn from ``seed``; torch's global generator is
    left as it was (the layers' constructors draw from it, so the draw runs inside
    ``torch.random.fork_rng``)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MultitaskBERT.from_pretrained(
            config.checkpoint, hidden_dropout_prob=config.hidden_dropout,
            attention_probs_dropout_prob=config.attention_dropout, tasks=config.tasks,
            heads=config.head_map, pooling=config.pooling, head_dropout=config.head_dropout,
            freeze_bert=config.mode == "pretrain", pair_encoding=config.encoding_map,
            head_layers=config.head_layers, adapters=config.adapters, adapter_dim=config.adapter_size,
            adapter_heads=config.adapter_heads,
        )
        if config.pooler_init == "reset":
            with torch.no_grad():
                model.bert.pooler_dense.weight.normal_(0.0, model.bert.config.initializer_range)
                model.bert.pooler_dense.bias.zero_()
    if not config.train_word_embeddings:
        model.bert.embeddings.word_embedding.weight.requires_grad_(False)
    return model


def parameter_groups(model: MultitaskBERT, config: ExperimentConfig) -> list[dict[str, Any]]:
    """The optimiser's parameter groups: every trainable parameter at the mode's lr, or,
    with ``head_lr``, the encoder's at the mode's lr and the task heads' at ``head_lr``."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    if config.head_lr is None:
        return [{"params": trainable}]
    in_heads = {id(p) for p in model.heads.parameters()}
    return [{"params": [p for p in trainable if id(p) not in in_heads]},
            {"params": [p for p in trainable if id(p) in in_heads], "lr": config.head_lr}]


def schedule_for(config: ExperimentConfig, train: Mapping[str, Sequence[Example]], seed: int) -> Schedule:
    """The run's schedule: which tasks each step trains, epoch by epoch (``sampling``)."""
    sizes = {t: len(examples) for t, examples in train.items()}
    return Schedule(sizes, config.batch_size, config.epochs, seed, config.sampling, config.epoch_length,
                    config.curriculum)


def lr_schedule(optimizer: torch.optim.Optimizer, config: ExperimentConfig,
                total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over ``warmup_steps``, then constant or a linear decay to 0."""
    def factor(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / config.warmup_steps
        if config.scheduler == "linear":
            return max(0.0, (total_steps - step) / max(1, total_steps - config.warmup_steps))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
