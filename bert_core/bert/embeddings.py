"""BERT's input embeddings: word + position + token type, then LayerNorm and dropout.

For token ids ``x_1..x_T`` with segment ids ``s_1..s_T`` (0 for the first sentence, 1 for
the second)::

    e_t = LayerNorm(W_word[x_t] + W_pos[t] + W_type[s_t]),   then dropout

Positions are learned, one vector per index up to ``max_position_embeddings`` (512),
as in Devlin et al. 2019, section 3 and Figure 2. The names follow the course's starter
code (``word_embedding``, ``pos_embedding``, ``tk_type_embedding``).

Taught in notebook 01.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from bert_core.bert.config import BertConfig

__all__ = ["BertEmbeddings"]


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.word_embedding = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.pos_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.tk_type_embedding = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        # A buffer, not a parameter: checkpoints carry it, and it moves with .to(device).
        self.register_buffer(
            "position_ids", torch.arange(config.max_position_embeddings)[None, :], persistent=True
        )

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        """
        Args:
            input_ids: ``[B, T]`` token ids.
            token_type_ids: ``[B, T]`` segment ids; all zeros when None.

        Returns:
            ``[B, T, C]`` embeddings.
        """
        T = input_ids.size(1)
        if T > self.position_ids.size(1):
            raise ValueError(
                f"sequence of {T} tokens is longer than max_position_embeddings "
                f"{self.position_ids.size(1)}: truncate it (Tokenizer(max_length=...))"
            )
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        words = self.word_embedding(input_ids)  # (B, T, C)
        positions = self.pos_embedding(self.position_ids[:, :T])  # (1, T, C)
        types = self.tk_type_embedding(token_type_ids)  # (B, T, C)
        return self.dropout(self.layer_norm(words + positions + types))
