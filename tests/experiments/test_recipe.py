"""The recipe options of notebook 05's rescale: length-bucketed batches, the heads' own
learning rate, fixed task weights, a fresh pooler, frozen word embeddings; and the store
keeping runs of one name under two sets of caps."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file

from bert_core.bert.model import BertModel
from bert_core.experiments import load_result, make_config, run_experiment
from bert_core.experiments.ablation import STALL_CHANGES, stall_ablation
from bert_core.experiments.profiles import SMALL_CPU_CAPS, pinned_caps
from bert_core.multitask.data import sample_data_dir
from bert_core.training.balancing import TaskWeights
from bert_core.training.loop import train_run
from bert_core.training.recipe import lr_schedule, model_for, parameter_groups
from bert_core.training.run_folder import run_dir
from bert_core.training.sampling import BUCKET_WINDOW, TaskStream


def _padding(stream: TaskStream, lengths: list[int], batches: int) -> int:
    return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b)
               for b in (stream.batch(k) for k in range(batches)))


def test_length_buckets_keep_every_example_once_per_pass_and_cut_the_padding():
    lengths = torch.randint(5, 200, (1000,), generator=torch.Generator().manual_seed(0)).tolist()
    bucketed = TaskStream(1000, 8, seed=3, task="sst", lengths=lengths)
    plain = TaskStream(1000, 8, seed=3, task="sst")
    assert bucketed.batches_per_pass == plain.batches_per_pass == 125
    for pass_ in range(2):
        seen = [i for k in range(125) for i in bucketed.batch(pass_ * 125 + k)]
        assert sorted(seen) == list(range(1000))  # each example once per pass
    assert [bucketed.batch(k) for k in range(130)] == \
        [TaskStream(1000, 8, 3, "sst", lengths).batch(k) for k in range(130)]  # a pure function of k
    assert bucketed.batch(0) != bucketed.batch(125)  # another pass, another order
    # within a window of 50 batches the lengths are sorted: far less padding than random batches
    assert _padding(bucketed, lengths, 125) < 0.1 * _padding(plain, lengths, 125)
    assert BUCKET_WINDOW == 50
    with pytest.raises(ValueError, match="3 lengths for 1000 examples"):
        TaskStream(1000, 8, 0, "sst", lengths[:3])


def test_head_lr_gives_the_heads_their_own_group_and_the_schedule_scales_both(tiny_run):
    config = tiny_run("groups", head_lr=5e-2, finetune_lr=1e-3, scheduler="linear", warmup_steps=2)
    model = model_for(config)
    groups = parameter_groups(model, config)
    heads = {id(p) for p in model.heads.parameters()}
    trainable = [p for p in model.bert.parameters() if p.requires_grad]
    assert [len(g["params"]) for g in groups] == [len(trainable), len(heads)]
    assert {id(p) for p in groups[1]["params"]} == heads and groups[1]["lr"] == 5e-2
    optimizer = torch.optim.SGD(groups, lr=config.learning_rate)
    scheduler = lr_schedule(optimizer, config, total_steps=10)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([5e-4, 2.5e-2])  # warm-up 1/2
    optimizer.step()
    scheduler.step()
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([1e-3, 5e-2])
    assert len(parameter_groups(model, tiny_run("one"))) == 1  # no head_lr: one group, as before


def test_pooler_reset_draws_bert_s_initialisation_and_keeps_the_rest(minilm_folder):
    kept = make_config("kept", "smoke")
    reset = model_for(make_config("reset", "smoke", pooler_init="reset"))
    loaded = model_for(kept)
    weight = reset.bert.pooler_dense.weight
    assert weight.std().item() == pytest.approx(0.02, rel=0.02)
    assert torch.count_nonzero(reset.bert.pooler_dense.bias) == 0
    # MiniLM's own pooler: zero bias, weights of std about 0.009 (never trained)
    assert loaded.bert.pooler_dense.weight.std().item() < 0.012
    same = {k for k, v in reset.state_dict().items() if torch.equal(v, loaded.state_dict()[k])}
    assert set(reset.state_dict()) - same == {"bert.pooler_dense.weight"}  # (the bias was 0 already)
    with pytest.raises(ValueError, match="pooler_init='fresh' is not available"):
        make_config("bad", "smoke", pooler_init="fresh")


def test_frozen_word_embeddings_stay_as_loaded_while_the_rest_trains(tiny_run, tiny_checkpoint,
                                                                    isolated_outputs):
    config = tiny_run("frozen-words", train_word_embeddings=False, epochs=1)
    record = train_run(config, 0, sample_data_dir(), progress=False)
    final = load_file(str(run_dir(config, 0) / "last.safetensors"))
    start = BertModel.from_pretrained(tiny_checkpoint).state_dict()
    for name, trained in (("word_embedding", False), ("pos_embedding", True)):
        unchanged = torch.equal(final[f"bert.embeddings.{name}.weight"], start[f"embeddings.{name}.weight"])
        assert unchanged is not trained, name
    assert record["trainable_parameters"] == record["total_parameters"] - 30522 * 32


def test_task_weights_scale_their_terms_only():
    terms = {"sst": torch.tensor(1.5), "sts": torch.tensor(4.0)}
    out = TaskWeights({"sts": 0.2}).terms(terms, {}, None, terms)  # type: ignore[arg-type]
    assert out["sst"].item() == 1.5 and out["sts"].item() == pytest.approx(0.8)
    with pytest.raises(ValueError, match=r"task_weights\['sts'\] must be a positive number"):
        make_config("bad", "smoke", task_weights={"sts": 0.0})
    with pytest.raises(ValueError, match="task_weights task='mnli' is not available"):
        make_config("bad", "smoke", task_weights={"mnli": 1.0})
    make_config("sst-only", "smoke", tasks=("sst",), task_weights={"sts": 0.2})  # ignored there


def test_the_store_keeps_runs_of_one_name_under_two_sets_of_caps(tiny_run, isolated_outputs, monkeypatch):
    small = tiny_run("same-name", epochs=1)
    large = tiny_run("same-name", epochs=2)
    monkeypatch.setenv("BERT_CORE_COMMAND", "the first command")
    run_experiment(small, progress=False)
    monkeypatch.setenv("BERT_CORE_COMMAND", "the second command")
    with pytest.warns(UserWarning, match="held another run"):  # the first's weights are moved aside, kept
        assert run_experiment(large, progress=False).meta["command"] == "the second command"
    first, second = load_result(small), load_result(large)
    assert first is not None and second is not None
    assert first.runs[0]["config_hash"] != second.runs[0]["config_hash"]
    assert len(first.runs[0]["epochs"]) == 1 and len(second.runs[0]["epochs"]) == 2
    # each keeps the provenance it was stored under, though the file was written since
    assert (first.meta["command"], second.meta["command"]) == ("the first command", "the second command")


def test_a_record_stored_without_its_own_provenance_keeps_the_file_s(tiny_run, isolated_outputs, monkeypatch):
    import json

    from bert_core.experiments.store import results_dir

    old = tiny_run("legacy", epochs=1)
    monkeypatch.setenv("BERT_CORE_COMMAND", "the old command")
    run_experiment(old, progress=False)
    path = results_dir("smoke") / "experiments" / "legacy.json"
    stored = json.loads(path.read_text())
    for run in stored["payload"]["runs"].values():  # as files were written before records had meta
        del run["meta"]
    path.write_text(json.dumps(stored))
    monkeypatch.setenv("BERT_CORE_COMMAND", "the new command")
    with pytest.warns(UserWarning, match="held another run"):
        run_experiment(tiny_run("legacy", epochs=2), progress=False)
    assert load_result(old).meta["command"] == "the old command"


def test_the_ablation_changes_one_thing_of_the_small_cpu_recipe():
    configs = stall_ablation("cpu", seeds=(0,))
    base = configs[0]
    assert base.name == "multitask-baseline" and base.train_limit == SMALL_CPU_CAPS["train_limit"]
    assert pinned_caps("cpu") == dict(SMALL_CPU_CAPS) and pinned_caps("smoke") == {}
    for (row, fields), config in zip(STALL_CHANGES.items(), configs):
        differs = {k for k in config.to_dict() if k != "name" and getattr(config, k) != getattr(base, k)}
        assert differs == set(fields), row


def test_padded_lengths_are_what_each_layout_pads_to(minilm_folder):
    from bert_core.bert.tokenizer import Tokenizer
    from bert_core.multitask.examples import PairExample, SentimentExample
    from bert_core.multitask.model import MultitaskBERT

    tokenizer = Tokenizer.from_pretrained(minilm_folder)
    pairs = [PairExample("a", "one two", "one two three four five", 1.0),
             PairExample("b", "six", "seven", 2.0)]
    separate = MultitaskBERT.from_pretrained(minilm_folder, tasks=("sst", "sts"))
    cross = MultitaskBERT.from_pretrained(minilm_folder, tasks=("sts",), pair_encoding="cross")
    assert separate.padded_lengths(tokenizer, "sst", [SentimentExample("s", "a fine film", 3)]) == [5]
    assert separate.padded_lengths(tokenizer, "sts", pairs) == [7, 3]  # the longer sentence + [CLS], [SEP]
    assert cross.padded_lengths(tokenizer, "sts", pairs) == [10, 5]  # [CLS] a [SEP] b [SEP]
    assert separate.padded_lengths(tokenizer, "sts", pairs, chunk=1) == [7, 3]


def test_each_ablation_row_asks_for_its_committed_seeds():
    from bert_core.experiments.ablation import STALL_SEEDS

    seeds = {config.name: config.seeds for config in stall_ablation("cpu")}
    assert seeds["multitask-baseline"] == STALL_SEEDS["stalled"] == (0, 1, 2)
    assert seeds["stall-sts-weight"] == (0, 1, 2) and seeds["stall-pooler-reset"] == (0, 1)


def test_the_small_caps_name_every_field_the_cpu_profile_sets():
    """Pinned on top of today's cpu profile, they give the old configs, so the stored
    tables of notebooks 06-09 keep loading."""
    from bert_core.experiments import PROFILES, preset

    assert set(PROFILES["cpu"].caps) - {"checkpoint"} <= set(SMALL_CPU_CAPS)
    pinned = preset("pcgrad", "cpu", **pinned_caps("cpu"))
    settings = (pinned.head_lr, pinned.task_weights, pinned.length_buckets, pinned.batch_size)
    assert settings == (None, (), False, 8)


def test_the_model_s_fresh_weights_are_a_function_of_the_seed_and_leave_torch_s_generator_alone(tiny_run):
    config = tiny_run("seeded", pooler_init="reset")
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    first, again, other = model_for(config, 1), model_for(config, 1), model_for(config, 2)
    assert torch.equal(torch.random.get_rng_state(), before)
    theirs = other.state_dict()
    fresh = [name for name, value in first.state_dict().items() if not torch.equal(value, theirs[name])]
    assert fresh and all(name.startswith(("heads.", "bert.pooler_dense.")) for name in fresh)
    assert all(torch.equal(value, again.state_dict()[name]) for name, value in first.state_dict().items())
