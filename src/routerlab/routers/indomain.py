"""The in-domain routers as registered, trainable scoring routers.

They learn from an outcome table's own rows (:mod:`routerlab.evaluation.indomain` holds the
learner and the cross-validated selection): ``fit_table`` trains on the given rows only, then
:meth:`score_batch` scores prompts. Their columns are the table's pair, weak first:
``P(only the weak model is right)`` and ``P(only the strong model is right)``; the strong score an
evaluation thresholds is their difference, the expected quality gain of calling the strong model.

* ``indomain-text`` — prompt text only (length, TF-IDF), chosen by CV;
* ``indomain-subject`` — may also read the table's ``subject`` column (``reads``), benchmark
  metadata a gateway never sees;
* ``indomain`` — fixed ``features`` (default subject and length), C by CV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.evaluation.indomain import (
    C_GRID,
    CV_FOLDS,
    FEATURES,
    TEXT_ONLY,
    VARIANT_LABELS,
    WITH_SUBJECT,
    InDomainRouter,
    Selection,
    fit_selected,
)
from routerlab.pool import Pool
from routerlab.routers.base import ScoringRouter, register_router

SUBJECT = "subject"


class _InDomain(ScoringRouter):
    """Shared body: train with :func:`fit_selected`, score with the fitted learner."""

    variant = ""
    fixed_features: tuple[str, ...] | None = None

    def __init__(
        self,
        pool: Pool,
        *,
        c_grid: Sequence[float] = C_GRID,
        folds: int = CV_FOLDS,
        cost_threshold: float = 0.0,
    ) -> None:
        super().__init__(pool, cost_threshold=cost_threshold)
        self.c_grid = tuple(float(c) for c in c_grid)
        self.folds = folds
        self.learner: InDomainRouter | None = None
        self.selection: Selection | None = None
        self.train_rows = 0

    def fit_table(
        self,
        table: Any,
        rows: np.ndarray,
        *,
        strong: str | None = None,
        weak: str | None = None,
        seed: int = 0,
        held_out_rows: np.ndarray | None = None,
        **_: Any,
    ) -> _InDomain:
        """Select features and C by CV inside ``rows``, then fit on all of them."""
        strong, weak = table.strong_weak(strong, weak)
        self.learner, self.selection = fit_selected(
            table,
            rows,
            strong,
            weak,
            variant=self.variant,
            features=self.fixed_features,
            c_grid=self.c_grid,
            folds=self.folds,
            seed=seed,
            held_out_rows=held_out_rows,
        )
        self.models = (weak, strong)  # cheapest first: the policy's fallback is the weak model
        self.reads = (SUBJECT,) if SUBJECT in self.selection.features else ()
        self.train_rows = len(rows)
        return self

    def _fitted(self) -> InDomainRouter:
        if self.learner is None:
            raise ConfigError(f"router {self.name!r} is not trained; call fit_table() first")
        return self.learner

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        learner = self._fitted()
        subjects = None
        if SUBJECT in learner.features:
            if metadata is None or SUBJECT not in metadata:
                raise ConfigError(f"router {self.name!r} reads the {SUBJECT!r} column; pass it")
            subjects = [str(s) for s in metadata[SUBJECT]]
        p_harm, p_need = learner.gain_probabilities(prompts, subjects)
        return np.column_stack([p_harm, p_need])

    def strong_scores(self, scores: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """P(need) - P(harm): the expected gain of calling the strong model (the difference is
        taken in the scores' dtype, as the learner's own ``strong_scores`` takes it)."""
        array = self._checked(scores)
        return np.asarray(array[:, 1] - array[:, 0], dtype=float)

    def fit_notes(self) -> list[str]:
        if self.selection is None:
            return []
        s = self.selection
        label = VARIANT_LABELS.get(self.name, self.name)
        return [
            f"{self.name} ({label}): chose {'+'.join(s.features)}, C={s.c:g} by {self.folds}-fold "
            f"CV inside its {self.train_rows} training rows (CV APGR {s.cv_apgr:.3f})"
        ]

    def fit_metrics(self) -> dict[str, float]:
        return {} if self.selection is None else {"cv_apgr": self.selection.cv_apgr}


@register_router(TEXT_ONLY)
class InDomainTextRouter(_InDomain):
    """Trained on the table's rows from the prompt text only (length, TF-IDF; chosen by CV)."""

    name = TEXT_ONLY
    variant = TEXT_ONLY


@register_router(WITH_SUBJECT)
class InDomainSubjectRouter(_InDomain):
    """Like ``indomain-text`` but may read the table's subject (not comparable with prompt-only
    routers: a gateway never sees it)."""

    name = WITH_SUBJECT
    variant = WITH_SUBJECT
    reads = (SUBJECT,)


@register_router("indomain")
class InDomainFixedRouter(_InDomain):
    """Fixed ``features`` (any of subject, tfidf, minilm, length), C chosen by CV."""

    name = "indomain"

    def __init__(
        self,
        pool: Pool,
        *,
        features: Sequence[str] = ("subject", "length"),
        c_grid: Sequence[float] = C_GRID,
        folds: int = CV_FOLDS,
        cost_threshold: float = 0.0,
    ) -> None:
        super().__init__(pool, c_grid=c_grid, folds=folds, cost_threshold=cost_threshold)
        unknown = [f for f in features if f not in FEATURES]
        if unknown or not features:
            raise ConfigError(
                f"unknown in-domain features {unknown or '(none given)'}; "
                f"allowed: {', '.join(FEATURES)}"
            )
        self.fixed_features = tuple(features)
        self.reads = (SUBJECT,) if SUBJECT in self.fixed_features else ()
