"""The figures of the extensions' notebooks: SMART's perturbation profile and penalties
(notebook 08), PCGrad's gradients in the plane, the task gradients' cosines over training
and how often each pair of tasks conflicts per layer (notebook 09). The figures every
notebook shares are in ``bert_core.course.plots``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bert_core.course.plots import moving_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_perturbation_profile", "plot_smart_penalties", "plot_gradient_surgery",
           "plot_gradient_cosines", "plot_conflict_rates"]


def plot_perturbation_profile(radii: Sequence[float], curves: dict[str, Sequence[Sequence[float]]],
                              ylabel: str = "divergence from the clean output") -> Figure:
    """How far the outputs move as the input embeddings walk a radius r along a direction:
    per label, one line per direction (a band of many random ones, a line for one)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for color, (label, lines) in enumerate(curves.items()):
        lines = np.asarray(lines, dtype=float)
        if len(lines) > 1:
            ax.fill_between(radii, lines.min(0), lines.max(0), color=f"C{color}", alpha=0.25, lw=0)
            ax.plot(radii, np.median(lines, 0), color=f"C{color}", label=f"{label} (median, range)")
        else:
            ax.plot(radii, lines[0], color=f"C{color}", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("radius r (the ∞-norm of the perturbation)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_smart_penalties(runs: dict[str, list], window: int = 10) -> Figure:
    """SMART's two penalties over training, per task: R_s (``adversarial``) and D_Breg
    (``bregman``), a ``window``-step mean of a run's ``record["smart"]`` rows
    ``[step, task, kind, value]``, one line style per labelled run."""
    kinds = ("adversarial", "bregman")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), squeeze=False)
    for style, (label, rows) in zip(("-", "--", ":", "-."), runs.items()):
        for ax, kind in zip(axes[0], kinds):
            for color, task in enumerate(dict.fromkeys(t for _, t, _, _ in rows)):
                points = [(s, v) for s, t, k, v in rows if t == task and k == kind]
                if not points:
                    continue
                at, smooth = moving_mean(*map(np.asarray, zip(*points)), window)
                ax.plot(at, np.maximum(smooth, 1e-12), style, color=f"C{color}",
                        label=f"{task} ({label})" if len(runs) > 1 else task)
    for ax, title in zip(axes[0], ("R_s: adversarial smoothness", "D_Breg: distance to the momentum copy")):
        ax.set_yscale("log")
        ax.set_title(f"{title} ({window}-step mean)", fontsize=10)
        ax.set_xlabel("step")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 * ((len(labels) + 2) // 3), 1, 1))
    return fig


def _arrow(ax: Axes, vector: np.ndarray, color: str, label: str, style: str = "-") -> None:
    ax.annotate("", xy=tuple(vector), xytext=(0, 0),
                arrowprops={"arrowstyle": "->", "color": color, "lw": 2, "linestyle": style})
    ax.plot([], [], style, color=color, label=label)


def plot_gradient_surgery(cases: dict[str, tuple[Sequence, Sequence]]) -> Figure:
    """Per labelled case, two task gradients g_1, g_2 in the plane (solid), their PCGrad
    projections (dashed) and the two updates: the plain sum and the sum after surgery."""
    fig, axes = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 4.0), squeeze=False)
    for ax, (label, (grads, projected)) in zip(axes[0], cases.items()):
        grads = [np.asarray(g, dtype=float) for g in grads]
        projected = [np.asarray(g, dtype=float) for g in projected]
        for i, (g, p) in enumerate(zip(grads, projected)):
            _arrow(ax, g, f"C{i}", f"g_{i + 1}")
            if not np.allclose(g, p):
                _arrow(ax, p, f"C{i}", f"g_{i + 1} projected", "--")
        _arrow(ax, sum(grads), "0.5", "plain sum", ":")
        _arrow(ax, sum(projected), "black", "PCGrad update")
        points = np.array([*grads, *projected, sum(grads), sum(projected), np.zeros(2)])
        low, high = points.min(0) - 0.3, points.max(0) + 0.3
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
        ax.axhline(0, color="0.85", lw=1)
        ax.axvline(0, color="0.85", lw=1)
        ax.set_title(label, fontsize=10)
    handles, labels = max((ax.get_legend_handles_labels() for ax in axes[0]), key=lambda h: len(h[1]))
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def plot_gradient_cosines(rows: list, group: str = "all", window: int = 10) -> Figure:
    """The cosine between every two tasks' gradients of the shared encoder (``group``: the
    whole encoder, or one layer group) at every step of a PCGrad run's ``record["gradients"]``
    rows ``[step, group, pair, cosine]``: the steps as dots, a ``window``-step mean as a line.
    Below zero the two tasks conflict."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for color, pair in enumerate(dict.fromkeys(p for _, g, p, _ in rows if g == group)):
        steps, values = map(np.asarray, zip(*[(s, c) for s, g, p, c in rows if g == group and p == pair]))
        ax.plot(steps, values, ".", color=f"C{color}", markersize=2, alpha=0.4)
        ax.plot(*moving_mean(steps, values, window), color=f"C{color}", label=pair)
    ax.axhline(0, color="black", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("cosine between task gradients")
    ax.set_title(f"{group}: conflict below zero", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_conflict_rates(rates: pd.DataFrame) -> Figure:
    """A heatmap of how often (the fraction of steps) each pair of tasks conflicts, per
    layer group: ``bert_core.tables.conflict_rates``'s ``conflict`` column, pivoted. The
    colours diverge from 0.5, the rate of two independent random directions."""
    table = rates["conflict"].unstack("pair")
    fig, ax = plt.subplots(figsize=(1.6 * table.shape[1] + 2.2, 0.32 * table.shape[0] + 1.2))
    # white at 0.5: a coin flip, what two unrelated (random) directions give
    image = ax.imshow(table.to_numpy(), cmap="RdBu_r", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns)
    ax.set_yticks(range(table.shape[0]), table.index)
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                color="white" if abs(value - 0.5) > 0.35 else "black")
    fig.colorbar(image, ax=ax, label="fraction of steps in conflict")
    fig.tight_layout()
    return fig
