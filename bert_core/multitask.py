"""MultitaskBERT: one BERT encoder, one head per task (the course's part 2).

    u = pool(BERT(x))                                   sentence embedding, [B, C]
    sentiment:   logits = head_sst(u)                   [B, 5]  (CFIMDB: [B, 2])
    paraphrase:  logit  = head_quora(u_1, u_2)          [B]
    similarity:  score  = head_sts(u_1, u_2)            [B]

The two sentences of a pair are encoded separately, as the starter code does ("SMART
Surgery", section 3); ``encode_pair`` runs them through BERT as one stacked batch, which
is the same computation in one call. The method names are the starter code's
(``forward`` returns the pooled embedding; ``predict_sentiment``, ``predict_paraphrase``,
``predict_similarity`` return logits or scores), so code written against the starter
runs here. ``freeze_bert=True`` is the course's ``pretrain`` mode: BERT's weights stay
fixed and only the heads learn.

The single-task sentiment classifier of part 1 is this class with one task
(``tasks=("sst",)`` or ``("cfimdb",)``). Taught in notebooks 04 and 05.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from bert_core.data import NUM_LABELS, Example
from bert_core.heads import build_head
from bert_core.model import BertModel
from bert_core.pooling import pool
from bert_core.tokenizer import Tokenizer

__all__ = ["TASK_KINDS", "BASELINE_HEADS", "MultitaskBERT"]

TASK_KINDS = {"sst": "sentiment", "cfimdb": "sentiment", "quora": "paraphrase", "sts": "similarity"}
BASELINE_HEADS = {"sentiment": "linear", "paraphrase": "concat", "similarity": "concat"}


class MultitaskBERT(nn.Module):
    def __init__(
        self,
        bert: BertModel,
        tasks: Sequence[str] = ("sst", "quora", "sts"),
        heads: Mapping[str, str] | None = None,
        pooling: str = "cls",
        head_dropout: float = 0.3,
        freeze_bert: bool = False,
    ):
        """
        Args:
            bert: the encoder, usually ``BertModel.from_pretrained(...)``.
            tasks: which of ``sst``, ``cfimdb``, ``quora``, ``sts`` get a head.
            heads: head name per task kind (``{"similarity": "concat"}``); missing kinds
                get the course's baseline (``BASELINE_HEADS``).
            pooling: ``cls`` (the pooler output), ``mean`` or ``max``.
            head_dropout: dropout before each head's linear layer.
            freeze_bert: the ``pretrain`` mode: no gradient reaches BERT.
        """
        super().__init__()
        unknown = set(tasks) - set(TASK_KINDS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)}; choose from {list(TASK_KINDS)}")
        self.bert = bert
        self.tasks = tuple(tasks)
        self.pooling = pooling
        self.head_names = {**BASELINE_HEADS, **(heads or {})}
        hidden = bert.config.hidden_size
        self.heads = nn.ModuleDict({
            task: build_head(TASK_KINDS[task], self.head_names[TASK_KINDS[task]], hidden, head_dropout,
                             num_labels=NUM_LABELS.get(task, 1))
            for task in self.tasks
        })
        if freeze_bert:
            for parameter in self.bert.parameters():
                parameter.requires_grad_(False)

    @classmethod
    def from_pretrained(cls, checkpoint: str | Path, hidden_dropout_prob: float | None = None,
                        attn_implementation: str = "sdpa", **kwargs) -> MultitaskBERT:
        overrides = {"attn_implementation": attn_implementation}
        if hidden_dropout_prob is not None:
            overrides["hidden_dropout_prob"] = hidden_dropout_prob
        return cls(BertModel.from_pretrained(checkpoint, **overrides), **kwargs)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """``[B, T]`` ids and mask to the pooled sentence embedding ``[B, C]``."""
        outputs = self.bert(input_ids, attention_mask)
        return pool(outputs, attention_mask, self.pooling)

    def encode_pair(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                    input_ids_2: Tensor, attention_mask_2: Tensor) -> tuple[Tensor, Tensor]:
        """Both sentences' embeddings ``u, v`` (each ``[B, C]``) from one stacked BERT call."""
        T = max(input_ids_1.shape[1], input_ids_2.shape[1])

        def pad(x: Tensor) -> Tensor:  # [PAD] is id 0, masked out
            return nn.functional.pad(x, (0, T - x.shape[1]))

        ids = torch.cat([pad(input_ids_1), pad(input_ids_2)])  # (2B, T)
        mask = torch.cat([pad(attention_mask_1), pad(attention_mask_2)])
        u, v = self.forward(ids, mask).chunk(2)
        return u, v

    def predict_sentiment(self, input_ids: Tensor, attention_mask: Tensor, task: str = "sst") -> Tensor:
        """Class logits ``[B, K]`` (K = 5 for SST, 2 for CFIMDB)."""
        if task not in self.heads:  # a starter-style call on a CFIMDB-only model
            sentiment = [t for t in self.tasks if TASK_KINDS[t] == "sentiment"]
            if len(sentiment) != 1:
                raise ValueError(f"no sentiment head for {task!r}; this model has {list(self.heads)}")
            task = sentiment[0]
        return self.heads[task](self.forward(input_ids, attention_mask))

    def predict_paraphrase(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                           input_ids_2: Tensor, attention_mask_2: Tensor) -> Tensor:
        """One logit per pair ``[B]``: positive means "paraphrase" (probability > 0.5)."""
        return self.heads["quora"](*self.encode_pair(input_ids_1, attention_mask_1,
                                                     input_ids_2, attention_mask_2))

    def predict_similarity(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                           input_ids_2: Tensor, attention_mask_2: Tensor) -> Tensor:
        """One similarity score per pair ``[B]``, trained towards the 0-5 gold scores."""
        return self.heads["sts"](*self.encode_pair(input_ids_1, attention_mask_1,
                                                   input_ids_2, attention_mask_2))

    def task_outputs(self, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                     device: torch.device | str = "cpu") -> Tensor:
        """Tokenize a batch of ``task``'s examples and run its head: sentiment logits
        ``[B, K]``, or one logit (paraphrase) or score (similarity) per pair ``[B]``.
        Training and prediction both go through here, so they encode a batch the same way."""
        def encode(texts: list[str]) -> tuple[Tensor, Tensor]:
            batch = tokenizer(texts)
            return batch["input_ids"].to(device), batch["attention_mask"].to(device)

        if TASK_KINDS[task] == "sentiment":
            return self.predict_sentiment(*encode([e.sentence for e in examples]), task=task)  # type: ignore[union-attr]
        first = encode([e.sentence1 for e in examples])  # type: ignore[union-attr]
        second = encode([e.sentence2 for e in examples])  # type: ignore[union-attr]
        predict_fn = self.predict_paraphrase if task == "quora" else self.predict_similarity
        return predict_fn(*first, *second)

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
