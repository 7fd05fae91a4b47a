"""One call from recorded outcomes to a saveable :class:`OutcomeRouter`.

:func:`train_outcome_router` chooses a learner among ``candidates`` by cross-validation inside the
given (training) rows, refits it on all of them, fits the cost model, and calibrates the default
``lam`` on the chosen learner's out-of-fold predictions for a target budget or quality (else
``lam`` = 0: best predicted quality). What CV and calibration found is kept in ``router.info``
and saved with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.learning.costs import CostModel, prompt_tokens, realised_costs
from routerlab.learning.cv import select
from routerlab.learning.features import make_featurizer
from routerlab.learning.policy import calibrate
from routerlab.learning.predictors import (
    FactorModel,
    IRTModel,
    KNNPerModel,
    LogisticPerModel,
    check_outcomes,
)
from routerlab.learning.router import OutcomeRouter


def default_candidates(features: str = "minilm+tfidf-svd+length") -> dict[str, Callable[[], Any]]:
    """The learner families the benchmark found useful, one grid point each (small on purpose:
    every candidate costs ``folds`` fits)."""
    return {
        "tfidf-logistic": lambda: LogisticPerModel(make_featurizer("tfidf"), c=1.0),
        "knn": lambda: KNNPerModel(make_featurizer("minilm"), k=100, tau=0.1, alpha=3.0),
        "factor": lambda: FactorModel(make_featurizer(features), rank=4, l2=0.01),
        "irt": lambda: IRTModel(make_featurizer(features), l2=1.0),
    }


def train_outcome_router(
    texts: Sequence[str],
    Y: np.ndarray,
    models: Sequence[str],
    prices: Sequence[tuple[float, float]],
    output_tokens: np.ndarray,
    *,
    aux: np.ndarray | None = None,
    candidates: Mapping[str, Callable[[], Any]] | None = None,
    folds: int = 5,
    seed: int = 0,
    target_budget: float | None = None,
    target_quality: float | None = None,
) -> OutcomeRouter:
    """Train on these rows only. ``Y`` (n, m) outcomes of ``models``; ``prices`` (input, output)
    USD per 1M tokens per model; ``output_tokens`` (n, m) recorded reply tokens (for costs);
    ``aux`` (n, a) other models' outcomes on the same prompts (shared strength, optional)."""
    texts = list(texts)
    Y = check_outcomes(texts, Y)
    if len(models) != Y.shape[1] or len(prices) != Y.shape[1]:
        raise ConfigError(
            f"{Y.shape[1]} outcome columns but {len(models)} models and {len(prices)} prices"
        )
    if target_budget is not None and target_quality is not None:
        raise ConfigError("give at most one of target_budget and target_quality")
    cands = dict(candidates or default_candidates())
    chosen = select(cands, texts, Y, aux=aux, folds=folds, seed=seed)
    learner = cands[chosen.name]().fit(texts, Y, aux=aux)
    cost_model = CostModel(tuple(prices), mode="mean").fit(texts, output_tokens)
    policy_costs = cost_model.predict(texts)
    info: dict[str, Any] = {
        "train_rows": len(texts),
        "cv_folds": folds,
        "cv_scores_neg_brier": {k: round(v, 6) for k, v in chosen.scores.items()},
        "chosen": chosen.name,
        "aux_models": 0 if aux is None else int(np.shape(aux)[1]),
    }
    lam = 0.0
    if target_budget is not None or target_quality is not None:
        paid = realised_costs(prompt_tokens(texts)[:, None], output_tokens, prices)
        cal = calibrate(
            chosen.oof[chosen.name],
            policy_costs,
            target_budget=target_budget,
            target_quality=target_quality,
            outcomes=np.nan_to_num(Y),
            realised_costs=paid,
        )
        lam = cal.lam
        info["calibration"] = {
            "target": cal.target,
            "target_value": cal.target_value,
            "met_on_training_rows": cal.met,
            "oof_quality": cal.expected.quality,
            "oof_cost_usd_per_1k": cal.expected.cost_usd_per_1k,
        }
    return OutcomeRouter(
        tuple(models), learner, cost_model, lam=lam, features=chosen.name, info=info
    )
