"""Multi-head self-attention, written out step by step, with a switch to the fused kernel.

For one head with queries Q, keys K and values V (each ``[B, T, D]``)::

    scores = Q K^T / sqrt(D)                      # how much token i looks at token j
    scores = scores + mask                        # -inf (in practice: dtype min) at padding
    probs  = softmax(scores, dim=-1)              # each row sums to 1
    probs  = dropout(probs)
    out    = probs V                              # a weighted sum of the values

H heads run in parallel on ``C / H``-sized slices of the hidden state; their outputs
are concatenated back to ``[B, T, C]`` (Vaswani et al. 2017, "Attention Is All You
Need", section 3.2; BERT: Devlin et al. 2019). ``scaled_dot_product`` is that recipe as
a pure function; ``fused_scaled_dot_product`` calls PyTorch's
``torch.nn.functional.scaled_dot_product_attention``, which computes the same thing in
one kernel. ``BertSelfAttention`` keeps the starter code's names (``query``, ``key``,
``value``, ``transform``, ``attention``) and picks one of the two by
``config.attn_implementation``.

Taught in notebook 01.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from bert_core.bert.config import BertConfig

__all__ = [
    "extended_attention_mask",
    "scaled_dot_product",
    "fused_scaled_dot_product",
    "BertSelfAttention",
]


def extended_attention_mask(attention_mask: Tensor, dtype: torch.dtype) -> Tensor:
    """Turn a ``[B, T]`` 1/0 padding mask into an additive ``[B, 1, 1, T]`` mask.

    Real tokens get 0, padding gets the most negative finite value of ``dtype``: added to
    the scores, it sends the padding's softmax weight to exactly 0 without the NaNs that
    ``-inf`` gives a row with no real token.
    """
    mask = attention_mask[:, None, None, :].to(dtype)  # (B, 1, 1, T)
    return (1.0 - mask) * torch.finfo(dtype).min


def scaled_dot_product(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    additive_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> tuple[Tensor, Tensor]:
    """Attention, one step per line.

    Args:
        query, key, value: ``[B, H, T, D]``.
        additive_mask: ``[B, 1, 1, T]`` from ``extended_attention_mask``, or None.
        dropout_p: dropout on the attention probabilities (only when ``training``).

    Returns:
        ``(out, probs)``: ``[B, H, T, D]`` and the attention probabilities ``[B, H, T, T]``.
    """
    scores = query @ key.transpose(-1, -2) / math.sqrt(query.size(-1))  # (B, H, T, T)
    if additive_mask is not None:
        scores = scores + additive_mask
    probs = scores.softmax(dim=-1)  # (B, H, T, T)
    probs_dropped = F.dropout(probs, p=dropout_p, training=training)
    out = probs_dropped @ value  # (B, H, T, D)
    return out, probs


def fused_scaled_dot_product(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    training: bool = False,
) -> Tensor:
    """The same computation in PyTorch's fused kernel (no probabilities come back).

    Args:
        query, key, value: ``[B, H, T, D]``.
        attention_mask: the ``[B, T]`` 1/0 padding mask, or None.
    """
    bool_mask = None
    if attention_mask is not None:
        bool_mask = attention_mask[:, None, None, :].bool()  # (B, 1, 1, T), True = attend
    return F.scaled_dot_product_attention(
        query, key, value, attn_mask=bool_mask, dropout_p=dropout_p if training else 0.0
    )


class BertSelfAttention(nn.Module):
    """Multi-head self-attention of one BERT layer (before the output projection)."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.head_size
        self.all_head_size = config.hidden_size
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout_p = config.attention_probs_dropout_prob
        self.attn_implementation = config.attn_implementation

    def transform(self, x: Tensor, linear_layer: nn.Linear) -> Tensor:
        """Project ``[B, T, C]`` and split it into heads: ``[B, H, T, D]``."""
        B, T, _ = x.shape
        proj = linear_layer(x)  # (B, T, C)
        proj = proj.view(B, T, self.num_attention_heads, self.attention_head_size)  # (B, T, H, D)
        return proj.transpose(1, 2)  # (B, H, T, D)

    def attention(
        self, key: Tensor, query: Tensor, value: Tensor, attention_mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Explicit attention over heads, then the heads concatenated: ``[B, T, C]``."""
        mask = extended_attention_mask(attention_mask, query.dtype)
        out, probs = scaled_dot_product(query, key, value, mask, self.dropout_p, self.training)
        return self._merge_heads(out), probs

    def _merge_heads(self, out: Tensor) -> Tensor:
        B, H, T, D = out.shape
        return out.transpose(1, 2).reshape(B, T, H * D)  # (B, T, C)

    def forward(
        self, hidden_states: Tensor, attention_mask: Tensor, output_attentions: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """
        Args:
            hidden_states: ``[B, T, C]``.
            attention_mask: ``[B, T]``, 1 for real tokens, 0 for padding.
            output_attentions: also return the probabilities ``[B, H, T, T]`` (this
                forces the explicit path, since the fused kernel does not expose them).

        Returns:
            ``(context, probs)``: ``[B, T, C]`` and the probabilities or None.
        """
        query = self.transform(hidden_states, self.query)
        key = self.transform(hidden_states, self.key)
        value = self.transform(hidden_states, self.value)
        if self.attn_implementation == "explicit" or output_attentions:
            context, probs = self.attention(key, query, value, attention_mask)
            return context, (probs if output_attentions else None)
        out = fused_scaled_dot_product(
            query, key, value, attention_mask, self.dropout_p, self.training
        )
        return self._merge_heads(out), None
