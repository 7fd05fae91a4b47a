"""Cost–quality frontier figure of an N-model evaluation (returns a Figure; nothing shown or saved).

One panel: single models as squares (their fixed model colour), the fixed-mix hull (dashed, flat
beyond the best model), the oracle (black star), the random router and every curve router (its
knob points joined in knob order, a dot at its default knob; the legend gives the area above the
hull with its interval). The cost assumptions (the notes starting ``cost:`` or ``reasoning:``)
are printed under the axes, so a figure is never read without them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from routerlab.evaluation.multi import SINGLE_PREFIX, MultiEvaluation, MultiResult
from routerlab.plots._figure import subplots
from routerlab.plots.palette import DIAGONAL_COLOUR, model_colour, router_colour

_ASSUMPTION_PREFIXES = ("cost:", "reasoning:")


def _interval(r: MultiResult, key: str) -> str:
    lo, hi = r.intervals.get(key, (np.nan, np.nan))
    if np.isfinite(lo) and np.isfinite(hi):
        return f" [{lo:+.1f}, {hi:+.1f}]"
    return ""


def _curve_label(r: MultiResult) -> str:
    area = r.metrics.get("area_vs_hull", np.nan)
    if not np.isfinite(area):
        return r.name
    return f"{r.name}: {area:+.1f} pts vs hull{_interval(r, 'area_vs_hull')}"


# marker, size, z-order, edge of a single model, the oracle and a router with one operating point
_POINT_STYLES: dict[str, tuple[str, int, int, str | None]] = {
    "single": ("s", 70, 5, "white"),
    "oracle": ("*", 180, 6, None),
    "router": ("D", 50, 5, "white"),
}


def _point(ax: Axes, r: MultiResult, name: str, colour: str, style: str) -> None:
    """One operating point, labelled with its quality."""
    marker, size, zorder, edge = _POINT_STYLES[style]
    ax.scatter(
        r.cost_usd_per_1k,
        r.quality,
        marker=marker,
        s=size,
        zorder=zorder,
        color=colour,
        edgecolor=edge,
        label=f"{name}: {r.quality:.3f}",
    )


def cost_caption(notes: Sequence[str]) -> str:
    """The cost-assumption lines of ``notes`` (``cost: ...``, ``reasoning: ...``), one per line."""
    return "\n".join(n for n in notes if n.startswith(_ASSUMPTION_PREFIXES))


def frontier_plot(
    evaluation: MultiEvaluation,
    *,
    title: str = "",
    notes: Sequence[str] = (),
    log_cost: bool = False,
) -> Figure:
    """Quality against USD per 1k prompts for every router of ``evaluation``.

    ``notes`` (e.g. :func:`routerlab.evaluation.costs.cost_matrix`'s) are added to the
    evaluation's own for the caption, which prints the cost and reasoning assumptions.
    """
    fig, ax = subplots(figsize=(11.5, 6.5))
    hull = evaluation.hull
    right = max(float(np.max(evaluation.single_cost)), float(hull.cost[-1]))
    for r in evaluation.results:
        if r.kind == "curve":
            right = max(right, float(r.points["cost_usd_per_1k"].max()))
    hx = np.r_[hull.cost, right * 1.05]
    hy = np.r_[hull.quality, hull.quality[-1]]
    ax.plot(hx, hy, color=DIAGONAL_COLOUR, ls=(0, (4, 3)), lw=1.4, label="fixed-mix hull")
    for r in evaluation.results:
        if r.name.startswith(SINGLE_PREFIX):
            model = r.name.removeprefix(SINGLE_PREFIX)
            _point(ax, r, model, model_colour(model), "single")
            # named on the axes too: a spare palette colour may repeat a router's colour
            ax.annotate(
                model,
                (r.cost_usd_per_1k, r.quality),
                xytext=(6, -10),
                textcoords="offset points",
                fontsize=7,
            )
        elif r.name == "oracle":
            _point(ax, r, r.name, router_colour(r.name), "oracle")
        elif r.kind == "curve":
            colour = router_colour(r.name)
            ax.plot(
                r.points["cost_usd_per_1k"],
                r.points["quality"],
                color=colour,
                lw=1.4 if r.name != "random" else 1.0,
                alpha=1.0 if r.name != "random" else 0.7,
                label=_curve_label(r),
            )
            ax.scatter(r.cost_usd_per_1k, r.quality, color=colour, s=25, zorder=4)
        else:
            _point(ax, r, r.name, router_colour(r.name), "router")
    if log_cost:
        ax.set_xscale("log")
    ax.set_xlabel("cost (USD per 1k prompts)")
    ax.set_ylabel("quality (mean outcome)")
    heading = title or "Cost vs quality"
    ax.set_title(f"{heading} — n = {evaluation.n:,} held-out prompts", fontsize="medium")
    # beside the axes, not over them: with many models the points fill every corner
    ax.legend(
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        title=f"area above hull [{round(evaluation.level * 100)} % interval]",
        title_fontsize=7,
    )
    ax.grid(alpha=0.3)
    caption = cost_caption([*notes, *evaluation.notes])
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=7, ha="left", va="bottom", wrap=True)
    lines = caption.count("\n") + 1 if caption else 0
    fig.tight_layout(rect=(0, 0.025 * lines + 0.01, 1, 1))
    return fig
