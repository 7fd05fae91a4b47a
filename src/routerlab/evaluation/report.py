"""Evaluate a set of routers on one outcome table and gather the metrics table.

:func:`run_evaluation` is what the notebook and ``routerlab eval`` call: it fixes the held-out
rows (the in-domain router trains on the others), scores every requested router on the same
held-out rows, and returns an :class:`Evaluation` with one :class:`RouterResult` per router.

Router names: ``always-weak``, ``always-strong``, ``random`` (averaged over seeds), ``length``,
``indomain``, ``classifier`` (needs a model dir, else skipped with a note), ``oracle``; routers that
only decide (judges) join through decision CSVs (:func:`load_decisions`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.evaluation import baselines
from routerlab.evaluation.costs import ModelPrice, cost_arrays
from routerlab.evaluation.indomain import MAX_TRAIN_ROWS, InDomainRouter, split_rows
from routerlab.evaluation.scoring import (
    PairOutcomes,
    curve_metrics,
    pair_metrics_of_choices,
    threshold_curve,
)
from routerlab.outcomes import OutcomeTable

ROUTERS = ("always-weak", "always-strong", "random", "length", "indomain", "classifier", "oracle")
DEFAULT_ROUTERS = ("always-weak", "always-strong", "random", "length", "indomain", "oracle")
METRIC_COLUMNS = (
    "router",
    "kind",
    "apgr",
    "cpt50",
    "cpt80",
    "auc",
    "accuracy",
    "strong_share",
    "pgr",
    "cost_per_prompt",
    "cost_cpt50",
    "n",
)
StrongScorer = Callable[[Sequence[str]], np.ndarray]


@dataclass
class RouterResult:
    """How one router did. ``kind`` is ``curve`` (score-producing) or ``point`` (decides)."""

    name: str
    kind: str
    metrics: dict[str, float]
    curve: pd.DataFrame | None = None
    scores: np.ndarray | None = None  # strong scores on the held-out rows (curve routers)
    to_strong: np.ndarray | None = None  # decisions on the held-out rows (point routers)


@dataclass
class Evaluation:
    """Everything one evaluation produced, on the held-out rows ``test_rows`` of ``table``."""

    table: OutcomeTable
    pair: PairOutcomes
    train_rows: np.ndarray
    test_rows: np.ndarray
    results: list[RouterResult]
    operating_share: float
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> pd.DataFrame:
        """One row per router (see :data:`METRIC_COLUMNS`)."""
        return metrics_frame(self.results)

    def result(self, name: str) -> RouterResult:
        for r in self.results:
            if r.name == name:
                return r
        raise ConfigError(f"no result for router {name!r}; have {[r.name for r in self.results]}")

    @property
    def test_table(self) -> OutcomeTable:
        return self.table.subset(self.test_rows)


def metrics_frame(results: Sequence[RouterResult]) -> pd.DataFrame:
    rows = [{"router": r.name, "kind": r.kind, **r.metrics} for r in results]
    frame = pd.DataFrame(rows)
    for col in METRIC_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    frame["n"] = frame["n"].astype("Int64")
    extra = [c for c in frame.columns if c not in METRIC_COLUMNS]
    return frame[[*METRIC_COLUMNS, *extra]]


def _at_share(curve: pd.DataFrame, share: float, column: str) -> float:
    return float(np.interp(share, curve["strong_share"], curve[column]))


def evaluate_scores(
    name: str, pair: PairOutcomes, scores: np.ndarray, operating_share: float = 0.5
) -> RouterResult:
    """Curve metrics of a strong scorer; accuracy, PGR and cost read at ``operating_share``."""
    curve = threshold_curve(pair, scores)
    metrics = curve_metrics(curve)
    metrics.update(
        accuracy=_at_share(curve, operating_share, "quality"),
        strong_share=operating_share,
        pgr=_at_share(curve, operating_share, "pgr"),
        cost_per_prompt=_at_share(curve, operating_share, "cost_per_prompt"),
        n=pair.n,
    )
    # Cost rises with every prompt sent strong, so this is the least cost that recovers half the gap.
    metrics["cost_cpt50"] = (
        _at_share(curve, metrics["cpt50"], "cost_per_prompt")
        if np.isfinite(metrics["cpt50"])
        else math.nan
    )
    return RouterResult(name, "curve", metrics, curve, np.asarray(scores, dtype=float))


def evaluate_random(
    pair: PairOutcomes, seeds: Sequence[int], operating_share: float = 0.5
) -> RouterResult:
    """The random router: metrics averaged over ``seeds`` (std in ``apgr_std``), mean curve."""
    if not seeds:
        raise ConfigError("random router needs at least one seed")
    runs = [
        evaluate_scores("random", pair, baselines.random_scores([""] * pair.n, s), operating_share)
        for s in seeds
    ]
    keys = runs[0].metrics.keys()
    metrics = {k: float(np.mean([r.metrics[k] for r in runs])) for k in keys}
    metrics["apgr_std"] = float(np.std([r.metrics["apgr"] for r in runs]))
    metrics["cpt50_std"] = float(np.std([r.metrics["cpt50"] for r in runs]))
    grid = np.linspace(0.0, 1.0, 101)
    curve = pd.DataFrame({"strong_share": grid})
    for col in ("quality", "pgr", "cost_per_prompt"):
        curve[col] = np.mean(
            [
                np.interp(grid, r.curve["strong_share"], r.curve[col])
                for r in runs
                if r.curve is not None
            ],
            axis=0,
        )
    curve.insert(0, "threshold", np.nan)
    return RouterResult("random", "curve", metrics, curve, runs[0].scores)


def evaluate_decisions(name: str, pair: PairOutcomes, to_strong: np.ndarray) -> RouterResult:
    """A router that decides (fixed model, judge): one operating point, no curve metrics."""
    mask = np.asarray(to_strong, dtype=bool)
    metrics = pair_metrics_of_choices(pair, mask)
    if pair.strong_cost is not None and pair.weak_cost is not None:
        metrics["cost_per_prompt"] = float(np.where(mask, pair.strong_cost, pair.weak_cost).mean())
    metrics.update(apgr=math.nan, cpt50=math.nan, cpt80=math.nan, auc=math.nan, n=pair.n)
    return RouterResult(name, "point", metrics, to_strong=mask)


def load_decisions(
    path: str | Path, table: OutcomeTable, pair: PairOutcomes, name: str | None = None
) -> tuple[str, np.ndarray]:
    """A decision CSV (``prompt`` or ``id``, and ``model``) as to-strong flags over ``table``.

    This is how judge routers join: a replay or live run writes one row per prompt with the
    model it chose. Every prompt of ``table`` needs a decision; ``model`` must be one of the pair.
    """
    file = Path(path)
    if not file.is_file():
        raise DatasetNotFoundError(f"decision file not found: {file}")
    frame = pd.read_csv(file, keep_default_na=False, dtype=str)
    key = "id" if "id" in frame.columns else "prompt"
    missing = [c for c in (key, "model") if c not in frame.columns]
    if missing:
        raise ConfigError(f"{file} lacks columns {missing}; expected prompt (or id) and model")
    allowed = {pair.strong, pair.weak}
    bad = sorted(set(frame["model"]) - allowed)
    if bad:
        raise ConfigError(f"{file} names models {bad}; allowed here: {sorted(allowed)}")
    chosen = dict(zip(frame[key], frame["model"], strict=True))
    keys = table.frame[key].tolist()
    absent = [k for k in keys if k not in chosen]
    if absent:
        raise ConfigError(f"{file} has no decision for {len(absent)} of {len(keys)} prompts")
    router = name or (frame["router"].iloc[0] if "router" in frame.columns else file.stem)
    return str(router), np.array([chosen[k] == pair.strong for k in keys])


def classifier_scorer(
    model_dir: str | Path, pool: object | None = None, *, router_name: str = "classifier"
) -> StrongScorer | None:
    """P(any non-cheapest pool model) from a registered score-producing router (default: the
    ``classifier`` router loading ``model_dir``), or None if the model dir does not exist (the
    caller notes the skip). Only ``Decision.strong_score`` is used, not the router's internals."""
    if not Path(model_dir).is_dir():
        return None
    from routerlab.pool import Pool, load_pool
    from routerlab.routers.base import make_router

    used_pool = pool if isinstance(pool, Pool) else load_pool()
    router = make_router(router_name, used_pool, model_dir=str(model_dir))

    def score(prompts: Sequence[str]) -> np.ndarray:
        decisions = router.route_batch(list(prompts))
        values = [d.strong_score(used_pool) for d in decisions]
        if any(v is None for v in values):
            raise ConfigError(f"the {router_name} router returned decisions without scores")
        return np.array(values, dtype=float)

    return score


def run_evaluation(
    table: OutcomeTable,
    routers: Sequence[str] = DEFAULT_ROUTERS,
    *,
    strong: str | None = None,
    weak: str | None = None,
    train_rows: int = MAX_TRAIN_ROWS,
    held_out_fraction: float = 1.0,
    seed: int = 0,
    random_seeds: Sequence[int] = tuple(range(10)),
    indomain_features: Sequence[str] = ("subject", "length"),
    classifier: StrongScorer | None = None,
    scorers: Mapping[str, StrongScorer] | None = None,
    decisions: Mapping[str, np.ndarray] | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
    operating_share: float = 0.5,
    length_unit: str = "chars",
) -> Evaluation:
    """Score ``routers`` on the held-out rows of ``table`` (see the module docstring).

    ``scorers`` adds any other strong scorer by name; ``decisions`` adds decided routers as
    to-strong flags over the *whole* table (they are cut to the held-out rows here).
    """
    unknown = [r for r in routers if r not in ROUTERS]
    if unknown:
        raise ConfigError(f"unknown routers {unknown}; available: {', '.join(ROUTERS)}")
    if not 0.0 <= operating_share <= 1.0:
        raise ConfigError(f"operating_share must be in [0, 1], got {operating_share}")
    strong, weak = table.strong_weak(strong, weak)
    train, test = split_rows(len(table), train_rows, seed, held_out_fraction)
    test_table = table.subset(test)
    costs = cost_arrays(test_table, prices)
    pair = PairOutcomes.from_table(test_table, strong, weak, costs)
    notes = [
        f"strong = {strong}, weak = {weak}",
        f"held-out rows: {len(test)} of {len(table)} (seed {seed}); in-domain training rows: {len(train)}",
    ]
    if strong not in costs or weak not in costs:
        notes.append("costs unknown for the pair (give prices): cost columns are NaN")
    prompts = test_table.prompts
    results: list[RouterResult] = []
    for name in routers:
        if name == "always-weak":
            results.append(evaluate_decisions(name, pair, np.zeros(pair.n, dtype=bool)))
        elif name == "always-strong":
            results.append(evaluate_decisions(name, pair, np.ones(pair.n, dtype=bool)))
        elif name == "random":
            results.append(evaluate_random(pair, random_seeds, operating_share))
            notes.append(f"random: mean over {len(random_seeds)} seeds")
        elif name == "length":
            scores = baselines.length_scores(prompts, length_unit)
            results.append(evaluate_scores(name, pair, scores, operating_share))
        elif name == "oracle":
            results.append(
                evaluate_scores(name, pair, baselines.oracle_scores(pair), operating_share)
            )
        elif name == "indomain":
            model = InDomainRouter(features=tuple(indomain_features), seed=seed)
            model.fit(table, train, strong, weak)
            scores = model.strong_scores(test_table)
            results.append(evaluate_scores(name, pair, scores, operating_share))
            notes.append(
                f"indomain: features {', '.join(indomain_features)}, {len(train)} training rows"
            )
        elif name == "classifier":
            if classifier is None:
                notes.append("classifier: skipped (no trained model dir)")
                continue
            results.append(evaluate_scores(name, pair, classifier(prompts), operating_share))
    for name, scorer in (scorers or {}).items():
        results.append(evaluate_scores(name, pair, scorer(prompts), operating_share))
    for name, flags in (decisions or {}).items():
        flags = np.asarray(flags, dtype=bool)
        if flags.shape != (len(table),):
            raise ConfigError(f"decisions for {name!r} must cover all {len(table)} table rows")
        results.append(evaluate_decisions(name, pair, flags[test]))
    return Evaluation(table, pair, train, test, results, operating_share, notes)


def per_subject(evaluation: Evaluation, router: str) -> pd.DataFrame:
    """Per subject on the held-out rows: both models' accuracy, the router's strong-call share
    and accuracy at the operating share, and the PGR it reaches there (where routing helps)."""
    result = evaluation.result(router)
    pair = evaluation.pair
    if result.to_strong is not None:
        to_strong = result.to_strong
    elif result.scores is not None:
        k = round(evaluation.operating_share * pair.n)
        order = np.argsort(-result.scores, kind="stable")
        to_strong = np.zeros(pair.n, dtype=bool)
        to_strong[order[:k]] = True
    else:
        raise ConfigError(f"router {router!r} has neither scores nor decisions")
    routed = np.where(to_strong, pair.strong_out, pair.weak_out)
    frame = pd.DataFrame(
        {
            "subject": evaluation.test_table.frame["subject"].to_numpy(),
            "weak": pair.weak_out,
            "strong": pair.strong_out,
            "routed": routed,
            "to_strong": to_strong.astype(float),
        }
    )
    grouped = frame.groupby("subject").agg(
        n=("weak", "size"),
        q_weak=("weak", "mean"),
        q_strong=("strong", "mean"),
        q_router=("routed", "mean"),
        strong_share=("to_strong", "mean"),
    )
    grouped["gap"] = grouped["q_strong"] - grouped["q_weak"]
    grouped["router"] = router
    return grouped.reset_index().sort_values("gap", ascending=False, ignore_index=True)


def best_learned_router(
    evaluation: Evaluation, preference: Sequence[str] = ("indomain", "classifier", "length")
) -> str | None:
    """The first learned router of ``preference`` that was evaluated (None when none was)."""
    evaluated = {result.name for result in evaluation.results}
    return next((name for name in preference if name in evaluated), None)


def save_per_subject(evaluation: Evaluation, folder: str | Path) -> tuple[Any, pd.DataFrame | None]:
    """Per-subject table and figure of the best learned router, saved under ``folder``.

    Returns ``(figure, table)``, or ``(None, None)`` when no learned router was evaluated.
    """
    from routerlab.plots.evaluation import subject_view

    router = best_learned_router(evaluation)
    if router is None:
        return None, None
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    subjects = per_subject(evaluation, router)
    subjects.to_csv(out / "per_subject.csv", index=False)
    fig = subject_view(subjects)
    fig.savefig(out / "per_subject.png", dpi=120, bbox_inches="tight")
    return fig, subjects


def save_outputs(evaluation: Evaluation, folder: str | Path) -> dict[str, Path]:
    """Write ``metrics.csv``, ``curves.csv`` (every curve point, all routers) and
    ``notes.txt`` under ``folder``; returns the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics": out / "metrics.csv",
        "curves": out / "curves.csv",
        "notes": out / "notes.txt",
    }
    evaluation.metrics().to_csv(paths["metrics"], index=False)
    curves = [r.curve.assign(router=r.name) for r in evaluation.results if r.curve is not None]
    if curves:
        pd.concat(curves, ignore_index=True).to_csv(paths["curves"], index=False)
    paths["notes"].write_text("\n".join(evaluation.notes) + "\n", encoding="utf-8")
    return paths


def random_tolerance(n: int) -> float:
    """How far a seed-averaged random APGR may sit from 0.5: 0.02 on the full RouteLLM held-out
    set (12.5k rows), wider on small CI subsets where sampling noise grows like 1/sqrt(n)."""
    return max(0.02, 2.0 / math.sqrt(max(n, 1)))


def _by_router(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    return {
        str(row["router"]): {str(k): v for k, v in row.items()}
        for row in evaluation.metrics().to_dict("records")
    }


def check_claims(evaluation: Evaluation) -> dict[str, bool]:
    """The claims the notebook states, each checked on the computed numbers."""
    m = _by_router(evaluation)
    claims: dict[str, bool] = {}
    tol = random_tolerance(evaluation.pair.n)
    if "random" in m:
        claims[f"random APGR within 0.50 ± {tol:.2f}"] = abs(m["random"]["apgr"] - 0.5) <= tol
        claims[f"random CPT(50%) within 50 ± {100 * tol:.0f} %"] = (
            abs(m["random"]["cpt50"] - 0.5) <= tol
        )
    if "always-weak" in m:
        claims["always-weak scores the weak model's accuracy"] = bool(
            np.isclose(m["always-weak"]["accuracy"], evaluation.pair.q_weak)
        )
    if "always-strong" in m:
        claims["always-strong scores the strong model's accuracy"] = bool(
            np.isclose(m["always-strong"]["accuracy"], evaluation.pair.q_strong)
        )
    if "indomain" in m and "length" in m:
        claims["in-domain router beats the length router (APGR)"] = (
            m["indomain"]["apgr"] > m["length"]["apgr"]
        )
    if "oracle" in m:
        best = max(r["apgr"] for r in m.values() if r["kind"] == "curve")
        claims["oracle has the highest APGR"] = best <= m["oracle"]["apgr"] + 1e-12
    return {k: bool(v) for k, v in claims.items()}


PUBLISHED_BEST = {"apgr": 0.603, "cpt50": 0.354}  # RouteLLM's best MMLU router, in-domain data


def conclusions(evaluation: Evaluation) -> str:
    """A short markdown summary written from the computed metrics (no typed-in numbers)."""
    m = _by_router(evaluation)
    pair = evaluation.pair
    lines = [
        f"On {pair.n:,} held-out prompts the weak model ({pair.weak}) is right on "
        f"{pair.q_weak:.2%} and the strong one ({pair.strong}) on {pair.q_strong:.2%}: "
        f"a gap of {100 * (pair.q_strong - pair.q_weak):.2f} points to recover."
    ]
    curve = {k: r for k, r in m.items() if r["kind"] == "curve" and k != "oracle"}
    if curve:
        best = max(curve, key=lambda k: curve[k]["apgr"])
        b = curve[best]
        lines.append(
            f"The best router here is **{best}**: APGR {b['apgr']:.3f}, CPT(50 %) "
            f"{b['cpt50']:.1%}, CPT(80 %) {b['cpt80']:.1%} — it recovers half the gap with "
            f"{b['cpt50']:.1%} of the calls going to the strong model."
        )
        if "random" in m:
            r = m["random"]
            lines.append(
                f"Random routing scores APGR {r['apgr']:.3f} and CPT(50 %) {r['cpt50']:.1%}, the "
                "diagonal every router has to beat."
            )
        if "length" in m:
            lines.append(
                f"Sending longer prompts to the strong model scores APGR {m['length']['apgr']:.3f}."
            )
        priced = {k: r for k, r in curve.items() if np.isfinite(r.get("cost_cpt50", math.nan))}
        if priced:
            cheapest = min(priced, key=lambda k: priced[k]["cost_cpt50"])
            costs = ", ".join(
                f"{k} ${1000 * r['cost_cpt50']:.2f}" for k, r in sorted(priced.items())
            )
            text = (
                f"Counted in dollars (estimated prices), recovering half the gap costs per 1,000 "
                f"prompts: {costs}; **{cheapest}** is cheapest."
            )
            if "length" in priced and "random" in priced:
                le, ra = priced["length"], priced["random"]
                if le["cpt50"] < ra["cpt50"] and le["cost_cpt50"] > ra["cost_cpt50"]:
                    text += (
                        " The length router needs fewer strong calls than random but more dollars:"
                        " the long prompts it escalates are the expensive ones."
                    )
            lines.append(text)
        if "indomain" in m:
            i = m["indomain"]
            verdict = "above" if i["apgr"] > PUBLISHED_BEST["apgr"] else "below"
            lines.append(
                f"The in-domain router (trained on {len(evaluation.train_rows):,} table rows) scores "
                f"APGR {i['apgr']:.3f} / CPT(50 %) {i['cpt50']:.1%}, {verdict} the best published "
                f"result on this benchmark (APGR {PUBLISHED_BEST['apgr']} / CPT(50 %) "
                f"{PUBLISHED_BEST['cpt50']:.1%})."
            )
        if "classifier" in m:
            c = m["classifier"]
            lines.append(
                f"The classifier trained on Arena labels (no MMLU data) scores APGR {c['apgr']:.3f}."
            )
    if "oracle" in m:
        o = m["oracle"]
        lines.append(
            f"The oracle recovers 80 % of the gap with {o['cpt80']:.1%} strong calls "
            f"(APGR {o['apgr']:.3f}): the headroom left for routers."
        )
    return "\n\n".join(lines)
