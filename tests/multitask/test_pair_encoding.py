"""Cross-encoding of sentence pairs, the ranking-loss schedule, and deeper heads."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
import torch

from bert_core.bert.model import BertModel
from bert_core.bert.tokenizer import Tokenizer
from bert_core.experiments import make_config
from bert_core.multitask.data import sample_data_dir
from bert_core.multitask.examples import PairExample
from bert_core.multitask.heads import build_head
from bert_core.multitask.model import MultitaskBERT
from bert_core.training import plugins
from bert_core.training.hooks import Extension
from bert_core.training.loop import train_run

PAIRS = [PairExample("a", "A man is playing a guitar.", "Someone plays music.", 3.4),
         PairExample("b", "Cats sleep.", "The stock market fell sharply on Monday morning.", 0.2)]


@pytest.fixture
def tokenizer(tiny_checkpoint) -> Tokenizer:
    return Tokenizer.from_pretrained(tiny_checkpoint).with_max_length(64)


def cross_model(tiny_checkpoint, **kwargs) -> MultitaskBERT:
    return MultitaskBERT.from_pretrained(tiny_checkpoint, tasks=("quora", "sts"), pair_encoding="cross",
                                         head_dropout=0.0, **kwargs).eval()


def test_cross_encoder_token_types_mark_the_second_sentence(tiny_checkpoint, tokenizer, monkeypatch):
    model = cross_model(tiny_checkpoint)
    seen = {}
    original = model.bert.forward

    def spy(input_ids, attention_mask, token_type_ids=None, **kwargs):
        seen.update(ids=input_ids, mask=attention_mask, types=token_type_ids)
        return original(input_ids, attention_mask, token_type_ids, **kwargs)

    monkeypatch.setattr(model.bert, "forward", spy)
    model.task_outputs(tokenizer, "sts", PAIRS)
    assert seen["ids"].shape[0] == len(PAIRS)  # one sequence per pair, not two
    sep = tokenizer.vocab["[SEP]"]
    for ids, mask, types, pair in zip(seen["ids"], seen["mask"], seen["types"], PAIRS):
        length = int(mask.sum())
        first_sep = ids.tolist().index(sep)
        # [CLS] a [SEP] is segment 0, b [SEP] is segment 1, padding is 0
        assert types[:first_sep + 1].eq(0).all() and types[first_sep + 1:length].eq(1).all()
        assert types[length:].eq(0).all() and ids[length - 1] == sep
        second = tokenizer.tokenize(pair.sentence2)
        assert int(types.sum()) == len(second) + 1


def test_cross_encoded_score_is_the_head_on_the_pooled_pair(tiny_checkpoint, tokenizer):
    model = cross_model(tiny_checkpoint)
    batch = tokenizer([p.sentence1 for p in PAIRS], [p.sentence2 for p in PAIRS])
    reference = BertModel.from_pretrained(tiny_checkpoint).eval()
    pooled = reference(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])["pooler_output"]
    expected = 2.5 * (torch.tanh(model.heads["sts"].linear(pooled).squeeze(-1)) + 1)
    torch.testing.assert_close(model.task_outputs(tokenizer, "sts", PAIRS), expected)
    # the starter-style entry point takes the one pair batch
    torch.testing.assert_close(
        model.predict_similarity(batch["input_ids"], batch["attention_mask"],
                                 token_type_ids=batch["token_type_ids"]), expected)
    # the token types change the answer: the encoder really reads them
    zeroed = model.predict_similarity(batch["input_ids"], batch["attention_mask"],
                                      token_type_ids=torch.zeros_like(batch["token_type_ids"]))
    assert not torch.allclose(zeroed, expected)


def test_calling_with_the_wrong_encoding_says_how(tiny_checkpoint, tokenizer):
    model = cross_model(tiny_checkpoint)
    one = tokenizer([p.sentence1 for p in PAIRS])
    ids, mask = one["input_ids"], one["attention_mask"]
    with pytest.raises(ValueError, match=r"cross-encodes quora pairs: pass one batch tokenizer"):
        model.predict_paraphrase(ids, mask, ids, mask)
    bi = MultitaskBERT.from_pretrained(tiny_checkpoint, tasks=("sts",))
    with pytest.raises(ValueError, match="encodes sts pairs separately"):
        bi.predict_similarity(one["input_ids"], one["attention_mask"])


def test_per_kind_encoding_and_default_heads(tiny_checkpoint):
    model = MultitaskBERT.from_pretrained(tiny_checkpoint, pair_encoding={"similarity": "cross"})
    assert model.pair_encoding == {"paraphrase": "separate", "similarity": "cross"}
    assert model.head_names == {"sentiment": "linear", "paraphrase": "concat", "similarity": "cross_tanh"}
    with pytest.raises(ValueError, match=r"reads separate-encoded pairs .* choose one of "
                                         r"\['cross_linear', 'cross_mlp', 'cross_tanh'\]"):
        MultitaskBERT.from_pretrained(tiny_checkpoint, pair_encoding="cross", heads={"similarity": "cosine"})


def test_config_pair_encoding_forms_and_hash():
    base = make_config("x", "smoke")
    assert make_config("x", "smoke", pair_encoding="separate").run_hash(0) == base.run_hash(0)
    both = make_config("x", "smoke", pair_encoding="cross")
    # one value for both kinds, however written, is the same config
    assert make_config("x", "smoke", pair_encoding={"paraphrase": "cross", "similarity": "cross"}) == both
    one = make_config("x", "smoke", pair_encoding={"similarity": "cross"})
    assert one.pair_encoding == (("paraphrase", "separate"), ("similarity", "cross"))
    assert one.encoding_map == {"paraphrase": "separate", "similarity": "cross"}
    # the JSON round trip (a run's config.json) gives the same config back
    assert type(one).from_dict(json.loads(json.dumps(one.to_dict()))) == one
    assert len({base.run_hash(0), both.run_hash(0), one.run_hash(0)}) == 3
    with pytest.raises(ValueError, match="pair_encoding='lexicon' is not available"):
        make_config("x", "smoke", pair_encoding="lexicon")
    with pytest.raises(ValueError, match="head 'cosine' reads separate-encoded pairs"):
        make_config("x", "smoke", pair_encoding="cross", heads={"similarity": "cosine"})
    with pytest.raises(ValueError, match="sts_loss='mnr_then_mse' ranks separately encoded"):
        make_config("x", "smoke", pair_encoding="cross", sts_loss="mnr_then_mse")


@pytest.mark.parametrize("pair_encoding", ["cross", {"similarity": "cross"}])
def test_cross_encoded_runs_train_and_predict(tiny_checkpoint, isolated_outputs, pair_encoding):
    config = make_config("cross", "smoke", checkpoint=str(tiny_checkpoint), epochs=1, batch_size=4,
                         max_length=32, train_limit=8, dev_limit=6, pair_encoding=pair_encoding,
                         heads={"paraphrase": "cross_mlp"} if pair_encoding == "cross" else {})
    record = train_run(config, 0, sample_data_dir(), progress=False)
    assert set(record["best"]) == {"sst", "quora", "sts"}
    scores = record["dev_predictions"]["sts"]["predictions"]
    assert all(0 <= s <= 5 for s in scores)  # the tanh head's promise, through the whole pipeline


def test_ranking_loss_trains_on_high_scored_pairs_for_the_first_half(tiny_checkpoint, isolated_outputs,
                                                                      monkeypatch):
    calls = []

    class Spy(Extension):  # registered last, it sees each task's final source
        def source(self, task, epoch, source):
            def loss(model, tokenizer, task, examples, device):
                calls.append((task, source.stream, [e.label for e in examples]))
                return source.batch_loss(model, tokenizer, task, examples, device)
            return replace(source, loss=loss)

    spy = plugins.Plugin("spy", lambda config, model, train, seed: Spy())
    monkeypatch.setattr(plugins, "PLUGINS", (*plugins.PLUGINS, spy))
    config = make_config("mnr", "smoke", checkpoint=str(tiny_checkpoint), epochs=4, batch_size=4,
                         max_length=32, epoch_length=2, dev_limit=4, predict_test=False,
                         heads={"similarity": "cosine"}, sts_loss="mnr_then_mse")
    assert config.ranking_epochs == 2
    record = train_run(config, 0, sample_data_dir(), progress=False)
    sts = [(stream == "sts-ranking", labels) for task, stream, labels in calls if task == "sts"]
    assert [ranking for ranking, _ in sts] == [True] * 4 + [False] * 4  # 2 steps an epoch, 2 of 4 epochs
    assert all(label >= 4 for ranking, labels in sts if ranking for label in labels)
    assert any(label < 4 for ranking, labels in sts if not ranking for label in labels)
    assert all(stream == task for task, stream, _ in calls if task != "sts")
    assert len(record["epochs"]) == 4


def test_ranking_loss_needs_positive_pairs(tiny_checkpoint, isolated_outputs, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(sample_data_dir(), data)
    (data / "sts-train.csv").write_text("\tid\tsentence1\tsentence2\tsimilarity\n0\tx\ta\tb\t1.0\n")
    config = make_config("mnr", "smoke", checkpoint=str(tiny_checkpoint), epochs=2, batch_size=4,
                         train_limit=2, dev_limit=2, predict_test=False, sts_loss="mnr_then_mse")
    with pytest.raises(ValueError, match="none of the 1 training pairs is; raise train_limit"):
        train_run(config, 0, data, progress=False)


@pytest.mark.parametrize("depth", [0, 1, 5])
def test_head_depth_is_configurable(tiny_checkpoint, depth):
    for kind in ("sentiment", "paraphrase", "similarity"):
        head = build_head(kind, "mlp", 8, 0.1, num_labels=5, depth=depth)
        assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in head.net) == depth
        assert sum(isinstance(m, torch.nn.Linear) for m in head.net) == depth + 1
    model = MultitaskBERT.from_pretrained(tiny_checkpoint, heads={"sentiment": "mlp"}, head_layers=depth)
    assert sum(isinstance(m, torch.nn.GELU) for m in model.heads["sst"].net) == depth


def test_every_preset_builds_in_every_profile_and_carries_to_cpu():
    from bert_core.experiments import PRESETS, in_profile, preset
    from bert_core.experiments.profiles import PROFILES

    for name in PRESETS:
        for profile in PROFILES:
            config = preset(name, profile, seeds=(0, 1, 2))
            carried = in_profile(config, "cpu")
            assert carried == preset(name, "cpu", seeds=(0, 1, 2)), (name, profile)
