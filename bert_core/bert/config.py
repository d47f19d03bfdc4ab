"""BertConfig: the hyperparameters of a BERT encoder, read from a checkpoint's config.json.

The field names are those of the original BERT release (Devlin et al. 2019) and of the
``config.json`` files that every BERT checkpoint ships, so that a config reads straight
from disk. One field is ours: ``attn_implementation`` picks the explicit, step-by-step
attention that notebook 01 teaches (``"explicit"``) or PyTorch's fused
``scaled_dot_product_attention`` (``"sdpa"``, the default for training). Tests prove
the two agree.

Taught in notebook 02.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BertConfig"]


@dataclass
class BertConfig:
    """Sizes and regularisation of a BERT encoder (defaults: BERT-base)."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0
    attn_implementation: str = "sdpa"

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} is not a multiple of "
                f"num_attention_heads {self.num_attention_heads}"
            )
        if self.attn_implementation not in ("explicit", "sdpa"):
            raise ValueError(
                f"attn_implementation must be 'explicit' or 'sdpa', got {self.attn_implementation!r}"
            )
        if self.hidden_act != "gelu":
            raise ValueError(
                f"only hidden_act='gelu' (exact, erf-based) is implemented, got {self.hidden_act!r}"
            )

    @property
    def head_size(self) -> int:
        """D, the size of one attention head: C / H."""
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, values: dict[str, Any], **overrides: Any) -> BertConfig:
        """Keep the keys we know; checkpoint files carry many we do not need."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown_overrides = set(overrides) - known
        if unknown_overrides:
            raise TypeError(f"unknown BertConfig fields: {sorted(unknown_overrides)}")
        kwargs = {k: v for k, v in values.items() if k in known}
        kwargs.update(overrides)
        return cls(**kwargs)

    @classmethod
    def from_json(cls, path: str | Path, **overrides: Any) -> BertConfig:
        """Read ``config.json`` (a file, or a folder holding one)."""
        path = Path(path)
        if path.is_dir():
            path = path / "config.json"
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path}: no config.json; a checkpoint folder needs config.json, "
                "a weight file and vocab.txt"
            ) from None
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {err.lineno}: not valid JSON ({err.msg})") from None
        return cls.from_dict(values, **overrides)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, **overrides: Any) -> BertConfig:
        """The config of a named checkpoint (``"minilm-l6"``, a hub id) or a local folder."""
        from bert_core.bert.weights import resolve_checkpoint

        return cls.from_json(resolve_checkpoint(name_or_path), **overrides)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
