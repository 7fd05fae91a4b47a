"""Evaluate routers on one outcome table: :func:`run_evaluation`, through the router registry.

:func:`run_evaluation` is what the notebook and ``routerlab eval`` call: it fixes the held-out
rows (trainable routers train on the others), scores every requested router on the same held-out
rows, and returns an :class:`~routerlab.evaluation.results.Evaluation`.

Router names: ``always-weak``, ``always-strong`` and ``oracle`` come from the table itself; any
other name is a registered router (:func:`routerlab.routers.router_names`):

* a :class:`~routerlab.routers.base.ScoringRouter` gives a curve: trained first on the training
  rows when it is trainable (``fit_table``; the in-domain routers ``indomain-text``,
  ``indomain-subject``, ``indomain`` choose features and C by CV inside them), then
  ``score_batch`` on the held-out prompts (plus the metadata columns it declares in ``reads``)
  and ``strong_scores`` thresholded; ``random`` is averaged over seeds;
* any other router decides (``route_batch``): one point. Judges recorded elsewhere join through
  decision CSVs (:func:`load_decisions`).

A router that cannot be built yet (the classifier before it is trained) is skipped with a note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.evaluation.costs import ModelPrice, cost_arrays
from routerlab.evaluation.fewshot import COST_PROMPTS, prefix_tokens_per_row
from routerlab.evaluation.indomain import (
    C_GRID,
    CV_FOLDS,
    MAX_TRAIN_ROWS,
    TEXT_ONLY,
    WITH_SUBJECT,
    default_train_rows,
    split_rows,
)
from routerlab.evaluation.results import (
    Evaluation,
    RouterResult,
    evaluate_decisions,
    evaluate_scores,
    evaluate_seeded,
    reads_label,
)
from routerlab.evaluation.scoring import PairOutcomes
from routerlab.pool import Pool
from routerlab.routers.base import Router, ScoringRouter, router_factory, router_names
from routerlab.tables import ROUTELLM_MMLU, OutcomeTable

# A function from prompts to one strong score per prompt (higher = more reason to go strong).
StrongScorer = Callable[[Sequence[str]], np.ndarray]
# Routers read off the table itself (they need the outcomes or no prompt at all).
TABLE_ROUTERS = ("always-weak", "always-strong", "oracle")
DEFAULT_ROUTERS = (
    "always-weak",
    "always-strong",
    "random",
    "length",
    TEXT_ONLY,
    WITH_SUBJECT,
    "oracle",
)


def evaluable_routers() -> list[str]:
    """Every name :func:`run_evaluation` accepts: the table routers and every registered one."""
    return [*TABLE_ROUTERS, *(n for n in router_names() if n not in TABLE_ROUTERS)]


def check_routers(names: Sequence[str]) -> None:
    """Refuse names that are neither table routers nor registered, listing the valid ones."""
    unknown = [n for n in names if n not in TABLE_ROUTERS and n not in router_names()]
    if unknown:
        raise ConfigError(f"unknown routers {unknown}; available: {', '.join(evaluable_routers())}")


def builtin_options(
    *,
    length_unit: str = "chars",
    indomain_features: Sequence[str] = ("subject", "length"),
    cv_folds: int = CV_FOLDS,
    c_grid: Sequence[float] = C_GRID,
) -> dict[str, dict[str, Any]]:
    """Constructor options of the built-in routers an evaluation uses by default: prompt length
    in characters (what the study's evaluation has always reported), the in-domain CV settings
    and the fixed in-domain router's features."""
    cv = {"c_grid": tuple(c_grid), "folds": cv_folds}
    return {
        "length": {"unit": length_unit},
        TEXT_ONLY: dict(cv),
        WITH_SUBJECT: dict(cv),
        "indomain": {**cv, "features": tuple(indomain_features)},
    }


def build_router(name: str, pool: Pool, options: Mapping[str, Any]) -> Router | str:
    """The registered router ``name`` built with ``options``, or why it is unavailable."""
    factory = router_factory(name)
    unavailable = getattr(factory, "unavailable", None)
    reason = unavailable(**options) if callable(unavailable) else None
    if reason:
        return reason
    try:
        return factory(pool=pool, **options)
    except TypeError as exc:  # e.g. a judge needs a chat client
        raise ConfigError(
            f"router {name!r} cannot be built with options {dict(options)} ({exc}); pass its "
            "constructor arguments in router_options, or score its recorded decisions "
            "(a CSV of prompt and model: --decisions)"
        ) from None


def held_out_scores(router: ScoringRouter, table: OutcomeTable) -> np.ndarray:
    """``router``'s strong scores on every row of ``table`` (pass the held-out subset), with the
    metadata columns it declares in ``reads``."""
    if not router.reads:
        return router.strong_scores(router.score_batch(table.prompts))
    missing = [c for c in router.reads if c not in table.frame.columns]
    if missing:
        raise ConfigError(
            f"router {router.name!r} reads columns {missing} that table {table.name!r} lacks"
        )
    metadata = {c: table.meta(c).tolist() for c in router.reads}
    return router.strong_scores(router.score_batch(table.prompts, metadata=metadata))


def trained(
    router: ScoringRouter,
    table: OutcomeTable,
    train: np.ndarray,
    test: np.ndarray,
    *,
    strong: str,
    weak: str,
    seed: int,
) -> ScoringRouter:
    """``router`` trained on the ``train`` rows when it is trainable (else as it is)."""
    if router.trainable():
        router.fit_table(table, train, strong=strong, weak=weak, seed=seed, held_out_rows=test)
    return router


def decided_to_strong(
    router: Router, prompts: Sequence[str], pair: PairOutcomes, pool: Pool
) -> np.ndarray:
    """A deciding router's choices as to-strong flags: the pair's own names map directly; a pool
    model counts as strong unless it is the pool's cheapest."""
    cheapest = pool.cheapest.name
    models = [d.model for d in router.route_batch(list(prompts))]
    return np.array(
        [m == pair.strong or (m != pair.weak and m != cheapest) for m in models], dtype=bool
    )


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
    train_rows: int | None = None,
    held_out_fraction: float = 1.0,
    seed: int = 0,
    random_seeds: Sequence[int] = tuple(range(10)),
    router_options: Mapping[str, Mapping[str, Any]] | None = None,
    pool: Pool | None = None,
    indomain_features: Sequence[str] = ("subject", "length"),
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

    ``router_options`` maps a router name to its constructor keywords (e.g.
    ``{"classifier": {"model_dir": ...}}``); they override :func:`builtin_options`, which
    ``length_unit``, ``indomain_features``, ``cv_folds`` and ``c_grid`` fill in. ``pool`` is the
    pool registered routers are built with (default: :func:`routerlab.pool.load_pool`).
    ``scorers`` adds any other strong scorer by name; ``decisions`` adds decided routers as
    to-strong flags over the *whole* table (they are cut to the held-out rows here).
    ``exclude_rows`` (positions in ``table``) leave the held-out set for every router, e.g. the
    MMLU rows whose question occurs in a router's training data (:func:`arena_matched_rows`).
    ``cost_prompt``: ``few-shot``, ``question`` or ``auto`` (:func:`resolve_cost_prompt`).
    """
    check_routers(routers)
    if not 0.0 <= operating_share <= 1.0:
        raise ConfigError(f"operating_share must be in [0, 1], got {operating_share}")
    if bootstrap < 0:
        raise ConfigError(f"bootstrap must be >= 0 resamples, got {bootstrap}")
    options = builtin_options(
        length_unit=length_unit,
        indomain_features=indomain_features,
        cv_folds=cv_folds,
        c_grid=c_grid,
    )
    for name, given in (router_options or {}).items():
        options[name] = {**options.get(name, {}), **given}
    strong, weak = table.strong_weak(strong, weak)
    notes = [f"strong = {strong}, weak = {weak}"]
    if train_rows is None:
        train_rows = default_train_rows(len(table))
        if train_rows < MAX_TRAIN_ROWS:
            notes.append(
                f"training rows: {train_rows} (half of this {len(table)}-row table; "
                f"at most {MAX_TRAIN_ROWS} on larger ones)"
            )
    train, test = split_rows(len(table), train_rows, seed, held_out_fraction)
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
    results: list[RouterResult] = []

    def scored(name: str, scores: np.ndarray) -> RouterResult:
        return evaluate_scores(name, pair, scores, operating_share, bootstrap=bootstrap, seed=seed)

    def flagged(name: str, flags: np.ndarray) -> RouterResult:
        return evaluate_decisions(name, pair, flags, bootstrap=bootstrap)

    used_pool: Pool | None = pool
    for name in routers:
        if name == "always-weak":
            results.append(flagged(name, np.zeros(pair.n, dtype=bool)))
            continue
        if name == "always-strong":
            results.append(flagged(name, np.ones(pair.n, dtype=bool)))
            continue
        if name == "oracle":
            # The outcome gain strong minus weak: prompts only the strong model gets right go
            # first, those only the weak one gets right go last (the best reachable curve).
            results.append(scored(name, pair.strong_out - pair.weak_out))
            continue
        if used_pool is None:
            from routerlab.pool import load_pool

            used_pool = load_pool()
        kwargs = dict(options.get(name, {}))
        if getattr(router_factory(name), "averaged_over_seeds", False):
            if not random_seeds:
                raise ConfigError(f"{name} router needs at least one seed")
            built = [build_router(name, used_pool, {**kwargs, "seed": s}) for s in random_seeds]
            skipped = next((b for b in built if isinstance(b, str)), None)
            if skipped is not None:
                notes.append(f"{name}: skipped ({skipped})")
                continue
            runs = [
                held_out_scores(_scoring(b), test_table) for b in built if not isinstance(b, str)
            ]
            results.append(evaluate_seeded(name, pair, runs, operating_share, bootstrap=bootstrap))
            notes.append(f"{name}: mean over {len(runs)} seeds")
            continue
        router = build_router(name, used_pool, kwargs)
        if isinstance(router, str):
            notes.append(f"{name}: skipped ({router})")
            continue
        if not isinstance(router, ScoringRouter):
            results.append(
                flagged(name, decided_to_strong(router, test_table.prompts, pair, used_pool))
            )
            continue
        trained(router, table, train, test, strong=strong, weak=weak, seed=seed)
        result = scored(name, held_out_scores(router, test_table))
        result.metrics.update(router.fit_metrics())
        result.reads = reads_label(router.reads)
        results.append(result)
        notes.extend(router.fit_notes())
    for name, scorer in (scorers or {}).items():
        results.append(scored(name, scorer(test_table.prompts)))
    for name, flags in (decisions or {}).items():
        flags = np.asarray(flags, dtype=bool)
        if flags.shape != (len(table),):
            raise ConfigError(f"decisions for {name!r} must cover all {len(table)} table rows")
        results.append(flagged(name, flags[test]))
    return Evaluation(table, pair, train, test, results, operating_share, notes)


def _scoring(router: Router) -> ScoringRouter:
    if not isinstance(router, ScoringRouter):
        raise ConfigError(f"router {router.name!r} is averaged over seeds but does not score")
    return router
