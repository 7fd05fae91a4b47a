"""Evaluate a set of routers on one outcome table and gather the metrics table.

:func:`run_evaluation` is what the notebook and ``routerlab eval`` call: it fixes the held-out
rows (the in-domain router trains on the others), scores every requested router on the same
held-out rows, and returns an :class:`Evaluation` with one :class:`RouterResult` per router.

Router names: ``always-weak``, ``always-strong``, ``random`` (averaged over seeds), ``length``,
``indomain-text`` (prompt text only) and ``indomain-subject`` (also reads the MMLU subject, benchmark
metadata a gateway never sees) — both choose features and C by cross-validation inside their
training rows —, ``indomain`` (fixed features, C by CV), ``classifier`` (needs a model dir, else
skipped with a note), ``oracle``; routers that only decide (judges) join through decision CSVs
(:func:`load_decisions`).

Every curve router is scored on two threshold grids: ``full`` (every unique score) and RouteLLM's
``qcut10`` (the deciles of its scores); headline metrics carry a percentile bootstrap 95 % interval
over the held-out rows (``*_lo`` / ``*_hi``), the random router also its spread over seeds. The
in-domain routers' spread over train/held-out draws comes from :func:`seed_spread`.
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
from routerlab.evaluation.fewshot import COST_PROMPTS, prefix_tokens_per_row
from routerlab.evaluation.indomain import (
    C_GRID,
    CV_FOLDS,
    MAX_TRAIN_ROWS,
    TEXT_ONLY,
    VARIANT_LABELS,
    WITH_SUBJECT,
    features_reads,
    fit_selected,
    split_rows,
)
from routerlab.evaluation.published import PUBLISHED_NO_INDOMAIN
from routerlab.evaluation.scoring import (
    PairOutcomes,
    bootstrap_curve_metrics,
    bootstrap_mean,
    curve_metrics,
    pair_metrics_of_choices,
    qcut_curve,
    threshold_curve,
)
from routerlab.tables import ROUTELLM_MMLU, OutcomeTable

INDOMAIN_ROUTERS = (TEXT_ONLY, WITH_SUBJECT, "indomain")
ROUTERS = (
    "always-weak",
    "always-strong",
    "random",
    "length",
    TEXT_ONLY,
    WITH_SUBJECT,
    "indomain",
    "classifier",
    "oracle",
)
DEFAULT_ROUTERS = (
    "always-weak",
    "always-strong",
    "random",
    "length",
    TEXT_ONLY,
    WITH_SUBJECT,
    "oracle",
)
# Routers that read something besides the prompt text (so they are not comparable with
# prompt-only routers such as RouteLLM's). The in-domain routers say what they read from the
# features they were fitted with (:attr:`RouterResult.reads`), which takes precedence.
READS_METADATA = {WITH_SUBJECT: "MMLU subject", "oracle": "the outcomes themselves"}
PROMPT_TEXT = "prompt text"
METRIC_COLUMNS = (
    "router",
    "label",
    "kind",
    "reads",
    "n",
    "apgr",
    "apgr_lo",
    "apgr_hi",
    "apgr_qcut10",
    "apgr_qcut10_lo",
    "apgr_qcut10_hi",
    "cpt50",
    "cpt50_lo",
    "cpt50_hi",
    "cpt50_qcut10",
    "cpt50_qcut10_lo",
    "cpt50_qcut10_hi",
    "cpt80",
    "cpt80_lo",
    "cpt80_hi",
    "auc",
    "accuracy",
    "accuracy_lo",
    "accuracy_hi",
    "strong_share",
    "pgr",
    "cost_per_prompt",
    "cost_per_prompt_lo",
    "cost_per_prompt_hi",
    "cost_cpt50",
    "cost_cpt50_lo",
    "cost_cpt50_hi",
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
    reads: str | None = None  # what it reads, when known from its features (see reads_of)


def reads_of(result: RouterResult) -> str:
    """What a router reads: its own features when known (an in-domain router with the subject
    feature reads the MMLU subject), else :data:`READS_METADATA`, else prompt text for a scorer
    and nothing for a fixed decision."""
    if result.reads is not None:
        return result.reads
    return READS_METADATA.get(result.name, PROMPT_TEXT if result.kind == "curve" else "nothing")


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


def router_label(name: str) -> str:
    """How tables and figures name a router (the in-domain variants say what they read)."""
    return VARIANT_LABELS.get(name, name)


def metrics_frame(results: Sequence[RouterResult]) -> pd.DataFrame:
    rows = [
        {
            "router": r.name,
            "label": router_label(r.name),
            "kind": r.kind,
            "reads": reads_of(r),
            **r.metrics,
        }
        for r in results
    ]
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
    name: str,
    pair: PairOutcomes,
    scores: np.ndarray,
    operating_share: float = 0.5,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> RouterResult:
    """Curve metrics of a strong scorer on the full grid (plus APGR and CPT(50 %) on RouteLLM's
    10-bin grid, ``*_qcut10``); accuracy, PGR and cost read at ``operating_share``; with
    ``bootstrap`` > 0 resamples, 95 % intervals ``*_lo`` / ``*_hi`` (APGR, CPT(50 %), CPT(80 %)
    and cost on the full grid; ``apgr_qcut10_*`` and ``cpt50_qcut10_*`` on the 10-bin grid)."""
    curve = threshold_curve(pair, scores)
    metrics = curve_metrics(curve)
    qcut = curve_metrics(qcut_curve(pair, scores))
    metrics["apgr_qcut10"], metrics["cpt50_qcut10"] = qcut["apgr"], qcut["cpt50"]
    if bootstrap > 0:
        metrics.update(bootstrap_curve_metrics(pair, scores, n_boot=bootstrap, seed=seed))
        # The 10-bin headline numbers carry their own interval, resampled on their own grid.
        qboot = bootstrap_curve_metrics(pair, scores, n_boot=bootstrap, seed=seed, grid="qcut10")
        for key in ("apgr", "cpt50"):
            for end in ("lo", "hi"):
                metrics[f"{key}_qcut10_{end}"] = qboot[f"{key}_{end}"]
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
    pair: PairOutcomes, seeds: Sequence[int], operating_share: float = 0.5, *, bootstrap: int = 0
) -> RouterResult:
    """The random router: metrics averaged over ``seeds`` (spread in ``apgr_std``,
    ``apgr_min``, ``apgr_max``), mean curve; the bootstrap interval is of the first seed."""
    if not seeds:
        raise ConfigError("random router needs at least one seed")
    runs = [
        evaluate_scores(
            "random",
            pair,
            baselines.random_scores([""] * pair.n, s),
            operating_share,
            bootstrap=bootstrap if i == 0 else 0,
        )
        for i, s in enumerate(seeds)
    ]
    keys = [k for k in runs[0].metrics if not k.endswith(("_lo", "_hi"))]
    metrics = {k: float(np.mean([r.metrics[k] for r in runs])) for k in keys}
    metrics.update({k: v for k, v in runs[0].metrics.items() if k.endswith(("_lo", "_hi"))})
    for key in ("apgr", "apgr_qcut10", "cpt50"):
        values = [r.metrics[key] for r in runs]
        metrics[f"{key}_std"] = float(np.std(values))
        metrics[f"{key}_min"], metrics[f"{key}_max"] = float(np.min(values)), float(np.max(values))
    metrics["seeds"] = float(len(runs))
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


def evaluate_decisions(
    name: str, pair: PairOutcomes, to_strong: np.ndarray, *, bootstrap: int = 0
) -> RouterResult:
    """A router that decides (fixed model, judge): one operating point, no curve metrics;
    with ``bootstrap`` > 0, 95 % intervals of its accuracy and cost per prompt."""
    mask = np.asarray(to_strong, dtype=bool)
    metrics = pair_metrics_of_choices(pair, mask)
    routed = np.where(mask, pair.strong_out, pair.weak_out)
    if bootstrap > 0:
        metrics["accuracy_lo"], metrics["accuracy_hi"] = bootstrap_mean(routed, n_boot=bootstrap)
    if pair.strong_cost is not None and pair.weak_cost is not None:
        cost = np.where(mask, pair.strong_cost, pair.weak_cost)
        metrics["cost_per_prompt"] = float(cost.mean())
        if bootstrap > 0:
            lo, hi = bootstrap_mean(cost, n_boot=bootstrap)
            metrics["cost_per_prompt_lo"], metrics["cost_per_prompt_hi"] = lo, hi
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


def resolve_cost_prompt(table: OutcomeTable, cost_prompt: str = "auto") -> str:
    """``auto``: ``few-shot`` for the RouteLLM MMLU table (recorded 5-shot), else ``question``."""
    if cost_prompt == "auto":
        return "few-shot" if table.name == ROUTELLM_MMLU else "question"
    if cost_prompt not in COST_PROMPTS:
        raise ConfigError(
            f"unknown cost_prompt {cost_prompt!r}; allowed: auto, {', '.join(COST_PROMPTS)}"
        )
    return cost_prompt


def table_costs(
    table: OutcomeTable,
    prices: Mapping[str, ModelPrice] | None,
    cost_prompt: str = "auto",
) -> tuple[dict[str, np.ndarray], str]:
    """Per-row costs of every priced model and a note saying what the input counts."""
    mode = resolve_cost_prompt(table, cost_prompt)
    if mode == "few-shot":
        prefix = prefix_tokens_per_row(table)
        note = (
            f"cost: question + its subject's 5-shot prefix from MMLU dev (mean "
            f"{prefix.mean():.0f} prefix tokens a prompt), + 1 output token"
        )
        return cost_arrays(table, prices, prefix_tokens=prefix), note
    note = "cost: the stored question only (no few-shot prefix), + 1 output token"
    return cost_arrays(table, prices), note


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
    cost_prompt: str = "auto",
    bootstrap: int = 200,
    exclude_rows: np.ndarray | None = None,
    exclude_note: str = "",
    cv_folds: int = CV_FOLDS,
    c_grid: Sequence[float] = C_GRID,
) -> Evaluation:
    """Score ``routers`` on the held-out rows of ``table`` (see the module docstring).

    ``scorers`` adds any other strong scorer by name; ``decisions`` adds decided routers as
    to-strong flags over the *whole* table (they are cut to the held-out rows here).
    ``exclude_rows`` (positions in ``table``) leave the held-out set for every router, e.g. the
    MMLU rows whose question occurs in a router's training data (:func:`arena_matched_rows`).
    ``cost_prompt``: ``few-shot``, ``question`` or ``auto`` (:func:`resolve_cost_prompt`).
    """
    unknown = [r for r in routers if r not in ROUTERS]
    if unknown:
        raise ConfigError(f"unknown routers {unknown}; available: {', '.join(ROUTERS)}")
    if not 0.0 <= operating_share <= 1.0:
        raise ConfigError(f"operating_share must be in [0, 1], got {operating_share}")
    if bootstrap < 0:
        raise ConfigError(f"bootstrap must be >= 0 resamples, got {bootstrap}")
    strong, weak = table.strong_weak(strong, weak)
    train, test = split_rows(len(table), train_rows, seed, held_out_fraction)
    notes = [f"strong = {strong}, weak = {weak}"]
    if exclude_rows is not None and len(exclude_rows):
        dropped = np.intersect1d(test, np.asarray(exclude_rows, dtype=int))
        test = np.setdiff1d(test, dropped)
        notes.append(
            f"dropped {len(dropped)} held-out rows ({len(exclude_rows)} excluded in the table)"
            + (f": {exclude_note}" if exclude_note else "")
        )
    test_table = table.subset(test)
    costs, cost_note = table_costs(test_table, prices, cost_prompt)
    pair = PairOutcomes.from_table(test_table, strong, weak, costs)
    notes += [
        f"held-out rows: {len(test)} of {len(table)} (seed {seed}); in-domain training rows: "
        f"{len(train)}",
        cost_note,
    ]
    if bootstrap:
        notes.append(
            f"intervals: percentile bootstrap 95 % over the held-out rows, {bootstrap} resamples"
        )
    if strong not in costs or weak not in costs:
        notes.append("costs unknown for the pair (give prices): cost columns are NaN")
    prompts = test_table.prompts
    results: list[RouterResult] = []

    def scored(name: str, scores: np.ndarray) -> RouterResult:
        return evaluate_scores(name, pair, scores, operating_share, bootstrap=bootstrap, seed=seed)

    for name in routers:
        if name == "always-weak":
            flags = np.zeros(pair.n, dtype=bool)
            results.append(evaluate_decisions(name, pair, flags, bootstrap=bootstrap))
        elif name == "always-strong":
            flags = np.ones(pair.n, dtype=bool)
            results.append(evaluate_decisions(name, pair, flags, bootstrap=bootstrap))
        elif name == "random":
            results.append(
                evaluate_random(pair, random_seeds, operating_share, bootstrap=bootstrap)
            )
            notes.append(f"random: mean over {len(random_seeds)} seeds")
        elif name == "length":
            results.append(scored(name, baselines.length_scores(prompts, length_unit)))
        elif name == "oracle":
            results.append(scored(name, baselines.oracle_scores(pair)))
        elif name in INDOMAIN_ROUTERS:
            model, selection = fit_selected(
                table,
                train,
                strong,
                weak,
                variant=name,
                features=indomain_features if name == "indomain" else None,
                c_grid=c_grid,
                folds=cv_folds,
                seed=seed,
                held_out_rows=test,
            )
            result = scored(name, model.strong_scores(test_table))
            result.metrics["cv_apgr"] = selection.cv_apgr
            result.reads = features_reads(selection.features)
            results.append(result)
            notes.append(
                f"{name} ({router_label(name)}): chose {'+'.join(selection.features)}, "
                f"C={selection.c:g} by {cv_folds}-fold CV inside its {len(train)} training rows "
                f"(CV APGR {selection.cv_apgr:.3f})"
            )
        elif name == "classifier":
            if classifier is None:
                notes.append("classifier: skipped (no trained model dir)")
                continue
            results.append(scored(name, classifier(prompts)))
    for name, scorer in (scorers or {}).items():
        results.append(scored(name, scorer(prompts)))
    for name, flags in (decisions or {}).items():
        flags = np.asarray(flags, dtype=bool)
        if flags.shape != (len(table),):
            raise ConfigError(f"decisions for {name!r} must cover all {len(table)} table rows")
        results.append(evaluate_decisions(name, pair, flags[test], bootstrap=bootstrap))
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
    evaluation: Evaluation,
    preference: Sequence[str] = (TEXT_ONLY, "classifier", WITH_SUBJECT, "indomain", "length"),
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
    for name in INDOMAIN_ROUTERS:
        if name in m and "random" in m:
            claims[f"{router_label(name)} beats random (APGR)"] = (
                m[name]["apgr"] > m["random"]["apgr"]
            )
    if "oracle" in m:
        best = max(r["apgr"] for r in m.values() if r["kind"] == "curve")
        claims["oracle has the highest APGR"] = best <= m["oracle"]["apgr"] + 1e-12
    return {k: bool(v) for k, v in claims.items()}


def _interval(r: Mapping[str, Any], key: str, fmt: str = ".3f") -> str:
    lo, hi = r.get(f"{key}_lo", math.nan), r.get(f"{key}_hi", math.nan)
    if isinstance(lo, float) and np.isfinite(lo) and np.isfinite(hi):
        return f" (95 % CI {lo:{fmt}}–{hi:{fmt}})"
    return ""


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
    prompt_only = {k: r for k, r in curve.items() if r["reads"] == PROMPT_TEXT}
    if prompt_only:
        best = max(prompt_only, key=lambda k: prompt_only[k]["apgr"])
        b = prompt_only[best]
        lines.append(
            f"The best router that reads only the prompt is **{router_label(best)}**: APGR "
            f"{b['apgr']:.3f}{_interval(b, 'apgr')} on the full grid, {b['apgr_qcut10']:.3f} on "
            f"RouteLLM's 10-bin grid; CPT(50 %) {b['cpt50']:.1%}{_interval(b, 'cpt50', '.1%')}."
        )
        if "random" in m:
            r = m["random"]
            lines.append(
                f"Random routing scores APGR {r['apgr']:.3f} (seeds {r['apgr_min']:.3f}–"
                f"{r['apgr_max']:.3f}) and CPT(50 %) {r['cpt50']:.1%}: the diagonal every router "
                "has to beat."
            )
        if "length" in m:
            le = m["length"]
            lines.append(
                f"Sending longer prompts to the strong model scores APGR {le['apgr']:.3f}"
                f"{_interval(le, 'apgr')} (10-bin grid {le['apgr_qcut10']:.3f})."
            )
    for name, w in curve.items():
        if w["reads"] == PROMPT_TEXT:
            continue
        lines.append(
            f"{router_label(name)} scores APGR {w['apgr']:.3f}{_interval(w, 'apgr')}: it reads "
            f"the {w['reads']}, which a gateway never sees, so it is not comparable with "
            "prompt-only routers or with RouteLLM's published results."
        )
    if any(k in m for k in INDOMAIN_ROUTERS):
        lines.append(
            "One train/held-out draw is one sample: the in-domain routers' spread over seeds (and "
            "the protocol-matched comparison with RouteLLM's published APGR) is in the seed table "
            "below, not in this paragraph."
        )
    priced = {k: r for k, r in curve.items() if np.isfinite(r.get("cost_cpt50", math.nan))}
    if priced:
        costs = ", ".join(f"{router_label(k)} {_dollars(r)}" for k, r in sorted(priced.items()))
        lines.append(
            f"Counted in dollars (estimated prices; {_cost_assumption(evaluation)}), recovering "
            f"half the gap costs per 1,000 prompts: {costs}. {_cheapest_sentence(priced)}"
        )
    if "classifier" in m:
        c = m["classifier"]
        lines.append(
            f"The classifier trained on Arena labels (no MMLU data) scores APGR {c['apgr']:.3f}"
            f"{_interval(c, 'apgr')}; on RouteLLM's 10-bin grid {c['apgr_qcut10']:.3f}"
            f"{_interval(c, 'apgr_qcut10')}, beside RouteLLM's best router trained without "
            f"in-domain data, {PUBLISHED_NO_INDOMAIN['apgr']:.3f} (published, on "
            f"{PUBLISHED_NO_INDOMAIN['rows']} rows)."
        )
    if "oracle" in m:
        o = m["oracle"]
        lines.append(
            f"The oracle recovers 80 % of the gap with {o['cpt80']:.1%} strong calls "
            f"(APGR {o['apgr']:.3f}): the headroom left for routers."
        )
    return "\n\n".join(lines)


def _dollars(r: Mapping[str, Any]) -> str:
    """Cost at CPT(50 %) per 1,000 prompts, with its 95 % interval when it was bootstrapped."""
    per_1000 = {k: 1000 * float(r.get(k, math.nan)) for k in ("cost_cpt50_lo", "cost_cpt50_hi")}
    return f"${1000 * r['cost_cpt50']:.2f}{_interval(per_1000, 'cost_cpt50', '.2f')}"


def _cheapest_sentence(priced: Mapping[str, Mapping[str, Any]]) -> str:
    """Name the cheapest router only when its 95 % interval of cost at CPT(50 %) lies below
    every other router's; point estimates alone do not rank routers."""
    cheapest = min(priced, key=lambda k: priced[k]["cost_cpt50"])
    if len(priced) == 1:
        return ""
    hi = float(priced[cheapest].get("cost_cpt50_hi", math.nan))
    others = {
        k: float(r.get("cost_cpt50_lo", math.nan)) for k, r in priced.items() if k != cheapest
    }
    if np.isfinite(hi) and all(np.isfinite(lo) and hi < lo for lo in others.values()):
        return (
            f"**{router_label(cheapest)}** is cheapest: its 95 % interval lies below every "
            "other router's."
        )
    overlapping = [router_label(k) for k, lo in others.items() if not (np.isfinite(hi) and hi < lo)]
    return (
        f"{router_label(cheapest)} has the lowest point estimate, but its interval is not "
        f"separated from {', '.join(overlapping)}'s (or was not computed): no router is shown "
        "to be cheapest."
    )


def _cost_assumption(evaluation: Evaluation) -> str:
    note = next((n for n in evaluation.notes if n.startswith("cost:")), "")
    return note.removeprefix("cost: ") or "cost model unstated"
