"""Figures for the classifier router: confusion matrix, training curves, model comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.plots._figure import subplots


def plot_confusion_matrix(matrix: pd.DataFrame, *, title: str = "Confusion matrix") -> Figure:
    """Counts in each cell, coloured by the share of the true-label row."""
    counts = matrix.to_numpy()
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = subplots(figsize=(6.2, 4.8), layout="constrained")
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            colour = "white" if shares[i, j] > 0.6 else "black"
            ax.text(
                j,
                i,
                f"{counts[i, j]}\n{shares[i, j]:.0%}",
                ha="center",
                va="center",
                color=colour,
                fontsize=9,
            )
    ax.set_xticks(range(len(matrix.columns)), list(matrix.columns), rotation=20)
    ax.set_yticks(range(len(matrix.index)), list(matrix.index))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true label")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of row")
    return fig


def plot_training_curves(history: pd.DataFrame, *, title: str = "Training curves") -> Figure:
    """Training loss by step (left) and validation loss / macro-F1 / accuracy by epoch (right)."""
    fig, (left, right) = subplots(1, 2, figsize=(10, 3.8))
    if "loss" in history:
        train = history.dropna(subset=["loss"])
        left.plot(train["epoch"], train["loss"], marker=".", label="training loss")
    if "eval_loss" in history:
        evals = history.dropna(subset=["eval_loss"])
        left.plot(evals["epoch"], evals["eval_loss"], marker="o", label="validation loss")
        for column, label in (("eval_macro_f1", "macro-F1"), ("eval_accuracy", "accuracy")):
            if column in evals:
                right.plot(evals["epoch"], evals[column], marker="o", label=label)
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend()
    right.set_xlabel("epoch")
    right.set_ylabel("validation score")
    right.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_model_comparison(
    results: pd.DataFrame,
    *,
    metrics: tuple[str, ...] = ("accuracy", "macro_f1", "weighted_f1"),
    reference: dict[str, float] | None = None,
    title: str = "Validation scores",
) -> Figure:
    """Grouped bars: one group per metric, one bar per ``model`` row; dashed reference lines."""
    fig, ax = subplots(figsize=(7.5, 3.8))
    width = 0.8 / max(len(results), 1)
    x = np.arange(len(metrics))
    for k, (_, row) in enumerate(results.iterrows()):
        values = [float(row[m]) for m in metrics]
        bars = ax.bar(x + k * width - 0.4 + width / 2, values, width, label=str(row["model"]))
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    for name, value in (reference or {}).items():
        if name in metrics:
            i = metrics.index(name)
            ax.hlines(value, i - 0.45, i + 0.45, colors="black", linestyles="dashed")
    ax.set_xticks(x, list(metrics))
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.set_title(title + (" (dashed: study)" if reference else ""))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
