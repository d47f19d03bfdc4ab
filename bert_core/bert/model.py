"""BertModel: embeddings, a stack of BERT layers, and the pooler.

::

    h_0 = Embeddings(input_ids, token_type_ids)                      # [B, T, C]
    h_l = BertLayer_l(h_{l-1}, attention_mask),  l = 1..L            # [B, T, C]
    pooler_output = tanh(W_p h_L[:, 0] + b_p)                        # [B, C], from [CLS]

``forward`` returns a dict with ``last_hidden_state`` and ``pooler_output``, as the
course's starter code does, so that the student's heads plug in unchanged. The pooler
was trained on next-sentence prediction (Devlin et al. 2019, section 3.1); whether its
[CLS] vector or a mean over the tokens makes the better sentence embedding is one of the
questions notebooks 02 and 06 measure.

References:
    Devlin, Chang, Lee, Toutanova 2019, "BERT: Pre-training of Deep Bidirectional
    Transformers for Language Understanding".

Taught in notebook 02.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from bert_core.bert.config import BertConfig
from bert_core.bert.embeddings import BertEmbeddings
from bert_core.bert.layers import BertLayer, LayerAdapters

__all__ = ["EncoderAdapters", "BertModel"]


@dataclass(frozen=True)
class EncoderAdapters:
    """One call's adapters: ``layers[l]`` for layer l (``LayerAdapters`` or None), and a
    ``top`` layer run after the stack, before the pooler (a task's own BERT layer)."""

    layers: Sequence[LayerAdapters | None] = ()
    top: BertLayer | None = None


class BertModel(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.bert_layers = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))
        self.pooler_dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.pooler_af = nn.Tanh()
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        """BERT's initialisation: N(0, 0.02^2) weights, zero biases, identity LayerNorm."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=self.config.initializer_range)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            nn.init.zeros_(module.weight[module.padding_idx])
        if isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def embed(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        """``[B, T]`` ids to ``[B, T, C]`` input embeddings."""
        return self.embeddings(input_ids, token_type_ids)

    def encode(
        self, hidden_states: Tensor, attention_mask: Tensor, output_attentions: bool = False,
        adapters: EncoderAdapters | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """Run the layer stack (with ``adapters``' layer adapters and top layer); also the
        per-layer attention probabilities if asked."""
        attentions = []
        adapters = adapters or EncoderAdapters()
        layers: list[tuple[BertLayer, LayerAdapters | None]] = [
            (layer, adapters.layers[i] if i < len(adapters.layers) else None)
            for i, layer in enumerate(self.bert_layers)]
        if adapters.top is not None:
            layers.append((adapters.top, None))
        for layer, layer_adapters in layers:
            hidden_states, probs = layer(hidden_states, attention_mask, output_attentions, layer_adapters)
            if probs is not None:
                attentions.append(probs)
        return hidden_states, attentions

    def forward(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        token_type_ids: Tensor | None = None,
        output_attentions: bool = False,
        inputs_embeds: Tensor | None = None,
        adapters: EncoderAdapters | None = None,
    ) -> dict[str, Any]:
        """
        Args:
            input_ids: ``[B, T]`` token ids.
            attention_mask: ``[B, T]``, 1 for real tokens, 0 for padding.
            token_type_ids: ``[B, T]`` segment ids (0 first sentence, 1 second), or None.
            output_attentions: add ``attentions``, a list of L tensors ``[B, H, T, T]``.
            inputs_embeds: ``[B, T, C]`` embeddings to use instead of ``embed(input_ids)``
                (perturbed embeddings, as SMART needs).
            adapters: a task's adapters (``bert_core.multitask.adapters``), or None.

        Returns:
            ``{"last_hidden_state": [B, T, C], "pooler_output": [B, C]}`` (+ ``attentions``).
        """
        hidden = self.embed(input_ids, token_type_ids) if inputs_embeds is None else inputs_embeds
        hidden, attentions = self.encode(hidden, attention_mask, output_attentions, adapters)
        pooled = self.pooler_af(self.pooler_dense(hidden[:, 0]))  # (B, C), from [CLS]
        out: dict[str, Any] = {"last_hidden_state": hidden, "pooler_output": pooled}
        if output_attentions:
            out["attentions"] = attentions
        return out

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, **config_overrides: Any) -> BertModel:
        """Build the model from a checkpoint's config and load its weights.

        ``name_or_path``: ``"minilm-l6"`` (offline default), a hub id such as
        ``"bert-base-uncased"``, or a local folder. Keyword arguments override config
        fields (``hidden_dropout_prob=0.3``, ``attn_implementation="explicit"``). The
        load report (missing / unexpected / ignored keys) is kept on ``model.load_report``;
        a missing parameter is an error.
        """
        from bert_core.bert.weights import load_pretrained_weights, resolve_checkpoint

        folder = resolve_checkpoint(name_or_path)
        model = cls(BertConfig.from_json(folder, **config_overrides))
        model.load_report = load_pretrained_weights(model, folder)
        model.name_or_path = str(name_or_path)
        return model
