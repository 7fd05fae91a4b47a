"""Writing a fine-tune's report (metrics, per-class table, figures) and the results table."""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from routerlab.training.metrics import confusion, per_class_report
from routerlab.training.prepare import PreparedData
from routerlab.training.trainer import TrainResult

RESULT_COLUMNS = (
    "model",
    "split",
    "accuracy",
    "macro_f1",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "train_seconds",
    "train_rows",
    "val_rows",
)
# The study's reported DistilBERT result on its (non-de-duplicated) split.
STUDY_RESULT = {"accuracy": 0.7901, "macro_f1": 0.7505, "weighted_f1": 0.7948}


def training_info(result: TrainResult, data: PreparedData) -> dict[str, Any]:
    """The record saved beside a model: what it was trained on, how, and how it scored."""
    import torch

    return {
        "base_model": result.config.base_model,
        "split_mode": data.split_mode,
        "train_rows": len(data.train),
        "val_rows": len(data.val),
        "class_weights": list(data.class_weights),
        "metrics": result.metrics,
        "train_seconds": round(result.train_seconds, 1),
        "config": result.config.to_dict(),
        "machine": {
            "cpu_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available(),
            "platform": platform.platform(),
        },
    }


def results_row(
    model: str,
    split: str,
    metrics: dict[str, Any],
    train_seconds: float,
    *,
    train_rows: int | None = None,
    val_rows: int | None = None,
) -> dict[str, Any]:
    """One row of the results table (see ``RESULT_COLUMNS``)."""
    return {
        "model": model,
        "split": split,
        "accuracy": round(float(metrics["accuracy"]), 4),
        "macro_f1": round(float(metrics["macro_f1"]), 4),
        "weighted_f1": round(float(metrics["weighted_f1"]), 4),
        "macro_precision": round(float(metrics["macro_precision"]), 4),
        "macro_recall": round(float(metrics["macro_recall"]), 4),
        "train_seconds": round(float(train_seconds), 1),
        "train_rows": train_rows,
        "val_rows": val_rows,
    }


def save_report(
    result: TrainResult,
    data: PreparedData,
    out_dir: str | Path,
    *,
    name: str = "finetuned",
    note: str = "",
) -> dict[str, Path]:
    """Write metrics JSON, per-class report CSV, history CSV, confusion and curve figures."""
    import matplotlib.pyplot as plt

    from routerlab.plots.training import plot_confusion_matrix, plot_training_curves

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}_{data.split_mode}"
    gold = data.val["label_id"].to_numpy()
    pred = result.val_probs.argmax(axis=1)
    paths = {
        "metrics": out / f"{stem}_metrics.json",
        "report": out / f"{stem}_classification_report.csv",
        "history": out / f"{stem}_history.csv",
        "confusion": out / f"{stem}_confusion.png",
        "curves": out / f"{stem}_training_curves.png",
    }
    paths["metrics"].write_text(
        json.dumps(training_info(result, data), indent=2, default=str), encoding="utf-8"
    )
    per_class_report(gold, pred, data.labels).to_csv(paths["report"])
    result.history.to_csv(paths["history"], index=False)
    suffix = f" — {note}" if note else ""
    fig = plot_confusion_matrix(
        confusion(gold, pred, data.labels), title=f"{name}, {data.split_mode} split{suffix}"
    )
    fig.savefig(paths["confusion"], dpi=120)
    plt.close(fig)
    fig = plot_training_curves(result.history, title=f"{name}, {data.split_mode} split{suffix}")
    fig.savefig(paths["curves"], dpi=120)
    plt.close(fig)
    return paths


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`results_row` as a frame with the standard column order."""
    return pd.DataFrame(rows, columns=list(RESULT_COLUMNS))


def study_reference(split_mode: str) -> dict[str, float] | None:
    """The study's reported scores, comparable only on its own (``study``) split."""
    return dict(STUDY_RESULT) if split_mode == "study" else None


def check_claims(
    results: pd.DataFrame, split_mode: str, *, full_run: bool, finetuned: str
) -> dict[str, bool]:
    """The claims notebook 04 asserts, by name.

    A quick run (sample, few steps) only claims that the fine-tuned model was scored. A full run
    claims it beats both baselines on macro-F1 and, on the ``study`` split, reaches the study's
    accuracy and macro-F1.
    """
    by_model = results.set_index("model")
    claims = {"fine-tuned model scored": bool(finetuned in by_model.index)}
    if full_run:
        tuned = by_model.loc[finetuned]
        for baseline in ("majority", "tfidf_logreg"):
            claims[f"beats {baseline} macro-F1"] = bool(
                tuned["macro_f1"] > by_model.loc[baseline, "macro_f1"]
            )
        if split_mode == "study":
            claims["accuracy >= study 0.790"] = bool(tuned["accuracy"] >= 0.790)
            claims["macro-F1 >= study 0.7505"] = bool(tuned["macro_f1"] >= STUDY_RESULT["macro_f1"])
    return claims
