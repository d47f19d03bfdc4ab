"""One BERT transformer layer: self-attention and a feed-forward block, each wrapped in
a post-LayerNorm residual connection.

With ``x`` the layer's input ``[B, T, C]``::

    a = LayerNorm(x + Dropout(W_o MultiHeadAttention(x)))          # "add & norm"
    y = LayerNorm(a + Dropout(W_2 GELU(W_1 a)))                     # feed-forward

``W_1`` widens to ``intermediate_size`` (4C in BERT-base), ``W_2`` narrows back. GELU is
the exact, erf-based one BERT was trained with (Hendrycks and Gimpel 2016). Post-LN
(normalise after the residual sum) is the original Transformer's arrangement (Vaswani et
al. 2017) that BERT kept. The names follow the course's starter code.

Taught in notebook 02.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from bert_core.bert.attention import BertSelfAttention
from bert_core.bert.config import BertConfig

__all__ = ["BertLayer"]


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
        ln_layer: nn.LayerNorm,
    ) -> Tensor:
        """``LayerNorm(input + Dropout(dense_layer(output)))``: project, drop, add, normalise."""
        return ln_layer(input + dropout(dense_layer(output)))

    def interm_af(self, x: Tensor) -> Tensor:
        return F.gelu(x)  # exact (erf) GELU, as BERT was trained

    def forward(
        self, hidden_states: Tensor, attention_mask: Tensor, output_attentions: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """
        Args:
            hidden_states: ``[B, T, C]``.
            attention_mask: ``[B, T]``, 1 for real tokens, 0 for padding.

        Returns:
            ``([B, T, C], attention probabilities [B, H, T, T] or None)``.
        """
        context, probs = self.self_attention(hidden_states, attention_mask, output_attentions)
        attended = self.add_norm(
            hidden_states, context, self.attention_dense, self.attention_dropout,
            self.attention_layer_norm,
        )
        intermediate = self.interm_af(self.interm_dense(attended))  # (B, T, 4C)
        out = self.add_norm(
            attended, intermediate, self.out_dense, self.out_dropout, self.out_layer_norm
        )
        return out, probs
