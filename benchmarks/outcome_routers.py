"""Outcome-trained routers on recorded multi-model outcomes: the issue-11 benchmark targets.

Prints one table of measured figures (held-out rows; bootstrap 95 % intervals over rows):

* ZeroEval CRUXEval and MATH-L5, OpenAI trio (gpt-4o-mini / gpt-4o / o1-mini, 2024 list prices,
  cost from o200k tokens of the visible prompt and reply), held-out half: area above the
  fixed-mix hull (accuracy points) and the cost share at which the router comes within 1 point
  of the best single model. The other 14 models' outcomes on TRAINING prompts are used as shared
  strength (``aux``); nothing about held-out prompts except their text is seen.
* LLMRouter (9 models, fixed train/test split): quality at the best single model's cost.
* RouteLLM MMLU (two models; 1,500 training rows, the rest held out): APGR on RouteLLM's
  10-bin grid of a text-only outcome router.

Hyper-parameters are chosen by 5-fold CV inside the training rows only; ``lam`` for a budget is
calibrated on out-of-fold predictions of the training rows.

    python benchmarks/outcome_routers.py            # every table, 5 seeds
    python benchmarks/outcome_routers.py --quick    # 1 seed, fewer candidates, fewer resamples
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from routerlab.learning import (
    CostModel,
    FactorModel,
    IRTModel,
    KNNPerModel,
    LogisticPerModel,
    lam_grid,
    make_featurizer,
    prompt_tokens,
    realised_costs,
    sweep,
)

TRIO = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "o1-mini-2024-09-12")
TRIO_PRICES = ((0.15, 0.60), (2.50, 10.00), (3.00, 12.00))  # 2024 list prices, USD per 1M in/out
LLMROUTER_OUTPUT_TOKENS = 256  # LLMRouter records no output tokens: every reply is priced at this


# ----------------------------------------------------------------------------- metrics


def _upper_hull(points: np.ndarray) -> np.ndarray:
    """Upper concave hull of (cost, quality) points, sorted by cost, made non-decreasing."""
    pts = points[np.lexsort((-points[:, 1], points[:, 0]))]
    hull: list[np.ndarray] = []
    for p in pts:
        if hull and p[1] <= hull[-1][1]:
            continue  # costlier and not better: never on a non-decreasing frontier
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= 0:
                hull.pop()
            else:
                break
        hull.append(p)
    return np.array(hull)


def _envelope(points: np.ndarray) -> np.ndarray:
    """A router's monotone curve: its Pareto points (no costlier point is worse), by cost."""
    pts = points[np.lexsort((-points[:, 1], points[:, 0]))]
    keep = []
    best = -np.inf
    for p in pts:
        if p[1] > best:
            keep.append(p)
            best = p[1]
    return np.array(keep)


def _interp(curve: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear between points, flat beyond the last point, the first point's value before it."""
    return np.interp(x, curve[:, 0], curve[:, 1])


def curve_metrics(
    q_router: np.ndarray, c_router: np.ndarray, q_single: np.ndarray, c_single: np.ndarray
) -> dict[str, float]:
    """Area above the fixed-mix hull (points, over the single models' cost range, normalised by
    it), quality at the cheapest model's cost, and the cost (share of the best single model's)
    at which the router's curve reaches the best single quality minus 1 point (NaN: never)."""
    hull = _upper_hull(np.column_stack([c_single, q_single]))
    env = _envelope(np.column_stack([c_router, q_router]))
    lo, hi = float(c_single.min()), float(c_single.max())
    xs = np.linspace(lo, hi, 401)
    area = float(np.mean(_interp(env, xs) - _interp(hull, xs))) * 100.0
    best = int(np.argmax(q_single))
    target = q_single[best] - 0.01
    reach = env[env[:, 1] >= target]
    share = float("nan")
    if len(reach):
        # First point at or above the target; interpolate on the segment leading to it.
        i = int(np.flatnonzero(env[:, 1] >= target)[0])
        if i == 0:
            cost = env[0, 0]
        else:
            (x1, y1), (x2, y2) = env[i - 1], env[i]
            cost = x1 + (x2 - x1) * (target - y1) / (y2 - y1)
        share = float(cost / c_single[best])
    return {
        "area_vs_hull": area,
        "q_at_cheapest": float(_interp(env, np.array([lo]))[0]) * 100.0,
        "cost_share_best_minus_1pt": share,
    }


def quality_at_cost(q_router: np.ndarray, c_router: np.ndarray, cost: float) -> float:
    env = _envelope(np.column_stack([c_router, q_router]))
    return float(_interp(env, np.array([cost]))[0]) * 100.0


def bootstrap(
    stat: Callable[[np.ndarray], dict[str, float]], n: int, resamples: int, seed: int
) -> dict[str, tuple[float, float]]:
    """Percentile 95 % interval of every figure ``stat(rows)`` returns, over row resamples."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(resamples):
        for k, v in stat(rng.integers(0, n, n)).items():
            draws.setdefault(k, []).append(v)
    out = {}
    for k, vals in draws.items():
        arr = np.asarray(vals, dtype=float)
        arr = arr[np.isfinite(arr)] if np.isfinite(arr).any() else arr
        out[k] = (float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5)))
    return out


# ----------------------------------------------------------------------------- data


@dataclass
class Table:
    name: str
    texts: list[str]
    Y: np.ndarray  # (n, m) outcomes of the routed models
    models: tuple[str, ...]
    prices: tuple[tuple[float, float], ...]
    out_tokens: np.ndarray  # (n, m) recorded output tokens (for costs)
    in_tokens: np.ndarray  # (n,)
    aux: np.ndarray | None = None  # (n, a) other models' outcomes, training rows only are used
    aux_models: tuple[str, ...] = ()


def zeroeval_table(task: str) -> Table:
    from routerlab.sources.zeroeval import zeroeval_frame  # helper "graders" (branch i-graders)

    frame = zeroeval_frame(task)
    models = [
        c for c in frame.columns if "|" not in c and c not in ("id", "prompt", "task", "reference")
    ]
    others = tuple(m for m in models if m not in TRIO)
    return Table(
        name=f"zeroeval-{task}",
        texts=frame["prompt"].astype(str).tolist(),
        Y=frame[list(TRIO)].to_numpy(dtype=float),
        models=TRIO,
        prices=TRIO_PRICES,
        out_tokens=frame[[f"{m}|output_tokens" for m in TRIO]].to_numpy(dtype=float),
        in_tokens=frame[f"{TRIO[0]}|input_tokens"].to_numpy(dtype=float),
        aux=frame[list(others)].to_numpy(dtype=float),
        aux_models=others,
    )


def llmrouter_split(split: str, mirror: Path) -> tuple[list[str], list[dict[str, float]]]:
    records = json.loads((mirror / "llmrouter" / f"{split}.json").read_text())
    texts, scores = [], []
    for r in records:
        s = r["scores"]
        if isinstance(s, str):
            s = ast.literal_eval(s)  # some records store the dict as a Python literal
        texts.append(str(r["question"]))
        scores.append({k: float(v) for k, v in s.items()})
    return texts, scores


def llmrouter_tables(mirror: Path) -> tuple[Table, Table]:
    candidates = json.loads((mirror / "llmrouter" / "llm_candidates.json").read_text())
    tables = []
    for split in ("train", "test"):
        texts, scores = llmrouter_split(split, mirror)
        models = tuple(sorted(candidates))
        Y = np.array([[s.get(m, np.nan) for m in models] for s in scores], dtype=float)
        prices = tuple(
            (float(candidates[m]["input_price"]), float(candidates[m]["output_price"]))
            for m in models
        )
        tin = prompt_tokens(texts)
        tables.append(
            Table(
                name=f"llmrouter-{split}",
                texts=texts,
                Y=Y,
                models=models,
                prices=prices,
                out_tokens=np.full(Y.shape, float(LLMROUTER_OUTPUT_TOKENS)),
                in_tokens=tin,
            )
        )
    return tables[0], tables[1]


def rows_of(table: Table, rows: np.ndarray) -> Table:
    return Table(
        table.name,
        [table.texts[i] for i in rows],
        table.Y[rows],
        table.models,
        table.prices,
        table.out_tokens[rows],
        table.in_tokens[rows],
        None if table.aux is None else table.aux[rows],
        table.aux_models,
    )


# ----------------------------------------------------------------------------- learners


def candidates(quick: bool, has_aux: bool) -> dict[str, Callable[[], Any]]:
    """Learner factories, by name. Each name is one learner family with its CV grid inside."""
    return {
        "tfidf-logistic": lambda: LogisticPerModel(
            make_featurizer("tfidf"), c=1.0, name="tfidf-logistic"
        ),
        "minilm-logistic": lambda: LogisticPerModel(
            make_featurizer("minilm+length"), c=0.05, name="minilm-logistic"
        ),
        "minilm-knn": lambda: KNNPerModel(
            make_featurizer("minilm"), k=30, tau=0.05, alpha=3.0, name="minilm-knn"
        ),
        "factor": lambda: FactorModel(
            make_featurizer("minilm+tfidf-svd+length"), rank=8, l2=3e-3, name="factor"
        ),
        "irt": lambda: IRTModel(make_featurizer("minilm+tfidf-svd+length"), l2=3e-2, name="irt"),
    }


# ----------------------------------------------------------------------------- experiments


def evaluate_curve(
    pred: np.ndarray, pol_costs: np.ndarray, test: Table, resamples: int, seed: int
) -> tuple[dict[str, float], dict[str, tuple[float, float]], np.ndarray, np.ndarray]:
    paid = realised_costs(test.in_tokens[:, None], test.out_tokens, test.prices)
    lams = lam_grid(pred, pol_costs, points=80)
    choices = sweep(pred, pol_costs, lams)  # (k, n)
    rows = np.arange(len(test.texts))
    yc = test.Y[rows[None, :], choices]
    cc = paid[rows[None, :], choices]

    def stat(idx: np.ndarray) -> dict[str, float]:
        return curve_metrics(
            yc[:, idx].mean(axis=1),
            cc[:, idx].mean(axis=1),
            test.Y[idx].mean(axis=0),
            paid[idx].mean(axis=0),
        )

    point = stat(rows)
    return point, bootstrap(stat, len(rows), resamples, seed), yc.mean(axis=1), cc.mean(axis=1)


def fit_predict(make: Callable[[], Any], train: Table, test: Table, use_aux: bool) -> np.ndarray:
    learner = make()
    learner.fit(train.texts, train.Y, aux=train.aux if use_aux else None)
    return np.asarray(learner.predict(test.texts))


def run_zeroeval(
    task: str, seeds: Sequence[int], quick: bool, resamples: int, names: Sequence[str]
) -> list[dict[str, Any]]:
    table = zeroeval_table(task)
    n = len(table.texts)
    out = []
    for seed in seeds:
        perm = np.random.default_rng(seed).permutation(n)
        train_rows, test_rows = np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])
        train, test = rows_of(table, train_rows), rows_of(table, test_rows)
        cost_model = CostModel(
            table.prices, mode="ridge", featurizer=make_featurizer("length")
        ).fit(train.texts, train.out_tokens)
        pol_costs = cost_model.predict(test.texts)
        for name in names:
            make = candidates(quick, True)[name]
            for use_aux in (False, True) if name in ("factor", "irt") else (False,):
                t0 = time.time()
                pred = fit_predict(make, train, test, use_aux)
                point, ci, _, _ = evaluate_curve(pred, pol_costs, test, resamples, seed)
                out.append(
                    {
                        "table": table.name,
                        "router": name + ("+aux17" if use_aux else ""),
                        "seed": seed,
                        **point,
                        **{f"{k}_ci": v for k, v in ci.items()},
                        "secs": time.time() - t0,
                    }
                )
                print(_fmt(out[-1]), flush=True)
    return out


def _fmt(row: dict[str, Any]) -> str:
    parts = [f"{row['table']:<18} {row['router']:<22} seed={row['seed']}"]
    for k, v in row.items():
        if k in ("table", "router", "seed") or k.endswith("_ci"):
            continue
        ci = row.get(f"{k}_ci")
        s = f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
        if ci:
            s += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
        parts.append(s)
    return "  ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 200 resamples")
    parser.add_argument("--only", default="crux,math-l5,llmrouter,mmlu")
    parser.add_argument(
        "--learners", default="tfidf-logistic,minilm-logistic,minilm-knn,factor,irt"
    )
    args = parser.parse_args(argv)
    seeds = [0] if args.quick else [0, 1, 2, 3, 4]
    resamples = 200 if args.quick else 1000
    names = args.learners.split(",")
    only = args.only.split(",")
    for task in ("crux", "math-l5"):
        if task in only:
            run_zeroeval(task, seeds, args.quick, resamples, names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
