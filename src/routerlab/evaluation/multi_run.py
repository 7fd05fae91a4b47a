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
    ReasoningAssumption,
    cost_matrix,
)
from routerlab.evaluation.frontier import PER_1K, best_single, random_choices
from routerlab.evaluation.multi import RANDOM_KNOBS, MultiEvaluation, Sweep, evaluate_multi
from routerlab.evaluation.multi_inputs import (
    HELD_OUT_FRACTION,
    parse_price,
    read_prices_csv,
    reasoning_assumption,
    resolve_prices,
    split_rows,
)
from routerlab.evaluation.multi_report import (
    BudgetPoint,
    calibrate_budget,
    clean_record,
    metric_text,
)
from routerlab.evaluation.multi_routers import (
    DEFAULT_MULTI_ROUTERS,
    LAM_POINTS,
    LEARNERS,
    OUTCOME_ROUTERS,
    TIERED_ROUTERS,
    TrainedOutcome,
    decision_choices,
    load_classifier_router,
    make_learner,
    read_decisions,
    saved_sweep,
    tiered_sweep,
    train_outcome,
)
from routerlab.evaluation.multi_saved import SavedRouter, train_and_save
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.sources import ASSUMED_OUTPUT_TOKENS
from routerlab.tiers import TierMap


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
                "routers": [clean_record(vars(b)) for b in self.budget],
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
                name,
                learner,
                features,
                p_train,
                q_train,
                c_train,
                models,
                aux=aux,
                seed=seed,
                oof=budget is not None,  # the budget's knob is calibrated on out-of-fold rows
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
            if budget is not None and fitted.oof is not None:
                train_sweeps[name] = (fitted.knobs, fitted.sweep(fitted.oof), held_choices)
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
            built = load_classifier_router(classifier_dir, pool)
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
            calibrate_budget(
                "random", RANDOM_KNOBS, r_train, r_held, q_train, c_train, q_held, c_held, budget
            )
        )
        for name, (knobs, tr, he) in train_sweeps.items():
            run.budget.append(
                calibrate_budget(name, knobs, tr, he, q_train, c_train, q_held, c_held, budget)
            )
        run.notes.append(
            f"budget ${budget:g}/1k: each curve router's knob is the best on training rows within "
            "the budget (outcome routers: out-of-fold predictions), then applied to held-out rows"
        )
    return run


__all__ = [
    "DEFAULT_MULTI_ROUTERS",
    "HELD_OUT_FRACTION",
    "LAM_POINTS",
    "LEARNERS",
    "OUTCOME_ROUTERS",
    "TIERED_ROUTERS",
    "BudgetPoint",
    "MultiRun",
    "SavedRouter",
    "TrainedOutcome",
    "decision_choices",
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
