"""PCGrad, gradient surgery for multitask learning (Yu et al. 2020; "A SMARTer minBERT"
3.2 and "SMART Surgery" 3.2).

Two task gradients g_i, g_j of the shared parameters *conflict* when g_i · g_j < 0. PCGrad
removes from each task's gradient its component along every gradient it conflicts with,
visiting the other tasks in a random order:

    for each task i:   g_i' = g_i
        for j in a random permutation of the other tasks:
            if g_i' · g_j < 0:   g_i' = g_i' - (g_i' · g_j / ||g_j||²) g_j

The projections use the *original* g_j (Yu et al., Algorithm 1). The update of the
shared parameters is Σ_i g_i'; task-specific parameters keep their own gradients.

``project_conflicting`` is the algorithm as written, on flattened gradients. Training uses
``surgery_weights``, the same algorithm in the T × T Gram matrix of the gradients: every
projection subtracts a multiple of an original g_j, so g_i' = g_i - Σ_j c_ij g_j, and each
dot product g_i' · g_j the loop needs is a combination of entries of G = [g_i · g_j]. The
shared update Σ_i g_i' = Σ_j w_j g_j is then one weighted sum of the task gradients, with
no copies of them: what PCGrad adds to a training step is T gradient buffers and one T × T
matrix product (``GradientSurgery``).

Data parallelism (``bert_core.training.distributed``): the rule is defined on the task
gradients of the whole batch. Each process's g_i^r is the gradient of its share of task i's
loss, and g_i = Σ_r g_i^r; the projection is not linear in g, so projecting each
process's g_i^r and summing the results is *not* PCGrad. ``GradientSurgery`` therefore sums
the T × P matrix of per-task gradients across the processes first (one all-reduce of T
buffers instead of one) and projects the sums: every process computes the same update.

Taught in notebook 09.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from itertools import combinations

import torch
from torch import Tensor, nn

from bert_core.training.config import ExperimentConfig
from bert_core.training.distributed import SINGLE, World
from bert_core.training.hooks import Extension, Step
from bert_core.training.sampling import ONE_TASK_SAMPLINGS

__all__ = ["SurgeryExtension", "check", "build", "project_conflicting", "surgery_weights",
           "encoder_layer_groups",
           "GradientSurgery"]


def project_conflicting(grads: Sequence[Tensor], generator: torch.Generator | None = None) -> list[Tensor]:
    """Per-task flattened gradients ``[P]`` in; the projected per-task gradients out (not
    summed). ``generator`` fixes the random order in which each task visits the others."""
    if not grads:
        return []
    shapes = {tuple(g.shape) for g in grads}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError("project_conflicting takes flat gradients of one length, "
                         f"got shapes {sorted(shapes)}")
    originals = [g.float() for g in grads]
    squared_norms = [g.dot(g) for g in originals]
    projected = []
    for i, g in enumerate(originals):
        g = g.clone()
        others = [j for j in range(len(originals)) if j != i]
        order = torch.randperm(len(others), generator=generator).tolist()
        for k in order:
            j = others[k]
            dot = g.dot(originals[j])
            if dot < 0 and squared_norms[j] > 0:
                g = g - (dot / squared_norms[j]) * originals[j]
        projected.append(g.to(grads[i].dtype))
    return projected


def surgery_weights(gram: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """The weights w (``[T]``) with Σ_i g_i' = Σ_j w_j g_j, from the Gram matrix ``[T, T]``
    of the task gradients; the same random order as ``project_conflicting`` under the same
    generator."""
    gram = gram.double().cpu()
    T = gram.shape[0]
    coefficients = torch.eye(T, dtype=torch.float64)  # row i: g_i' = Σ_j coefficients[i, j] g_j
    for i in range(T):
        others = [j for j in range(T) if j != i]
        order = torch.randperm(len(others), generator=generator).tolist()
        for k in order:
            j = others[k]
            dot = coefficients[i] @ gram[:, j]  # g_i' · g_j
            if dot < 0 and gram[j, j] > 0:
                coefficients[i, j] -= dot / gram[j, j]
    return coefficients.sum(0)


def encoder_layer_groups(model: nn.Module) -> dict[str, list[str]]:
    """The shared encoder's parameter names by layer: ``embeddings``, ``layer 0`` ... ``layer
    L-1``, ``pooler`` (names as in ``model.named_parameters()``, under ``bert.``)."""
    groups: dict[str, list[str]] = {}
    for name, _ in model.named_parameters():
        if not name.startswith("bert."):
            continue
        part = name.split(".")[1]
        if part == "bert_layers":
            group = f"layer {name.split('.')[2]}"
        elif part.startswith("pooler"):
            group = "pooler"
        else:
            group = part
        groups.setdefault(group, []).append(name)
    return groups


class GradientSurgery:
    """PCGrad in a training step: each task's term is back-propagated on its own; the
    shared encoder's gradients are collected per task, combined by ``surgery_weights`` and
    written back; the heads keep the gradients their own task gave them.

    ``backward`` returns the cosine between every two tasks' gradients before projection,
    for the whole encoder (``"all"``) and per layer group. Under ``world`` of N > 1 the
    per-task gradients are summed across the processes before the projection, and the
    heads' gradients after it: every gradient ends summed, as the loop's default leaves it.
    """

    def __init__(self, model: nn.Module):
        named = dict(model.named_parameters())
        self.groups = encoder_layer_groups(model)
        self.names = [n for names in self.groups.values() for n in names]
        self.params = [named[n] for n in self.names]
        shared = set(self.names)
        self.others = [p for n, p in named.items() if n not in shared]  # the heads, their own gradients
        self.group_sizes = {g: sum(named[n].numel() for n in names) for g, names in self.groups.items()}

    def backward(self, terms: Mapping[str, Tensor], generator: torch.Generator | None = None,
                 world: World = SINGLE) -> dict[str, dict[str, float]]:
        params = [p for p in self.params if p.requires_grad]
        if len(terms) < 2 or not params:  # nothing to project: the plain sum
            sum(terms.values()).backward()  # type: ignore[union-attr]
            world.sync_gradients([*self.params, *self.others])
            return {}
        tasks = list(terms)
        total = sum(p.numel() for p in self.params)
        grads = torch.zeros(len(tasks), total, device=params[0].device, dtype=torch.float32)
        for i, task in enumerate(tasks):
            terms[task].backward()
            offset = 0
            for p in self.params:
                if p.grad is not None:
                    grads[i, offset:offset + p.numel()] = p.grad.reshape(-1)
                    p.grad = None
                offset += p.numel()
        world.all_reduce_(grads)  # g_i = Σ_r g_i^r: the rule projects the whole batch's gradients
        world.sync_gradients(self.others)
        stats, gram, offset = {}, torch.zeros(len(tasks), len(tasks), dtype=torch.float64), 0
        for group, size in self.group_sizes.items():
            block = grads[:, offset:offset + size]
            group_gram = (block @ block.T).double().cpu()
            stats[group] = _cosines(group_gram, tasks)
            gram += group_gram
            offset += size
        stats = {"all": _cosines(gram, tasks), **stats}
        update = surgery_weights(gram, generator).to(grads) @ grads  # Σ_j w_j g_j, [P]
        offset = 0
        for p in self.params:
            if p.requires_grad:
                p.grad = update[offset:offset + p.numel()].view_as(p)
            offset += p.numel()
        return stats


def _cosines(gram: Tensor, tasks: Sequence[str]) -> dict[str, float]:
    out = {}
    for i, j in combinations(range(len(tasks)), 2):
        norm = (gram[i, i] * gram[j, j]).sqrt()
        out[f"{tasks[i]}/{tasks[j]}"] = round(float(gram[i, j] / norm), 5) if norm > 0 else 0.0
    return out


class SurgeryExtension(Extension):
    """PCGrad as a training plug-in: it back-propagates each step's terms by gradient
    surgery, in an order drawn from (seed, step), and records the cosine between every two
    tasks' gradients per layer group as ``"gradients"`` rows ``[step, group, pair, cos]``."""

    records = ("gradients",)

    def __init__(self, model: nn.Module):
        self.surgery = GradientSurgery(model)

    def backward(self, terms: Mapping[str, Tensor], step: Step) -> bool:
        order = torch.Generator().manual_seed(zlib.crc32(f"{step.seed}/pcgrad/{step.index}".encode()))
        cosines = self.surgery.backward(terms, order, step.world)
        rows = step.state.record("gradients")
        rows.extend([step.index + 1, group, pair, c]
                    for group, pairs in cosines.items() for pair, c in pairs.items())
        return True


def check(config: ExperimentConfig) -> None:
    """PCGrad needs the tasks of a step together: simultaneous sampling."""
    if config.pcgrad and (config.sampling in ONE_TASK_SAMPLINGS or config.curriculum == "sequential"):
        raise ValueError("pcgrad projects the gradients of tasks trained in the same step; it needs "
                         "sampling='simultaneous' (or the hybrid curriculum's simultaneous epochs)")


def build(config: ExperimentConfig, model: nn.Module, train: Mapping[str, Sequence[object]],
          seed: int) -> SurgeryExtension | None:
    return SurgeryExtension(model) if config.pcgrad else None
