"""Cross-validation inside training rows only: out-of-fold predictions and selection.

:func:`cross_val_predict` fits a fresh learner on k-1 folds and predicts the k-th, so every
training row gets a prediction from a learner that never saw it (what :func:`calibrate` needs).
:func:`select` scores candidate learners by such predictions and keeps the best; by default the
score is the mean Brier score over the recorded cells (lower is better), or any ``score``
callable ``(oof_pred, Y, fold_rows) -> float`` where higher is better.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.learning.predictors import check_outcomes


def fold_indices(n: int, folds: int, seed: int = 0) -> list[np.ndarray]:
    """``folds`` disjoint, shuffled index arrays covering range(n)."""
    if folds < 2 or folds > n:
        raise ConfigError(f"folds must be in [2, {n}], got {folds}")
    perm = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(perm, folds)]


def cross_val_predict(
    make: Callable[[], Any],
    texts: Sequence[str],
    Y: np.ndarray,
    *,
    aux: np.ndarray | None = None,
    folds: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Out-of-fold predictions (n, m) of ``make()`` learners on the training rows."""
    texts = list(texts)
    Y = check_outcomes(texts, Y)
    out = np.full(Y.shape, np.nan)
    for val in fold_indices(len(texts), folds, seed):
        fit = np.setdiff1d(np.arange(len(texts)), val)
        learner = make()
        learner.fit(
            [texts[i] for i in fit], Y[fit], aux=None if aux is None else np.asarray(aux)[fit]
        )
        out[val] = learner.predict([texts[i] for i in val])
    return out


def brier(pred: np.ndarray, Y: np.ndarray) -> float:
    """Mean squared error over recorded (finite) cells."""
    seen = np.isfinite(Y)
    return float(np.mean((pred[seen] - Y[seen]) ** 2))


@dataclass(frozen=True)
class Selection:
    name: str
    scores: dict[str, float]  # candidate -> CV score (higher is better; Brier is negated)
    oof: dict[str, np.ndarray]  # candidate -> out-of-fold predictions on the training rows


def select(
    candidates: Mapping[str, Callable[[], Any]],
    texts: Sequence[str],
    Y: np.ndarray,
    *,
    aux: np.ndarray | None = None,
    folds: int = 5,
    seed: int = 0,
    score: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> Selection:
    """Pick the candidate with the best CV score on these (training) rows."""
    if not candidates:
        raise ConfigError("select needs at least one candidate learner")
    Y = check_outcomes(list(texts), Y)
    scores: dict[str, float] = {}
    oof: dict[str, np.ndarray] = {}
    for name, make in candidates.items():
        oof[name] = cross_val_predict(make, texts, Y, aux=aux, folds=folds, seed=seed)
        scores[name] = score(oof[name], Y) if score else -brier(oof[name], Y)
    best = max(scores, key=lambda k: scores[k])
    return Selection(best, scores, oof)
