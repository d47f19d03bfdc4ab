"""SMART (bert_core.smart): the regulariser's properties on a real (tiny) multitask model,
on single sentences, bi-encoded and cross-encoded pairs; the momentum copy; settings."""

from __future__ import annotations

import pytest
import torch

from bert_core.bert.tokenizer import Tokenizer
from bert_core.experiments import make_config
from bert_core.multitask.examples import PairExample, SentimentExample
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.smart import RandomDraws, Smart, settings_for
from bert_core.training.smart_terms import (
    SMART_SETTINGS,
    MomentumTeacher,
    SmartSettings,
    adversarial_perturbation,
    adversarial_regulariser,
    divergence,
    divergence_along,
    per_token_unit,
    random_corner,
    smart_settings,
)

SENTENCES = [SentimentExample(f"s{i}", s, i % 5) for i, s in enumerate(
    ["a gripping, funny film", "dull and far too long", "it is a movie", "not bad at all"])]
PAIRS = [PairExample(f"p{i}", a, b, float(i)) for i, (a, b) in enumerate(
    [("a man plays a guitar", "someone plays music"), ("a cat sleeps", "the stock market fell"),
     ("how do I learn python?", "what is the best way to learn python?"), ("red car", "a red car")])]


@pytest.fixture
def models(tiny_checkpoint):
    tokenizer = Tokenizer.from_pretrained(tiny_checkpoint).with_max_length(32)
    built = {encoding: MultitaskBERT.from_pretrained(tiny_checkpoint, pair_encoding=encoding).eval()
             for encoding in ("separate", "cross")}
    return tokenizer, built


CASES = [("sst", "separate", SENTENCES), ("quora", "separate", PAIRS), ("sts", "separate", PAIRS),
         ("quora", "cross", PAIRS), ("sts", "cross", PAIRS)]


def _regulariser(model, tokenizer, task, examples, settings, seed=0):
    batch = model.task_batch(tokenizer, task, examples)
    embeds = model.embed(batch)
    clean = model.head_outputs(batch, embeds)
    torch.manual_seed(seed)
    return adversarial_regulariser(lambda e: model.head_outputs(batch, e), embeds, clean,
                                   {"sst": "sentiment", "quora": "paraphrase", "sts": "similarity"}[task],
                                   settings, batch.attention_mask)


@pytest.mark.parametrize("task,encoding,examples", CASES)
def test_regulariser_is_zero_without_perturbation_and_grows_with_epsilon(models, task, encoding, examples):
    tokenizer, built = models
    model = built[encoding]
    zero = _regulariser(model, tokenizer, task, examples, SmartSettings(epsilon=0.0, sigma=0.0))
    assert zero.item() == pytest.approx(0.0, abs=1e-10)
    values = [_regulariser(model, tokenizer, task, examples, SmartSettings(epsilon=eps, step_size=1.0)).item()
              for eps in (1e-3, 1e-2, 1e-1)]
    assert all(v >= 0 for v in values) and values[0] < values[1] < values[2]


@pytest.mark.parametrize("task,encoding,examples", CASES)
def test_the_ascent_step_finds_a_worse_perturbation_than_the_random_start(models, task, encoding, examples):
    tokenizer, built = models
    model = built[encoding]
    # the same radius: a random start on the ε-sphere's scale against one ascent step onto it
    random_start = SmartSettings(epsilon=0.05, sigma=0.05, ascent_steps=0)
    ascent = SmartSettings(epsilon=0.05, sigma=1e-5, step_size=0.05)
    seeds = range(5)
    random_values = [_regulariser(model, tokenizer, task, examples, random_start, s).item() for s in seeds]
    ascent_values = [_regulariser(model, tokenizer, task, examples, ascent, s).item() for s in seeds]
    assert sum(ascent_values) > sum(random_values)


@pytest.mark.parametrize("task,encoding,examples", CASES[1:4])
def test_the_perturbation_stays_in_the_box_off_the_padding_and_gives_the_regulariser(
        models, task, encoding, examples):
    tokenizer, built = models
    model = built[encoding]
    batch = model.task_batch(tokenizer, task, examples)
    embeds = model.embed(batch)
    clean = model.head_outputs(batch, embeds)
    kind = {"quora": "paraphrase", "sts": "similarity"}[task]
    settings = SmartSettings(epsilon=1e-2, sigma=1e-3, step_size=1e-2)
    torch.manual_seed(3)
    delta = adversarial_perturbation(lambda e: model.head_outputs(batch, e), embeds, clean, kind, settings,
                                     batch.attention_mask)
    assert delta.abs().max().item() <= 1e-2 + 1e-9 and not delta.requires_grad
    assert (delta[batch.attention_mask == 0] == 0).all()  # padding is never perturbed
    assert delta.abs().max().item() > 0.99e-2  # a step of η = ε reaches the box's boundary
    # R_s is the divergence at that δ (the same draw of the random start)
    with torch.no_grad():
        expected = divergence(kind, model.head_outputs(batch, embeds + delta), clean)
    regulariser = _regulariser(model, tokenizer, task, examples, settings, seed=3)
    assert regulariser.item() == pytest.approx(expected.item(), rel=1e-5)


def test_outputs_move_fastest_along_the_adversarial_direction(models):
    """Notebook 08's picture: at a small radius the adversarial direction moves the outputs
    more than any of several random corners of the box (every coordinate ±1)."""
    tokenizer, built = models
    model = built["separate"]
    batch = model.task_batch(tokenizer, "sts", PAIRS)
    embeds = model.embed(batch)

    def f(e):
        return model.head_outputs(batch, e)

    torch.manual_seed(0)
    settings = SmartSettings(epsilon=1e-3, sigma=1e-5, step_size=1e-3)
    delta = adversarial_perturbation(f, embeds, f(embeds), "similarity", settings, batch.attention_mask)
    adversarial = per_token_unit(delta)
    assert divergence_along(f, embeds, "similarity", adversarial, [0.0]) == [0.0]
    radii = [1e-3, 1e-2]
    along = divergence_along(f, embeds, "similarity", adversarial, radii)
    assert along[0] < along[1]
    generator = torch.Generator().manual_seed(0)
    for _ in range(5):
        corner = random_corner(embeds.shape, batch.attention_mask, generator)
        assert divergence_along(f, embeds, "similarity", corner, radii[:1])[0] < along[0]


def test_gradients_reach_the_encoder_and_the_head(models):
    tokenizer, built = models
    model = built["separate"].train()
    smart = Smart(model, SmartSettings(epsilon=1e-2, step_size=1e-2, sigma=1e-3))
    batch = model.task_batch(tokenizer, "sts", PAIRS)
    embeds = model.embed(batch)
    penalties = smart.penalties(model, batch, embeds, model.head_outputs(batch, embeds))
    assert set(penalties) == {"adversarial", "bregman"}
    smart.weighted(penalties).backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert grads["bert.embeddings.word_embedding.weight"].abs().sum() > 0
    assert grads["bert.bert_layers.0.self_attention.query.weight"].abs().sum() > 0
    assert any(g is not None and g.abs().sum() > 0 for n, g in grads.items() if n.startswith("heads.sts"))
    assert all(p.grad is None for p in smart.teacher.model.parameters())


@pytest.mark.parametrize("task,encoding,examples", CASES)
def test_shared_dropout_leaves_only_the_perturbation_and_the_weights(models, task, encoding, examples):
    """In train mode, independent dropout masks alone make R_s and D_Breg positive at δ = 0
    and θ̃ = θ; replaying the clean pass's masks makes both exactly 0 there, and R_s grows
    with ε again."""
    tokenizer, built = models
    model = built[encoding].train()

    batch = model.task_batch(tokenizer, task, examples)

    def penalties(settings, seed=0):
        torch.manual_seed(seed)
        _, terms = Smart(model, settings).outputs_and_penalties(model, batch)
        return {k: v.item() for k, v in terms.items()}

    zero = {"epsilon": 0.0, "sigma": 0.0}
    independent = penalties(SmartSettings(**zero))
    assert independent["adversarial"] > 1e-6 and independent["bregman"] > 1e-6
    shared = penalties(SmartSettings(**zero, dropout="shared"))
    assert shared == {"adversarial": 0.0, "bregman": 0.0}
    growing = [penalties(SmartSettings(epsilon=eps, step_size=1.0, dropout="shared"))["adversarial"]
               for eps in (1e-3, 1e-2, 1e-1)]
    assert 0 < growing[0] < growing[1] < growing[2]
    model.eval()


def test_shared_dropout_needs_the_draws_and_restores_the_generator(models):
    tokenizer, built = models
    model = built["separate"].train()
    smart = Smart(model, SmartSettings(dropout="shared"))
    batch = model.task_batch(tokenizer, "sst", SENTENCES)
    embeds = model.embed(batch)
    with pytest.raises(ValueError, match="random draws of the clean pass"):
        smart.penalties(model, batch, embeds, model.head_outputs(batch, embeds))
    draws = RandomDraws.capture()
    first = torch.rand(3)
    state = torch.get_rng_state()
    with draws.replay():
        replayed = torch.rand(3)
    assert torch.equal(replayed, first)  # the same draws again
    assert torch.equal(torch.get_rng_state(), state)  # and the generator is back where it was
    model.eval()


def test_divergences_by_hand():
    p, q = torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 0.0]])
    lp, lq = p.log_softmax(-1), q.log_softmax(-1)
    kl_pq = (lp.exp() * (lp - lq)).sum()
    assert divergence("sentiment", p, q, "kl").item() == pytest.approx(
        (lq.exp() * (lq - lp)).sum().item())  # KL(clean || perturbed)
    assert divergence("sentiment", p, q).item() == pytest.approx(2 * kl_pq.item())  # symmetric here
    # a paraphrase logit z is the distribution [1 - σ(z), σ(z)], i.e. logits [0, z]
    assert divergence("paraphrase", torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(
        divergence("sentiment", torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 0.0]])).item())
    assert divergence("similarity", torch.tensor([1.0, 3.0]), torch.tensor([2.0, 3.0])).item() == 0.5


def test_momentum_copy_follows_with_beta(tiny_checkpoint):
    model = MultitaskBERT.from_pretrained(tiny_checkpoint, tasks=("sst",))
    teacher = MomentumTeacher(model, beta=0.9)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    teacher.update(model)
    for mine, theirs in zip(teacher.model.parameters(), model.parameters()):
        torch.testing.assert_close(mine, theirs - 0.9)  # 0.9 θ̃ + 0.1 (θ̃ + 1) = θ̃ + 0.1


def test_settings_by_name_and_config():
    assert smart_settings("smart-surgery").weight == 5.0 and SMART_SETTINGS["jiang2020"].epsilon == 1e-5
    assert smart_settings("jiang2020", {"loss": "kl"}).loss == "kl"
    with pytest.raises(ValueError, match="unknown SMART option"):
        smart_settings("jiang2020", {"lambda": 3})
    with pytest.raises(ValueError, match="SMART loss"):
        SmartSettings(loss="js")
    with pytest.raises(ValueError, match="SMART dropout"):
        SmartSettings(dropout="same")
    assert settings_for(make_config("s", "smoke", smart="smart-surgery",
                                    smart_options={"dropout": "shared"})).dropout == "shared"
    config = make_config("s", "smoke", smart=True, smart_options={"loss": "kl_then_symkl"})
    assert config.smart == "jiang2020" and settings_for(config).loss == "kl_then_symkl"
    assert make_config("n", "smoke", smart=False).smart is None
    with pytest.raises(ValueError, match="smart_options need"):
        make_config("s", "smoke", smart_options={"loss": "kl"})
    with pytest.raises(ValueError, match="smart="):
        make_config("s", "smoke", smart="smart-pytorch")
