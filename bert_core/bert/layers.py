"""One BERT transformer layer: self-attention and a feed-forward block, each wrapped in
a post-LayerNorm residual connection.

With ``x`` the layer's input ``[B, T, C]``::

    a = LayerNorm(x + Dropout(W_o MultiHeadAttention(x)))          # "add & norm"
    y = LayerNorm(a + Dropout(W_2 GELU(W_1 a)))                     # feed-forward

``W_1`` widens to ``intermediate_size`` (4C in BERT-base), ``W_2`` narrows back. GELU is
the exact, erf-based one BERT was trained with (Hendrycks and Gimpel 2016). Post-LN
(normalise after the residual sum) is the original Transformer's arrangement (Vaswani et
al. 2017) that BERT kept. The names follow the course's starter code.

Adapters (``LayerAdapters``, built per task by ``bert_core.multitask.adapters``) plug in at
three points; with none given the layer is the plain one above::

    a = LayerNorm(x + S_1(Dropout(W_o MultiHeadAttention(x))))        # S: in series (Houlsby)
    y = LayerNorm(a + S_2(Dropout(W_2 GELU(W_1 a))) + P(x))           # P: in parallel (PAL, low-rank)

A parallel branch reads the layer's input x and joins the feed-forward residual inside its
LayerNorm (Stickland and Murray 2019, section 3; "Multi-BERT: Projected Attention", 4).

Taught in notebook 02.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from bert_core.bert.attention import BertSelfAttention
from bert_core.bert.config import BertConfig

__all__ = ["LayerAdapters", "BertLayer"]


@dataclass(frozen=True)
class LayerAdapters:
    """What one call of a layer adds: ``after_attention`` and ``after_output`` map a
    sublayer's projected output ``[B, T, C]`` in series, ``parallel(x, attention_mask)``
    gives a branch ``[B, T, C]`` added inside the feed-forward LayerNorm. None: nothing."""

    after_attention: Callable[[Tensor], Tensor] | None = None
    after_output: Callable[[Tensor], Tensor] | None = None
    parallel: Callable[[Tensor, Tensor], Tensor] | None = None


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.self_attention = BertSelfAttention(config)
        self.attention_dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.attention_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention_dropout = nn.Dropout(config.hidden_dropout_prob)
        self.interm_dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.out_dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.out_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.out_dropout = nn.Dropout(config.hidden_dropout_prob)

    @staticmethod
    def add_norm(
        input: Tensor, output: Tensor, dense_layer: nn.Linear, dropout: nn.Dropout,
        ln_layer: nn.LayerNorm, series: Callable[[Tensor], Tensor] | None = None,
        parallel: Tensor | None = None,
    ) -> Tensor:
        """``LayerNorm(input + Dropout(dense_layer(output)))``: project, drop, add, normalise;
        with ``series`` applied after the dropout and ``parallel`` added inside the norm."""
        projected = dropout(dense_layer(output))
        if series is not None:
            projected = series(projected)
        total = input + projected
        return ln_layer(total if parallel is None else total + parallel)

    def interm_af(self, x: Tensor) -> Tensor:
        return F.gelu(x)  # exact (erf) GELU, as BERT was trained

    def forward(
        self, hidden_states: Tensor, attention_mask: Tensor, output_attentions: bool = False,
        adapters: LayerAdapters | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """
        Args:
            hidden_states: ``[B, T, C]``.
            attention_mask: ``[B, T]``, 1 for real tokens, 0 for padding.
            adapters: a task's adapters for this layer (None: the plain layer).

        Returns:
            ``([B, T, C], attention probabilities [B, H, T, T] or None)``.
        """
        adapters = adapters or LayerAdapters()
        context, probs = self.self_attention(hidden_states, attention_mask, output_attentions)
        attended = self.add_norm(
            hidden_states, context, self.attention_dense, self.attention_dropout,
            self.attention_layer_norm, series=adapters.after_attention,
        )
        intermediate = self.interm_af(self.interm_dense(attended))  # (B, T, 4C)
        branch = None if adapters.parallel is None else adapters.parallel(hidden_states, attention_mask)
        out = self.add_norm(
            attended, intermediate, self.out_dense, self.out_dropout, self.out_layer_norm,
            series=adapters.after_output, parallel=branch,
        )
        return out, probs
