"""The routers of an N-model evaluation besides the built-in baselines: outcome routers trained
on a table's training rows (:mod:`routerlab.learning`), saved outcome routers, the study's pool
routers through a tier map, and recorded decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.frontier import PER_1K
from routerlab.evaluation.multi import Sweep, model_indices
from routerlab.tiers import TierMap

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
        if features == "tfidf":
            # make_featurizer("tfidf") returns a sparse matrix (for the linear learner); the kNN's
            # cosine similarities need dense rows
            from routerlab.learning import TfidfFeaturizer

            featurizer = TfidfFeaturizer("word", seed=seed)
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
    oof: np.ndarray | None = None  # out-of-fold training predictions: cv's, or when asked

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
    oof: bool = False,
) -> tuple[Any, str, np.ndarray | None]:
    """(fitted predictor, learner label, out-of-fold training predictions or None). ``cv``
    chooses among :func:`routerlab.learning.train.default_candidates` by 5-fold CV inside these
    rows (label ``cv:<chosen>``, its out-of-fold predictions returned); any other learner is
    :func:`make_learner`'s, and its out-of-fold predictions (for calibrating a knob on the
    training rows) are made, by ``CV_FOLDS``-fold cross-validation, only when ``oof`` asks."""
    from routerlab.learning import cross_val_predict, select
    from routerlab.learning.train import default_candidates

    Y = np.asarray(outcomes, dtype=float)
    folds = max(2, min(CV_FOLDS, len(prompts)))
    if learner != "cv":
        predictor = make_learner(learner, features, seed=seed).fit(list(prompts), Y, aux=aux)
        if not oof:
            return predictor, learner, None
        predicted = cross_val_predict(
            lambda: make_learner(learner, features, seed=seed),
            list(prompts),
            Y,
            aux=aux,
            folds=folds,
            seed=seed,
        )
        return predictor, learner, np.asarray(predicted, dtype=float)
    candidates = default_candidates()
    chosen = select(candidates, list(prompts), Y, aux=aux, folds=folds, seed=seed)
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
    oof: bool = False,
) -> TrainedOutcome:
    """Fit ``learner`` on training ``prompts`` / ``outcomes`` (n, m) / ``costs`` (n, m, USD);
    ``oof``: keep out-of-fold training predictions for every learner, not only ``cv``."""
    from routerlab.learning import lam_grid

    predictor, learner, predicted = fit_predictor(
        learner, features, prompts, outcomes, aux=aux, seed=seed, oof=oof
    )
    policy_costs = np.asarray(costs, dtype=float).mean(axis=0) * PER_1K
    fitted = predictor.predict(list(prompts))
    knobs = np.asarray(lam_grid(fitted, policy_costs, lam_points), dtype=float)
    return TrainedOutcome(
        name, tuple(models), predictor, policy_costs, learner, features, knobs, predicted
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


def load_classifier_router(model_dir: str | Path | None, pool: Any) -> Any:
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


__all__ = [
    "CV_FOLDS",
    "DEFAULT_MULTI_ROUTERS",
    "LAM_POINTS",
    "LEARNERS",
    "OUTCOME_ROUTERS",
    "TIERED_ROUTERS",
    "TrainedOutcome",
    "decision_choices",
    "fit_predictor",
    "load_classifier_router",
    "make_learner",
    "read_decisions",
    "saved_sweep",
    "tiered_sweep",
    "train_outcome",
]
