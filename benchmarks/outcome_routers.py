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
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routerlab.evaluation import frontier
from routerlab.learning import (
    CostModel,
    Ensemble,
    FactorModel,
    IRTModel,
    KNNPerModel,
    LogisticPerModel,
    calibrate,
    cross_val_predict,
    lam_grid,
    make_featurizer,
    operating_point,
    prompt_tokens,
    realised_costs,
    sweep,
)

TRIO = ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06", "o1-mini-2024-09-12")
TRIO_PRICES = ((0.15, 0.60), (2.50, 10.00), (3.00, 12.00))  # 2024 list prices, USD per 1M in/out
LLMROUTER_OUTPUT_TOKENS = 256  # LLMRouter records no output tokens: every reply is priced at this


# ----------------------------------------------------------------------------- tables


@dataclass
class Table:
    """Routed models' outcomes (n, m), their prices, recorded tokens, and (optionally) the other
    models' outcomes on the same prompts (``aux``; only training rows of it are ever passed on)."""

    name: str
    texts: list[str]
    Y: np.ndarray
    models: tuple[str, ...]
    prices: tuple[tuple[float, float], ...]
    out_tokens: np.ndarray  # (n, m)
    in_tokens: np.ndarray  # (n,)
    aux: np.ndarray | None = None
    aux_models: tuple[str, ...] = field(default=())

    def rows(self, rows: np.ndarray) -> Table:
        return Table(
            self.name,
            [self.texts[i] for i in rows],
            self.Y[rows],
            self.models,
            self.prices,
            self.out_tokens[rows],
            self.in_tokens[rows],
            None if self.aux is None else self.aux[rows],
            self.aux_models,
        )

    def paid(self) -> np.ndarray:
        """Recorded cost per prompt and model, USD per 1k prompts."""
        return realised_costs(self.in_tokens[:, None], self.out_tokens, self.prices)


def zeroeval_table(task: str) -> Table:
    from routerlab.sources.zeroeval import zeroeval_frame

    frame = zeroeval_frame(task)  # value grading (the graders' default)
    skip = {"id", "prompt", "task", "reference"}
    models = [c for c in frame.columns if "|" not in c and c not in skip]
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


def llmrouter_table(split: str) -> Table:
    from routerlab.sources.llmrouter import llmrouter_frame, llmrouter_prices

    frame = llmrouter_frame(split)
    models = tuple(c for c in frame.columns if c not in ("id", "prompt"))
    prices = llmrouter_prices()
    texts = frame["prompt"].astype(str).tolist()
    Y = frame[list(models)].to_numpy(dtype=float)
    return Table(
        name="llmrouter",
        texts=texts,
        Y=Y,
        models=models,
        prices=tuple((prices[m].input, prices[m].output) for m in models),
        out_tokens=np.full(Y.shape, float(LLMROUTER_OUTPUT_TOKENS)),
        in_tokens=prompt_tokens(texts),
    )


# ----------------------------------------------------------------------------- learners


@dataclass
class Family:
    """One learner family and the small grid CV chooses from (label -> factory)."""

    name: str
    grid: dict[str, Callable[[], Any]]
    aux: bool = False


FAMILY_FILTER: tuple[str, ...] = ()  # --families: run only these


def families(quick: bool, with_aux: bool) -> list[Family]:
    out = _families(with_aux)
    return [f for f in out if not FAMILY_FILTER or f.name in FAMILY_FILTER]


def _families(with_aux: bool) -> list[Family]:
    F = make_featurizer
    out = [
        Family(
            "tfidf-logistic",
            {f"C={c}": (lambda c=c: LogisticPerModel(F("tfidf"), c=c)) for c in (0.1, 1.0)},
        ),
        Family(
            "minilm-logistic",
            {
                f"C={c}": (lambda c=c: LogisticPerModel(F("minilm+length"), c=c))
                for c in (0.01, 0.1)
            },
        ),
        Family(
            "minilm-knn",
            {
                f"k={k},tau={t}": (lambda k=k, t=t: KNNPerModel(F("minilm"), k=k, tau=t, alpha=3.0))
                for k, t in ((30, 0.05), (100, 0.1))
            },
        ),
    ]
    shared = "minilm+tfidf-svd+length"
    # With aux (ZeroEval) only the shared-strength variants: without it they have 3 models' data.
    tag = "+aux" if with_aux else ""
    out += [
        Family(
            "factor" + tag,
            {
                f"rank=8,l2={l2}": (lambda l2=l2: FactorModel(F("minilm+length"), rank=8, l2=l2))
                for l2 in (0.01, 0.03)
            },
            with_aux,
        ),
        Family(
            "irt" + tag,
            {f"l2={l2}": (lambda l2=l2: IRTModel(F(shared), l2=l2)) for l2 in (0.1, 1.0)},
            with_aux,
        ),
        Family(
            "ensemble" + tag,
            {
                "factor+irt+knn": lambda: Ensemble(
                    [
                        FactorModel(F("minilm+length"), rank=8, l2=0.01),
                        IRTModel(F(shared), l2=1.0),
                        KNNPerModel(F("minilm"), k=100, tau=0.1, alpha=3.0),
                    ],
                    name="ensemble",
                )
            },
            with_aux,
        ),
    ]
    return out


# ----------------------------------------------------------------------------- scoring


def curve(pred: np.ndarray, pol_costs: np.ndarray, table: Table) -> dict[str, Any]:
    """The lam sweep on ``table``'s rows: choices (k, n), points, frontier metrics, and the cost
    share at which the envelope comes within 1 point of the best single model."""
    choices = sweep(pred, pol_costs, lam_grid(pred, pol_costs, points=80))
    per_prompt = table.paid() / 1000.0  # frontier takes USD per prompt
    q, c = frontier.choice_points(table.Y, per_prompt, choices)
    sq, sc = frontier.single_points(table.Y, per_prompt)
    return {
        "choices": choices,
        **frontier.curve_metrics(q, c, sq, sc),
        "share_within_1pt": within_1pt(q, c, sq, sc),
        "q_at_best_cost": float(frontier.upper_envelope(c, q).at(sc[frontier.best_single(sq, sc)])),
    }


def within_1pt(q: np.ndarray, c: np.ndarray, sq: np.ndarray, sc: np.ndarray) -> float:
    """Cost at which the router's envelope reaches the best single model's quality - 1 point, as a
    share of that model's cost (NaN: never)."""
    b = frontier.best_single(sq, sc)
    reach = frontier.upper_envelope(c, q).cost_to_reach(float(sq[b]) - 0.01)
    return float(reach / sc[b]) if np.isfinite(reach) else float("nan")


def intervals(
    table: Table, choices: np.ndarray, n_boot: int, seed: int
) -> dict[str, tuple[float, float]]:
    draws = frontier.bootstrap_frontier(
        table.Y, table.paid() / 1000.0, {"r": choices}, n_boot=n_boot, seed=seed
    )
    d = draws.curves["r"]
    w1 = [
        within_1pt(d["quality"][b], d["cost"][b], draws.single_quality[b], draws.single_cost[b])
        for b in range(len(d["quality"]))
    ]
    qb = [
        float(
            frontier.upper_envelope(d["cost"][b], d["quality"][b]).at(
                draws.single_cost[b][
                    frontier.best_single(draws.single_quality[b], draws.single_cost[b])
                ]
            )
        )
        for b in range(len(d["quality"]))
    ]
    pi = frontier.percentile_interval
    return {
        "area_vs_hull": pi(d["area_vs_hull"]),
        "cost_to_best_share": pi(d["cost_to_best_share"], nan_means="high"),
        "quality_at_cheapest_cost": pi(d["quality_at_cheapest_cost"], nan_means="low"),
        "share_within_1pt": pi(np.array(w1), nan_means="high"),
        "q_at_best_cost": pi(np.array(qb), nan_means="low"),
    }


def cv_choose(
    family: Family,
    train: Table,
    objective: Callable[[np.ndarray], float],
    folds: int,
    seed: int,
) -> tuple[str, dict[str, float], np.ndarray]:
    """The grid label with the best CV objective (out-of-fold predictions on training rows)."""
    scores: dict[str, float] = {}
    oofs: dict[str, np.ndarray] = {}
    for label, make in family.grid.items():
        oofs[label] = cross_val_predict(
            make,
            train.texts,
            train.Y,
            aux=train.aux if family.aux else None,
            folds=folds,
            seed=seed,
        )
        scores[label] = objective(oofs[label])
    best = max(scores, key=lambda k: scores[k])
    return best, scores, oofs[best]


# ----------------------------------------------------------------------------- experiments


def run_multi(
    table: Table,
    test_of: Callable[[int], tuple[Table, Table]],
    seeds: Sequence[int],
    fams: Sequence[Family],
    *,
    folds: int,
    n_boot: int,
    objective_key: str,
    budget_share: float,
) -> list[dict[str, Any]]:
    """Every family on every seed's split; CV picks each family's grid point and, across
    families, the ``cv-pick`` router (by the same objective on out-of-fold predictions)."""
    out = []
    for seed in seeds:
        train, test = test_of(seed)
        costs = CostModel(table.prices, mode="mean").fit(train.texts, train.out_tokens)
        pol_train, pol_test = costs.predict(train.texts), costs.predict(test.texts)

        def objective(
            oof: np.ndarray, pol_train: np.ndarray = pol_train, train: Table = train
        ) -> float:
            return float(curve(oof, pol_train, train)[objective_key])

        train_sq = train.Y.mean(axis=0)
        budget = budget_share * float(train.paid().mean(axis=0)[int(np.argmax(train_sq))])
        results = []
        for fam in fams:
            t0 = time.time()
            label, cv_scores, oof = cv_choose(fam, train, objective, folds, seed)
            learner = fam.grid[label]()
            learner.fit(train.texts, train.Y, aux=train.aux if fam.aux else None)
            pred = learner.predict(test.texts)
            res = curve(pred, pol_test, test)
            ci = intervals(test, res["choices"], n_boot, seed)
            cal = calibrate(
                oof, pol_train, target_budget=budget, outcomes=train.Y, realised_costs=train.paid()
            )
            held = operating_point(cal.lam, pred, pol_test, test.Y, test.paid())
            row = {
                "table": table.name,
                "router": fam.name,
                "chosen": label,
                "seed": seed,
                "cv": cv_scores[label],
                **{k: v for k, v in res.items() if k != "choices"},
                **{f"{k}_ci": v for k, v in ci.items()},
                "budget": budget,
                "cal_quality": held.quality,
                "cal_cost": held.cost_usd_per_1k,
                "secs": time.time() - t0,
            }
            results.append(row)
            print(fmt(row), flush=True)
        pick = max(results, key=lambda r: r["cv"])
        out.extend(results)
        out.append({**pick, "router": f"cv-pick ({pick['router']})"})
        sq, sc = frontier.single_points(test.Y, test.paid() / 1000.0)
        orc = frontier.oracle_choices(test.Y, test.paid() / 1000.0)
        oq, oc = frontier.choice_points(test.Y, test.paid() / 1000.0, orc)
        singles = ", ".join(
            f"{m.split('/')[-1]} {100 * q:.1f}% ${c:.3f}"
            for m, q, c in zip(table.models, sq, sc, strict=True)
        )
        print(
            f"  [{table.name} seed {seed}] held-out n={len(test.texts)}; singles: {singles}; "
            f"oracle {100 * oq[0]:.1f}% ${oc[0]:.3f} per 1k; calibration budget "
            f"${budget:.3f} per 1k",
            flush=True,
        )
    return out


def fmt(row: dict[str, Any]) -> str:
    parts = [f"{row['table']:<16} {row['router']:<22} {row['chosen']:<14} seed={row['seed']}"]
    for key, scale, label in (
        ("area_vs_hull", 1, "area"),
        ("share_within_1pt", 1, "share@best-1pt"),
        ("cost_to_best_share", 1, "share@best"),
        ("q_at_best_cost", 100, "q@best-cost"),
        ("cal_quality", 100, "calib.q"),
        ("cal_cost", 1, "calib.$/1k"),
        ("apgr", 1, "APGR"),
    ):
        if key not in row:
            continue
        v = row[key] * scale
        s = f"{label}={v:.3f}"
        ci = row.get(f"{key}_ci")
        if ci is not None:
            s += f" [{ci[0] * scale:.3f}, {ci[1] * scale:.3f}]"
        parts.append(s)
    return "  ".join(parts)


def zeroeval_runs(
    task: str, seeds: Sequence[int], quick: bool, folds: int, n_boot: int
) -> list[dict[str, Any]]:
    table = zeroeval_table(task)
    n = len(table.texts)

    def split(seed: int) -> tuple[Table, Table]:
        perm = np.random.default_rng(seed).permutation(n)
        return table.rows(np.sort(perm[: n // 2])), table.rows(np.sort(perm[n // 2 :]))

    return run_multi(
        table,
        split,
        seeds,
        families(quick, with_aux=True),
        folds=folds,
        n_boot=n_boot,
        objective_key="area_vs_hull",
        budget_share=0.8,
    )


def llmrouter_runs(
    seeds: Sequence[int], quick: bool, folds: int, n_boot: int
) -> list[dict[str, Any]]:
    train, test = llmrouter_table("train"), llmrouter_table("test")
    return run_multi(
        train,
        lambda seed: (train, test),
        seeds,
        families(quick, with_aux=False),
        folds=folds,
        n_boot=n_boot,
        objective_key="q_at_best_cost",
        budget_share=1.0,
    )


def mmlu_runs(seeds: Sequence[int], quick: bool, folds: int, n_boot: int) -> list[dict[str, Any]]:
    """Two models: the strong score is P(strong right) - P(weak right); APGR on RouteLLM's
    10-bin grid over the held-out rows (RouteLLM's protocol: 1,500 training rows)."""
    from routerlab.evaluation.indomain import split_rows
    from routerlab.evaluation.scoring import (
        PairOutcomes,
        bootstrap_curve_metrics,
        curve_metrics,
        qcut_curve,
    )
    from routerlab.tables import load_routellm_mmlu

    table = load_routellm_mmlu()
    strong, weak = table.strong_weak()
    texts = table.prompts
    Y = np.column_stack([table.outcomes(weak), table.outcomes(strong)]).astype(float)

    def apgr(pred: np.ndarray, y: np.ndarray) -> float:
        pair = PairOutcomes(strong, weak, y[:, 1], y[:, 0])
        return float(curve_metrics(qcut_curve(pair, pred[:, 1] - pred[:, 0]))["apgr"])

    fams = [f for f in families(quick, with_aux=False) if not f.name.startswith("factor")]
    out = []
    for seed in seeds:
        tr, te = split_rows(len(texts), 1500, seed)
        tr_texts, te_texts = [texts[i] for i in tr], [texts[i] for i in te]
        results = []
        for fam in fams:
            scores = {}
            for label, make in fam.grid.items():
                oof = cross_val_predict(make, tr_texts, Y[tr], folds=folds, seed=seed)
                scores[label] = apgr(oof, Y[tr])
            label = max(scores, key=lambda k: scores[k])
            pred = fam.grid[label]().fit(tr_texts, Y[tr]).predict(te_texts)
            pair = PairOutcomes(strong, weak, Y[te, 1], Y[te, 0])
            ci = bootstrap_curve_metrics(
                pair, pred[:, 1] - pred[:, 0], n_boot=n_boot, seed=seed, grid="qcut10"
            )
            row = {
                "table": "routellm-mmlu",
                "router": fam.name,
                "chosen": label,
                "seed": seed,
                "cv": scores[label],
                "apgr": apgr(pred, Y[te]),
                "apgr_ci": (ci["apgr_lo"], ci["apgr_hi"]),
            }
            results.append(row)
            print(fmt(row), flush=True)
        pick = max(results, key=lambda r: r["cv"])
        out.extend(results)
        out.append({**pick, "router": f"cv-pick ({pick['router']})"})
    return out


def summary(rows: list[dict[str, Any]]) -> str:
    """One line per (table, router): the first seed's figures with intervals, and the mean over
    seeds of each headline figure."""
    keys = ("area_vs_hull", "share_within_1pt", "cost_to_best_share", "q_at_best_cost", "apgr")
    lines = []
    seen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        name = r["router"].split(" (")[0] if r["router"].startswith("cv-pick") else r["router"]
        seen.setdefault((r["table"], name), []).append(r)
    for (tab, name), group in seen.items():
        first = group[0]
        line = [f"{tab:<16} {name:<18}"]
        for k in keys:
            if k not in first:
                continue
            scale = 100 if k == "q_at_best_cost" else 1
            vals = np.array([g[k] for g in group], dtype=float) * scale
            ci = first.get(f"{k}_ci")
            cis = f" [{ci[0] * scale:.3f}, {ci[1] * scale:.3f}]" if ci else ""
            line.append(
                f"{k}={vals[0]:.3f}{cis} mean{len(vals)}={np.nanmean(vals):.3f}"
                if np.isfinite(vals).any()
                else f"{k}=not reached"
            )
        if name == "cv-pick":
            line.append("picked: " + ",".join(g["router"].split("(")[1].rstrip(")") for g in group))
        lines.append("  ".join(line))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, 3 CV folds, 200 resamples")
    parser.add_argument("--only", default="crux,math-l5,llmrouter,mmlu")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds (default 5)")
    parser.add_argument(
        "--families", default="", help="comma-separated family names to run (default: all)"
    )
    parser.add_argument("--folds", type=int, default=None, help="CV folds (default 5)")
    parser.add_argument("--boot", type=int, default=None, help="bootstrap resamples (1000)")
    args = parser.parse_args(argv)
    n_seeds = args.seeds or (1 if args.quick else 5)
    seeds = list(range(n_seeds))
    folds = args.folds or (3 if args.quick else 5)
    n_boot = args.boot or (200 if args.quick else 1000)
    print(f"seeds {seeds}, {folds}-fold CV inside training rows, {n_boot} bootstrap resamples")
    only = args.only.split(",")
    if args.families:
        global FAMILY_FILTER
        FAMILY_FILTER = tuple(args.families.split(","))
    rows: list[dict[str, Any]] = []
    for task in ("crux", "math-l5"):
        if task in only:
            rows += zeroeval_runs(task, seeds, args.quick, folds, n_boot)
    if "llmrouter" in only:
        rows += llmrouter_runs([0], args.quick, folds, n_boot)  # fixed split: one seed
    if "mmlu" in only:
        rows += mmlu_runs(seeds, args.quick, folds, n_boot)
    print("\nSummary (first seed with bootstrap 95 % interval; meanK = mean over K seeds)")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
