"""Evaluate routers on an N-model outcome table: split, costs, training, sweeps, metrics.

:func:`run_multi` is what ``routerlab eval`` calls for a table with more than two models (or
``--models`` naming more than two), and what notebook 06 calls. Steps, each stated in the notes:

1. **Rows.** A table with a fixed ``split`` column (``llmrouter``) trains on ``train`` rows and is
   scored on ``test`` rows; any other table is split at random (``seed``) into a training part
   and a held-out part of ``held_out_fraction`` (default half). Both parts must be non-empty, so
   a table of two rows already works with the defaults.
2. **Costs.** :func:`routerlab.evaluation.costs.cost_matrix` with the prices (table's registered
   prices, then the pool's, then a prices CSV, then ``--price``; later wins) and the reasoning
   assumption (:data:`~routerlab.evaluation.costs.DEFAULT_REASONING` unless given).
3. **Routers.** Always: every model alone (``always:<model>``), the ``oracle`` and ``random``
   (:func:`routerlab.evaluation.multi.evaluate_multi`). Outcome routers (:data:`OUTCOME_ROUTERS`)
   learn per-model success from the training rows' prompt text (the table's other models'
   outcomes on those rows are extra evidence for the learners that share strength) and route
   by ``argmax_j pred_j - lam * cost_j`` (``cost_j`` the model's mean cost on training rows);
   ``lam`` is swept over a grid fixed on training rows. Routers that name pool models (the
   Arena-trained classifier, recorded judge decisions) are scored through a
   :class:`~routerlab.tiers.TierMap`.
4. **Budget.** With ``budget`` (USD per 1k prompts), every curve router's knob is calibrated on
   the training rows (outcome routers on out-of-fold predictions) — the best training quality
   whose training cost is within the budget — and what that knob achieves on held-out rows is
   reported (:attr:`MultiRun.budget`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.costs import (
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_REASONING,
    REASONING_MODELS,
    ReasoningAssumption,
    cost_matrix,
)
from routerlab.evaluation.frontier import PER_1K, best_single, choice_points, random_choices
from routerlab.evaluation.multi import (
    RANDOM_KNOBS,
    MultiEvaluation,
    Sweep,
    evaluate_multi,
    model_indices,
)
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.sources import ASSUMED_OUTPUT_TOKENS, fixed_split
from routerlab.tiers import TierMap

HELD_OUT_FRACTION = 0.5
LAM_POINTS = 60
CV_FOLDS = 5

# name -> (learner, features). Learners and featurizers are routerlab.learning's; the TF-IDF ones
# are the cheap defaults, MiniLM embeds every prompt (slower on CPU).
OUTCOME_ROUTERS: dict[str, tuple[str, str]] = {
    "outcome-knn": ("knn", "tfidf"),
    "outcome-logistic": ("logistic", "tfidf"),
    "outcome-knn-minilm": ("knn", "minilm"),
    "outcome-logistic-minilm": ("logistic", "minilm"),
    "outcome-factor": ("factor", "tfidf-svd"),
    "outcome-irt": ("irt", "tfidf-svd"),
    # learner chosen by 5-fold CV inside the training rows among routerlab.learning.train's
    # default candidates (TF-IDF logistic, MiniLM kNN, factor, IRT); features: theirs
    "outcome-cv": ("cv", "default"),
}
DEFAULT_MULTI_ROUTERS = ("outcome-knn", "outcome-logistic")
TIERED_ROUTERS = ("classifier",)
LEARNERS = ("knn", "logistic", "factor", "irt", "cv")


# ----------------------------------------------------------------------------- inputs


def parse_price(spec: str) -> tuple[str, ModelPrice]:
    """``MODEL=IN,OUT`` (USD per 1M input, output tokens) -> (model, price)."""
    model, sep, values = spec.rpartition("=")
    try:
        if not sep or not model.strip():
            raise ValueError
        p_in, p_out = (float(v) for v in values.split(","))
    except ValueError:
        raise ConfigError(
            f"--price {spec!r}: expected MODEL=IN,OUT in USD per 1M tokens "
            "(example: --price gpt-4o-mini=0.15,0.60)"
        ) from None
    return model.strip(), ModelPrice(p_in, p_out)


def read_prices_csv(path: str | Path) -> dict[str, ModelPrice]:
    """A prices CSV with columns ``model``, ``input``, ``output`` (USD per 1M tokens)."""
    file = Path(path)
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"model", "input", "output"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise ConfigError(
                f"prices CSV {str(file)!r} needs columns model, input, output (USD per 1M "
                f"tokens); has {reader.fieldnames or 'no header'}"
            )
        prices: dict[str, ModelPrice] = {}
        for i, row in enumerate(reader, start=2):
            try:
                prices[row["model"].strip()] = ModelPrice(float(row["input"]), float(row["output"]))
            except (TypeError, ValueError):
                raise ConfigError(
                    f"prices CSV {str(file)!r} line {i}: input and output must be numbers, got "
                    f"{row['input']!r}, {row['output']!r}"
                ) from None
    if not prices:
        raise ConfigError(f"prices CSV {str(file)!r} has no rows")
    return prices


def resolve_prices(
    table_name: str,
    *,
    price_specs: Sequence[str] = (),
    prices_csv: str | Path | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
) -> dict[str, ModelPrice]:
    """The pool's prices, then the table's registered ones, then ``prices_csv``, ``prices`` and
    the ``--price`` specs (later wins)."""
    from routerlab.evaluation.costs import pool_prices
    from routerlab.pool import load_pool
    from routerlab.tables import table_names, table_prices

    out: dict[str, ModelPrice] = dict(pool_prices(load_pool()))
    if table_name in table_names():
        out.update(table_prices(table_name) or {})
    if prices_csv is not None:
        out.update(read_prices_csv(prices_csv))
    out.update(prices or {})
    for spec in price_specs:
        model, price = parse_price(spec)
        out[model] = price
    return out


def reasoning_assumption(
    multiplier: float | None = None,
    tokens_per_call: int | None = None,
    models: Sequence[str] = REASONING_MODELS,
) -> ReasoningAssumption:
    """The default assumption (billed output = 4x visible for the reasoning models), or the one
    given: ``multiplier`` and/or ``tokens_per_call`` (the other then adds nothing)."""
    if multiplier is None and tokens_per_call is None:
        return DEFAULT_REASONING
    return ReasoningAssumption(
        models=tuple(models),
        tokens_per_call=int(tokens_per_call or 0),
        output_multiplier=1.0 if multiplier is None else float(multiplier),
    )


def split_rows(
    table: OutcomeTable, *, held_out_fraction: float = HELD_OUT_FRACTION, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """(training rows, held-out rows, a note): the table's fixed split when it has one, else a
    random ``held_out_fraction`` of the rows held out (at least one row each side)."""
    fixed = fixed_split(table)
    if fixed is not None:
        train, held = fixed
        return (
            train,
            held,
            (
                f"rows: the table's fixed split, train {len(train):,} / held-out (test) {len(held):,}"
            ),
        )
    if not 0.0 < held_out_fraction < 1.0:
        raise ConfigError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    n = len(table)
    if n < 2:
        raise ConfigError(
            f"table {table.name!r} has {n} row(s); an evaluation needs at least 2 "
            "(one to train on, one to score)"
        )
    n_held = min(max(round(n * held_out_fraction), 1), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    held, train = np.sort(perm[:n_held]), np.sort(perm[n_held:])
    return (
        train,
        held,
        (
            f"rows: random split (seed {seed}), train {len(train):,} / held-out {len(held):,} "
            f"({held_out_fraction:.0%} held out)"
        ),
    )


# ----------------------------------------------------------------------------- outcome routers


def make_learner(learner: str, features: str, *, seed: int = 0) -> Any:
    """A fresh :mod:`routerlab.learning` learner: ``knn``, ``logistic``, ``factor`` or ``irt`` on
    ``features`` (a :func:`~routerlab.learning.make_featurizer` spec), default hyper-parameters."""
    from routerlab.learning import (
        FactorModel,
        IRTModel,
        KNNPerModel,
        LogisticPerModel,
        make_featurizer,
    )

    featurizer = make_featurizer(features, seed=seed)
    if learner == "knn":
        return KNNPerModel(featurizer)
    if learner == "logistic":
        return LogisticPerModel(featurizer)
    if learner == "factor":
        return FactorModel(featurizer, seed=seed)
    if learner == "irt":
        return IRTModel(featurizer, seed=seed)
    raise ConfigError(
        f"unknown learner {learner!r}; allowed: knn, logistic, factor, irt (and cv, chosen by "
        "cross-validation)"
    )


@dataclass
class TrainedOutcome:
    """A fitted outcome learner with its policy costs: per-model mean cost (USD per 1k prompts)
    on the training rows, reasoning assumption included."""

    name: str
    models: tuple[str, ...]
    predictor: Any
    policy_costs: np.ndarray  # (m,)
    learner: str
    features: str
    knobs: np.ndarray  # the lam grid, fixed on training rows
    oof: np.ndarray | None = None  # out-of-fold training predictions, when CV made them

    def predict(self, prompts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.predictor.predict(list(prompts)), dtype=float)

    def sweep(self, pred: np.ndarray) -> np.ndarray:
        from routerlab.learning import sweep

        return np.asarray(sweep(pred, self.policy_costs, self.knobs), dtype=np.intp)


def fit_predictor(
    learner: str,
    features: str,
    prompts: Sequence[str],
    outcomes: np.ndarray,
    *,
    aux: np.ndarray | None = None,
    seed: int = 0,
) -> tuple[Any, str, np.ndarray | None]:
    """(fitted predictor, learner label, out-of-fold training predictions or None). ``cv``
    chooses among :func:`routerlab.learning.train.default_candidates` by 5-fold CV inside these
    rows (label ``cv:<chosen>``, its out-of-fold predictions returned); any other learner is
    :func:`make_learner`'s."""
    Y = np.asarray(outcomes, dtype=float)
    if learner != "cv":
        predictor = make_learner(learner, features, seed=seed)
        return predictor.fit(list(prompts), Y, aux=aux), learner, None
    from routerlab.learning import select
    from routerlab.learning.train import default_candidates

    candidates = default_candidates()
    chosen = select(
        candidates,
        list(prompts),
        Y,
        aux=aux,
        folds=max(2, min(CV_FOLDS, len(prompts))),
        seed=seed,
    )
    predictor = candidates[chosen.name]().fit(list(prompts), Y, aux=aux)
    return predictor, f"cv:{chosen.name}", chosen.oof[chosen.name]


def train_outcome(
    name: str,
    learner: str,
    features: str,
    prompts: Sequence[str],
    outcomes: np.ndarray,
    costs: np.ndarray,
    models: Sequence[str],
    *,
    aux: np.ndarray | None = None,
    seed: int = 0,
    lam_points: int = LAM_POINTS,
) -> TrainedOutcome:
    """Fit ``learner`` on training ``prompts`` / ``outcomes`` (n, m) / ``costs`` (n, m, USD)."""
    from routerlab.learning import lam_grid

    predictor, learner, oof = fit_predictor(
        learner, features, prompts, outcomes, aux=aux, seed=seed
    )
    policy_costs = np.asarray(costs, dtype=float).mean(axis=0) * PER_1K
    fitted = predictor.predict(list(prompts))
    knobs = np.asarray(lam_grid(fitted, policy_costs, lam_points), dtype=float)
    return TrainedOutcome(
        name, tuple(models), predictor, policy_costs, learner, features, knobs, oof
    )


def out_of_fold(
    learner: str,
    features: str,
    prompts: Sequence[str],
    outcomes: np.ndarray,
    *,
    aux: np.ndarray | None = None,
    seed: int = 0,
    folds: int = CV_FOLDS,
) -> np.ndarray:
    """Out-of-fold predictions on the training rows (for calibrating a knob on them)."""
    from routerlab.learning import cross_val_predict

    folds = max(2, min(folds, len(prompts)))
    return np.asarray(
        cross_val_predict(
            lambda: make_learner(learner, features, seed=seed),
            list(prompts),
            np.asarray(outcomes, dtype=float),
            aux=aux,
            folds=folds,
            seed=seed,
        ),
        dtype=float,
    )


# ----------------------------------------------------------------------------- tier-mapped routers


def tiered_sweep(
    router: Any, prompts: Sequence[str], tiers: TierMap, models: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, float]:
    """A pool :class:`~routerlab.routers.base.ScoringRouter` over its knob grid, its pool-model
    choices mapped to ``models`` columns through ``tiers``: (knobs, (k, n) indices, default)."""
    scores = router.score_batch(list(prompts))
    knobs = np.asarray(router.knob_grid(), dtype=float)
    picked = router.choose_sweep(scores, knobs)  # (k, n) columns of router.models
    names = np.asarray(router.models, dtype=object)[picked]
    return knobs, tiers.indices(names, list(models)), float(router.knob)


def read_decisions(path: str | Path) -> tuple[str, str, dict[str, str]]:
    """A decisions CSV (``id`` or ``prompt``, and ``model``; optional ``router``) -> (router name,
    key column, key -> model). Keys are ids when the CSV has an ``id`` column, else prompts."""
    file = Path(path)
    frame = pd.read_csv(file, keep_default_na=False, dtype=str)
    key = "id" if "id" in frame.columns else "prompt"
    missing = [c for c in (key, "model") if c not in frame.columns]
    if missing:
        raise ConfigError(f"{file} lacks columns {missing}; expected id (or prompt) and model")
    name = str(frame["router"].iloc[0]) if "router" in frame.columns and len(frame) else file.stem
    return name, key, dict(zip(frame[key], frame["model"], strict=True))


def decision_choices(
    decisions: Mapping[str, str],
    keys: Sequence[str],
    models: Sequence[str],
    tiers: TierMap | None,
    *,
    source: str = "decisions",
) -> np.ndarray:
    """Recorded decisions for ``keys`` as indices into ``models``: names of table models are
    taken as they are; pool-model names go through ``tiers``."""
    absent = [k for k in keys if k not in decisions]
    if absent:
        raise ConfigError(
            f"{source} has no decision for {len(absent)} of {len(keys)} held-out prompts "
            f"(first: {absent[0]!r})"
        )
    named = [decisions[k] for k in keys]
    if all(n in models for n in named):
        return model_indices(named, models)
    if tiers is None:
        outside = sorted({n for n in named if n not in models})
        raise ConfigError(
            f"{source} names {outside}, which are not evaluated models; pass a tier map "
            "(--tiers) to score pool-model decisions on stand-ins"
        )
    direct = {m: i for i, m in enumerate(models)}
    mapping = tiers.mapping
    out = []
    for n in named:
        if n in mapping:
            out.append(int(tiers.indices([n], list(models))[0]))
        elif n in direct:
            out.append(direct[n])
        else:
            raise ConfigError(
                f"{source} names {n!r}: neither an evaluated model ({', '.join(models)}) nor a "
                f"pool model of the tier map ({', '.join(mapping)})"
            )
    return np.asarray(out, dtype=np.intp)


# ----------------------------------------------------------------------------- the run


@dataclass
class BudgetPoint:
    router: str
    knob: float
    train_quality: float
    train_cost_usd_per_1k: float
    quality: float
    cost_usd_per_1k: float
    met: bool  # False: no knob value met the budget on training rows; the cheapest was used


@dataclass
class MultiRun:
    """The result of :func:`run_multi`."""

    table: str
    models: tuple[str, ...]
    evaluation: MultiEvaluation
    cost_notes: list[str]
    notes: list[str]
    train_rows: np.ndarray
    held_out_rows: np.ndarray
    trained: dict[str, TrainedOutcome] = field(default_factory=dict)
    budget_usd_per_1k: float | None = None
    budget: list[BudgetPoint] = field(default_factory=list)

    def all_notes(self) -> list[str]:
        return [*self.cost_notes, *self.notes, *self.evaluation.notes]

    def to_json(self) -> dict[str, Any]:
        """``{"table", "notes", "routers": [record, ...]}`` (plus ``"budget"`` when one was
        given: each curve router's calibrated point)."""
        out: dict[str, Any] = {
            "table": self.table,
            "notes": self.all_notes(),
            "routers": self.evaluation.records(),
        }
        if self.budget_usd_per_1k is not None:
            out["budget"] = {
                "usd_per_1k": self.budget_usd_per_1k,
                "routers": [_clean(vars(b)) for b in self.budget],
            }
        return out

    def frame(self) -> pd.DataFrame:
        return self.evaluation.frame()

    def budget_frame(self) -> pd.DataFrame:
        cols = [
            "router",
            "knob",
            "train_quality",
            "train_cost_usd_per_1k",
            "quality",
            "cost_usd_per_1k",
            "met",
        ]
        return pd.DataFrame([vars(b) for b in self.budget], columns=cols)

    def text(self) -> str:
        """A readable metric table (values with their intervals), the budget points, notes."""
        lines = [f"table {self.table}: {len(self.models)} models, n = {self.evaluation.n:,}"]
        lines.append(metric_text(self.evaluation))
        if self.budget_usd_per_1k is not None:
            lines.append("")
            lines.append(
                f"at a budget of ${self.budget_usd_per_1k:g} per 1k prompts (knob chosen on "
                "training rows, achieved on held-out rows):"
            )
            shown = self.budget_frame()
            lines.append(
                shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")
                if len(shown)
                else "  (no curve routers)"
            )
        return "\n".join(lines)


def _clean(record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, float | np.floating):
            out[k] = float(v) if math.isfinite(float(v)) else None
        elif isinstance(v, np.bool_):
            out[k] = bool(v)
        else:
            out[k] = v
    return out


def _cell(value: Any, ci: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if isinstance(ci, list | tuple) and any(c is not None for c in ci):
        lo = "…" if ci[0] is None else f"{ci[0]:.{digits}f}"
        hi = "…" if ci[1] is None else f"{ci[1]:.{digits}f}"
        text += f" [{lo}, {hi}]"
    return text


def metric_text(evaluation: MultiEvaluation) -> str:
    """The metric table as text: one row per router, each value with its interval."""
    rows = []
    for rec in evaluation.records():
        rows.append(
            {
                "router": rec["router"],
                "kind": rec["kind"],
                "quality": _cell(rec["quality"], rec["quality_ci"]),
                "$/1k": _cell(rec["cost_usd_per_1k"], rec["cost_usd_per_1k_ci"], 4),
                "q@cheapest": _cell(
                    rec.get("quality_at_cheapest_cost"), rec.get("quality_at_cheapest_cost_ci")
                ),
                "cost→best": (
                    _cell(rec.get("cost_to_best_share"), rec.get("cost_to_best_share_ci"), 2)
                    if rec["kind"] == "curve" and rec.get("cost_to_best_share") is not None
                    else ("not reached" if rec["kind"] == "curve" else "")
                ),
                "area vs hull": _cell(rec.get("area_vs_hull"), rec.get("area_vs_hull_ci"), 2)
                if rec["kind"] == "curve"
                else "",
            }
        )
    frame = pd.DataFrame(rows)
    frame.loc[frame["kind"] == "point", "q@cheapest"] = ""
    return frame.to_string(index=False)


def _calibrate(
    name: str,
    knobs: np.ndarray,
    train_choices: np.ndarray,
    held_choices: np.ndarray,
    q_train: np.ndarray,
    c_train: np.ndarray,
    q_held: np.ndarray,
    c_held: np.ndarray,
    budget: float,
) -> BudgetPoint:
    tq, tc = choice_points(q_train, c_train, train_choices)
    within = np.flatnonzero(tc <= budget + 1e-12)
    if len(within):
        best = within[np.lexsort((tc[within], -tq[within]))[0]]
        met = True
    else:
        best = int(np.argmin(tc))
        met = False
    hq, hc = choice_points(q_held, c_held, held_choices[best : best + 1])
    return BudgetPoint(
        name, float(knobs[best]), float(tq[best]), float(tc[best]), float(hq[0]), float(hc[0]), met
    )


def run_multi(
    table: OutcomeTable,
    *,
    models: Sequence[str] | None = None,
    routers: Sequence[str] | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
    reasoning: ReasoningAssumption | None = None,
    output_tokens: int | None = None,
    held_out_fraction: float = HELD_OUT_FRACTION,
    seed: int = 0,
    n_boot: int = 200,
    budget: float | None = None,
    tiers: TierMap | None = None,
    classifier_dir: str | Path | None = None,
    decisions: Sequence[str | Path] = (),
    router_dirs: Sequence[str | Path] = (),
    use_aux: bool = True,
    pool: Any = None,
    scoring_routers: Mapping[str, Any] | None = None,
    max_train_rows: int | None = None,
    budget_share: float | None = None,
) -> MultiRun:
    """Evaluate ``routers`` on ``table`` restricted to ``models`` (default: all; see the module
    docstring for every step). ``routers``: names of :data:`OUTCOME_ROUTERS` and, with ``tiers``,
    ``classifier`` (loaded from ``classifier_dir``; skipped with a note when absent);
    ``scoring_routers`` adds already built pool ScoringRouters by name (scored through ``tiers``);
    ``decisions`` are CSVs of recorded decisions (points); ``router_dirs`` are saved outcome
    routers (``routerlab train-router``), scored as they are (not retrained) over a lam sweep
    with their own per-prompt cost model, default knob = their saved lam. ``output_tokens`` is the assumed
    reply length where a table records none (default: the table's registered assumption, else
    1). ``n_boot`` bootstrap resamples of the held-out rows give the intervals. ``max_train_rows``
    trains on a random subset of the training rows (quick runs); held-out rows are unchanged.
    ``budget_share`` sets ``budget`` to that share of the best single model's mean cost on the
    training rows (best = highest training quality, ties to the cheaper)."""
    models = list(table.models if models is None else models)
    if len(models) < 2:
        raise ConfigError(f"an N-model evaluation needs at least 2 models, got {models}")
    for m in models:
        if m not in table.models:
            raise ConfigError(
                f"unknown model {m!r} for --models; the table has: {', '.join(table.models)}"
            )
    if len(set(models)) != len(models):
        raise ConfigError(f"models listed twice in {models}")
    routers = list(dict.fromkeys(DEFAULT_MULTI_ROUTERS if routers is None else routers))
    allowed = [*OUTCOME_ROUTERS, *TIERED_ROUTERS]
    unknown = [r for r in routers if r not in allowed]
    if unknown:
        raise ConfigError(
            f"routers {unknown} cannot be scored on an N-model table; allowed: "
            f"{', '.join(allowed)} (plus always:<model>, oracle and random, always included)"
        )
    if budget is not None and not budget >= 0:
        raise ConfigError(f"budget must be >= 0 USD per 1k prompts, got {budget}")
    reasoning = DEFAULT_REASONING if reasoning is None else reasoning
    if output_tokens is None:
        output_tokens = ASSUMED_OUTPUT_TOKENS.get(table.name, DEFAULT_OUTPUT_TOKENS)
    notes: list[str] = list(table.notes)

    train, held, split_note = split_rows(table, held_out_fraction=held_out_fraction, seed=seed)
    notes.append(split_note)
    if max_train_rows is not None:
        if max_train_rows < 1:
            raise ConfigError(f"max_train_rows must be >= 1, got {max_train_rows}")
        if max_train_rows < len(train):
            keep = np.random.default_rng(seed).choice(len(train), max_train_rows, replace=False)
            train = np.sort(train[keep])
            notes.append(f"training rows capped at a random {max_train_rows:,} (quick run)")
    outcomes = table.matrix(models)
    costs, cost_notes = cost_matrix(
        table, models, prices, reasoning=reasoning, output_tokens=output_tokens
    )
    prompts = np.asarray(table.prompts, dtype=object)
    p_train, p_held = list(prompts[train]), list(prompts[held])
    q_train, c_train = outcomes[train], costs[train]
    q_held, c_held = outcomes[held], costs[held]
    others = [m for m in table.models if m not in models]
    aux = table.matrix(others)[train] if (use_aux and others) else None
    if budget_share is not None:
        if budget is not None:
            raise ConfigError("give budget or budget_share, not both")
        if not budget_share > 0:
            raise ConfigError(f"budget_share must be > 0, got {budget_share}")
        tq, tc = q_train.mean(axis=0), c_train.mean(axis=0) * PER_1K
        b = best_single(tq, tc)
        budget = float(budget_share * tc[b])
        notes.append(
            f"budget = {budget_share:g} x {models[b]}'s training-row cost = ${budget:.4g} per 1k"
        )

    from routerlab.learning import lam_grid

    specs: dict[str, Sweep | np.ndarray] = {}
    trained: dict[str, TrainedOutcome] = {}
    train_sweeps: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for name in routers:
        if name in OUTCOME_ROUTERS:
            learner, features = OUTCOME_ROUTERS[name]
            fitted = train_outcome(
                name, learner, features, p_train, q_train, c_train, models, aux=aux, seed=seed
            )
            trained[name] = fitted
            pred_held = fitted.predict(p_held)
            # The sweep's lam values are placed where the held-out predictions break even (their
            # text only, no outcomes): a grid from in-sample predictions of a kNN (each training
            # prompt its own nearest neighbour) would bunch up where held-out prompts never are.
            fitted.knobs = np.asarray(
                lam_grid(pred_held, fitted.policy_costs, LAM_POINTS), dtype=float
            )
            held_choices = fitted.sweep(pred_held)
            specs[name] = Sweep(fitted.knobs, held_choices)
            if fitted.learner.startswith("cv:"):
                notes.append(
                    f"{name}: cross-validation inside the training rows chose "
                    f"{fitted.learner.removeprefix('cv:')}"
                )
            if budget is not None:
                oof = (
                    fitted.oof
                    if fitted.oof is not None
                    else out_of_fold(learner, features, p_train, q_train, aux=aux, seed=seed)
                )
                train_sweeps[name] = (fitted.knobs, fitted.sweep(oof), held_choices)
    if aux is not None and trained:
        notes.append(
            f"outcome routers: trained on {len(train):,} rows' prompt text and outcomes "
            f"(plus the other {len(others)} models' outcomes on those rows as shared evidence); "
            "policy argmax pred - lam x mean training cost, lam swept (headline point: the "
            "middle lam of the sweep)"
        )
    elif trained:
        notes.append(
            f"outcome routers: trained on {len(train):,} rows' prompt text and outcomes; policy "
            "argmax pred - lam x mean training cost, lam swept (headline point: the middle lam "
            "of the sweep)"
        )

    for folder in router_dirs:
        name, sweep_spec, train_spec = saved_sweep(folder, p_held, p_train, models, budget)
        if name in specs:
            raise ConfigError(f"two routers are named {name!r}; rename a saved router's folder")
        specs[name] = sweep_spec
        if train_spec is not None:
            train_sweeps[name] = train_spec
        notes.append(
            f"{name}: saved router from {folder}, scored as saved (not retrained here; if it "
            "was trained on some of these held-out rows its figures are optimistic)"
        )

    pool_routers: dict[str, Any] = dict(scoring_routers or {})
    if "classifier" in routers:
        if tiers is None:
            notes.append("classifier skipped: it scores pool models; pass a tier map (--tiers)")
        else:
            built = _classifier(classifier_dir, pool)
            if isinstance(built, str):
                notes.append(f"classifier skipped: {built}")
            else:
                pool_routers["classifier"] = built
    for name, router in pool_routers.items():
        if tiers is None:
            raise ConfigError(f"router {name!r} scores pool models; give a tier map to score it")
        knobs, held_choices, default = tiered_sweep(router, p_held, tiers, models)
        specs[name] = Sweep(knobs, held_choices, default)
        if budget is not None:
            _, train_choices, _ = tiered_sweep(router, p_train, tiers, models)
            train_sweeps[name] = (knobs, train_choices, held_choices)
    if pool_routers and tiers is not None:
        notes.append(tiers.describe())

    keys = table.frame["id"].astype(str).to_numpy()
    for path in decisions:
        name, key, chosen = read_decisions(path)
        lookup = keys if key == "id" else prompts
        specs[name] = decision_choices(
            chosen, [str(k) for k in lookup[held]], models, tiers, source=str(path)
        )
        if tiers is not None and not any(d.startswith("tier map") for d in notes):
            notes.append(tiers.describe())

    evaluation = evaluate_multi(outcomes, costs, models, specs, rows=held, n_boot=n_boot, seed=seed)
    run = MultiRun(
        table=table.name or "table",
        models=tuple(models),
        evaluation=evaluation,
        cost_notes=cost_notes,
        notes=notes,
        train_rows=train,
        held_out_rows=held,
        trained=trained,
        budget_usd_per_1k=budget,
    )
    if budget is not None:
        r_train = random_choices(q_train, c_train, RANDOM_KNOBS, seed=seed)
        r_held = random_choices(q_held, c_held, RANDOM_KNOBS, seed=seed)
        run.budget.append(
            _calibrate(
                "random", RANDOM_KNOBS, r_train, r_held, q_train, c_train, q_held, c_held, budget
            )
        )
        for name, (knobs, tr, he) in train_sweeps.items():
            run.budget.append(
                _calibrate(name, knobs, tr, he, q_train, c_train, q_held, c_held, budget)
            )
        run.notes.append(
            f"budget ${budget:g}/1k: each curve router's knob is the best on training rows within "
            "the budget (outcome routers: out-of-fold predictions), then applied to held-out rows"
        )
    return run


def saved_sweep(
    folder: str | Path,
    p_held: Sequence[str],
    p_train: Sequence[str],
    models: Sequence[str],
    budget: float | None,
) -> tuple[str, Sweep, tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """A saved :class:`routerlab.learning.OutcomeRouter` swept over lam on the held-out prompts
    (and, with a budget, on the training prompts): (name, sweep, training sweep or None). The
    router's models must be evaluated models; its choices are mapped to their columns."""
    from routerlab.learning import OutcomeRouter, lam_grid, sweep

    router = OutcomeRouter.load(folder)
    mapping = model_indices(router.models, models)
    name = f"saved:{Path(folder).name}"
    pred, costs = router.predict(p_held), router.costs(p_held)
    knobs = np.unique(np.r_[np.asarray(lam_grid(pred, costs, LAM_POINTS), dtype=float), router.lam])
    held = mapping[np.asarray(sweep(pred, costs, knobs), dtype=np.intp)]
    train = None
    if budget is not None:
        tp, tc = router.predict(p_train), router.costs(p_train)
        train = (knobs, mapping[np.asarray(sweep(tp, tc, knobs), dtype=np.intp)], held)
    return name, Sweep(knobs, held, router.lam), train


def _classifier(model_dir: str | Path | None, pool: Any) -> Any:
    """The Arena-trained classifier router, or why it cannot be loaded."""
    from routerlab.routers.classifier import DEFAULT_MODEL_DIR

    folder = Path(model_dir or DEFAULT_MODEL_DIR)
    if not folder.is_dir():
        return (
            f"no trained classifier in {str(folder)!r} (train one with notebook 04 or "
            "`routerlab train`)"
        )
    from routerlab.pool import load_pool
    from routerlab.routers.classifier import ClassifierRouter

    return ClassifierRouter(pool or load_pool(), folder)


# ----------------------------------------------------------------------------- saved routers


@dataclass
class SavedRouter:
    """What :func:`train_and_save` wrote and measured."""

    folder: Path
    models: tuple[str, ...]
    lam: float
    train_rows: int
    held_out_rows: int
    held_out_quality: float | None  # at ``lam``, on the held-out rows (None: trained on all)
    held_out_cost_usd_per_1k: float | None
    notes: list[str]


def train_and_save(
    table: OutcomeTable,
    out: str | Path,
    *,
    learner: str = "knn",
    features: str = "tfidf",
    models: Sequence[str] | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
    reasoning: ReasoningAssumption | None = None,
    output_tokens: int | None = None,
    budget: float | None = None,
    target_quality: float | None = None,
    all_rows: bool = False,
    held_out_fraction: float = HELD_OUT_FRACTION,
    seed: int = 0,
) -> SavedRouter:
    """Train an outcome router on ``table`` and save it (:class:`routerlab.learning.OutcomeRouter`,
    loadable by the gateway with ``OutcomeRouter.load``).

    Rows: the table's training rows (its fixed split, else all but a held-out
    ``held_out_fraction``), on which the saved router's held-out figures are then measured;
    ``all_rows`` trains on every row (nothing held out). The policy's per-prompt costs: o200k
    input tokens of the prompt and each model's mean billed output tokens on the training rows
    (the reasoning assumption applied) x ``prices``. Knob ``lam``: calibrated on out-of-fold
    predictions of the training rows for ``budget`` (USD per 1k prompts) or ``target_quality``;
    0 (best predicted quality) when neither is given.
    """
    from routerlab.learning import CostModel, OutcomeRouter, calibrate, operating_point

    if budget is not None and target_quality is not None:
        raise ConfigError("give a budget or a target quality, not both")
    models = list(table.models if models is None else models)
    for m in models:
        if m not in table.models:
            raise ConfigError(f"unknown model {m!r}; the table has: {', '.join(table.models)}")
    prices = dict(prices or {})
    unpriced = [m for m in models if m not in prices]
    if unpriced:
        raise ConfigError(
            f"no price for {unpriced}: a saved router prices prompts at routing time; give "
            "--price MODEL=IN,OUT (USD per 1M tokens) or a prices CSV"
        )
    reasoning = DEFAULT_REASONING if reasoning is None else reasoning
    if output_tokens is None:
        output_tokens = ASSUMED_OUTPUT_TOKENS.get(table.name, DEFAULT_OUTPUT_TOKENS)
    notes = list(table.notes)
    if all_rows:
        train, held = np.arange(len(table)), np.zeros(0, dtype=int)
        notes.append(f"rows: all {len(table):,} rows (nothing held out)")
    else:
        train, held, note = split_rows(table, held_out_fraction=held_out_fraction, seed=seed)
        notes.append(note)
    prompts = table.prompts
    p_train = [prompts[i] for i in train]
    outcomes = table.matrix(models)
    costs, cost_notes = cost_matrix(
        table, models, prices, reasoning=reasoning, output_tokens=output_tokens
    )
    notes += cost_notes
    others = [m for m in table.models if m not in models]
    aux = table.matrix(others)[train] if others else None
    predictor, label, oof = fit_predictor(
        learner, features, p_train, outcomes[train], aux=aux, seed=seed
    )
    if oof is not None:
        notes.append(f"cross-validation inside the training rows chose {label.removeprefix('cv:')}")

    billed = np.empty((len(train), len(models)))
    for j, m in enumerate(models):
        visible = table.extra(m, "output_tokens")
        tokens = np.full(len(train), float(output_tokens)) if visible is None else visible[train]
        billed[:, j] = reasoning.billed_output(m, tokens)
    pairs = [(prices[m].input, prices[m].output) for m in models]
    cost_model = CostModel(pairs).fit(p_train, billed)

    lam, calibration = 0.0, None
    if budget is not None or target_quality is not None:
        if oof is None:
            oof = out_of_fold(learner, features, p_train, outcomes[train], aux=aux, seed=seed)
        calibration = calibrate(
            oof,
            cost_model.predict(p_train),
            target_budget=budget,
            target_quality=target_quality,
            outcomes=outcomes[train],
            realised_costs=costs[train] * PER_1K,
        )
        lam = calibration.lam
        notes.append(
            f"lam = {lam:.4g} calibrated on out-of-fold training predictions for "
            f"{calibration.target} {calibration.target_value:g}"
            + ("" if calibration.met else " (not met on training rows: the closest is used)")
        )
    info = {
        "table": table.name,
        "train_rows": len(train),
        "reasoning": reasoning.describe(models),
        "output_tokens_assumed": output_tokens,
        "seed": seed,
        "learner": label,
    }
    router = OutcomeRouter(
        models=tuple(models),
        predictor=predictor,
        cost_model=cost_model,
        lam=lam,
        features=features,
        info=info,
    )
    folder = router.save(out)
    quality = cost = None
    if len(held):
        p_held = [prompts[i] for i in held]
        point = operating_point(
            lam,
            router.predict(p_held),
            router.costs(p_held),
            outcomes[held],
            costs[held] * PER_1K,
        )
        quality, cost = point.quality, point.cost_usd_per_1k
    return SavedRouter(folder, tuple(models), lam, len(train), len(held), quality, cost, notes)


__all__ = [
    "DEFAULT_MULTI_ROUTERS",
    "HELD_OUT_FRACTION",
    "OUTCOME_ROUTERS",
    "BudgetPoint",
    "MultiRun",
    "SavedRouter",
    "TrainedOutcome",
    "decision_choices",
    "fit_predictor",
    "make_learner",
    "metric_text",
    "parse_price",
    "read_decisions",
    "read_prices_csv",
    "reasoning_assumption",
    "resolve_prices",
    "run_multi",
    "saved_sweep",
    "split_rows",
    "tiered_sweep",
    "train_and_save",
    "train_outcome",
]
