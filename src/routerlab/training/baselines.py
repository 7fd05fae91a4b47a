"""Baselines for the classifier router, on the same splits: majority class and TF-IDF + LR.

Baselines have no selection step: they fit on the training side and are scored on the split's
report side (test on the grouped split; validation on the leaky study split, as in the study).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routerlab.training.bootstrap import Interval, bootstrap_intervals
from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import PreparedData

BASELINES = ("majority", "tfidf_logreg")


@dataclass
class BaselineResult:
    name: str
    metrics: dict[str, Any]  # on data.report_frame
    pred: np.ndarray  # predicted label ids, rows = data.report_frame
    train_seconds: float
    model: Any = None
    intervals: dict[str, Interval] = field(default_factory=dict)


def _scored(name: str, data: PreparedData, pred: np.ndarray, seconds: float, model: Any = None):
    gold = data.report_frame["label_id"].to_numpy()
    metrics = classification_metrics(gold, pred, data.labels)
    intervals = bootstrap_intervals(gold, pred, data.labels)
    return BaselineResult(name, metrics, pred, seconds, model, intervals)


def majority_baseline(data: PreparedData) -> BaselineResult:
    """Always predict the most frequent training label."""
    start = time.perf_counter()
    majority = int(np.bincount(data.train["label_id"], minlength=len(data.labels)).argmax())
    seconds = time.perf_counter() - start
    pred = np.full(len(data.report_frame), majority)
    return _scored("majority", data, pred, seconds)


def tfidf_logreg_baseline(data: PreparedData, *, seed: int = 42) -> BaselineResult:
    """Word 1-2-gram TF-IDF into a class-weighted logistic regression (fixed C, no selection)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    start = time.perf_counter()
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(max_iter=2000, class_weight="balanced", C=4.0, random_state=seed),
    )
    model.fit(data.train["user_query"], data.train["label_id"])
    seconds = time.perf_counter() - start
    pred = np.asarray(model.predict(data.report_frame["user_query"]))
    return _scored("tfidf_logreg", data, pred, seconds, model)


def run_baselines(data: PreparedData) -> list[BaselineResult]:
    """Both baselines on ``data`` (majority first)."""
    return [majority_baseline(data), tfidf_logreg_baseline(data)]
