"""Figures for outcome-table evaluations (return Figures; nothing is shown or saved)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.errors import ConfigError
from routerlab.evaluation.report import Evaluation
from routerlab.plots._figure import subplots


def _title(evaluation: Evaluation, what: str) -> str:
    name = evaluation.table.name or "outcome table"
    return f"{what} — {name}, {evaluation.pair.n} held-out prompts"


def quality_vs_share(evaluation: Evaluation) -> Figure:
    """Quality against strong-call share: one line per curve router, a marker per point router,
    the random diagonal and both single-model levels."""
    pair = evaluation.pair
    fig, ax = subplots(figsize=(8, 5.5))
    ax.plot(
        [0, 1], [pair.q_weak, pair.q_strong], color="grey", ls=":", lw=1, label="random (diagonal)"
    )
    for r in evaluation.results:
        if r.curve is not None:
            label = f"{r.name} (APGR {r.metrics['apgr']:.3f})"
            ls, color = ("--", "black") if r.name == "oracle" else ("-", None)
            ax.plot(
                r.curve["strong_share"], r.curve["quality"], label=label, lw=1.6, ls=ls, color=color
            )
        else:
            ax.scatter(r.metrics["strong_share"], r.metrics["accuracy"], zorder=3, label=r.name)
    ax.axhline(pair.q_weak, color="tab:grey", lw=0.8, alpha=0.6)
    ax.axhline(pair.q_strong, color="tab:red", lw=0.8, alpha=0.6)
    ax.set_xlabel(f"share of calls to the strong model ({pair.strong})")
    ax.set_ylabel("quality (share correct)")
    ax.set_xlim(0, 1)
    ax.set_title(_title(evaluation, "Quality vs strong-model calls"))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def quality_vs_cost(evaluation: Evaluation, *, per: int = 1000) -> Figure:
    """Quality against dollars per ``per`` prompts; without costs for both models the figure
    says so instead of drawing (give prices to ``run_evaluation``)."""
    pair = evaluation.pair
    if pair.strong_cost is None or pair.weak_cost is None:
        fig, ax = subplots(figsize=(8, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no costs known for the strong/weak pair: give prices", ha="center")
        return fig
    weak_c, strong_c = per * pair.weak_cost.mean(), per * pair.strong_cost.mean()
    fig, ax = subplots(figsize=(8, 5.5))
    ax.plot(
        [weak_c, strong_c],
        [pair.q_weak, pair.q_strong],
        color="grey",
        ls=":",
        lw=1,
        label="random (diagonal)",
    )
    for r in evaluation.results:
        if r.curve is not None and r.curve["cost_per_prompt"].notna().all():
            ls, color = ("--", "black") if r.name == "oracle" else ("-", None)
            ax.plot(
                per * r.curve["cost_per_prompt"],
                r.curve["quality"],
                label=r.name,
                lw=1.6,
                ls=ls,
                color=color,
            )
        elif r.curve is None and np.isfinite(r.metrics.get("cost_per_prompt", np.nan)):
            ax.scatter(
                per * r.metrics["cost_per_prompt"], r.metrics["accuracy"], zorder=3, label=r.name
            )
    ax.set_xlabel(f"estimated cost (USD per {per:,} prompts)")
    ax.set_ylabel("quality (share correct)")
    ax.set_title(_title(evaluation, "Quality vs cost"))
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def usage_bars(evaluation: Evaluation, level: str = "cpt80") -> Figure:
    """Share of calls per model for each router: a fixed router's own split, a curve router's
    split at the point where it recovers the share of the gap named by ``level`` (``cpt50`` or
    ``cpt80``) — fewer strong calls for the same quality is what routing buys."""
    metrics = evaluation.metrics()
    pair = evaluation.pair
    is_curve = (metrics["kind"] == "curve").to_numpy()
    strong = np.where(is_curve, metrics[level], metrics["strong_share"]).astype(float)
    fig, ax = subplots(figsize=(8.5, 0.5 * len(metrics) + 1.8))
    y = np.arange(len(metrics))
    ax.barh(y, 1 - strong, color="tab:blue", label=pair.weak)
    ax.barh(y, strong, left=1 - strong, color="tab:red", label=pair.strong)
    target = level.removeprefix("cpt")
    for yi, (s, curve) in enumerate(zip(strong, is_curve, strict=True)):
        text = f"{s:.0%} strong" + (f" for {target} % of the gap" if curve else "")
        ax.text(1.01, yi, text, va="center", fontsize=8)
    ax.set_yticks(y, metrics["router"])
    ax.set_xlim(0, 1.45)
    ax.invert_yaxis()
    ax.set_xlabel(f"share of calls (curve routers: at their CPT({target} %) point)")
    ax.set_title(_title(evaluation, "Model usage"))
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    fig.tight_layout()
    return fig


def subject_view(per_subject: pd.DataFrame, top: int | None = None) -> Figure:
    """Per subject: the strong−weak gap and the router's strong-call share (from
    :func:`routerlab.evaluation.report.per_subject`): routing helps where both are high."""
    frame = per_subject if top is None else per_subject.head(top)
    router = str(frame["router"].iloc[0]) if len(frame) else "router"
    fig, axes = subplots(1, 2, figsize=(11, 0.22 * len(frame) + 1.8), sharey=True)
    y = np.arange(len(frame))
    axes[0].barh(y, frame["gap"], color=np.where(frame["gap"] >= 0, "tab:red", "tab:blue"))
    axes[0].set_xlabel("quality gap: strong − weak")
    axes[0].set_yticks(y, frame["subject"], fontsize=7)
    axes[0].invert_yaxis()
    axes[1].barh(y, frame["strong_share"], color="tab:purple")
    axes[1].set_xlabel(f"{router}: share of calls sent to the strong model")
    axes[1].set_xlim(0, 1)
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Where routing helps: per-subject gap and {router}'s strong calls")
    fig.tight_layout()
    return fig


def policy_curves(curves: dict[str, pd.DataFrame], *, title: str = "") -> Figure:
    """Multi-model tables: accuracy against cost per prompt for routers whose cost knob was swept
    (frames from :func:`routerlab.evaluation.scoring.policy_curve`), one line per router."""
    if not curves:
        raise ConfigError("no policy curves to plot")
    fig, ax = subplots(figsize=(8, 5.5))
    for name, curve in curves.items():
        ordered = curve.sort_values("cost_per_prompt")
        ax.plot(ordered["cost_per_prompt"], ordered["accuracy"], marker=".", label=name)
    ax.set_xlabel("cost per prompt (USD)")
    ax.set_ylabel("quality (share correct)")
    ax.set_title(title or "Quality vs cost as the cost threshold is swept")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
