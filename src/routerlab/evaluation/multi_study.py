"""Notebook 06's computations on N-model runs: files, the reasoning-assumption sensitivity, the
ranking table and the conclusions text (computed from the numbers, never typed in).

Everything here takes :class:`~routerlab.evaluation.multi_run.MultiRun` results; loops and
branches live here (with tests) so the notebook stays a sequence of calls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from routerlab.evaluation.frontier import best_single
from routerlab.evaluation.multi import MultiEvaluation
from routerlab.evaluation.multi_run import MultiRun
from routerlab.evaluation.multi_sensitivity import (
    ranking_table,
    reasoning_sensitivity,
    sensitivity_study,
    single_costs_table,
)
from routerlab.tables import OutcomeTable


def save_run(run: MultiRun, folder: str | Path, stem: str) -> dict[str, Path]:
    """``<stem>_metrics.csv`` (one row per router, interval columns), ``<stem>.json`` (the
    ``routerlab eval --json`` object) and, with a budget, ``<stem>_budget.csv``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"metrics": out / f"{stem}_metrics.csv", "json": out / f"{stem}.json"}
    run.frame().to_csv(paths["metrics"], index=False)
    paths["json"].write_text(json.dumps(run.to_json(), indent=2) + "\n", encoding="utf-8")
    if run.budget_usd_per_1k is not None:
        paths["budget"] = out / f"{stem}_budget.csv"
        run.budget_frame().to_csv(paths["budget"], index=False)
    return paths


def _fmt(value: float | None, ci: Sequence[float | None] | None, digits: int) -> str:
    if value is None or not math.isfinite(value):
        return "not reached"
    text = f"{value:.{digits}f}"
    if ci is not None and all(c is not None for c in ci):
        text += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return text


def metric_table(runs: Mapping[str, MultiRun]) -> pd.DataFrame:
    """One row per (table, router): quality and cost with intervals, and for curves the three
    frontier metrics with intervals, formatted for reading."""
    rows = []
    for label, run in runs.items():
        for rec in run.evaluation.records():
            curve = rec["kind"] == "curve"
            rows.append(
                {
                    "table": label,
                    "router": rec["router"],
                    "quality": _fmt(rec["quality"], rec["quality_ci"], 3),
                    "USD per 1k": _fmt(rec["cost_usd_per_1k"], rec["cost_usd_per_1k_ci"], 3),
                    "quality at cheapest cost": _fmt(
                        rec["quality_at_cheapest_cost"], rec["quality_at_cheapest_cost_ci"], 3
                    )
                    if curve
                    else "",
                    "cost to best (share)": _fmt(
                        rec["cost_to_best_share"], rec["cost_to_best_share_ci"], 2
                    )
                    if curve
                    else "",
                    "area vs hull (points)": _fmt(rec["area_vs_hull"], rec["area_vs_hull_ci"], 2)
                    if curve
                    else "",
                }
            )
    return pd.DataFrame(rows)


def _best_curve(evaluation: MultiEvaluation) -> tuple[str, float, tuple[float, float]] | None:
    curves = [
        r
        for r in evaluation.results
        if r.kind == "curve" and r.name != "random" and math.isfinite(r.metrics["area_vs_hull"])
    ]
    if not curves:
        return None
    top = max(curves, key=lambda r: r.metrics["area_vs_hull"])
    return (
        top.name,
        top.metrics["area_vs_hull"],
        top.intervals.get("area_vs_hull", (math.nan, math.nan)),
    )


def conclusions(runs: Mapping[str, MultiRun], sensitivity: pd.DataFrame | None = None) -> str:
    """Markdown bullet points computed from the runs: oracle vs best single model, the best
    learned router's area above the fixed-mix hull (and whether its interval excludes 0), its
    cost to the best model's quality, and whether the ranking moved with the reasoning
    assumption."""
    lines = []
    for label, run in runs.items():
        ev = run.evaluation
        b = best_single(ev.single_quality, ev.single_cost)
        oracle = ev.result("oracle")
        best_name = ev.models[b]
        lines.append(
            f"- **{label}** (n = {ev.n:,} held-out prompts): the best single model, "
            f"`{best_name}`, scores {ev.single_quality[b]:.1%} at ${ev.single_cost[b]:.3f} per 1k "
            f"prompts; the oracle {oracle.quality:.1%} at ${oracle.cost_usd_per_1k:.3f} "
            f"({oracle.cost_usd_per_1k / ev.single_cost[b]:.0%} of its cost)."
        )
        top = _best_curve(ev)
        if top is None:
            lines.append("  No learned router was evaluated on this table.")
            continue
        name, area, (lo, hi) = top
        if math.isfinite(lo) and math.isfinite(hi):
            verdict = (
                "its interval excludes 0"
                if lo > 0 or hi < 0
                else "its interval includes 0: not distinguishable from mixing fixed models"
            )
            interval = f" [{lo:+.2f}, {hi:+.2f}]"
        else:
            verdict, interval = "no interval was computed", ""
        result = ev.result(name)
        share = result.metrics["cost_to_best_share"]
        reach = (
            f"it reaches the best model's quality at {share:.0%} of its cost"
            if math.isfinite(share)
            else "it never reaches the best model's quality"
        )
        at_best = (
            float(result.envelope.at(float(ev.single_cost[b]))) if result.envelope else math.nan
        )
        lines.append(
            f"  The learned router with the largest area above the fixed-mix hull is `{name}`: "
            f"{area:+.2f} points{interval} ({verdict}); {reach}, and at the best model's cost "
            f"it scores {at_best:.1%}."
        )
        rnd = next((r for r in ev.results if r.name == "random"), None)
        if rnd is not None and math.isfinite(rnd.metrics.get("area_vs_hull", math.nan)):
            _, r_hi = rnd.intervals.get("area_vs_hull", (math.nan, math.nan))
            above = math.isfinite(lo) and math.isfinite(r_hi) and lo > r_hi
            lines.append(
                f"  For scale, the random router (the hull in expectation; its envelope over a "
                f"finite sample is slightly optimistic) scores {rnd.metrics['area_vs_hull']:+.2f} "
                f"points; `{name}`'s interval "
                + ("lies above random's." if above else "overlaps random's.")
            )
    if sensitivity is not None and len(sensitivity):
        ranks = ranking_table(
            sensitivity if "table" in sensitivity else sensitivity.assign(table="")
        )
        if ranks.shape[1] > 1:
            xs = ", ".join(f"{x:g}x" for x in ranks.columns)
            moved = [
                f"`{r}` ({t})" if t else f"`{r}`"
                for t, r in ranks.index
                if ranks.loc[(t, r)].nunique() > 1
            ]
            lines.append(
                f"- Across reasoning assumptions ({xs} visible output), "
                + (
                    f"the ranking by area moves for {', '.join(moved)}."
                    if moved
                    else "no router's rank by area moves."
                )
            )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the study's runs


@dataclass(frozen=True)
class StudyTable:
    """One evaluation of notebook 06: a label, a registered table and the models scored."""

    label: str
    table: str
    models: tuple[str, ...] | None  # None: all of the table's
    tiered: bool = False  # score the study's pool routers through the default tier map


def study_tables() -> list[StudyTable]:
    """ZeroEval CRUXEval and MATH-L5 with the OpenAI trio (tier-mapped study routers too) and
    the open trio, and LLMRouter with all 9 models."""
    from routerlab.sources.zeroeval import OPEN_TRIO, OPENAI_TRIO

    return [
        StudyTable("CRUXEval · OpenAI trio", "zeroeval-crux", OPENAI_TRIO, tiered=True),
        StudyTable("MATH-L5 · OpenAI trio", "zeroeval-math-l5", OPENAI_TRIO, tiered=True),
        StudyTable("CRUXEval · open trio", "zeroeval-crux", OPEN_TRIO),
        StudyTable("MATH-L5 · open trio", "zeroeval-math-l5", OPEN_TRIO),
        StudyTable("LLMRouter · 9 models", "llmrouter", None),
    ]


def run_study(
    specs: Sequence[StudyTable],
    *,
    routers: Sequence[str],
    held_out_fraction: float = 0.5,
    seed: int = 0,
    n_boot: int = 200,
    budget_share: float | None = None,
    classifier_dir: str | Path | None = None,
    decisions: Sequence[str | Path] = (),
    max_train_rows: Mapping[str, int] | None = None,
) -> tuple[dict[str, MultiRun], dict[str, OutcomeTable]]:
    """Run :func:`~routerlab.evaluation.multi_run.run_multi` for every spec (tables loaded once,
    prices from the registry and the pool, the default reasoning assumption). Tiered specs also
    score the classifier (skipped with a note when ``classifier_dir`` holds none) and the
    recorded ``decisions``. Returns (label -> run, table name -> table)."""
    from routerlab.evaluation.multi_run import resolve_prices, run_multi
    from routerlab.tables import load_table
    from routerlab.tiers import TierMap

    tables: dict[str, OutcomeTable] = {}
    runs: dict[str, MultiRun] = {}
    for spec in specs:
        if spec.table not in tables:
            tables[spec.table] = load_table(spec.table)
        table = tables[spec.table]
        cap = (max_train_rows or {}).get(spec.table)
        runs[spec.label] = run_multi(
            table,
            models=None if spec.models is None else list(spec.models),
            routers=[*routers, "classifier"] if spec.tiered else list(routers),
            prices=resolve_prices(spec.table),
            held_out_fraction=held_out_fraction,
            seed=seed,
            n_boot=n_boot,
            budget_share=budget_share,
            tiers=TierMap.of() if spec.tiered else None,
            classifier_dir=classifier_dir,
            decisions=decisions if spec.tiered else (),
            max_train_rows=cap if cap else None,
        )
    return runs, tables


def budget_table(runs: Mapping[str, MultiRun]) -> pd.DataFrame:
    """Every run's budget points (knob chosen on training rows, achieved on held-out rows)."""
    frames = [
        run.budget_frame().assign(table=label, budget_usd_per_1k=run.budget_usd_per_1k)
        for label, run in runs.items()
        if run.budget_usd_per_1k is not None
    ]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[
        [
            "table",
            "budget_usd_per_1k",
            *[c for c in out.columns if c not in ("table", "budget_usd_per_1k")],
        ]
    ]


def tiered_summary(runs: Mapping[str, MultiRun]) -> str:
    """What the tier-mapped study routers did: their rows, or why they are absent."""
    lines = []
    for label, run in runs.items():
        tier_notes = [n for n in run.notes if n.startswith(("tier map", "classifier skipped"))]
        for note in tier_notes:
            lines.append(f"- {label}: {note}")
        for r in run.evaluation.results:
            if r.name == "classifier":
                lines.append(
                    f"- {label}: classifier at its default knob {r.knob:g}: quality "
                    f"{r.quality:.1%} at ${r.cost_usd_per_1k:.3f} per 1k; area above the hull "
                    f"{r.metrics['area_vs_hull']:+.2f} points"
                )
    return "\n".join(lines) or "No tier-mapped router was evaluated."


def file_stem(label: str) -> str:
    """A file name stem from an evaluation label (``"CRUXEval · OpenAI trio"`` ->
    ``"cruxeval_openai_trio"``)."""
    return "_".join(
        part for part in "".join(c.lower() if c.isalnum() else " " for c in label).split()
    )


def save_runs(runs: Mapping[str, MultiRun], folder: str | Path) -> dict[str, dict[str, Path]]:
    """:func:`save_run` for every run, named by :func:`file_stem` of its label."""
    return {label: save_run(run, folder, file_stem(label)) for label, run in runs.items()}


def run_summary(runs: Mapping[str, MultiRun]) -> str:
    """One Markdown line per run: models, training and held-out rows."""
    return "\n".join(
        f"- **{label}**: {len(run.models)} models, {len(run.train_rows):,} training / "
        f"{run.evaluation.n:,} held-out rows"
        for label, run in runs.items()
    )


__all__ = [
    "StudyTable",
    "budget_table",
    "conclusions",
    "file_stem",
    "metric_table",
    "ranking_table",
    "reasoning_sensitivity",
    "run_study",
    "run_summary",
    "save_run",
    "save_runs",
    "sensitivity_study",
    "single_costs_table",
    "study_tables",
    "tiered_summary",
]
