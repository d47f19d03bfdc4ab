"""Plots the notebooks draw, each saved under ``figures/<profile>/<name>.png``.

Plotting lives here, not in the notebooks, so that a figure is drawn the same way
wherever it appears and a notebook cell stays one call long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import pandas as pd

from bert_core.course.describe import STS_BIN_EDGES
from bert_core.course.zero_shot import reference_rows
from bert_core.files import PROJECT_ROOT
from bert_core.multitask.tasks import TASKS

__all__ = ["save_figure", "moving_mean", "plot_label_distributions", "plot_token_lengths", "plot_attention",
           "plot_similarity_scatter", "plot_training_curves", "plot_comparison", "plot_task_batches",
           "plot_confusion", "plot_prediction_distributions",
           "plot_sts_residuals"]

SST_NAMES = ["very neg.", "negative", "neutral", "positive", "very pos."]


def save_figure(fig: Figure, name: str, profile: str) -> Path:
    """Save ``fig`` as ``figures/<profile>/<name>.png`` (stable name, fixed metadata)."""
    path = PROJECT_ROOT / "figures" / profile / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    return path


def plot_label_distributions(
    sst_labels: Sequence[int], quora_labels: Sequence[float], sts_scores: Sequence[float]
) -> Figure:
    """SST classes, Quora balance and the STS score histogram, side by side."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
    counts = np.bincount(np.asarray(sst_labels, dtype=int), minlength=5)
    axes[0].bar(SST_NAMES, counts, color="tab:blue")
    axes[0].set_title("SST-5: sentiment classes")
    axes[0].tick_params(axis="x", labelrotation=30)
    q = np.bincount(np.asarray(quora_labels, dtype=int), minlength=2)
    axes[1].bar(["not duplicate", "duplicate"], q, color=["tab:gray", "tab:orange"])
    axes[1].set_title("Quora: paraphrase balance")
    axes[2].hist(sts_scores, bins=STS_BIN_EDGES, color="tab:green", edgecolor="white")
    axes[2].set_title("STS-B: similarity scores (bins of 0.2, centred)")
    axes[2].set_xlabel("score")
    for ax in axes:
        ax.set_ylabel("examples")
    fig.tight_layout()
    return fig


def plot_token_lengths(lengths: dict[str, np.ndarray]) -> Figure:
    """Histograms of input lengths in tokens, one panel per input kind."""
    fig, axes = plt.subplots(1, len(lengths), figsize=(4.3 * len(lengths), 3.2))
    for ax, (label, values) in zip(np.atleast_1d(axes), lengths.items()):
        ax.hist(values, bins=30, color="tab:purple", edgecolor="white")
        ax.axvline(np.median(values), color="black", linestyle="--", linewidth=1)
        ax.set_title(f"{label} (median {int(np.median(values))})")
        ax.set_xlabel("tokens")
    fig.tight_layout()
    return fig


def plot_attention(
    probs: np.ndarray, tokens: Sequence[str], title: str = "", ax: Axes | None = None
) -> Figure:
    """A ``[T, T]`` attention map: row i is where token i looks."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.42 * len(tokens) + 2, 0.42 * len(tokens) + 1))
    else:
        fig = ax.figure
    ax.imshow(probs, cmap="viridis", vmin=0.0, vmax=float(np.max(probs)))
    ax.set_xticks(range(len(tokens)), tokens, rotation=90)
    ax.set_yticks(range(len(tokens)), tokens)
    ax.set_xlabel("attended to (key)")
    ax.set_ylabel("attending (query)")
    ax.set_title(title)
    return fig


def plot_similarity_scatter(gold: np.ndarray | Mapping[str, np.ndarray], predictions: dict[str, np.ndarray],
                            lines: Mapping[str, tuple[float, float]] | None = None) -> Figure:
    """Gold STS score against each method's cosine similarity (``gold``: one array for all
    panels, or one per label), with each of ``lines`` (label -> (a, b): cos = a·gold + b,
    the cosine a head asks for) dashed on every panel."""
    fig, axes = plt.subplots(1, len(predictions), figsize=(4.5 * len(predictions), 3.6), sharey=True)
    xs = np.linspace(0, 5, 2)
    for ax, (label, pred) in zip(np.atleast_1d(axes), predictions.items()):
        y = gold[label] if isinstance(gold, Mapping) else gold
        ax.scatter(y, pred, s=8, alpha=0.5)
        r = np.corrcoef(y, pred)[0, 1]
        ax.set_title(f"{label}: Pearson r = {r:.3f}")
        ax.set_xlabel("gold similarity (0-5)")
        for i, (name, (a, b)) in enumerate((lines or {}).items()):
            ax.plot(xs, a * xs + b, linestyle="--", color=f"C{i + 1}", label=name)
        if lines:
            ax.legend(fontsize=7, loc="lower right")
    np.atleast_1d(axes)[0].set_ylabel("cosine similarity")
    fig.tight_layout()
    return fig


_METRIC_LABEL = {name: f"{task.title} dev {'Pearson r' if task.metric == 'pearson' else 'accuracy'}"
                 for name, task in TASKS.items()}


def moving_mean(steps: np.ndarray, values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``window``-step mean of ``values`` (shorter when there are fewer), at the steps
    where each window ends."""
    width = max(1, min(window, values.size))
    return steps[width - 1:], np.convolve(values, np.ones(width) / width, mode="valid")


def plot_training_curves(runs: dict[str, dict], window: int = 10) -> Figure:
    """Per task, the training loss per step (moving average over ``window`` steps) and the
    dev metric per epoch, one line per labelled run (a seed record of ``run_experiment``)."""
    tasks = list(dict.fromkeys(t for run in runs.values() for _, t, _ in run["losses"]))
    fig, axes = plt.subplots(2, len(tasks), figsize=(4.2 * len(tasks), 6.2), squeeze=False)
    for color, (label, run) in enumerate(runs.items()):
        for column, task in enumerate(tasks):
            steps = np.array([s for s, t, _ in run["losses"] if t == task])
            if steps.size == 0:
                continue
            losses = np.array([v for _, t, v in run["losses"] if t == task])
            axes[0, column].plot(*moving_mean(steps, losses, window), color=f"C{color}", label=label)
            epochs = [e["epoch"] for e in run["epochs"]]
            axes[1, column].plot(epochs, [e["dev"][task] for e in run["epochs"]], "o-", color=f"C{color}",
                                 label=label)
    for column, task in enumerate(tasks):
        axes[0, column].set_title(f"{task}: training loss ({window}-step mean)")
        axes[0, column].set_xlabel("step")
        axes[1, column].set_title(_METRIC_LABEL[task])
        axes[1, column].set_xlabel("epoch")
        axes[1, column].xaxis.get_major_locator().set_params(integer=True)
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


_NOT_GREY = [f"C{i}" for i in range(10) if i != 7]  # grey (C7) marks the baseline


def plot_comparison(results: dict, metrics: Sequence[str] = ("sst_acc", "para_acc", "sts_corr", "overall"),
                    baseline: str | None = None) -> Figure:
    """One panel per metric: each labelled result's mean over seeds as a bar, its seeds as
    dots, and (``baseline``, a label) the baseline's mean as a dashed line, so a gain can be
    read against the seed-to-seed spread; the STS panel also marks the checkpoint's
    zero-shot r on the same dev pairs (``zero_shot.reference_rows``) with a dotted line."""
    shown = {label: r for label, r in results.items() if r is not None}
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.3 * len(metrics), 0.35 * len(shown) + 1.6),
                             sharey=True, squeeze=False)
    labels = list(shown)
    for ax, metric in zip(axes[0], metrics):
        for row, label in enumerate(labels):
            values = [m[metric] for m in shown[label].seed_metrics().values() if metric in m]
            if not values:
                continue
            color = "0.6" if label == baseline else _NOT_GREY[row % len(_NOT_GREY)]
            ax.barh(row, np.mean(values), color=color, alpha=0.5)
            ax.plot(values, [row] * len(values), "o", color=color, markersize=3)
        if baseline in shown:
            base = [m[metric] for m in shown[baseline].seed_metrics().values() if metric in m]
            if base:
                ax.axvline(np.mean(base), color="0.3", linestyle="--", linewidth=1)
        if metric == "sts_corr":
            for r0 in reference_rows(shown).values():
                ax.axvline(r0, color="C3", linestyle=":", linewidth=1.5)
        ax.set_title(metric)
    axes[0, 0].set_yticks(range(len(labels)), labels)
    axes[0, 0].invert_yaxis()
    fig.tight_layout()
    return fig


def plot_score_against_parameters(results: dict, metric: str = "overall") -> Figure:
    """Each labelled result's ``metric`` (its seeds as dots, their mean as a cross) against
    the parameters it trains, on a log axis: what a method buys per parameter."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    shown = {label: r for label, r in results.items() if r is not None}
    for row, (label, result) in enumerate(shown.items()):
        trained = np.mean([run["trainable_parameters"] for run in result.runs.values()])
        values = [m[metric] for m in result.seed_metrics().values()]
        color = _NOT_GREY[row % len(_NOT_GREY)]
        ax.plot([trained] * len(values), values, "o", color=color, alpha=0.5, markersize=4)
        ax.plot(trained, np.mean(values), "x", color=color, markersize=9, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("trained parameters")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def plot_task_batches(schedules: dict, title: str = "") -> Figure:
    """Per schedule (``bert_core.sampling.Schedule``, by label), the cumulative number of
    batches of each task over every step of the run; dotted lines mark the epochs, and a
    shaded epoch trains the heads only (the encoder is frozen)."""
    fig, axes = plt.subplots(1, len(schedules), figsize=(3.6 * len(schedules), 3.2), sharey=True,
                             squeeze=False)
    for ax, (label, schedule) in zip(axes[0], schedules.items()):
        counts = {t: [0] for t in schedule.tasks}
        for epoch in range(schedule.epochs):
            plan = schedule.plan(epoch)
            start = schedule.epoch_start(epoch)
            if plan.shared_frozen:
                ax.axvspan(start, start + plan.steps, color="0.9", lw=0)
            if epoch:
                ax.axvline(start, color="0.6", ls=":", lw=1)
            for tasks in plan.step_tasks:
                for t in schedule.tasks:
                    counts[t].append(counts[t][-1] + (t in tasks))
        for t, values in counts.items():
            ax.plot(range(len(values)), values, label=t)
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("step")
    axes[0][0].set_ylabel("batches so far")
    axes[0][-1].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(matrix: np.ndarray, names: Sequence[str], title: str = "") -> Figure:
    """A confusion matrix twice, as annotated heatmaps: counts, and each row as shares of
    its true class (rows: true class, columns: predicted)."""
    import seaborn as sns

    rows = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    size = 2.2 + 0.75 * len(names)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size + 1.5, size))
    panels = ((axes[0], matrix, "d", "examples"), (axes[1], shares, ".2f", "share of row"))
    for ax, values, fmt, label in panels:
        sns.heatmap(values, annot=True, fmt=fmt, cmap="Blues", cbar_kws={"label": label}, ax=ax,
                    xticklabels=names, yticklabels=names, vmin=0)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.tick_params(axis="x", labelrotation=30)
        ax.tick_params(axis="y", labelrotation=0)
    axes[0].set_title(f"{title}: counts" if title else "counts")
    axes[1].set_title(f"{title}: row-normalised" if title else "row-normalised")
    fig.tight_layout()
    return fig


def plot_prediction_distributions(frames: dict[str, pd.DataFrame]) -> Figure:
    """Report 001's figures: predicted against true class counts (SST, Quora) and the
    predicted STS scores' histogram against the gold scores'. ``frames``: prediction frames
    by task (``analysis.prediction_frame``)."""
    fig, axes = plt.subplots(1, len(frames), figsize=(4.6 * len(frames), 3.4), squeeze=False)
    for ax, (task, frame) in zip(axes[0], frames.items()):
        if "residual" in frame:
            ax.hist(frame["label"], bins=STS_BIN_EDGES, alpha=0.55, label="gold", color="tab:green")
            ax.hist(frame["prediction"], bins=STS_BIN_EDGES, alpha=0.55, label="predicted",
                    color="tab:purple")
            ax.set_xlabel("similarity score")
        else:
            k = int(max(frame["label"].max(), frame["prediction"].max())) + 1
            x = np.arange(k)
            ax.bar(x - 0.2, np.bincount(frame["label"], minlength=k), 0.4, label="true", color="tab:gray")
            ax.bar(x + 0.2, np.bincount(frame["prediction"], minlength=k), 0.4, label="predicted",
                   color="tab:blue")
            ax.set_xticks(x)
            ax.set_xlabel("class")
        ax.set_title(TASKS[task].title)
        ax.set_ylabel("dev examples")
        ax.legend()
    fig.tight_layout()
    return fig


def plot_sts_residuals(frame: pd.DataFrame, against: Sequence[str] = ("label", "characters")) -> Figure:
    """The STS residual (prediction - gold) against each column in ``against``, each pair a
    dot, with a least-squares line; above 0 the pair is over-estimated."""
    fig, axes = plt.subplots(1, len(against), figsize=(5 * len(against), 3.6), squeeze=False)
    for ax, column in zip(axes[0], against):
        x, y = frame[column].to_numpy(float), frame["residual"].to_numpy(float)
        ax.scatter(x, y, s=6, alpha=0.35, color="tab:purple")
        if len(x) > 1 and x.std() > 0:
            slope, intercept = np.polyfit(x, y, 1)
            grid = np.linspace(x.min(), x.max(), 50)
            ax.plot(grid, slope * grid + intercept, color="black", lw=1.2, label=f"slope {slope:.3g}")
            ax.legend()
        ax.axhline(0, color="gray", lw=0.8, ls="--")
        ax.set_xlabel({"label": "gold score", "characters": "pair length (characters)"}.get(column, column))
        ax.set_ylabel("residual (predicted - gold)")
    fig.tight_layout()
    return fig
