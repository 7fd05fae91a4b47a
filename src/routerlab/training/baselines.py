"""Baselines for the classifier router, on the same splits: majority class and TF-IDF + LR."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import PreparedData

BASELINES = ("majority", "tfidf_logreg")


@dataclass
class BaselineResult:
    name: str
    metrics: dict[str, Any]
    val_pred: np.ndarray
    train_seconds: float
    model: Any = None


def majority_baseline(data: PreparedData) -> BaselineResult:
    """Always predict the most frequent training label."""
    start = time.perf_counter()
    majority = int(np.bincount(data.train["label_id"], minlength=len(data.labels)).argmax())
    pred = np.full(len(data.val), majority)
    seconds = time.perf_counter() - start
    metrics = classification_metrics(data.val["label_id"], pred, data.labels)
    return BaselineResult("majority", metrics, pred, seconds)


def tfidf_logreg_baseline(data: PreparedData, *, seed: int = 42) -> BaselineResult:
    """Word 1-2-gram TF-IDF into a class-weighted logistic regression."""
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
    pred = np.asarray(model.predict(data.val["user_query"]))
    metrics = classification_metrics(data.val["label_id"], pred, data.labels)
    return BaselineResult("tfidf_logreg", metrics, pred, seconds, model)


def run_baselines(data: PreparedData) -> list[BaselineResult]:
    """Both baselines on ``data`` (majority first)."""
    return [majority_baseline(data), tfidf_logreg_baseline(data)]
