"""From token vectors to one sentence vector: [CLS], mean, or max pooling.

With hidden states ``h`` (``[B, T, C]``) and padding mask ``m`` (``[B, T]``)::

    cls:    u = pooler_output = tanh(W_p h[:, 0] + b_p)         (BERT's own summary)
    mean:   u = sum_t m_t h_t / sum_t m_t                        (padding excluded)
    max:    u_c = max_{t: m_t = 1} h_{t, c}                      (padding excluded)

Sentence-BERT (Reimers and Gurevych 2019) found mean pooling the best of the three for
sentence similarity; report 003 ("Multi-BERT ... Projected Attention Layer", Table 2)
finds the same on the multitask baseline. Padding must never change a sentence's vector:
a test pads one sentence to different lengths and compares.

Taught in notebook 02 (a first look) and notebook 06 (as a training option).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from bert_core.bert.tokenizer import Tokenizer

__all__ = ["POOLINGS", "pool", "mean_pool", "max_pool", "sentence_embeddings"]

POOLINGS = ("cls", "mean", "max")


def mean_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """Average of the real tokens' vectors: ``[B, T, C]``, ``[B, T]`` -> ``[B, C]``."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def max_pool(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """Per-feature maximum over the real tokens: ``[B, T, C]``, ``[B, T]`` -> ``[B, C]``."""
    padding = attention_mask.unsqueeze(-1) == 0  # (B, T, 1)
    return hidden.masked_fill(padding, torch.finfo(hidden.dtype).min).amax(dim=1)


def pool(outputs: dict[str, Tensor], attention_mask: Tensor, pooling: str) -> Tensor:
    """Pool ``BertModel`` outputs by name: ``"cls"`` (the pooler output), ``"mean"``, ``"max"``."""
    if pooling == "cls":
        return outputs["pooler_output"]
    if pooling == "mean":
        return mean_pool(outputs["last_hidden_state"], attention_mask)
    if pooling == "max":
        return max_pool(outputs["last_hidden_state"], attention_mask)
    raise ValueError(f"unknown pooling {pooling!r}; choose one of {POOLINGS}")


@torch.no_grad()
def sentence_embeddings(
    model: nn.Module,
    tokenizer: Tokenizer,
    sentences: Sequence[str],
    pooling: str = "mean",
    batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Embed sentences one batch at a time (eval mode): ``[N, C]`` on the CPU."""
    was_training = model.training
    model.eval()
    chunks = []
    for start in range(0, len(sentences), batch_size):
        batch = {k: v.to(device) for k, v in tokenizer(sentences[start : start + batch_size]).items()}
        chunks.append(pool(model(**batch), batch["attention_mask"], pooling).float().cpu())
    model.train(was_training)
    return torch.cat(chunks)
