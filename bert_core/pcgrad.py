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

This module holds the core as a plain function of flattened gradients; the training loop
(issue 5) feeds it. Taught in notebook 09.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = ["project_conflicting"]


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
