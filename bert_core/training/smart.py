"""SMART: smoothness-inducing adversarial regularisation and Bregman proximal point
optimisation (Jiang et al. 2020; "Maximizing MinBert" 4.7, "A SMARTer minBERT" 3.1,
"SMART Surgery" 3.2).

The terms themselves (ℓ_s, R_s by projected gradient ascent, the momentum copy θ̃ of
D_Breg) and their settings are in ``bert_core.training.smart_terms``; this module puts
them into a training run:

    min_θ  L(θ) + λ_s R_s(θ) + μ D_Breg(θ, θ̃)

Dropout. In training the model is in train mode, so the clean pass and each perturbed
pass draw their own dropout masks, and R_s measures the change that different masks
cause as well as the change δ causes; D_Breg compares a train-mode pass with the
eval-mode copy. That is what smart-pytorch and MT-DNN (Jiang et al.'s code) do, and our
default (``dropout="independent"``). At ε ≤ 1e-4 the masks' part is nearly all of R_s
(notebook 08 measures it): the term acts as a consistency penalty between two dropout
masks. ``dropout="shared"`` replays the clean pass's masks in every extra pass (the
momentum copy runs in train mode with them), so that both terms are exactly 0 at δ = 0
and θ̃ = θ, as the paper's f is written.

Taught in notebook 08.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial

import torch
from torch import Tensor, nn

from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT, TaskBatch
from bert_core.multitask.tasks import TASKS
from bert_core.training.config import ExperimentConfig, require_one_of
from bert_core.training.hooks import Extension, Source, Step
from bert_core.training.smart_terms import (
    SMART_SETTINGS,
    MomentumTeacher,
    SmartSettings,
    adversarial_regulariser,
    divergence,
    divergence_forms,
    example_noise,
    smart_settings,
)

__all__ = ["RandomDraws", "Smart", "SmartExtension", "settings_for", "check", "build"]


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
            out["bregman"] = divergence(kind, outputs, anchor, divergence_forms(self.settings.loss)[1])
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
