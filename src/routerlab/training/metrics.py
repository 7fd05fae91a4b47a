"""Classification metrics for router classifiers: one dict, one per-class frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    precision_recall_fscore_support,
)


def classification_metrics(
    gold: ArrayLike, pred: ArrayLike, labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro and weighted precision/recall/F1, and per-class F1 (``f1_<label>``)."""
    ids = list(range(len(labels)))
    gold_a, pred_a = np.asarray(gold), np.asarray(pred)
    out: dict[str, Any] = {"accuracy": float(accuracy_score(gold_a, pred_a))}
    for average in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            gold_a, pred_a, labels=ids, average=average, zero_division=0
        )
        out[f"{average}_precision"] = float(p)
        out[f"{average}_recall"] = float(r)
        out[f"{average}_f1"] = float(f)
    _, _, per_f1, _ = precision_recall_fscore_support(
        gold_a, pred_a, labels=ids, average=None, zero_division=0
    )
    for name, value in zip(labels, per_f1, strict=True):
        out[f"f1_{name}"] = float(value)
    return out


def per_class_report(gold: ArrayLike, pred: ArrayLike, labels: Sequence[str]) -> pd.DataFrame:
    """sklearn's classification report as a frame (rows: classes, macro avg, weighted avg)."""
    report = classification_report(
        gold,
        pred,
        labels=list(range(len(labels))),
        target_names=list(labels),
        output_dict=True,
        zero_division=0,
    )
    frame = pd.DataFrame(report).T
    return frame.drop(index="accuracy", errors="ignore")


def confusion(gold: ArrayLike, pred: ArrayLike, labels: Sequence[str]) -> pd.DataFrame:
    """Confusion matrix as a frame: rows = true label, columns = predicted label."""
    matrix = confusion_matrix(gold, pred, labels=list(range(len(labels))))
    return pd.DataFrame(matrix, index=list(labels), columns=list(labels))
