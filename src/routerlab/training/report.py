"""Writing a fine-tune's report (metrics, per-class table, figures) and the results tables.

Two tables, never mixed: the **measured** results table (every row computed by this run, on the
split's report side — test for the grouped split — with bootstrap 95 % intervals and measured
training seconds) and the **reported** table (published numbers, "reported, not measured here",
with the split they were measured on; no training time is typed in for them).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.training.bootstrap import Interval, interval_columns
from routerlab.training.metrics import confusion, per_class_report
from routerlab.training.prepare import PreparedData, split_label
from routerlab.training.trainer import TrainResult

RESULT_COLUMNS = (
    "model",
    "split",
    "eval_side",
    "eval_rows",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "macro_f1",
    "macro_f1_low",
    "macro_f1_high",
    "weighted_f1",
    "macro_precision",
    "macro_recall",
    "train_seconds",
    "train_rows",
    "val_rows",
    "test_rows",
)
REPORTED_STATUS = "reported, not measured here"
# Published numbers, with the split they were measured on. Never mixed into measured tables.
REPORTED_RESULTS = (
    {
        "model": "study DistilBERT",
        "split": "study split (leaky)",
        "accuracy": 0.7901,
        "macro_f1": 0.7505,
        "weighted_f1": 0.7948,
        "source": "the study's notebook",
    },
    {
        "model": "MiniLM-L6 fine-tune (lr 5e-5, 3 epochs)",
        "split": "study split (leaky)",
        "accuracy": 0.821,
        "macro_f1": 0.784,
        "weighted_f1": None,
        "source": "data mirror README",
    },
    {
        "model": "MiniLM-L6 fine-tune (lr 5e-5, 3 epochs)",
        "split": "dedup split (exact-duplicate removal only)",
        "accuracy": 0.782,
        "macro_f1": 0.721,
        "weighted_f1": None,
        "source": "data mirror README",
    },
)
# The study's reported DistilBERT result on its (leaky) split.
STUDY_RESULT = {k: REPORTED_RESULTS[0][k] for k in ("accuracy", "macro_f1", "weighted_f1")}


def reported_results() -> pd.DataFrame:
    """The published numbers, each labeled "reported, not measured here" with its split."""
    frame = pd.DataFrame(list(REPORTED_RESULTS))
    frame["status"] = REPORTED_STATUS
    return frame


def training_info(
    result: TrainResult,
    data: PreparedData,
    *,
    report_metrics: dict[str, Any] | None = None,
    intervals: dict[str, Interval] | None = None,
) -> dict[str, Any]:
    """The record saved beside a model: what it was trained on, how, and how it scored."""
    import torch

    return {
        "base_model": result.config.base_model,
        "split_mode": data.split_mode,
        "split_label": split_label(data.split_mode),
        "train_rows": len(data.train),
        "val_rows": len(data.val),
        "test_rows": None if data.test is None else len(data.test),
        "split_report": None if data.split_report is None else data.split_report.as_dict(),
        "class_weights": list(data.class_weights),
        "selection": "validation macro-F1 (best epoch kept; early stopping on validation)",
        "selected_epoch": result.selected_epoch,
        "metrics": result.metrics,  # validation side: what selection read
        "report_side": data.report_side,
        "report_metrics": report_metrics,
        "report_intervals": {k: vars(v) for k, v in (intervals or {}).items()},
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
    data: PreparedData,
    metrics: dict[str, Any],
    train_seconds: float,
    intervals: dict[str, Interval] | None = None,
    *,
    train_rows: int | None = None,
) -> dict[str, Any]:
    """One measured row of the results table (see ``RESULT_COLUMNS``), on ``data.report_side``."""
    row: dict[str, Any] = {
        "model": model,
        "split": split_label(data.split_mode),
        "eval_side": data.report_side,
        "eval_rows": len(data.report_frame),
        "accuracy": round(float(metrics["accuracy"]), 4),
        "macro_f1": round(float(metrics["macro_f1"]), 4),
        "weighted_f1": round(float(metrics["weighted_f1"]), 4),
        "macro_precision": round(float(metrics["macro_precision"]), 4),
        "macro_recall": round(float(metrics["macro_recall"]), 4),
        "train_seconds": round(float(train_seconds), 1),
        "train_rows": train_rows if train_rows is not None else len(data.train),
        "val_rows": len(data.val),
        "test_rows": None if data.test is None else len(data.test),
    }
    row.update(interval_columns(intervals or {}))
    return row


def save_report(
    result: TrainResult,
    data: PreparedData,
    out_dir: str | Path,
    *,
    report_probs: np.ndarray,
    report_metrics: dict[str, Any] | None = None,
    intervals: dict[str, Interval] | None = None,
    name: str = "finetuned",
) -> dict[str, Path]:
    """Write metrics JSON, per-class report CSV (report side), history CSV, confusion matrix
    (report side) and training curves (validation, selected epoch marked)."""
    import matplotlib.pyplot as plt

    from routerlab.plots.training import plot_confusion_matrix, plot_training_curves

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{name}_{data.split_mode}"
    gold = data.report_frame["label_id"].to_numpy()
    pred = report_probs.argmax(axis=1)
    paths = {
        "metrics": out / f"{stem}_metrics.json",
        "report": out / f"{stem}_classification_report.csv",
        "history": out / f"{stem}_history.csv",
        "confusion": out / f"{stem}_confusion.png",
        "curves": out / f"{stem}_training_curves.png",
    }
    info = training_info(result, data, report_metrics=report_metrics, intervals=intervals)
    paths["metrics"].write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    per_class_report(gold, pred, data.labels).to_csv(paths["report"])
    result.history.to_csv(paths["history"], index=False)
    where = f"{split_label(data.split_mode)}, {data.report_side} rows (n = {len(gold):,})"
    fig = plot_confusion_matrix(confusion(gold, pred, data.labels), title=f"{name}\n{where}")
    fig.savefig(paths["confusion"], dpi=120)
    plt.close(fig)
    fig = plot_training_curves(
        result.history,
        title=f"{name}, {split_label(data.split_mode)}: selection on validation",
        selected_epoch=result.selected_epoch,
    )
    fig.savefig(paths["curves"], dpi=120)
    plt.close(fig)
    return paths


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :func:`results_row` as a frame with the standard column order."""
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    # integer counts stay integers where a side is absent (no test side on the study split)
    return frame.astype(
        {"eval_rows": "Int64", "train_rows": "Int64", "val_rows": "Int64", "test_rows": "Int64"}
    )


def check_claims(results: pd.DataFrame, *, full_run: bool, finetuned: str) -> dict[str, bool]:
    """The claims notebook 04 asserts, by name.

    A quick run (sample, few steps) only claims that the fine-tuned model was scored with an
    interval. A full run also claims it beats both baselines on macro-F1 (same rows).
    """
    rows = {str(row["model"]): row for _, row in results.iterrows()}
    claims = {"fine-tuned model scored": finetuned in rows}
    if finetuned in rows:
        tuned = rows[finetuned]
        low, point, high = (float(tuned[k]) for k in ("macro_f1_low", "macro_f1", "macro_f1_high"))
        claims["interval holds the point"] = low <= point <= high
    if full_run:
        for baseline in ("majority", "tfidf_logreg"):
            claims[f"beats {baseline} macro-F1"] = float(rows[finetuned]["macro_f1"]) > float(
                rows[baseline]["macro_f1"]
            )
    return claims


def describe_row(row: pd.Series | dict[str, Any]) -> str:
    """ "accuracy 0.71 [0.68, 0.74], macro-F1 0.65 [0.61, 0.69] (test, n = 688)" from a row."""
    parts = []
    for metric, name in (("accuracy", "accuracy"), ("macro_f1", "macro-F1")):
        text = f"{name} {float(row[metric]):.4f}"
        low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
        if low is not None and high is not None and pd.notna(low) and pd.notna(high):
            text += f" [{float(low):.4f}, {float(high):.4f}]"
        parts.append(text)
    return f"{', '.join(parts)} ({row['eval_side']}, n = {int(row['eval_rows']):,})"


def conclusions(
    results: pd.DataFrame, finetuned: str, study_measured: pd.DataFrame, *, full_run: bool
) -> str:
    """The closing paragraph of notebook 04, every number read from the measured tables."""
    rows = {str(row["model"]): row for _, row in results.iterrows()}
    tuned = rows[finetuned]
    baselines = [name for name in rows if name != finetuned]
    best = max(baselines, key=lambda name: float(rows[name]["macro_f1"]))
    text = (
        f"On the **{tuned['split']}** the fine-tuned model (`{finetuned}`), with its epoch chosen "
        f"on validation, scores {describe_row(tuned)} on rows it never saw, after "
        f"{float(tuned['train_seconds']) / 60:.1f} min of training; the best baseline "
        f"({best}) scores {describe_row(rows[best])}. Brackets are bootstrap 95 % intervals."
    )
    study = {str(row["model"]): row for _, row in study_measured.iterrows()}
    if "tfidf_logreg" in study and "tfidf_logreg" in rows:
        leaky = float(study["tfidf_logreg"]["macro_f1"])
        honest = float(rows["tfidf_logreg"]["macro_f1"])
        relation = "higher" if leaky > honest else "not higher"
        text += (
            f" The same TF-IDF baseline scores macro-F1 {leaky:.4f} on the study split (leaky), "
            f"{relation} than its {honest:.4f} here; the study's reported numbers were measured "
            "on that leaky split and are not comparable with this table."
        )
    if not full_run:
        text += " (Quick run on a sample: these numbers only exercise the pipeline.)"
    return text


def save_split_report(data: PreparedData, out_dir: str | Path) -> pd.DataFrame | None:
    """Write the grouped split's report to ``split_report_<split>.csv``; ``None`` for study."""
    if data.split_report is None:
        return None
    frame = data.split_report.frame()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    frame.to_csv(Path(out_dir) / f"split_report_{data.split_mode}.csv")
    return frame
