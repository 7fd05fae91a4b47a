"""Figures for the labeling pipeline: cleaning steps, confusion matrix, label distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.labeling.agreement import Agreement
from routerlab.plots._figure import subplots
from routerlab.plots.palette import LABELING_A, LABELING_B


def plot_cleaning(report: pd.DataFrame, *, title: str = "Cleaning steps") -> Figure:
    """Rows removed by each cleaning step, with the rows remaining after it."""
    steps = report[report["step"] != "input"]
    fig, ax = subplots(figsize=(7, 0.45 * len(steps) + 1.2))
    ax.barh(steps["step"], steps["removed"], color="#c0504d")
    for y, (removed, remaining) in enumerate(
        zip(steps["removed"], steps["remaining"], strict=True)
    ):
        ax.text(removed, y, f" {removed:,} removed → {remaining:,} left", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("rows removed")
    ax.set_xlim(0, max(1, int(steps["removed"].max())) * 1.8)
    ax.set_title(f"{title} (start: {int(report['remaining'].iloc[0]):,} rows)")
    fig.tight_layout()
    return fig


def plot_confusion(result: Agreement, *, note: str = "") -> Figure:
    """Confusion matrix (counts, row share as colour) of candidate vs reference labels."""
    m = result.confusion.to_numpy()
    shares = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = subplots(figsize=(5.2, 4.4))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            color = "white" if shares[i, j] > 0.6 else "black"
            ax.text(j, i, f"{m[i, j]}", ha="center", va="center", color=color)
    ax.set_xticks(range(m.shape[1]), list(result.confusion.columns), rotation=20)
    ax.set_yticks(range(m.shape[0]), list(result.confusion.index))
    ax.set_xlabel(result.name_b)
    ax.set_ylabel(result.name_a)
    title = f"accuracy {result.accuracy:.3f}, kappa {result.kappa:.3f} (n={result.n})"
    ax.set_title(title + (f"\n{note}" if note else ""), fontsize=9)
    fig.tight_layout()
    return fig


def plot_distributions(result: Agreement, *, note: str = "") -> Figure:
    """Share of each label in the two labelings, side by side."""
    d = result.distribution
    x = np.arange(len(d))
    fig, ax = subplots(figsize=(6, 3.6))
    # Two labelings (not routers): one fixed colour each, so reruns and notebooks agree.
    ax.bar(x - 0.2, d[f"{result.name_a}_share"], 0.4, label=result.name_a, color=LABELING_A)
    ax.bar(x + 0.2, d[f"{result.name_b}_share"], 0.4, label=result.name_b, color=LABELING_B)
    ax.set_xticks(x, list(d["label"]))
    ax.set_ylabel("share of prompts")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    n = f" (n={result.n})"
    ax.set_title("Label distribution" + n + (f"\n{note}" if note else ""), fontsize=9)
    fig.tight_layout()
    return fig
