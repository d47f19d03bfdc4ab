"""MultitaskBERT: one BERT encoder, one head per task (the course's part 2).

    u = pool(BERT(x))                                   sentence embedding, [B, C]
    sentiment:   logits = head_sst(u)                   [B, 5]  (CFIMDB: [B, 2])
    paraphrase:  logit  = head_quora(u_1, u_2)          [B]
    similarity:  score  = head_sts(u_1, u_2)            [B]

Pair encoding, chosen per pair task:

    separate (bi-encoder)   u_1 = pool(BERT(a)), u_2 = pool(BERT(b)), head(u_1, u_2)
    cross (cross-encoder)   h = pool(BERT([CLS] a [SEP] b [SEP], token types 0…0 1…1)), head(h)

Separately is the starter code's way ("SMART Surgery", section 3); ``encode_pair`` runs
both sentences through BERT as one stacked batch, which is the same computation in one
call. Cross-encoding ("A SMARTer minBERT" 3.4; "lexicon encoding" in "Maximizing
MinBert" 4.2) lets every token of a attend to every token of b in every layer, at the
price of one BERT pass per pair and no sentence embedding to reuse.

The method names are the starter code's (``forward`` returns the pooled embedding;
``predict_sentiment``, ``predict_paraphrase``, ``predict_similarity`` return logits or
scores), so code written against the starter runs here. ``freeze_bert=True`` is the
course's ``pretrain`` mode: BERT's weights stay fixed and only the heads learn.

The single-task sentiment classifier of part 1 is this class with one task
(``tasks=("sst",)`` or ``("cfimdb",)``). Taught in notebooks 04, 05 and 06.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from bert_core.bert.model import BertModel, EncoderAdapters
from bert_core.bert.tokenizer import Tokenizer
from bert_core.device import to_device
from bert_core.multitask.adapters import TaskAdapters, adapter_methods, adapter_size
from bert_core.multitask.examples import Example, sentence_pairs, sentences
from bert_core.multitask.heads import HEADS, build_head, head_encoding
from bert_core.multitask.pooling import pool
from bert_core.multitask.tasks import TASKS

__all__ = ["PAIR_KINDS", "PAIR_ENCODINGS", "BASELINE_HEADS", "CROSS_HEADS",
           "pair_encodings", "default_heads", "TaskBatch", "MultitaskBERT"]

PAIR_KINDS = ("paraphrase", "similarity")
PAIR_ENCODINGS = ("separate", "cross")
BASELINE_HEADS = {"sentiment": "linear", "paraphrase": "concat", "similarity": "concat"}
# the heads a cross-encoded pair task gets unless told otherwise
CROSS_HEADS = {"paraphrase": "cross_linear", "similarity": "cross_tanh"}


def pair_encodings(pair_encoding: str | Mapping[str, str]) -> dict[str, str]:
    """``"cross"`` or ``{"similarity": "cross"}`` to the encoding of each pair kind."""
    if isinstance(pair_encoding, str):
        given = dict.fromkeys(PAIR_KINDS, pair_encoding)
    else:
        given = dict(pair_encoding)
    unknown = set(given) - set(PAIR_KINDS)
    if unknown:
        raise ValueError(f"pair_encoding is set per pair task kind {list(PAIR_KINDS)}, got {sorted(unknown)}")
    for kind, value in given.items():
        if value not in PAIR_ENCODINGS:
            raise ValueError(f"pair_encoding for {kind} is {value!r}; choose one of {list(PAIR_ENCODINGS)}")
    return {kind: given.get(kind, "separate") for kind in PAIR_KINDS}


def default_heads(pair_encoding: str | Mapping[str, str] = "separate",
                  heads: Mapping[str, str] | None = None) -> dict[str, str]:
    """The head of each task kind: ``heads``, else the baseline's (``CROSS_HEADS`` for a
    cross-encoded kind). A head that reads the other encoding is refused with the fix."""
    encodings = pair_encodings(pair_encoding)
    chosen = {kind: CROSS_HEADS[kind] if encodings.get(kind) == "cross" else name
              for kind, name in BASELINE_HEADS.items()}
    chosen.update(heads or {})
    for kind in PAIR_KINDS:
        reads = head_encoding(kind, chosen[kind]) if chosen[kind] in HEADS[kind] else None
        if reads is not None and reads != encodings[kind]:
            fitting = sorted(n for n in HEADS[kind] if head_encoding(kind, n) == encodings[kind])
            raise ValueError(f"the {kind} head {chosen[kind]!r} reads {reads}-encoded pairs but "
                             f"pair_encoding for {kind} is {encodings[kind]!r}; choose one of {fitting} "
                             f"or set pair_encoding accordingly")
    return chosen


@dataclass
class TaskBatch:
    """What the encoder reads for one batch of a task, in one of three layouts:

    single     a sentence per example: ``input_ids`` ``[B, T]``
    separate   a bi-encoded pair per example: ``[2B, T]``, the B first sentences, then the
               B second sentences, padded to one length (``encode_pair``'s stacking)
    cross      a cross-encoded pair per example: ``[B, T]`` with ``token_type_ids``
    """

    task: str
    layout: str
    input_ids: Tensor
    attention_mask: Tensor
    token_type_ids: Tensor | None = None


def _stacked(first: Tensor, second: Tensor) -> Tensor:
    """Two ``[B, T_i]`` batches as one ``[2B, max T_i]`` batch, padded with 0 ([PAD], masked out)."""
    T = max(first.shape[1], second.shape[1])
    return torch.cat([nn.functional.pad(first, (0, T - first.shape[1])),
                      nn.functional.pad(second, (0, T - second.shape[1]))])


class MultitaskBERT(nn.Module):
    def __init__(
        self,
        bert: BertModel,
        tasks: Sequence[str] = ("sst", "quora", "sts"),
        heads: Mapping[str, str] | None = None,
        pooling: str = "cls",
        head_dropout: float = 0.3,
        freeze_bert: bool = False,
        pair_encoding: str | Mapping[str, str] = "separate",
        head_layers: int = 3,
        adapters: str | None = None,
        adapter_dim: int | None = None,
        adapter_heads: int = 6,
    ):
        """
        Args:
            bert: the encoder, usually ``BertModel.from_pretrained(...)``.
            tasks: which of ``sst``, ``cfimdb``, ``quora``, ``sts`` get a head.
            heads: head name per task kind (``{"similarity": "concat"}``); missing kinds
                get the course's baseline (``BASELINE_HEADS``, or ``CROSS_HEADS`` for a
                cross-encoded kind).
            pooling: ``cls`` (the pooler output), ``mean`` or ``max``.
            head_dropout: dropout before each head's linear layer.
            freeze_bert: the ``pretrain`` mode: no gradient reaches BERT.
            pair_encoding: ``separate`` or ``cross``, for both pair tasks or per kind
                (``{"similarity": "cross"}``).
            head_layers: hidden blocks of the ``mlp`` heads.
            adapters: task adapters (``multitask.adapters``: ``"pal"``, ``"low_rank"``,
                ``"houlsby"``, ``"top"`` or a ``+`` of them), one set per task; every encoder
                call then names its task.
            adapter_dim, adapter_heads: the adapters' d_s (default: report 003's ratio of
                the hidden size) and PAL's attention heads.
        """
        super().__init__()
        unknown = set(tasks) - set(TASKS)
        if unknown:
            raise ValueError(f"unknown task(s) {sorted(unknown)}; choose from {list(TASKS)}")
        self.bert = bert
        self.tasks = tuple(tasks)
        self.pooling = pooling
        self.pair_encoding = pair_encodings(pair_encoding)
        self.head_names = default_heads(pair_encoding, heads)
        hidden = bert.config.hidden_size
        self.heads = nn.ModuleDict({
            task: build_head(TASKS[task].kind, self.head_names[TASKS[task].kind], hidden, head_dropout,
                             num_labels=TASKS[task].num_labels, depth=head_layers)
            for task in self.tasks
        })
        if freeze_bert:
            for parameter in self.bert.parameters():
                parameter.requires_grad_(False)
        methods = adapter_methods(adapters)
        self.adapters = None
        if methods:
            self.adapters = TaskAdapters(methods, bert.config, self.tasks,
                                         adapter_size(hidden, adapter_dim, adapter_heads), adapter_heads,
                                         last_layer=bert.bert_layers[-1])
            if freeze_bert and "houlsby" in methods:  # Houlsby et al. train the layer norms too
                for name, parameter in self.bert.named_parameters():
                    if "layer_norm" in name:
                        parameter.requires_grad_(True)

    def adapters_for(self, task: str | None) -> EncoderAdapters | None:
        """What an encoder call for ``task`` plugs in: that task's adapters, or None for a
        model without adapters. A model with adapters needs the task."""
        if self.adapters is None:
            return None
        if task is None:
            raise ValueError("this model has task adapters: name the task of the call "
                             "(forward(..., task=...), encode_pair(..., task=...))")
        return self.adapters.for_task(task)

    @classmethod
    def from_pretrained(cls, checkpoint: str | Path, hidden_dropout_prob: float | None = None,
                        attn_implementation: str = "sdpa", attention_probs_dropout_prob: float | None = None,
                        **kwargs) -> MultitaskBERT:
        overrides: dict[str, object] = {"attn_implementation": attn_implementation}
        if hidden_dropout_prob is not None:
            overrides["hidden_dropout_prob"] = hidden_dropout_prob
        if attention_probs_dropout_prob is not None:
            overrides["attention_probs_dropout_prob"] = attention_probs_dropout_prob
        return cls(BertModel.from_pretrained(checkpoint, **overrides), **kwargs)

    def forward(self, input_ids: Tensor, attention_mask: Tensor,
                token_type_ids: Tensor | None = None, task: str | None = None) -> Tensor:
        """``[B, T]`` ids and mask (and token types, for a cross-encoded pair) to the pooled
        embedding ``[B, C]`` (through ``task``'s adapters, when the model has them)."""
        outputs = self.bert(input_ids, attention_mask, token_type_ids, adapters=self.adapters_for(task))
        return pool(outputs, attention_mask, self.pooling)

    def encode_pair(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                    input_ids_2: Tensor, attention_mask_2: Tensor,
                    task: str | None = None) -> tuple[Tensor, Tensor]:
        """Both sentences' embeddings ``u, v`` (each ``[B, C]``) from one stacked BERT call."""
        ids, mask = _stacked(input_ids_1, input_ids_2), _stacked(attention_mask_1, attention_mask_2)
        u, v = self.forward(ids, mask, task=task).chunk(2)
        return u, v

    def predict_sentiment(self, input_ids: Tensor, attention_mask: Tensor, task: str = "sst") -> Tensor:
        """Class logits ``[B, K]`` (K = 5 for SST, 2 for CFIMDB)."""
        if task not in self.heads:  # a starter-style call on a CFIMDB-only model
            sentiment = [t for t in self.tasks if TASKS[t].kind == "sentiment"]
            if len(sentiment) != 1:
                raise ValueError(f"no sentiment head for {task!r}; this model has {list(self.heads)}")
            task = sentiment[0]
        return self.heads[task](self.forward(input_ids, attention_mask, task=task))

    def predict_paraphrase(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                           input_ids_2: Tensor | None = None, attention_mask_2: Tensor | None = None,
                           token_type_ids: Tensor | None = None) -> Tensor:
        """One logit per pair ``[B]``: positive means "paraphrase" (probability > 0.5).

        Separately encoded: the two sentences' ids and masks, as in the starter code.
        Cross-encoded: one batch ``tokenizer(first, second)``, its ids, mask and token types.
        """
        return self._pair_head("quora", input_ids_1, attention_mask_1, input_ids_2, attention_mask_2,
                               token_type_ids)

    def predict_similarity(self, input_ids_1: Tensor, attention_mask_1: Tensor,
                           input_ids_2: Tensor | None = None, attention_mask_2: Tensor | None = None,
                           token_type_ids: Tensor | None = None) -> Tensor:
        """One similarity score per pair ``[B]``, trained towards the 0-5 gold scores; the
        inputs as for ``predict_paraphrase``."""
        return self._pair_head("sts", input_ids_1, attention_mask_1, input_ids_2, attention_mask_2,
                               token_type_ids)

    def _pair_head(self, task: str, ids_1: Tensor, mask_1: Tensor, ids_2: Tensor | None,
                   mask_2: Tensor | None, token_type_ids: Tensor | None) -> Tensor:
        if self.pair_encoding[TASKS[task].kind] == "cross":
            if ids_2 is not None:
                raise ValueError(f"this model cross-encodes {task} pairs: pass one batch "
                                 "tokenizer(first, second) (input_ids, attention_mask, token_type_ids=...), "
                                 "not the two sentences' batches")
            return self.heads[task](self.forward(ids_1, mask_1, token_type_ids, task=task))
        if ids_2 is None or mask_2 is None:
            raise ValueError(f"this model encodes {task} pairs separately: pass both sentences' "
                             "input_ids and attention_mask")
        return self.heads[task](*self.encode_pair(ids_1, mask_1, ids_2, mask_2, task=task))

    def pair_embeddings(self, tokenizer: Tokenizer, examples: Sequence[Example],
                        device: torch.device | str = "cpu", task: str | None = None) -> tuple[Tensor, Tensor]:
        """The separately encoded embeddings ``u, v`` (``[B, C]`` each) of a batch of pairs."""
        firsts, seconds = sentence_pairs(examples)
        first, second = tokenizer(firsts), tokenizer(seconds)
        tensors = (first["input_ids"], first["attention_mask"], second["input_ids"], second["attention_mask"])
        return self.encode_pair(*(to_device(t, device) for t in tensors), task)

    def task_batch(self, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                   device: torch.device | str = "cpu") -> TaskBatch:
        """Tokenize a batch of ``task``'s examples in the layout its encoding needs (copied to
        ``device`` without blocking the host on CUDA: ``bert_core.device.to_device``)."""
        kind = TASKS[task].kind
        if kind == "sentiment":
            batch = tokenizer(sentences(examples))
            return TaskBatch(task, "single", to_device(batch["input_ids"], device),
                             to_device(batch["attention_mask"], device))
        firsts, seconds = sentence_pairs(examples)
        if self.pair_encoding[kind] == "cross":
            # one sequence per pair; the tokenizer truncates the longer sentence first
            batch = tokenizer(firsts, seconds)
            return TaskBatch(task, "cross", *(to_device(batch[k], device)
                                              for k in ("input_ids", "attention_mask", "token_type_ids")))
        first, second = tokenizer(firsts), tokenizer(seconds)
        ids, mask = (_stacked(first[k], second[k]) for k in ("input_ids", "attention_mask"))
        return TaskBatch(task, "separate", to_device(ids, device), to_device(mask, device))

    def padded_lengths(self, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                       chunk: int = 512) -> list[int]:
        """Per example, the length in tokens its batch is padded to at least, in the layout
        ``task_batch`` gives it: the sentence's tokens; a separately encoded pair's longer
        sentence (both are stacked in one batch); a cross-encoded pair's joint sequence.
        What length-bucketed batches sort by."""
        kind = TASKS[task].kind
        if kind == "sentiment":
            return tokenizer.lengths(sentences(examples), chunk=chunk)
        firsts, seconds = sentence_pairs(examples)
        if self.pair_encoding[kind] == "cross":
            return tokenizer.lengths(firsts, seconds, chunk=chunk)
        return [max(a, b) for a, b in zip(tokenizer.lengths(firsts, chunk=chunk),
                                          tokenizer.lengths(seconds, chunk=chunk))]

    def embed(self, batch: TaskBatch) -> Tensor:
        """The input embeddings ``[N, T, C]`` of a batch: what SMART perturbs."""
        return self.bert.embed(batch.input_ids, batch.token_type_ids)

    def head_outputs(self, batch: TaskBatch, inputs_embeds: Tensor | None = None) -> Tensor:
        """Encode a batch (from ``inputs_embeds`` when given, e.g. perturbed embeddings) and
        run its task's head: sentiment logits ``[B, K]``, or one logit or score per pair ``[B]``."""
        outputs = self.bert(batch.input_ids, batch.attention_mask, batch.token_type_ids,
                            inputs_embeds=inputs_embeds, adapters=self.adapters_for(batch.task))
        pooled = pool(outputs, batch.attention_mask, self.pooling)
        head = self.heads[batch.task]
        return head(*pooled.chunk(2)) if batch.layout == "separate" else head(pooled)

    def task_outputs(self, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                     device: torch.device | str = "cpu") -> Tensor:
        """Tokenize a batch of ``task``'s examples and run its head (``head_outputs``).
        Training and prediction both go through here, so they encode a batch the same way."""
        return self.head_outputs(self.task_batch(tokenizer, task, examples, device))

    def num_parameters(self, trainable_only: bool = False) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)
