"""Train an outcome router on a table and save it (``routerlab train-router``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from routerlab.errors import ConfigError
from routerlab.evaluation.costs import (
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_REASONING,
    ReasoningAssumption,
    cost_matrix,
)
from routerlab.evaluation.frontier import PER_1K
from routerlab.evaluation.multi_inputs import HELD_OUT_FRACTION, split_rows
from routerlab.evaluation.multi_routers import fit_predictor
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.sources import ASSUMED_OUTPUT_TOKENS


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
    from routerlab.learning import (
        CostModel,
        OutcomeRouter,
        calibrate,
        operating_point,
        prompt_tokens,
    )

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
    calibrated = budget is not None or target_quality is not None
    predictor, label, oof = fit_predictor(
        learner, features, p_train, outcomes[train], aux=aux, seed=seed, oof=calibrated
    )
    if label.startswith("cv:"):
        notes.append(f"cross-validation inside the training rows chose {label.removeprefix('cv:')}")

    billed = np.empty((len(train), len(models)))
    for j, m in enumerate(models):
        visible = table.extra(m, "output_tokens")
        tokens = np.full(len(train), float(output_tokens)) if visible is None else visible[train]
        billed[:, j] = reasoning.billed_output(m, tokens)
    pairs = [(prices[m].input, prices[m].output) for m in models]
    cost_model = CostModel(pairs).fit(p_train, billed)

    lam, calibration = 0.0, None
    if calibrated and oof is not None:
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
        # the serving router's per-model costs (routerlab.routers.outcome.mean_costs)
        "mean_input_tokens": float(prompt_tokens(p_train).mean()) if p_train else 0.0,
    }
    if calibration is not None:
        info["calibration"] = {
            "target": calibration.target,
            "target_value": calibration.target_value,
            "met_on_training_rows": calibration.met,
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


__all__ = ["SavedRouter", "train_and_save"]
