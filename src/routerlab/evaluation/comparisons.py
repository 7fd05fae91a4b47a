"""Tables that put numbers side by side fairly: seed spread, the published RouteLLM result, costs.

* :func:`seed_spread` — APGR of the learned routers over several train/held-out draws, on both
  threshold grids: the spread is the result, not one seed.
* :func:`published_comparison` — our routers next to RouteLLM's published MMLU APGR, each row
  saying whether it was measured under the published protocol (prompt text only, RouteLLM's
  10-bin grid) and, if not, why it is not comparable.
* :func:`cost_ranking` — how the routers' cost of recovering half the gap ranks when a prompt's
  input is priced with its few-shot prefix and without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.costs import ModelPrice
from routerlab.evaluation.indomain import (
    C_GRID,
    CV_FOLDS,
    MAX_TRAIN_ROWS,
    TEXT_ONLY,
    WITH_SUBJECT,
    split_rows,
)
from routerlab.evaluation.published import PUBLISHED, PUBLISHED_NO_INDOMAIN
from routerlab.evaluation.results import PROMPT_TEXT, Evaluation, reads_of, router_label
from routerlab.evaluation.run import (
    build_router,
    builtin_options,
    held_out_scores,
    table_costs,
    trained,
)
from routerlab.evaluation.scoring import PairOutcomes, curve_metrics, qcut_curve, threshold_curve
from routerlab.pool import Pool
from routerlab.routers.base import ScoringRouter
from routerlab.tables import OutcomeTable

SPREAD_ROUTERS = ("random", "length", TEXT_ONLY, WITH_SUBJECT)


# RouteLLM (Ong et al., 2024), MMLU, best router trained with in-domain (MMLU) data: APGR 0.603
# on the 10-bin qcut grid over all 14,037 decontaminated rows, from the prompt text only.
def seed_spread(
    table: OutcomeTable,
    seeds: Sequence[int] = range(5),
    routers: Sequence[str] = SPREAD_ROUTERS,
    *,
    strong: str | None = None,
    weak: str | None = None,
    train_rows: int = MAX_TRAIN_ROWS,
    held_out_fraction: float = 1.0,
    cv_folds: int = CV_FOLDS,
    c_grid: Sequence[float] = C_GRID,
    exclude_rows: np.ndarray | None = None,
    pool: Pool | None = None,
) -> pd.DataFrame:
    """One row per seed, router and grid (``full``, ``qcut10``): ``apgr`` and ``cpt50``.

    Each seed draws its own training and held-out rows (:func:`split_rows`); trainable routers
    (the in-domain variants) select and fit inside that seed's training rows only; a seeded
    router (random) uses that seed. ``routers`` are registered scoring routers, built with the
    evaluation's defaults (:func:`~routerlab.evaluation.run.builtin_options`). ``exclude_rows``
    leave every seed's held-out rows (as in :func:`run_evaluation`).
    """
    if not seeds:
        raise ConfigError("seed_spread needs at least one seed")
    if pool is None:
        from routerlab.pool import load_pool

        pool = load_pool()
    options = builtin_options(cv_folds=cv_folds, c_grid=c_grid)
    strong, weak = table.strong_weak(strong, weak)
    rows = []
    for seed in seeds:
        train, test = split_rows(len(table), train_rows, seed, held_out_fraction)
        if exclude_rows is not None and len(exclude_rows):
            test = np.setdiff1d(test, np.asarray(exclude_rows, dtype=int))
        test_table = table.subset(test)
        pair = PairOutcomes.from_table(test_table, strong, weak)
        for name in routers:
            kwargs = dict(options.get(name, {}))
            router = build_router(name, pool, kwargs)
            if getattr(router, "averaged_over_seeds", False):
                router = build_router(name, pool, {**kwargs, "seed": seed})
            if isinstance(router, str):
                raise ConfigError(f"seed_spread cannot build router {name!r}: {router}")
            if not isinstance(router, ScoringRouter):
                raise ConfigError(f"seed_spread needs scoring routers; {name!r} only decides")
            trained(router, table, train, test, strong=strong, weak=weak, seed=seed)
            scores = held_out_scores(router, test_table)
            for grid, curve in (
                ("full", threshold_curve(pair, scores)),
                ("qcut10", qcut_curve(pair, scores)),
            ):
                m = curve_metrics(curve)
                rows.append(
                    {
                        "seed": seed,
                        "router": name,
                        "label": router_label(name),
                        "grid": grid,
                        "n": pair.n,
                        "apgr": m["apgr"],
                        "cpt50": m["cpt50"],
                    }
                )
    return pd.DataFrame(rows)


def spread_summary(spread: pd.DataFrame) -> pd.DataFrame:
    """Per router and grid: seeds, mean, std (population), min and max of APGR and CPT(50 %)."""
    grouped = spread.groupby(["router", "label", "grid"], sort=False)
    out = grouped.agg(
        seeds=("seed", "nunique"),
        n=("n", "mean"),
        apgr_mean=("apgr", "mean"),
        apgr_std=("apgr", lambda v: float(np.std(v))),
        apgr_min=("apgr", "min"),
        apgr_max=("apgr", "max"),
        cpt50_mean=("cpt50", "mean"),
        cpt50_std=("cpt50", lambda v: float(np.std(v))),
    ).reset_index()
    out["n"] = out["n"].round().astype(int)
    return out


def format_spread(summary: pd.DataFrame, router: str, grid: str) -> str:
    """``0.652 ± 0.008 (0.641–0.664), 5 seeds`` for one router and grid."""
    row = summary[(summary["router"] == router) & (summary["grid"] == grid)]
    if row.empty:
        raise ConfigError(f"no spread for router {router!r} on grid {grid!r}")
    r = row.iloc[0]
    return (
        f"{r['apgr_mean']:.3f} ± {r['apgr_std']:.3f} ({r['apgr_min']:.3f}–{r['apgr_max']:.3f}), "
        f"{int(r['seeds'])} seeds"
    )


def published_comparison(
    evaluation: Evaluation, summary: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Our curve routers beside RouteLLM's published APGRs (with in-domain data,
    :data:`PUBLISHED`; without, :data:`PUBLISHED_NO_INDOMAIN`, the classifier's reference), with
    a ``comparable`` verdict.

    A row is comparable when the router reads the prompt text only and its APGR is on the
    10-bin grid; the held-out rows are a stated random subset of the 14,037 (``rows``).
    ``summary`` (from :func:`spread_summary`) adds the seed spread where available.
    """
    n_rows = f"{evaluation.pair.n:,} held-out of {len(evaluation.table):,}"
    rows = [
        {
            "router": name,
            "grid": ref["grid"],
            "apgr": ref["apgr"],
            "apgr_interval": "not reported",
            "rows": ref["rows"],
            "reads": ref["reads"],
            "comparable": f"reference (reported, not measured here): {for_whom}",
        }
        for name, ref, for_whom in (
            ("RouteLLM best (published)", PUBLISHED, "in-domain routers"),
            (
                "RouteLLM best without in-domain data (published)",
                PUBLISHED_NO_INDOMAIN,
                "the classifier",
            ),
        )
    ]
    for r in evaluation.results:
        if r.kind != "curve":
            continue
        reads = reads_of(r)
        for grid, key in (("qcut10", "apgr_qcut10"), ("full", "apgr")):
            interval = ""
            if summary is not None:
                hit = summary[(summary["router"] == r.name) & (summary["grid"] == grid)]
                if not hit.empty:
                    h = hit.iloc[0]
                    interval = (
                        f"seeds: {h['apgr_mean']:.3f} ± {h['apgr_std']:.3f} "
                        f"({h['apgr_min']:.3f}–{h['apgr_max']:.3f}, {int(h['seeds'])} seeds)"
                    )
            # the bootstrap interval of the grid this row is on
            lo, hi = r.metrics.get(f"{key}_lo", np.nan), r.metrics.get(f"{key}_hi", np.nan)
            if not interval and np.isfinite(lo) and np.isfinite(hi):
                interval = f"bootstrap 95 %: {lo:.3f}–{hi:.3f}"
            if r.name == "oracle":
                verdict = "not comparable: reads the outcomes (upper bound, not a router)"
            elif reads != PROMPT_TEXT:
                verdict = f"not comparable: reads {reads}, benchmark metadata a gateway never sees"
            elif grid != "qcut10":
                verdict = "not comparable: full threshold grid (RouteLLM used 10 qcut bins)"
            elif r.name == "classifier":
                verdict = (
                    "comparable protocol with RouteLLM's routers trained without in-domain data "
                    f"({PUBLISHED_NO_INDOMAIN['apgr']:.3f}): trained on Arena labels only"
                )
            elif r.name in (TEXT_ONLY, "indomain"):
                verdict = (
                    "comparable: prompt text only, 10-bin grid, a random subset of rows; trained "
                    "on 1,500 other rows of this table"
                )
            else:
                verdict = "comparable: prompt text only, 10-bin grid, a random subset of rows"
            rows.append(
                {
                    "router": router_label(r.name),
                    "grid": grid,
                    "apgr": r.metrics[key],
                    "apgr_interval": interval or "—",
                    "rows": n_rows,
                    "reads": reads,
                    "comparable": verdict,
                }
            )
    return pd.DataFrame(rows)


def cost_ranking(
    evaluation: Evaluation,
    prices: Mapping[str, ModelPrice],
    modes: Sequence[str] = ("few-shot", "question"),
    *,
    per: int = 1000,
) -> pd.DataFrame:
    """Cost of each router per ``per`` prompts under each cost model, and its rank.

    Curve routers are read at their CPT(50 %) point (the least cost that recovers half the gap,
    on the full grid), fixed routers at their own split. Columns ``cost_<mode>`` and
    ``rank_<mode>`` (1 = cheapest), one row per router; the same held-out rows and scores.
    """
    test_table = evaluation.test_table
    pair = evaluation.pair
    frame = pd.DataFrame(
        {
            "router": [r.name for r in evaluation.results],
            "label": [router_label(r.name) for r in evaluation.results],
        }
    )
    for mode in modes:
        costs, _ = table_costs(test_table, prices, mode)
        if pair.strong not in costs or pair.weak not in costs:
            raise ConfigError(f"no prices for {pair.strong} and {pair.weak}: give both")
        priced = PairOutcomes(
            pair.strong,
            pair.weak,
            pair.strong_out,
            pair.weak_out,
            costs[pair.strong],
            costs[pair.weak],
        )
        strong_cost, weak_cost = costs[pair.strong], costs[pair.weak]
        values = []
        for r in evaluation.results:
            if r.to_strong is not None:
                cost = float(np.mean(np.where(r.to_strong, strong_cost, weak_cost)))
            elif r.scores is not None and r.name != "random":
                curve = threshold_curve(priced, r.scores)
                share = curve_metrics(curve)["cpt50"]
                cost = float(np.interp(share, curve["strong_share"], curve["cost_per_prompt"]))
            elif r.name == "random":
                # random's expected cost at share s is the straight line between the two models
                share = r.metrics["cpt50"]
                cost = float((1 - share) * weak_cost.mean() + share * strong_cost.mean())
            else:
                cost = float("nan")
            values.append(per * cost)
        frame[f"cost_{mode}"] = values
        frame[f"rank_{mode}"] = frame[f"cost_{mode}"].rank(method="min").astype("Int64")
    return frame.sort_values(f"rank_{modes[0]}", ignore_index=True)
