"""How notebook 06's costs and rankings move with the reasoning-token assumption: the trained
outcome routers re-evaluated under other billed-output multipliers (predictions do not depend on
costs, so nothing is retrained)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from routerlab.evaluation.costs import ReasoningAssumption, cost_matrix
from routerlab.evaluation.frontier import PER_1K, best_single
from routerlab.evaluation.multi import MultiEvaluation, Sweep, evaluate_multi
from routerlab.evaluation.multi_run import LAM_POINTS, MultiRun
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable


def _rerun_with_costs(
    run: MultiRun, table: OutcomeTable, costs: np.ndarray, *, n_boot: int, seed: int
) -> MultiEvaluation:
    """The outcome routers (same trained predictors) re-evaluated under other costs: the policy's
    costs and lam grid follow the new costs; predictions do not depend on costs. Single models,
    oracle and random are recomputed; tier-mapped routers and recorded decisions are left out."""
    from routerlab.learning import lam_grid, sweep

    models = list(run.models)
    outcomes = table.matrix(models)
    prompts = table.prompts
    p_held = [prompts[i] for i in run.held_out_rows]
    specs: dict[str, Sweep | np.ndarray] = {}
    for name, fitted in run.trained.items():
        policy = costs[run.train_rows].mean(axis=0) * PER_1K
        pred = fitted.predict(p_held)
        knobs = np.asarray(lam_grid(pred, policy, LAM_POINTS), dtype=float)
        specs[name] = Sweep(knobs, np.asarray(sweep(pred, policy, knobs), dtype=np.intp))
    return evaluate_multi(
        outcomes, costs, models, specs, rows=run.held_out_rows, n_boot=n_boot, seed=seed
    )


def reasoning_sensitivity(
    run: MultiRun,
    table: OutcomeTable,
    prices: Mapping[str, ModelPrice],
    multipliers: Sequence[float],
    *,
    reasoning_models: Sequence[str],
    output_tokens: int = 1,
    n_boot: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """How costs and the ranking move with the reasoning assumption: for each billed-output
    multiplier, every router's cost at its default knob, its area above the hull and cost to
    the best model, and its rank by area (1 = best); the single models' rank by cost too."""
    rows = []
    models = list(run.models)
    for x in multipliers:
        assumption = ReasoningAssumption(tuple(reasoning_models), output_multiplier=float(x))
        costs, _ = cost_matrix(
            table, models, prices, reasoning=assumption, output_tokens=output_tokens
        )
        evaluation = _rerun_with_costs(run, table, costs, n_boot=n_boot, seed=seed)
        b = best_single(evaluation.single_quality, evaluation.single_cost)
        curves = [r for r in evaluation.results if r.kind == "curve"]
        areas = {r.name: r.metrics["area_vs_hull"] for r in curves}
        order = sorted(areas, key=lambda k: -areas[k] if math.isfinite(areas[k]) else math.inf)
        for r in evaluation.results:
            rows.append(
                {
                    "reasoning_multiplier": float(x),
                    "router": r.name,
                    "quality": r.quality,
                    "cost_usd_per_1k": r.cost_usd_per_1k,
                    "area_vs_hull": r.metrics.get("area_vs_hull", float("nan")),
                    "cost_to_best_share": r.metrics.get("cost_to_best_share", float("nan")),
                    "rank_by_area": order.index(r.name) + 1 if r.name in areas else None,
                    "best_single": models[b],
                }
            )
    return pd.DataFrame(rows)


def sensitivity_study(
    runs: Mapping[str, MultiRun],
    tables: Mapping[str, OutcomeTable],
    multipliers: Sequence[float],
    *,
    reasoning_models: Sequence[str],
    seed: int = 0,
) -> pd.DataFrame:
    """:func:`reasoning_sensitivity` for every run whose models include a reasoning model, one
    frame with a ``table`` column (the run's label)."""
    from routerlab.evaluation.multi_run import resolve_prices

    frames = []
    for label, run in runs.items():
        if not any(m in reasoning_models for m in run.models):
            continue
        name = run.table
        frame = reasoning_sensitivity(
            run,
            tables[name],
            resolve_prices(name),
            multipliers,
            reasoning_models=reasoning_models,
            seed=seed,
        )
        frames.append(frame.assign(table=label))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def ranking_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """Rank by area above the hull per (table, router) and reasoning multiplier."""
    curves = sensitivity.dropna(subset=["rank_by_area"])
    return curves.pivot_table(
        index=["table", "router"], columns="reasoning_multiplier", values="rank_by_area"
    ).astype(int)


def single_costs_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """USD per 1k prompts of each model alone and of the oracle per reasoning multiplier."""
    fixed = sensitivity[sensitivity["router"].str.startswith(("always:", "oracle"))]
    return fixed.pivot_table(
        index=["table", "router"], columns="reasoning_multiplier", values="cost_usd_per_1k"
    )
