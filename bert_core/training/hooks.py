"""The plug-in points of the training loop, and the default each one falls back to.

One step of ``bert_core.training.loop`` calls the extensions of the run at four points
(an extension overrides the ones it needs; every default leaves the baseline as it is)::

    for each task t of the step:
        source_t = ext.source(t, epoch, source_t)     where batches come from, and their loss
        L_t, extras_t = source_t.batch_loss(batch_t)  the criterion on the head's forward
                                                      (SMART wraps the forward: + its penalties)
    terms = ext.terms(losses, extras, step, terms)    the per-task terms (DWA weighs; SMART adds)
    ext.backward(terms, step) or Σ_t terms_t .backward()    (PCGrad projects instead)
    optimiser step; ext.after_step(model, step, losses, extras)   (SMART's momentum copy)

An extension is its module (its ``Extension`` subclass, ``check`` and ``build``),
registered in ``bert_core.training.plugins``; the loop itself has no branch for any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from bert_core.bert.tokenizer import Tokenizer
from bert_core.multitask.examples import Example
from bert_core.multitask.model import MultitaskBERT, TaskBatch
from bert_core.training.distributed import SINGLE, World
from bert_core.training.losses import task_loss
from bert_core.training.state import TrainingState

__all__ = ["BatchLoss", "Forward", "head_forward", "task_batch_loss", "labels_of", "Source", "Step",
           "Extension"]

# (model, tokenizer, task, examples, device) -> (the batch's mean loss, named extra terms)
BatchLoss = Callable[[MultitaskBERT, Tokenizer, str, Sequence[Example], torch.device],
                     tuple[Tensor, dict[str, Tensor]]]
# (model, the encoded batch, its examples) -> (the task head's outputs, named extra terms)
Forward = Callable[[MultitaskBERT, TaskBatch, Sequence[Example]], tuple[Tensor, dict[str, Tensor]]]


def labels_of(examples: Sequence[Example]) -> list[float]:
    """The examples' labels as floats (classes, 0/1, or 0-5 scores)."""
    labels = [e.label for e in examples]
    if any(label is None for label in labels):
        raise ValueError("training and evaluation need labelled examples; a test-student file has none")
    return [float(label) for label in labels]  # type: ignore[arg-type]


def head_forward(model: MultitaskBERT, batch: TaskBatch, examples: Sequence[Example]
                 ) -> tuple[Tensor, dict[str, Tensor]]:
    """The baseline's forward pass: the task head's outputs, no extra terms."""
    return model.head_outputs(batch), {}


def task_batch_loss(model: MultitaskBERT, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                    device: torch.device, forward: Forward = head_forward
                    ) -> tuple[Tensor, dict[str, Tensor]]:
    """The loss of one batch through its task head: ``forward``'s outputs against the labels
    (the task's criterion, ``bert_core.training.losses.task_loss``), and its extra terms."""
    labels = torch.tensor(labels_of(examples), device=device)
    batch = model.task_batch(tokenizer, task, examples, device)
    outputs, extras = forward(model, batch, examples)
    return task_loss(task, outputs, labels), extras


@dataclass(frozen=True)
class Source:
    """Where one task's batches come from in an epoch, and how a batch's loss is taken.

    A batch's loss is the task's criterion on the head's outputs, which ``forward``
    computes (SMART wraps the forward pass, adding its penalties as extra terms), unless
    the source brings a ``loss`` of its own (the ranking loss, which reads no head).

    Attributes:
        stream: the name its draws are counted and shuffled under (``TaskStream``).
        examples: what the batches are drawn from.
        loss: a batch loss in place of the head's criterion; None: ``task_batch_loss``.
        forward: the head's outputs of an encoded batch (and extra terms).
        shardable: the loss is a mean of per-example terms, so processes of a data-parallel
            job may each take a shard of the batch (``bert_core.training.distributed``);
            False (in-batch negatives): every process computes the whole batch.
    """

    stream: str
    examples: Sequence[Example]
    loss: BatchLoss | None = None
    forward: Forward = head_forward
    shardable: bool = True

    @property
    def through_head(self) -> bool:
        """The loss reads the task head's outputs (what SMART can smooth)."""
        return self.loss is None

    def batch_loss(self, model: MultitaskBERT, tokenizer: Tokenizer, task: str, examples: Sequence[Example],
                   device: torch.device) -> tuple[Tensor, dict[str, Tensor]]:
        """The loss of a batch of this source, and its extra terms."""
        if self.loss is not None:
            return self.loss(model, tokenizer, task, examples, device)
        return task_batch_loss(model, tokenizer, task, examples, device, self.forward)


@dataclass(frozen=True)
class Step:
    """What the hooks see of the step being taken: its 0-based global index, its epoch,
    the run's seed, the run's state (its history and records), and the processes of a
    data-parallel job (``SINGLE`` for one)."""

    index: int
    epoch: int
    seed: int
    state: TrainingState
    world: World = SINGLE


class Extension:
    """A plug-in of the training loop. Subclasses override the hooks they need."""

    #: the records (``TrainingState.records``) this extension writes; they go into the run's record
    records: tuple[str, ...] = ()

    def source(self, task: str, epoch: int, source: Source) -> Source:
        """Where ``task``'s batches come from in ``epoch``; default: unchanged."""
        return source

    def terms(self, losses: Mapping[str, Tensor], extras: Mapping[str, dict[str, Tensor]], step: Step,
              terms: dict[str, Tensor]) -> dict[str, Tensor]:
        """The per-task terms whose sum (or projection) is back-propagated; default: unchanged."""
        return terms

    def backward(self, terms: Mapping[str, Tensor], step: Step) -> bool:
        """Back-propagate ``terms`` and return True, or return False to leave it to the
        default (the gradient of their sum). At most one extension of a run overrides it
        (``plugins.extensions_for`` refuses a second). Under
        data parallelism (``step.world``) it leaves every gradient summed across the
        processes, as the default does (``World.sync_gradients``)."""
        return False

    def after_step(self, model: MultitaskBERT, step: Step, losses: Mapping[str, Tensor],
                   extras: Mapping[str, dict[str, Tensor]]) -> None:
        """Called after the optimiser's step (the gradients already cleared)."""

    def modules(self) -> dict[str, nn.Module]:
        """Modules whose state a resumed run needs, by name (saved in each checkpoint)."""
        return {}
