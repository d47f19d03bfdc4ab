"""The tokenizer against transformers' BertTokenizerFast on the course's dev sets."""

from __future__ import annotations

import pytest
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.data import load_task

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def ours(minilm_folder) -> Tokenizer:
    return Tokenizer.from_pretrained(minilm_folder)


@pytest.fixture(scope="module")
def reference(minilm_folder):
    return transformers.BertTokenizerFast.from_pretrained(minilm_folder)


def _assert_same(batch, ref):
    # Padded to the same longest length, so every id, type and mask position must agree.
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert torch.equal(batch[key], ref[key]), key


def test_every_sst_dev_sentence(ours, reference, course_data):
    sentences = [e.sentence for e in load_task("sst", "dev", course_data)]
    ref = reference(sentences, padding=True, truncation=True, max_length=512, return_tensors="pt")
    _assert_same(ours(sentences), ref)


def test_every_sts_dev_pair(ours, reference, course_data):
    examples = load_task("sts", "dev", course_data)
    first, second = [e.sentence1 for e in examples], [e.sentence2 for e in examples]
    ref = reference(first, second, padding=True, truncation=True, max_length=512, return_tensors="pt")
    batch = ours(first, second)
    assert (batch["token_type_ids"] == 1).any()
    _assert_same(batch, ref)


def test_truncation_of_pairs_matches(minilm_folder, reference, course_data):
    short = Tokenizer.from_pretrained(minilm_folder, max_length=16)
    examples = load_task("quora", "dev", course_data)[:200]
    first, second = [e.sentence1 for e in examples], [e.sentence2 for e in examples]
    ref = reference(first, second, padding=True, truncation="longest_first", max_length=16,
                    return_tensors="pt")
    batch = short(first, second)
    assert batch["input_ids"].shape[1] <= 16
    _assert_same(batch, ref)


def test_batch_pads_to_its_own_longest(ours):
    batch = ours(["one", "a somewhat longer sentence here"])
    assert batch["input_ids"].shape == (2, 7)  # [CLS] a somewhat longer sentence here [SEP]
    assert batch["attention_mask"].tolist()[0] == [1, 1, 1, 0, 0, 0, 0]
    assert ours.convert_ids_to_tokens(batch["input_ids"][0]) == [
        "[CLS]", "one", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"]


def test_pair_template_and_token_types(ours):
    batch = ours("Is it raining?", "Yes.")
    tokens = ours.convert_ids_to_tokens(batch["input_ids"][0])
    assert tokens == ["[CLS]", "is", "it", "raining", "?", "[SEP]", "yes", ".", "[SEP]"]
    assert batch["token_type_ids"][0].tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1]


def test_wordpiece_and_accents(ours):
    assert ours.tokenize("Unaffable Café") == ["una", "##ffa", "##ble", "cafe"]
    assert ours.decode(ours("Unaffable Café")["input_ids"][0]) == "unaffable cafe"


def test_mismatched_pair_lengths_are_an_error(ours):
    with pytest.raises(ValueError, match="2 first sentences but 1"):
        ours(["a", "b"], ["c"])


def test_lengths_are_the_encoded_batch_without_padding(minilm_folder):
    """``lengths`` counts what ``__call__`` encodes (special tokens, truncation), chunk by
    chunk: the attention mask's row sums of the padded batch."""
    tok = Tokenizer.from_pretrained(minilm_folder).with_max_length(12)
    firsts = ["a fine film", "x", "an overlong sentence that the truncation has to cut short for sure", ""]
    seconds = ["and its partner", "y z", "short", "a rather longer second side of the pair here"]
    for chunk in (1, 3, 512):
        assert tok.lengths(firsts, chunk=chunk) == tok(firsts)["attention_mask"].sum(dim=1).tolist()
        assert (tok.lengths(firsts, seconds, chunk=chunk)
                == tok(firsts, seconds)["attention_mask"].sum(dim=1).tolist())
    assert tok.lengths(firsts)[2] == 12 and tok.lengths([]) == []
    for short, long in ((firsts, seconds[:2]), (firsts[:2], seconds)):
        with pytest.raises(ValueError, match="second ones"):
            tok.lengths(short, long, chunk=2)
