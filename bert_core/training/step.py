"""One step of multitask training: the loop's body, readable in one sitting.

    for each task t of the step:
        L_t, extras_t = source_t.batch_loss(batch_t)        the batch's mean loss (a shard's, averaged
                                                            over the processes of a data-parallel job)
    terms = ext.terms(L, extras, step, terms)               Σ_t L_t unless an extension weighs or adds
    ext.backward(terms) or ∇ Σ_t terms_t                    PCGrad projects instead; gradients summed
                                                            across processes
    θ ← AdamW(θ, ∇);  ext.after_step(...)                  SMART's momentum copy

Everything around it (the schedule of tasks, the batches, checkpoints, evaluation, the
record) is the run's, in ``bert_core.training.loop``. A NaN or infinite loss or gradient
norm raises ``TrainingDiverged`` before the optimiser touches the weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT
from bert_core.training.distributed import SINGLE, World
from bert_core.training.guard import check_gradients, check_losses
from bert_core.training.hooks import Extension, Source, Step
from bert_core.training.timing import PhaseClock

__all__ = ["task_losses", "training_step", "optimisation_step"]


def task_losses(model: MultitaskBERT, tokenizer: Tokenizer, batches: Mapping[str, Sequence[Example]],
                sources: Mapping[str, Source], device: torch.device, world: World = SINGLE
                ) -> tuple[dict[str, Tensor], dict[str, dict[str, Tensor]]]:
    """Each task's loss on its batch, and the extra terms its source returns. Under data
    parallelism each process takes its shard of a shardable batch and the losses are the
    global means (``World.shard``, ``World.global_mean``)."""
    losses, extras = {}, {}
    for task, examples in batches.items():
        source = sources[task]
        shard, weight = world.shard(examples, source.shardable)
        loss, extra = source.batch_loss(model, tokenizer, task, shard, device)
        losses[task] = world.global_mean(loss, weight)
        extras[task] = {name: world.global_mean(value, weight) for name, value in extra.items()}
    return losses, extras


def training_step(model: MultitaskBERT, optimizer: torch.optim.Optimizer, tokenizer: Tokenizer,
                  batches: Mapping[str, Sequence[Example]], sources: Mapping[str, Source],
                  extensions: Sequence[Extension], step: Step, device: torch.device,
                  autocast: AbstractContextManager | None = None, clock: PhaseClock | None = None
                  ) -> dict[str, Tensor]:
    """One update of ``model`` from one batch per task (``batches``: the tasks this step
    trains); return the tasks' losses. ``autocast`` wraps the forward pass (bf16 on a GPU);
    ``clock`` times the phases."""
    clock = clock or PhaseClock()
    with autocast or nullcontext(), clock("forward"):
        losses, extras = task_losses(model, tokenizer, batches, sources, device, step.world)
    check_losses(losses)
    terms = dict(losses)
    for extension in extensions:
        terms = extension.terms(losses, extras, step, terms)
    optimisation_step(model, optimizer, terms, extensions, step, losses, extras, clock)
    return losses


def optimisation_step(model: MultitaskBERT, optimizer: torch.optim.Optimizer, terms: Mapping[str, Tensor],
                      extensions: Sequence[Extension], step: Step, losses: Mapping[str, Tensor],
                      extras: Mapping[str, dict[str, Tensor]], clock: PhaseClock | None = None) -> None:
    """One update from the per-task terms of a step: the extension that owns the backward
    pass (PCGrad; at most one, ``bert_core.training.plugins``) or the gradient of their sum
    (summed across the processes of ``step.world``), the optimiser's step, cleared
    gradients, the after-step hooks (timed as ``backward`` and ``optimiser`` on ``clock``).
    A NaN or infinite gradient norm raises ``TrainingDiverged`` before the optimiser
    touches the weights."""
    clock = clock or PhaseClock()
    with clock("backward"):
        if not any(extension.backward(terms, step) for extension in extensions):
            sum(terms.values()).backward()  # type: ignore[union-attr]
            step.world.sync_gradients(model.parameters())
        check_gradients(model)
    with clock("optimiser"):
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        for extension in extensions:
            extension.after_step(model, step, losses, extras)
