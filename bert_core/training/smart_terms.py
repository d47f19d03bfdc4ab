"""SMART's terms: the divergence ℓ_s, the adversarial regulariser R_s by projected gradient
ascent, the momentum copy of the Bregman term, and the settings that size them (Jiang et
al. 2020; ``bert_core.training.smart`` trains with them).

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

Differences from the packages the reports used, on purpose: smart-pytorch (archinetai)
divides the *perturbation* by its ∞-norm after each step, so δ ends with ||δ||_∞ ≈ 1
whatever ε is, and it has no Bregman term; we follow the paper, whose ε bounds δ.
Settings: ``SMART_SETTINGS`` (the paper's, and those of "A SMARTer minBERT" 4.3 and
"SMART Surgery" 4.3). Taught in notebook 08.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["SMART_LOSSES", "SMART_DROPOUT", "SmartSettings", "SMART_SETTINGS", "smart_settings", "divergence",
           "divergence_forms", "adversarial_perturbation", "adversarial_regulariser", "example_noise",
           "per_token_unit", "random_corner", "divergence_along", "MomentumTeacher"]

SMART_LOSSES = ("symkl", "kl", "kl_then_symkl")
SMART_DROPOUT = ("independent", "shared")


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


def divergence_forms(loss: str) -> tuple[str, str]:
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
    ascent_form = divergence_forms(settings.loss)[0]
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
    return divergence(kind, f(embeds + delta), clean, divergence_forms(settings.loss)[1])


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


