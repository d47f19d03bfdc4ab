"""Loss balancing as a training plug-in: how the per-task losses become the terms that
are summed (``bert_core.training.losses``: ``squared`` L_t², ``dwa`` λ_t L_t), and fixed
task weights w_t on top (``task_weights``: term_t ← w_t · term_t).

Dynamic weight average needs each task's mean training loss over the last two rounds (an
epoch, or ``dwa_window`` steps), which this plug-in reads from the run's loss history.
Config: ``loss_balancing``, ``dwa_temperature``, ``dwa_window`` (notebook 07);
``task_weights`` (notebook 05: STS's squared error on a 0-5 scale starts at 3-8 against
cross-entropies near 1.6 and 0.66, so an unweighted sum lets STS steer the encoder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor

from bert_core.multitask.tasks import TASKS
from bert_core.training.config import ExperimentConfig, is_number, require_one_of
from bert_core.training.hooks import Extension, Step
from bert_core.training.losses import LOSS_BALANCINGS, balanced_terms, dwa_weights
from bert_core.training.state import TrainingState

__all__ = ["LossBalancing", "TaskWeights", "check_balancing", "build_balancing", "check_weights",
           "build_weights", "round_means", "dwa_weights_by_round"]


def round_means(step: Step, tasks: Sequence[str], window: int | None, back: int) -> dict[str, float] | None:
    """Task t's mean training loss over the DWA round ``back`` rounds before the one of
    ``step``: an epoch (``window`` None), or ``window`` steps; None if it is not complete."""
    state = step.state
    if window is None:
        epoch = len(state.epochs) - back
        if epoch < 0:
            return None
        means = state.epochs[epoch]["train_loss"]
    else:
        first = (step.index // window - back) * window
        if first < 0:
            return None
        means = state.mean_losses(tasks, first, first + window)
    return means if all(means.get(t) is not None for t in tasks) else None


def dwa_weights_by_round(losses: Sequence[Sequence], tasks: Sequence[str], window: int,
                         temperature: float = 2.0) -> dict[int, dict[str, float]]:
    """The weights λ_t that DWA gave each round of a run, recomputed from the run's
    recorded losses (its ``losses``: ``[step, task, loss]``, steps counted from 1).

    Round r holds steps r·window + 1 … (r + 1)·window and is weighed by
    ``dwa_weights(L̄(r-1), L̄(r-2), temperature)``, as ``LossBalancing`` weighed it while
    training (``round_means``): every round that holds a step of the run, from r = 2 (the
    first two rounds have no ratio, λ = 1).
    """
    if window is None or window < 1:
        raise ValueError(f"dwa_weights_by_round needs rounds of steps (dwa_window >= 1), got {window!r}; "
                         "for epoch rounds, read each epoch's train_loss from the run's epochs")
    state = TrainingState(run_hash="", losses=[list(r) for r in losses])
    last = max((int(r[0]) for r in state.losses), default=0)
    weights = {}
    for r in range(2, -(-last // window)):
        previous = state.mean_losses(tasks, (r - 1) * window, r * window)
        before = state.mean_losses(tasks, (r - 2) * window, (r - 1) * window)
        if all(previous.get(t) is not None and before.get(t) is not None for t in tasks):
            weights[r] = dwa_weights(previous, before, temperature)
    return weights


class LossBalancing(Extension):
    """The terms it receives, balanced: squared (``squared``) or weighted by DWA (``dwa``)."""

    def __init__(self, balancing: str, tasks: Sequence[str], temperature: float = 2.0,
                 window: int | None = None):
        self.balancing, self.tasks = balancing, tuple(tasks)
        self.temperature, self.window = temperature, window

    def terms(self, losses: Mapping[str, Tensor], extras: Mapping[str, dict[str, Tensor]], step: Step,
              terms: dict[str, Tensor]) -> dict[str, Tensor]:
        weights = None
        if self.balancing == "dwa":
            weights = dwa_weights(round_means(step, self.tasks, self.window, 1),
                                  round_means(step, self.tasks, self.window, 2), self.temperature)
        return balanced_terms(terms, self.balancing, weights)  # the terms as the earlier plug-ins made them


class TaskWeights(Extension):
    """Fixed weights on the terms: w_t · term_t for the tasks named, the others as they are."""

    def __init__(self, weights: Mapping[str, float]):
        self.weights = dict(weights)

    def terms(self, losses: Mapping[str, Tensor], extras: Mapping[str, dict[str, Tensor]], step: Step,
              terms: dict[str, Tensor]) -> dict[str, Tensor]:
        return {t: self.weights.get(t, 1.0) * term for t, term in terms.items()}


def check_balancing(config: ExperimentConfig) -> None:
    """A known balancing, a positive DWA temperature, a DWA window of at least a step."""
    require_one_of("loss_balancing", config.loss_balancing, LOSS_BALANCINGS)
    if config.dwa_temperature <= 0 or (config.dwa_window is not None and config.dwa_window < 1):
        raise ValueError("dwa_temperature must be positive and dwa_window at least 1 step "
                         "(or None: an epoch)")


def build_balancing(config: ExperimentConfig, model: object, train: Mapping[str, Sequence[object]],
                    seed: int) -> LossBalancing | None:
    if config.loss_balancing == "sum":
        return None
    return LossBalancing(config.loss_balancing, config.tasks, config.dwa_temperature, config.dwa_window)


def check_weights(config: ExperimentConfig) -> None:
    """Fixed task weights: known tasks (a profile's weights may name tasks a run leaves out),
    positive numbers."""
    for task, weight in config.task_weights:
        require_one_of("task_weights task", task, tuple(TASKS))
        if not is_number(weight) or not weight > 0:
            raise ValueError(f"task_weights[{task!r}] must be a positive number, got {weight!r}")


def build_weights(config: ExperimentConfig, model: object, train: Mapping[str, Sequence[object]],
                  seed: int) -> TaskWeights | None:
    return TaskWeights(dict(config.task_weights)) if config.task_weights else None
