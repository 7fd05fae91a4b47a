"""Figures for the classifier router: confusion matrix, training curves, model comparisons."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.plots._figure import subplots
from routerlab.plots.palette import classifier_model_colour


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


def plot_training_curves(
    history: pd.DataFrame,
    *,
    title: str = "Training curves",
    selected_epoch: float | None = None,
) -> Figure:
    """Training loss by step (left) and validation loss / macro-F1 / accuracy by epoch (right).

    ``selected_epoch`` (the checkpoint kept by validation macro-F1) is marked on both panels.
    """
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
    if selected_epoch is not None:
        for ax in (left, right):
            ax.axvline(
                selected_epoch,
                color="grey",
                linestyle=":",
                label=f"selected epoch {selected_epoch:g}\n(best validation macro-F1)",
            )
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.legend(fontsize=8)
    right.set_xlabel("epoch")
    right.set_ylabel("validation score")
    right.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_model_comparison(
    results: pd.DataFrame,
    *,
    metrics: tuple[str, ...] = ("accuracy", "macro_f1"),
    title: str = "Test scores",
) -> Figure:
    """Grouped bars of measured rows: one group per metric, one bar per ``model`` row.

    Where the table has ``<metric>_low`` / ``<metric>_high`` columns, bars carry those intervals
    as error bars and the value label sits above the interval, never under it.
    """
    fig, ax = subplots(figsize=(7.5, 4.0))
    width = 0.8 / max(len(results), 1)
    x = np.arange(len(metrics))
    for k, (_, row) in enumerate(results.iterrows()):
        values = np.array([float(row[m]) for m in metrics])
        lows = np.array([float(row.get(f"{m}_low", np.nan)) for m in metrics])
        highs = np.array([float(row.get(f"{m}_high", np.nan)) for m in metrics])
        has = ~(np.isnan(lows) | np.isnan(highs))
        errors = np.vstack([np.where(has, values - lows, 0), np.where(has, highs - values, 0)])
        pos = x + k * width - 0.4 + width / 2
        ax.bar(
            pos,
            values,
            width,
            yerr=errors,
            capsize=3,
            label=str(row["model"]),
            color=classifier_model_colour(str(row["model"])),
        )
        for p, value, top in zip(pos, values, np.where(has, highs, values), strict=True):
            ax.text(p, top + 0.01, f"{value:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, list(metrics))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(title)
    # below the axes: inside, it would cover bars or intervals
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3)
    fig.tight_layout()
    return fig


def plot_reported_comparison(
    reported: pd.DataFrame,
    measured: pd.DataFrame | None = None,
    *,
    metrics: tuple[str, ...] = ("accuracy", "macro_f1"),
    title: str = "Study split (leaky)",
) -> Figure:
    """Reported numbers (hatched, "reported, not measured here") beside measured rows.

    Every number is a bar with its label above it: no reference lines for labels to hide under.
    Rows are labeled with their model, split and whether they were measured here.
    """
    entries: list[tuple[str, pd.Series, bool]] = []
    for _, row in reported.iterrows():
        entries.append((f"{row['model']} — {row['split']} (reported)", row, True))
    for _, row in (measured if measured is not None else pd.DataFrame()).iterrows():
        entries.append((f"{row['model']} — {row['split']} (measured)", row, False))
    fig, ax = subplots(figsize=(9, 4.4))
    width = 0.8 / max(len(entries), 1)
    x = np.arange(len(metrics))
    for k, (label, row, is_reported) in enumerate(entries):
        values = np.array([float(row[m]) if pd.notna(row.get(m)) else np.nan for m in metrics])
        # a measured row's bootstrap interval, where the table has one (reported rows have none)
        lows = np.array([float(row.get(f"{m}_low", np.nan)) for m in metrics])
        highs = np.array([float(row.get(f"{m}_high", np.nan)) for m in metrics])
        has = ~(np.isnan(lows) | np.isnan(highs) | np.isnan(values))
        errors = np.vstack([np.where(has, values - lows, 0), np.where(has, highs - values, 0)])
        pos = x + k * width - 0.4 + width / 2
        ax.bar(
            pos,
            np.nan_to_num(values),
            width,
            yerr=errors if has.any() else None,
            capsize=3,
            label=label,
            color=classifier_model_colour(str(row["model"])),
            hatch="//" if is_reported else None,
            edgecolor="black",
            linewidth=0.5,
        )
        for p, value, top in zip(pos, values, np.where(has, highs, values), strict=True):
            text = "n/a" if np.isnan(value) else f"{value:.3f}"
            ax.text(
                p,
                (0 if np.isnan(value) else top) + 0.01,
                text,
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(x, list(metrics))
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score")
    ax.set_title(title + "\nhatched: reported, not measured here")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1)
    fig.tight_layout()
    return fig
