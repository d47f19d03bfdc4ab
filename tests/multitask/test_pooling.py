"""Pooling ignores padding; each pooling matches its definition."""

from __future__ import annotations

import pytest
import torch

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.pooling import POOLINGS, max_pool, mean_pool, pool, sentence_embeddings


@pytest.mark.parametrize("pooling", POOLINGS)
def test_padding_does_not_change_the_sentence_vector(tiny_config, pooling):
    model = BertModel(tiny_config).eval()
    ids = torch.randint(1, 99, (1, 6))
    vectors = []
    for pad in (0, 3, 9):
        padded = torch.cat([ids, torch.zeros(1, pad, dtype=torch.long)], dim=1)
        mask = (padded != 0).long()
        with torch.no_grad():
            vectors.append(pool(model(padded, mask), mask, pooling))
    torch.testing.assert_close(vectors[0], vectors[1], atol=1e-5, rtol=0)
    torch.testing.assert_close(vectors[0], vectors[2], atol=1e-5, rtol=0)


def test_mean_and_max_by_hand():
    hidden = torch.tensor([[[1.0, -2.0], [3.0, 4.0], [100.0, 100.0]]])  # last token is padding
    mask = torch.tensor([[1, 1, 0]])
    torch.testing.assert_close(mean_pool(hidden, mask), torch.tensor([[2.0, 1.0]]))
    torch.testing.assert_close(max_pool(hidden, mask), torch.tensor([[3.0, 4.0]]))
    with pytest.raises(ValueError, match="unknown pooling 'sum'"):
        pool({"last_hidden_state": hidden}, mask, "sum")


def test_sentence_embeddings_batching_does_not_matter():
    model = BertModel.from_pretrained("minilm-l6")
    tok = Tokenizer.from_pretrained("minilm-l6")
    sentences = ["A short one.", "A rather longer sentence with many more words in it.", "Mid length here."]
    one = sentence_embeddings(model, tok, sentences, "mean", batch_size=1)
    three = sentence_embeddings(model, tok, sentences, "mean", batch_size=3)
    torch.testing.assert_close(one, three, atol=1e-5, rtol=0)
    assert model.training  # restored
