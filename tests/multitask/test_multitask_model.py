"""MultitaskBERT: its heads, pair encodings and the pretrain mode."""

from __future__ import annotations

import torch

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.model import MultitaskBERT


def test_multitask_bert_heads_and_pair_encoding(tiny_checkpoint):
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint)
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint)).eval()
    a, b = tokenizer(["a short one", "a rather longer sentence here"]), tokenizer(["x", "y z"])
    assert model.predict_sentiment(a["input_ids"], a["attention_mask"]).shape == (2, 5)
    args = (a["input_ids"], a["attention_mask"], b["input_ids"], b["attention_mask"])
    assert model.predict_paraphrase(*args).shape == (2,)
    u, v = model.encode_pair(*args)  # one stacked call == two separate calls
    torch.testing.assert_close(u, model(a["input_ids"], a["attention_mask"]), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(v, model(b["input_ids"], b["attention_mask"]), atol=1e-5, rtol=1e-5)


def test_pretrain_mode_trains_only_the_heads(tiny_checkpoint):
    model = MultitaskBERT(BertModel.from_pretrained(tiny_checkpoint), tasks=("cfimdb",), freeze_bert=True)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"heads.cfimdb.classifier.weight", "heads.cfimdb.classifier.bias"}
    batch = Tokenizer.from_pretrained(tiny_checkpoint)(["fine"])
    assert model.predict_sentiment(batch["input_ids"], batch["attention_mask"]).shape == (1, 2)
