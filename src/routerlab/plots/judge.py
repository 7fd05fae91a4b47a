"""Figures for the judge routers' MMLU comparison (return Figures; nothing is shown or saved)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from routerlab.harness import HarnessResult
from routerlab.plots._figure import subplots


def _runs(results: HarnessResult | Sequence[HarnessResult]) -> list[HarnessResult]:
    runs = [results] if isinstance(results, HarnessResult) else list(results)
    if not runs:
        raise ValueError("no harness results to plot")
    return runs


def _approaches(runs: list[HarnessResult]) -> pd.DataFrame:
    """One row per approach across runs (the fixed model once, each router once)."""
    rows, seen = [], set()
    for run in runs:
        for _, row in run.summary().iterrows():
            if row["approach"] not in seen:
                seen.add(row["approach"])
                rows.append(row)
    return pd.DataFrame(rows).reset_index(drop=True)


def _usage(runs: list[HarnessResult]) -> pd.DataFrame:
    parts = []
    for run in runs:
        u = run.usage()
        u["approach"] = u["approach"].map(
            {"router": f"router ({run.router})", "fixed": f"fixed ({run.fixed_model})"}
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
        left.barh(usage.index, usage[model], left=bottom, label=model)
        bottom += usage[model]
    left.set_xlabel("share of questions (%)")
    left.set_xlim(0, 100)
    left.set_title("model usage")
    left.legend(loc="lower right", fontsize="small")
    right.barh(summary["approach"], 100 * summary["accuracy"], color="tab:gray")
    for y, (acc, n) in enumerate(zip(summary["accuracy"], summary["questions"], strict=True)):
        right.text(100 * acc + 1, y, f"{100 * acc:.0f}% of {n}", va="center", fontsize="small")
    right.set_xlim(0, 110)
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
        data.setdefault(
            f"fixed ({run.fixed_model})", t.loc[t["fixed_error"].isna(), "fixed_total_latency_s"]
        )
    fig, ax = subplots(figsize=(8, 3.5), constrained_layout=True)
    labels = list(data)
    ax.boxplot([data[k].to_numpy() for k in labels], vert=False, showmeans=True)
    ax.set_yticks(range(1, len(labels) + 1), labels)
    ax.set_xlabel("seconds per question (router: judge + answer)")
    ax.set_title(f"latency distribution — {note or runs[0].label}", fontsize="medium")
    return fig
