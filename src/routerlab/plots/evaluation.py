"""Figures for outcome-table evaluations (return Figures; nothing is shown or saved)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.errors import ConfigError
from routerlab.evaluation.results import Evaluation, RouterResult, router_label
from routerlab.plots._figure import subplots
from routerlab.plots.palette import DIAGONAL_COLOUR, model_colour, router_colour


def _title(evaluation: Evaluation, what: str) -> str:
    name = evaluation.table.name or "outcome table"
    return f"{what} — {name}, n = {evaluation.pair.n:,} held-out prompts"


def _ci(metrics: dict[str, float], key: str) -> str:
    lo, hi = metrics.get(f"{key}_lo", np.nan), metrics.get(f"{key}_hi", np.nan)
    return f" [{lo:.3f}–{hi:.3f}]" if np.isfinite(lo) and np.isfinite(hi) else ""


def _curve_label(r: RouterResult) -> str:
    return f"{router_label(r.name)}: APGR {r.metrics['apgr']:.3f}{_ci(r.metrics, 'apgr')}"


def _point_label(r: RouterResult) -> str:
    acc = r.metrics["accuracy"]
    return f"{router_label(r.name)}: accuracy {acc:.3f}{_ci(r.metrics, 'accuracy')}"


def _cost_note(evaluation: Evaluation) -> str:
    note = next((n for n in evaluation.notes if n.startswith("cost:")), "")
    return note.removeprefix("cost: ")


def quality_vs_share(evaluation: Evaluation) -> Figure:
    """Quality against strong-call share: one line per curve router (its fixed palette colour,
    APGR with bootstrap 95 % interval in the legend), a marker per point router, and the random
    diagonal drawn on top so no curve hides it."""
    pair = evaluation.pair
    fig, ax = subplots(figsize=(8.5, 6))
    for r in evaluation.results:
        colour = router_colour(r.name)
        if r.curve is not None:
            ls = "--" if r.name == "oracle" else "-"
            ax.plot(
                r.curve["strong_share"],
                r.curve["quality"],
                label=_curve_label(r),
                lw=1.6,
                ls=ls,
                color=colour,
            )
        else:
            marker = "s" if r.name.startswith("always") else "D"
            ax.scatter(
                r.metrics["strong_share"],
                r.metrics["accuracy"],
                zorder=4,
                s=60,
                marker=marker,
                color=colour,
                edgecolor="white",
                label=_point_label(r),
            )
    ax.plot(
        [0, 1],
        [pair.q_weak, pair.q_strong],
        color=DIAGONAL_COLOUR,
        ls=(0, (4, 3)),
        lw=1.4,
        zorder=5,
        label="random in expectation (diagonal)",
    )
    ax.axhline(pair.q_weak, color=router_colour("always-weak"), lw=0.8, alpha=0.5)
    ax.axhline(pair.q_strong, color=router_colour("always-strong"), lw=0.8, alpha=0.5)
    ax.set_xlabel(f"share of calls to the strong model ({pair.strong})")
    ax.set_ylabel("quality (share correct)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_title(_title(evaluation, "Quality vs strong-model calls"), fontsize="medium")
    ax.legend(fontsize=7, loc="lower right", title="[bootstrap 95 % interval]", title_fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def quality_vs_cost(evaluation: Evaluation, *, per: int = 1000) -> Figure:
    """Quality against dollars per ``per`` prompts; the x label states what a prompt's input
    counts (e.g. the 5-shot prefix). Without costs for both models the figure says so."""
    pair = evaluation.pair
    if pair.strong_cost is None or pair.weak_cost is None:
        fig, ax = subplots(figsize=(8, 2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no costs known for the strong/weak pair: give prices", ha="center")
        return fig
    weak_c, strong_c = per * pair.weak_cost.mean(), per * pair.strong_cost.mean()
    fig, ax = subplots(figsize=(8.5, 6))
    for r in evaluation.results:
        colour = router_colour(r.name)
        if r.curve is not None and r.curve["cost_per_prompt"].notna().all():
            ax.plot(
                per * r.curve["cost_per_prompt"],
                r.curve["quality"],
                label=_curve_label(r),
                lw=1.6,
                ls="--" if r.name == "oracle" else "-",
                color=colour,
            )
        elif r.curve is None and np.isfinite(r.metrics.get("cost_per_prompt", np.nan)):
            ax.scatter(
                per * r.metrics["cost_per_prompt"],
                r.metrics["accuracy"],
                zorder=4,
                s=60,
                color=colour,
                edgecolor="white",
                label=_point_label(r),
            )
    ax.plot(
        [weak_c, strong_c],
        [pair.q_weak, pair.q_strong],
        color=DIAGONAL_COLOUR,
        ls=(0, (4, 3)),
        lw=1.4,
        zorder=5,
        label="random in expectation (diagonal)",
    )
    ax.set_xlabel(
        f"estimated cost (USD per {per:,} prompts) — {_cost_note(evaluation)}", fontsize=8
    )
    ax.set_ylabel("quality (share correct)")
    ax.set_title(_title(evaluation, "Quality vs cost"), fontsize="medium")
    ax.legend(fontsize=7, loc="lower right", title="[bootstrap 95 % interval]", title_fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def usage_bars(evaluation: Evaluation, level: str = "cpt80") -> Figure:
    """Share of calls per model, in two panels on a [0, 1] axis: routers that decide (their own
    split) and curve routers at the point where they recover the share of the gap named by
    ``level`` (``cpt50`` or ``cpt80``) — fewer strong calls for the same quality is what routing
    buys. Curve routers show the bootstrap 95 % interval of that share as an error bar."""
    if level not in ("cpt50", "cpt80"):
        raise ConfigError(f"level must be cpt50 or cpt80, got {level!r}")
    metrics = evaluation.metrics()
    pair = evaluation.pair
    target = level.removeprefix("cpt")
    groups = [
        ("routers that decide (own split)", metrics[metrics["kind"] == "point"]),
        (f"curve routers at CPT({target} %)", metrics[metrics["kind"] == "curve"]),
    ]
    groups = [(title, frame) for title, frame in groups if len(frame)]
    heights = [len(frame) for _, frame in groups]
    fig = Figure(figsize=(8.5, 0.45 * sum(heights) + 1.2 * len(groups) + 1.0))
    axes = fig.subplots(len(groups), 1, gridspec_kw={"height_ratios": heights})
    axes = np.atleast_1d(axes)
    for ax, (title, frame) in zip(axes, groups, strict=True):
        curve = (frame["kind"] == "curve").to_numpy()
        strong = np.where(curve, frame[level], frame["strong_share"]).astype(float)
        strong = np.clip(np.nan_to_num(strong, nan=1.0), 0.0, 1.0)
        y = np.arange(len(frame))
        ax.barh(y, 1 - strong, color=model_colour(pair.weak), label=pair.weak)
        ax.barh(y, strong, left=1 - strong, color=model_colour(pair.strong), label=pair.strong)
        lo = frame.get(f"{level}_lo")
        hi = frame.get(f"{level}_hi")
        for yi, (s, row) in enumerate(zip(strong, frame.to_dict("records"), strict=True)):
            text = f"{s:.0%} strong"
            if lo is not None and hi is not None and np.isfinite(row.get(f"{level}_lo", np.nan)):
                text += f" [{row[f'{level}_lo']:.0%}–{row[f'{level}_hi']:.0%}]"
            ax.text(
                0.99, yi, text, va="center", ha="right", fontsize=8, color="white", weight="bold"
            )
        ax.set_yticks(y, [router_label(str(r)) for r in frame["router"]], fontsize=8)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=9, loc="left")
    axes[-1].set_xlabel("share of calls (0 to 1)")
    fig.suptitle(_title(evaluation, "Model usage"), fontsize="medium")
    axes[-1].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=2)
    fig.tight_layout()
    return fig


def subject_view(per_subject: pd.DataFrame, top: int | None = None) -> Figure:
    """Per subject: the strong−weak gap and the router's strong-call share (from
    :func:`routerlab.evaluation.study.per_subject`): routing helps where both are high."""
    frame = per_subject if top is None else per_subject.head(top)
    router = str(frame["router"].iloc[0]) if len(frame) else "router"
    fig, axes = subplots(1, 2, figsize=(11, 0.22 * len(frame) + 1.8), sharey=True)
    y = np.arange(len(frame))
    axes[0].barh(
        y,
        frame["gap"],
        color=np.where(
            frame["gap"] >= 0, router_colour("always-strong"), router_colour("always-weak")
        ),
    )
    axes[0].set_xlabel("quality gap: strong − weak")
    labels = [f"{s} (n={n})" for s, n in zip(frame["subject"], frame["n"], strict=True)]
    axes[0].set_yticks(y, labels, fontsize=7)
    axes[0].invert_yaxis()
    axes[1].barh(y, frame["strong_share"], color=router_colour(router))
    axes[1].set_xlabel(f"{router_label(router)}: share of calls sent to the strong model")
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
        ax.plot(
            ordered["cost_per_prompt"],
            ordered["accuracy"],
            marker=".",
            label=name,
            color=router_colour(name),
        )
    ax.set_xlabel("cost per prompt (USD)")
    ax.set_ylabel("quality (share correct)")
    ax.set_title(title or "Quality vs cost as the cost threshold is swept")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
