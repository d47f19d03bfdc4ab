"""SMART: smoothness-inducing adversarial regularisation and Bregman proximal point
optimisation (Jiang et al. 2020; "Maximizing MinBert" 4.7, "A SMARTer minBERT" 3.1,
"SMART Surgery" 3.2).

For a batch with input embeddings x (``MultitaskBERT.embed``) and the model f:

    min_θ  L(θ) + λ_s R_s(θ) + μ D_Breg(θ, θ̃)

    R_s(θ)        = max_{||x̃ - x||_∞ ≤ ε} ℓ_s(f(x̃; θ), f(x; θ))     adversarial smoothness
    D_Breg(θ, θ̃) = ℓ_s(f(x; θ), f(x; θ̃))                           Bregman proximal term

ℓ_s is the symmetrised KL divergence KL(P||Q) + KL(Q||P) between the predicted
distributions for classification (softmax over the sentiment classes; [1 - σ(z), σ(z)]
for a paraphrase logit z) and the squared error (p - q)² for the similarity score.

The max is approximated by projected gradient ascent on a perturbation δ (Jiang et al.,
Algorithm 1):

    δ ~ N(0, σ² I) on the real tokens
    repeat ascent_steps times:
        g = ∇_δ ℓ_s(f(x + δ), f(x))            f(x) held fixed
        δ = δ + η g / ||g||_∞                   the ∞-norm of each token's gradient
        δ = clip(δ, -ε, ε)                      projection onto the ε-ball of ||·||_∞
    R_s = ℓ_s(f(x + δ), f(x))                    gradients reach θ through both outputs

θ̃ is a momentum copy of the model, θ̃ ← β θ̃ + (1 - β) θ after every optimiser step,
evaluated without dropout and without gradient.

"A SMARTer minBERT" (3.1, Table 1) also tried other divergences for classification:
``loss="kl"`` uses KL(f(x) || f(x̃)) at every step; ``loss="kl_then_symkl"`` uses KL during
the ascent and the symmetrised KL for the final R_s. The similarity score keeps the
squared error in every variant (a KL needs a distribution).

Dropout. In training the model is in train mode, so the clean pass and each perturbed
pass draw their own dropout masks, and R_s measures the change that different masks
cause as well as the change δ causes; D_Breg compares a train-mode pass with the
eval-mode copy. That is what smart-pytorch and MT-DNN (Jiang et al.'s code) do, and our
default (``dropout="independent"``). At ε ≤ 1e-4 the masks' part is nearly all of R_s
(notebook 08 measures it): the term acts as a consistency penalty between two dropout
masks. ``dropout="shared"`` replays the clean pass's masks in every extra pass (the
momentum copy runs in train mode with them), so that both terms are exactly 0 at δ = 0
and θ̃ = θ, as the paper's f is written.

Differences from the packages the reports used, on purpose: smart-pytorch (archinetai)
divides the *perturbation* by its ∞-norm after each step, so δ ends with ||δ||_∞ ≈ 1
whatever ε is, and it has no Bregman term; we follow the paper, whose ε bounds δ.
Settings: ``SMART_SETTINGS`` (the paper's, and those of "A SMARTer minBERT" 4.3 and
"SMART Surgery" 4.3). Taught in notebook 08.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from functools import partial
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT, TaskBatch
from bert_core.multitask.tasks import TASKS
from bert_core.training.config import ExperimentConfig, require_one_of
from bert_core.training.hooks import Extension, Source, Step

__all__ = ["SmartExtension", "SMART_LOSSES", "SMART_DROPOUT",
           "RandomDraws", "SmartSettings", "SMART_SETTINGS",
           "smart_settings", "settings_for", "check", "build", "divergence", "adversarial_perturbation",
           "adversarial_regulariser",
           "example_noise",
           "per_token_unit", "random_corner", "divergence_along", "MomentumTeacher", "Smart"]

SMART_LOSSES = ("symkl", "kl", "kl_then_symkl")
SMART_DROPOUT = ("independent", "shared")


@dataclass(frozen=True)
class RandomDraws:
    """The global generators' states at one point of a forward pass (CPU, and the CUDA
    device's), so that a later pass can draw the same dropout masks (``replay``)."""

    cpu: Tensor
    cuda: Tensor | None = None
    device: int | None = None

    @classmethod
    def capture(cls, device: torch.device | str = "cpu") -> RandomDraws:
        device = torch.device(device)
        if device.type == "cuda":
            index = device.index if device.index is not None else torch.cuda.current_device()
            return cls(torch.get_rng_state(), torch.cuda.get_rng_state(index), index)
        if device.type != "cpu":
            raise NotImplementedError(f"SMART's shared dropout replays CPU and CUDA generators only, not "
                                      f"{device.type}; use smart_options={{'dropout': 'independent'}}")
        return cls(torch.get_rng_state())

    @contextmanager
    def replay(self) -> Iterator[None]:
        """Draw from these states inside the block; the generators are restored after it."""
        with torch.random.fork_rng(devices=[] if self.device is None else [self.device]):
            torch.set_rng_state(self.cpu)
            if self.cuda is not None:
                torch.cuda.set_rng_state(self.cuda, self.device)
            yield


@dataclass(frozen=True)
class SmartSettings:
    """One set of SMART's hyper-parameters; the defaults are Jiang et al.'s (section 5)."""

    weight: float = 1.0  # λ_s; the paper searches {1, 3, 5}
    epsilon: float = 1e-5  # ε, the ∞-norm radius of the perturbation
    sigma: float = 1e-5  # σ, the standard deviation of the random start
    step_size: float = 1e-3  # η
    ascent_steps: int = 1  # T_x̃
    mu: float = 1.0  # μ, the weight of the Bregman term (0: no momentum copy)
    beta: float = 0.99  # β, the momentum of θ̃
    loss: str = "symkl"  # the classification divergence: symkl, kl, kl_then_symkl
    # dropout in the extra passes: "independent" masks (what smart-pytorch and MT-DNN do, as
    # the model is in train mode), or the clean pass's masks ("shared"), so that R_s and
    # D_Breg measure the perturbation and the weights only, as the paper's f is written
    dropout: str = "independent"

    def __post_init__(self) -> None:
        if self.loss not in SMART_LOSSES:
            raise ValueError(f"SMART loss {self.loss!r} is not available; choose one of {list(SMART_LOSSES)}")
        if self.dropout not in SMART_DROPOUT:
            raise ValueError(f"SMART dropout {self.dropout!r} is not available; "
                             f"choose one of {list(SMART_DROPOUT)}")
        for name in ("weight", "epsilon", "sigma", "step_size", "mu"):
            if getattr(self, name) < 0:
                raise ValueError(f"SMART {name} must be 0 or more, got {getattr(self, name)}")
        if self.ascent_steps < 0 or not 0 <= self.beta < 1:
            raise ValueError("SMART needs ascent_steps >= 0 and 0 <= beta < 1")


SMART_SETTINGS: dict[str, SmartSettings] = {
    "jiang2020": SmartSettings(),
    # 4.3: "a step size of 1e-3, ε = 1e-6, μ = 1, and σ = 1e-5"; λ_s is not given
    "smarter-minbert": SmartSettings(epsilon=1e-6, sigma=1e-5, step_size=1e-3, mu=1.0),
    # 4.3: "λ = 5, ε = 1e-4, σ = 1e-4, μ = 1, and η = 1e-2"
    "smart-surgery": SmartSettings(weight=5.0, epsilon=1e-4, sigma=1e-4, step_size=1e-2, mu=1.0),
}


def smart_settings(name: str, overrides: Mapping[str, Any] | None = None) -> SmartSettings:
    """The named settings with ``overrides`` (e.g. ``{"loss": "kl"}``) on top."""
    if name not in SMART_SETTINGS:
        raise ValueError(f"unknown SMART settings {name!r}; choose one of {list(SMART_SETTINGS)}")
    known = {f.name for f in fields(SmartSettings)}
    unknown = set(overrides or {}) - known
    if unknown:
        raise ValueError(f"unknown SMART option(s) {sorted(unknown)}; known: {sorted(known)}")
    return replace(SMART_SETTINGS[name], **dict(overrides or {}))


def _log_probs(kind: str, outputs: Tensor) -> Tensor:
    if kind == "paraphrase":  # one logit z: the distribution [1 - σ(z), σ(z)]
        outputs = torch.stack([torch.zeros_like(outputs), outputs], dim=-1)
    return F.log_softmax(outputs.float(), dim=-1)


def _kl(log_p: Tensor, log_q: Tensor) -> Tensor:
    """KL(P || Q), averaged over the batch."""
    return (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def divergence(kind: str, perturbed: Tensor, clean: Tensor, form: str = "symkl") -> Tensor:
    """ℓ_s between a batch's perturbed and clean outputs (mean over the batch):
    the squared error for ``similarity``; for the classification kinds the symmetrised KL
    (``symkl``) or KL(clean || perturbed) (``kl``)."""
    if kind == "similarity":
        return F.mse_loss(perturbed.float(), clean.float())
    log_p, log_q = _log_probs(kind, perturbed), _log_probs(kind, clean)
    if form == "kl":
        return _kl(log_q, log_p)
    if form == "symkl":
        return _kl(log_p, log_q) + _kl(log_q, log_p)
    raise ValueError(f"divergence form must be 'symkl' or 'kl', got {form!r}")


def _forms(loss: str) -> tuple[str, str]:
    """(the ascent's divergence, the final R_s's divergence) of a SMART loss variant."""
    return {"symkl": ("symkl", "symkl"), "kl": ("kl", "kl"), "kl_then_symkl": ("kl", "symkl")}[loss]


def adversarial_perturbation(f: Callable[[Tensor], Tensor], embeds: Tensor, clean: Tensor, kind: str,
                             settings: SmartSettings, mask: Tensor | None = None,
                             start: Tensor | None = None) -> Tensor:
    """The perturbation δ (``[N, T, C]``, detached) that SMART's ascent finds for one batch:
    ``f`` maps input embeddings to outputs, ``clean`` is ``f(embeds)``, ``mask`` ``[N, T]``
    marks the real tokens (padding is not perturbed). The random start is σ · ``start``
    (standard normal draws, ``example_noise`` in training), else σ · a draw from torch's
    global generator."""
    ascent_form = _forms(settings.loss)[0]
    keep = mask.unsqueeze(-1).to(embeds.dtype) if mask is not None else torch.ones_like(embeds[..., :1])
    if start is None:
        start = torch.randn(embeds.shape, device=embeds.device, dtype=embeds.dtype)
    delta = start.to(embeds) * settings.sigma * keep
    x, target = embeds.detach(), clean.detach()
    for _ in range(settings.ascent_steps):
        delta.requires_grad_(True)
        (grad,) = torch.autograd.grad(divergence(kind, f(x + delta), target, ascent_form), delta)
        step = grad / (grad.abs().amax(dim=-1, keepdim=True) + 1e-12)  # each token's ∞-norm
        delta = (delta.detach() + settings.step_size * step).clamp(-settings.epsilon, settings.epsilon) * keep
    return delta.detach()


def adversarial_regulariser(f: Callable[[Tensor], Tensor], embeds: Tensor, clean: Tensor, kind: str,
                            settings: SmartSettings, mask: Tensor | None = None,
                            start: Tensor | None = None) -> Tensor:
    """R_s for one batch: ℓ_s(f(x + δ), f(x)) at the ``adversarial_perturbation`` δ, with
    gradients reaching the model through both outputs (arguments as there)."""
    delta = adversarial_perturbation(f, embeds, clean, kind, settings, mask, start)
    return divergence(kind, f(embeds + delta), clean, _forms(settings.loss)[1])


def example_noise(keys: Sequence[str], mask: Tensor, width: int) -> Tensor:
    """Standard normal draws ``[N, T, width]`` (float32, on ``mask``'s device) whose row i is
    a function of ``keys[i]`` alone: its real tokens (``mask`` ``[N, T]``) get the first draws
    of a generator seeded by the key, the padding 0. A batch split across processes, or
    padded to another length, gets the same draws per example (``distributed``)."""
    noise = torch.zeros(*mask.shape, width)
    real = mask.bool().cpu()
    for i, key in enumerate(keys):
        generator = torch.Generator().manual_seed(zlib.crc32(key.encode()))
        noise[i, real[i]] = torch.randn(int(real[i].sum()), width, generator=generator)
    return noise.to(mask.device, non_blocking=True)


def per_token_unit(direction: Tensor) -> Tensor:
    """``direction`` ``[N, T, C]`` scaled so that each token's largest coordinate is ±1
    (∞-norm 1 per token, the geometry of SMART's ε-ball); an all-zero token stays zero."""
    return direction / direction.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12)


def random_corner(shape: Sequence[int], mask: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """A random corner of the per-token ∞-norm box: every coordinate ±1 on the real tokens
    (``mask`` ``[N, T]``), 0 on the padding; the largest perturbation of that radius."""
    return torch.randn(tuple(shape), generator=generator).sign() * mask.unsqueeze(-1).float()


@torch.no_grad()
def divergence_along(f: Callable[[Tensor], Tensor], embeds: Tensor, kind: str, direction: Tensor,
                     radii: Sequence[float], form: str = "symkl") -> list[float]:
    """ℓ_s(f(x + r d), f(x)) for each radius r: how fast the outputs move as the input
    embeddings walk along ``direction`` d (scale it to ||d||_∞ = 1 to read r as ε)."""
    clean = f(embeds)
    return [divergence(kind, f(embeds + r * direction), clean, form).item() for r in radii]


class MomentumTeacher:
    """θ̃: a copy of the model that follows it with momentum β, in eval mode, without gradients."""

    def __init__(self, model: nn.Module, beta: float):
        self.beta = beta
        self.model = copy.deepcopy(model).eval()
        for parameter in self.model.parameters():
            parameter.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """θ̃ ← β θ̃ + (1 - β) θ; buffers (BatchNorm statistics) are copied."""
        for mine, theirs in zip(self.model.parameters(), model.parameters()):
            mine.lerp_(theirs.detach(), 1.0 - self.beta)
        for mine, theirs in zip(self.model.buffers(), model.buffers()):
            mine.copy_(theirs)


class Smart:
    """SMART for a training run: the penalties of a batch, and the momentum copy."""

    def __init__(self, model: MultitaskBERT, settings: SmartSettings):
        self.settings = settings
        self.teacher = MomentumTeacher(model, settings.beta) if settings.mu > 0 else None

    @property
    def shares_dropout(self) -> bool:
        return self.settings.dropout == "shared"

    def penalties(self, model: MultitaskBERT, batch: TaskBatch, embeds: Tensor, outputs: Tensor,
                  draws: tuple[RandomDraws, RandomDraws] | None = None,
                  start: Tensor | None = None) -> dict[str, Tensor]:
        """``adversarial`` (R_s) and ``bregman`` (D_Breg) of a batch whose clean ``outputs``
        were computed from ``embeds``; unweighted. With shared dropout, ``draws`` are the
        generators' states before the clean pass's ``embed`` and before its encoder: the
        perturbed passes replay the second, the momentum copy (in train mode) the first.
        ``start``: the ascent's random start before σ (``adversarial_perturbation``)."""
        if self.shares_dropout and draws is None:
            raise ValueError("SMART with shared dropout needs the random draws of the clean pass "
                             "(RandomDraws.capture before model.embed and before model.head_outputs)")
        kind = TASKS[batch.task].kind
        out: dict[str, Tensor] = {}
        if self.settings.weight > 0:
            def f(e: Tensor) -> Tensor:
                if not self.shares_dropout:
                    return model.head_outputs(batch, e)
                with draws[1].replay():  # type: ignore[index]
                    return model.head_outputs(batch, e)

            out["adversarial"] = adversarial_regulariser(f, embeds, outputs, kind, self.settings,
                                                         batch.attention_mask, start)
        if self.teacher is not None:
            with torch.no_grad():
                if self.shares_dropout:
                    with draws[0].replay():  # type: ignore[index]
                        anchor = self.teacher.model.train().head_outputs(batch)
                    self.teacher.model.eval()
                else:
                    anchor = self.teacher.model.head_outputs(batch)
            out["bregman"] = divergence(kind, outputs, anchor, _forms(self.settings.loss)[1])
        return out

    def outputs_and_penalties(self, model: MultitaskBERT, batch: TaskBatch, start: Tensor | None = None
                              ) -> tuple[Tensor, dict[str, Tensor]]:
        """The training path of a batch: its clean outputs (embed, then encode and the head)
        and their ``penalties``, with the random draws shared dropout needs."""
        before_embed = RandomDraws.capture(batch.input_ids.device) if self.shares_dropout else None
        embeds = model.embed(batch)
        before_encoder = RandomDraws.capture(batch.input_ids.device) if self.shares_dropout else None
        outputs = model.head_outputs(batch, embeds)
        draws = (before_embed, before_encoder) if self.shares_dropout else None
        return outputs, self.penalties(model, batch, embeds, outputs, draws, start)  # type: ignore[arg-type]

    def weighted(self, penalties: Mapping[str, Tensor]) -> Tensor:
        """λ_s R_s + μ D_Breg."""
        weights = {"adversarial": self.settings.weight, "bregman": self.settings.mu}
        return sum(weights[k] * v for k, v in penalties.items())  # type: ignore[return-value]

    def after_step(self, model: nn.Module) -> None:
        if self.teacher is not None:
            self.teacher.update(model)


class SmartExtension(Extension):
    """SMART as a training plug-in: every batch that goes through its task head gets R_s
    and D_Breg (recorded per step as ``"smart"``), its term gains λ_s R_s + μ D_Breg, and the
    momentum copy follows each optimiser step (and is saved in each checkpoint).

    The ascent's random start of an example is drawn from (seed, epoch, task, example id)
    (``example_noise``), like EDA's variants: it needs no state in a checkpoint, and a batch
    split across processes starts from the same point as in one process."""

    records = ("smart",)

    def __init__(self, model: MultitaskBERT, settings: SmartSettings, seed: int = 0):
        self.smart = Smart(model, settings)
        self.seed = seed

    def forward(self, model: MultitaskBERT, batch: TaskBatch, examples: Sequence[Example],
                epoch: int = 0) -> tuple[Tensor, dict[str, Tensor]]:
        """The task head's outputs of a batch, and SMART's penalties of it (the task's
        criterion is applied to the outputs as without SMART: ``hooks.task_batch_loss``)."""
        keys = [f"smart:{self.seed}:{epoch}:{batch.task}:{e.id}" for e in examples]
        if batch.layout == "separate":  # rows: the first sentences, then the second ones
            keys = [f"{k}:a" for k in keys] + [f"{k}:b" for k in keys]
        start = example_noise(keys, batch.attention_mask, model.bert.config.hidden_size)
        return self.smart.outputs_and_penalties(model, batch, start)

    def source(self, task: str, epoch: int, source: Source) -> Source:
        return replace(source, forward=partial(self.forward, epoch=epoch)) if source.through_head else source

    def terms(self, losses: Mapping[str, Tensor], extras: Mapping[str, dict[str, Tensor]], step: Step,
              terms: dict[str, Tensor]) -> dict[str, Tensor]:
        return {t: term + self.smart.weighted(extras[t]) if extras[t] else term for t, term in terms.items()}

    def after_step(self, model: MultitaskBERT, step: Step, losses: Mapping[str, Tensor],
                   extras: Mapping[str, dict[str, Tensor]]) -> None:
        self.smart.after_step(model)
        step.state.record("smart").extend([step.index + 1, t, k, round(v.detach().item(), 8)]
                                          for t, p in extras.items() for k, v in p.items())

    def modules(self) -> dict[str, nn.Module]:
        return {"smart_teacher": self.smart.teacher.model} if self.smart.teacher else {}


def settings_for(config: ExperimentConfig) -> SmartSettings | None:
    """SMART's hyper-parameters of ``config`` (its ``smart`` setting with ``smart_options`` on
    top), None without SMART."""
    return smart_settings(config.smart, dict(config.smart_options)) if config.smart else None


def check(config: ExperimentConfig) -> None:
    """SMART's fields: a known setting, options that setting has, no options without it."""
    if config.smart is not None:
        require_one_of("smart", config.smart, tuple(SMART_SETTINGS))
        settings_for(config)
    elif config.smart_options:
        raise ValueError(f"smart_options need smart set to one of {list(SMART_SETTINGS)}")


def build(config: ExperimentConfig, model: MultitaskBERT, train: Mapping[str, Sequence[Example]],
          seed: int) -> SmartExtension | None:
    settings = settings_for(config)
    return SmartExtension(model, settings, seed) if settings else None
