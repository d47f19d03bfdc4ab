"""WordPiece tokenisation of single sentences and sentence pairs, built on the
``tokenizers`` library from a checkpoint's ``vocab.txt``.

The pipeline BERT was trained with (Devlin et al. 2019, section 3; Wu et al. 2016 for
WordPiece):

1. normalise: clean control characters, split CJK characters, lowercase and strip
   accents for uncased vocabularies (``do_lower_case`` in ``tokenizer_config.json``);
2. pre-tokenise: split on whitespace and punctuation;
3. WordPiece: greedy longest-match-first into vocabulary pieces (``playing`` ->
   ``play ##ing``), ``[UNK]`` for a word with no split;
4. template: ``[CLS] a [SEP]`` for one sentence, ``[CLS] a [SEP] b [SEP]`` for a pair,
   with token type 0 up to the first ``[SEP]`` and 1 after it.

A batch is padded with ``[PAD]`` (id 0) to its own longest sequence, never to a fixed
length, and truncated at ``max_length`` (pairs: longest sentence first). Parity with
transformers' ``BertTokenizerFast`` is a test.

Taught in notebook 01.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer as _HFTokenizer
from tokenizers import decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

__all__ = ["Tokenizer"]


class Tokenizer:
    """``tok(sentences)`` or ``tok(first, second)`` -> padded ``[B, T]`` tensors."""

    def __init__(self, vocab_file: str | Path, do_lower_case: bool = True, max_length: int = 512):
        self.vocab_file = Path(vocab_file)
        self.do_lower_case = do_lower_case
        self.max_length = max_length
        vocab = self._read_vocab(self.vocab_file)
        self.vocab = vocab
        self.pad_token_id = vocab["[PAD]"]
        self.cls_token_id = vocab["[CLS]"]
        self.sep_token_id = vocab["[SEP]"]
        tok = _HFTokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
        tok.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=do_lower_case
        )
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", self.cls_token_id), ("[SEP]", self.sep_token_id)],
        )
        tok.decoder = decoders.WordPiece(prefix="##")
        # Registered as special: never split, and dropped by decode(skip_special_tokens).
        tok.add_special_tokens([t for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if t in vocab])
        tok.enable_padding(pad_id=self.pad_token_id, pad_token="[PAD]")
        tok.enable_truncation(max_length=max_length, strategy="longest_first")
        self._tok = tok

    @staticmethod
    def _read_vocab(path: Path) -> dict[str, int]:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no vocab.txt in the checkpoint folder")
        tokens = path.read_text(encoding="utf-8").splitlines()
        vocab = {token: i for i, token in enumerate(tokens)}
        for special in ("[PAD]", "[UNK]", "[CLS]", "[SEP]"):
            if special not in vocab:
                raise ValueError(f"{path}: the vocabulary has no {special} token")
        return vocab

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, max_length: int = 512) -> Tokenizer:
        """The tokenizer of a named checkpoint (``"minilm-l6"``, a hub id) or a folder."""
        from bert_core.bert.weights import resolve_checkpoint

        folder = resolve_checkpoint(name_or_path)
        do_lower_case = True
        config = folder / "tokenizer_config.json"
        if config.exists():
            do_lower_case = json.loads(config.read_text(encoding="utf-8")).get("do_lower_case", True)
        return cls(folder / "vocab.txt", do_lower_case=do_lower_case, max_length=max_length)

    def with_max_length(self, max_length: int) -> Tokenizer:
        """The same tokenizer truncating at another length (a large one: measure, not cut)."""
        return Tokenizer(self.vocab_file, self.do_lower_case, max_length)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __call__(
        self, first: str | Sequence[str], second: str | Sequence[str] | None = None
    ) -> dict[str, torch.Tensor]:
        """Encode a batch.

        Args:
            first: sentences (a single string counts as a batch of one).
            second: their partner sentences, for pair encoding ``[CLS] a [SEP] b [SEP]``.

        Returns:
            ``input_ids``, ``token_type_ids``, ``attention_mask``: ``[B, T]`` int64 tensors,
            T the longest sequence in the batch (at most ``max_length``).
        """
        encodings = self._encode(first, second)
        return {
            "input_ids": torch.tensor([e.ids for e in encodings], dtype=torch.long),
            "token_type_ids": torch.tensor([e.type_ids for e in encodings], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encodings], dtype=torch.long),
        }

    def lengths(
        self, first: Sequence[str], second: Sequence[str] | None = None, chunk: int = 512
    ) -> list[int]:
        """Tokens per sequence as ``self(first, second)`` encodes it (``[CLS]``, ``[SEP]`` and
        the truncation to ``max_length`` included, no padding), ``chunk`` sequences at a time
        so that no batch pads the whole data to its longest."""
        first = list(first)
        second = None if second is None else list(second)
        if second is not None and len(second) != len(first):
            raise ValueError(f"{len(first)} first sentences but {len(second)} second ones")
        out: list[int] = []
        for start in range(0, len(first), chunk):
            part = None if second is None else second[start:start + chunk]
            out += [sum(e.attention_mask) for e in self._encode(first[start:start + chunk], part)]
        return out

    def _encode(self, first: str | Sequence[str], second: str | Sequence[str] | None) -> list:
        first = [first] if isinstance(first, str) else list(first)
        if second is None:
            return self._tok.encode_batch(first)
        second = [second] if isinstance(second, str) else list(second)
        if len(second) != len(first):
            raise ValueError(f"{len(first)} first sentences but {len(second)} second ones")
        return self._tok.encode_batch(list(zip(first, second)))

    def tokenize(self, sentence: str) -> list[str]:
        """The WordPiece tokens of one sentence, without special tokens."""
        return self._tok.encode(sentence, add_special_tokens=False).tokens

    def convert_ids_to_tokens(self, ids: Sequence[int] | torch.Tensor) -> list[str]:
        return [self._tok.id_to_token(int(i)) for i in ids]

    def decode(self, ids: Sequence[int] | torch.Tensor) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=True)
