"""Figures for the judge routers' MMLU comparison (return Figures; nothing is shown or saved)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from routerlab.harness import HarnessResult
from routerlab.plots._figure import subplots
from routerlab.plots.palette import model_colour, router_colour


def _runs(results: HarnessResult | Sequence[HarnessResult]) -> list[HarnessResult]:
    runs = [results] if isinstance(results, HarnessResult) else list(results)
    if not runs:
        raise ValueError("no harness results to plot")
    return runs


def wilson_interval(share: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson 95 % interval of a proportion (sensible for the handful of questions here)."""
    if n <= 0:
        return (float("nan"), float("nan"))
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _fixed_label(run: HarnessResult, runs: list[HarnessResult]) -> str:
    """Each run keeps its own fixed-model baseline: with several runs the label names the run
    (two runs answer with the same fixed model but get different accuracies and latencies)."""
    base = f"fixed ({run.fixed_model})"
    return base if len(runs) == 1 else f"{base}, {run.router} run"


def _approaches(runs: list[HarnessResult]) -> pd.DataFrame:
    """One row per approach and run: each router and each run's own fixed baseline."""
    rows = []
    for run in runs:
        for _, row in run.summary().iterrows():
            row = row.copy()
            if str(row["approach"]).startswith("fixed"):
                row["approach"] = _fixed_label(run, runs)
            rows.append(row)
    return pd.DataFrame(rows).drop_duplicates("approach").reset_index(drop=True)


def _usage(runs: list[HarnessResult]) -> pd.DataFrame:
    parts = []
    for run in runs:
        u = run.usage()
        u["approach"] = u["approach"].map(
            {"router": f"router ({run.router})", "fixed": _fixed_label(run, runs)}
        )
        parts.append(u)
    usage = pd.concat(parts, ignore_index=True).drop_duplicates(["approach", "model"])
    return usage.pivot_table(index="approach", columns="model", values="share_pct", fill_value=0.0)


def usage_accuracy_figure(
    results: HarnessResult | Sequence[HarnessResult], note: str | None = None
) -> Figure:
    """Left: model usage (% of questions) per approach; right: accuracy per approach."""
    runs = _runs(results)
    summary = _approaches(runs)
    usage = _usage(runs).reindex(summary["approach"])
    fig, (left, right) = subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    bottom = pd.Series(0.0, index=usage.index)
    for model in usage.columns:
        left.barh(usage.index, usage[model], left=bottom, label=model, color=model_colour(model))
        bottom += usage[model]
    left.set_xlabel("share of questions (%)")
    left.set_xlim(0, 100)
    left.set_title("model usage")
    left.legend(loc="lower right", fontsize="small")
    bounds = [
        wilson_interval(float(a), int(n))
        for a, n in zip(summary["accuracy"], summary["questions"], strict=True)
    ]
    acc_pct = 100 * summary["accuracy"].to_numpy(dtype=float)
    err = [  # clipped: rounding can make a bound cross the point by 1e-15
        [max(0.0, acc_pct[i] - 100 * lo) for i, (lo, _) in enumerate(bounds)],
        [max(0.0, 100 * hi - acc_pct[i]) for i, (_, hi) in enumerate(bounds)],
    ]
    right.barh(
        summary["approach"],
        acc_pct,
        xerr=err,
        capsize=3,
        color=[router_colour(str(a)) for a in summary["approach"]],
    )
    for y, (acc, n, (lo, hi)) in enumerate(
        zip(summary["accuracy"], summary["questions"], bounds, strict=True)
    ):
        right.text(
            100 * hi + 1,
            y,
            f"{100 * acc:.0f}% of n={n} (95 % CI {100 * lo:.0f}–{100 * hi:.0f})",
            va="center",
            fontsize="small",
        )
    right.set_xlim(0, 160)
    right.set_xlabel("accuracy (%)")
    right.set_title("MMLU accuracy")
    right.set_yticks(range(len(summary)), [""] * len(summary))
    fig.suptitle(note or runs[0].label, fontsize="medium")
    return fig


def latency_figure(
    results: HarnessResult | Sequence[HarnessResult], note: str | None = None
) -> Figure:
    """Total latency per question (judge + answer for routers) by approach, as box plots."""
    runs = _runs(results)
    data: dict[str, pd.Series] = {}
    for run in runs:
        t = run.table
        data[f"router ({run.router})"] = t.loc[t["router_error"].isna(), "router_total_latency_s"]
        data[_fixed_label(run, runs)] = t.loc[t["fixed_error"].isna(), "fixed_total_latency_s"]
    fig, ax = subplots(figsize=(8, 3.5), constrained_layout=True)
    labels = list(data)
    ax.boxplot([data[k].to_numpy() for k in labels], vert=False, showmeans=True)
    ax.set_yticks(range(1, len(labels) + 1), [f"{k} (n={len(data[k])})" for k in labels])
    ax.set_xlabel("seconds per question (router: judge + answer)")
    ax.set_title(f"latency distribution — {note or runs[0].label}", fontsize="medium")
    return fig
