"""The whole fine-tune job in one call (used by ``routerlab train`` and notebook 04)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.data import load_labeled_prompts
from routerlab.pool import Pool, load_pool
from routerlab.profiles import Profile, resolve_profile
from routerlab.training.baselines import BaselineResult, run_baselines
from routerlab.training.bootstrap import Interval, bootstrap_intervals
from routerlab.training.config import default_base_model, profile_config
from routerlab.training.inference import predict_proba
from routerlab.training.io import save_classifier
from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import DEFAULT_SPLIT, PreparedData, prepare_data
from routerlab.training.report import results_row, save_report, training_info
from routerlab.training.trainer import TrainResult, train_classifier


@dataclass
class FineTuneRun:
    data: PreparedData
    result: TrainResult
    model_dir: Path
    report: dict[str, Path]
    row: dict[str, Any]  # results-table row of the fine-tuned model (report side, intervals)
    report_probs: np.ndarray  # probabilities on data.report_frame (test on the grouped split)
    report_metrics: dict[str, Any]
    intervals: dict[str, Interval]


def load_split(
    profile: str | Profile | None,
    split_mode: str = DEFAULT_SPLIT,
    *,
    pool: Pool | None = None,
    sample_size: int | None = None,
) -> PreparedData:
    """Labeled prompts (mirror offline, download live) prepared for ``split_mode``."""
    chosen = resolve_profile(profile)
    frame = load_labeled_prompts(allow_download=chosen is Profile.LIVE)
    return prepare_data(frame, pool or load_pool(), split_mode=split_mode, sample_size=sample_size)


def fine_tune(
    data: PreparedData,
    *,
    profile: str | Profile | None,
    base_model: str | None = None,
    output_dir: str | Path = "outputs/classifier",
    model_dir: str | Path = "outputs/models/classifier",
    checkpoint_dir: str | Path | None = None,
    resume: bool = True,
    max_steps: int | None = None,
    name: str | None = None,
    **overrides: Any,
) -> FineTuneRun:
    """Fine-tune with the profile's recipe (``overrides`` change fields), save model and report.

    Checkpoints go to ``checkpoint_dir`` (default ``<model_dir>-checkpoints``) so that an
    interrupted run resumes; the best model goes to ``model_dir``; metrics and figures to
    ``output_dir``.

    Selection (best epoch, early stopping) reads ``data.val`` only; once the model is kept, it is
    scored once on ``data.report_frame`` (the untouched test rows of the grouped split) with
    bootstrap 95 % intervals.
    """
    chosen = resolve_profile(profile)
    # None means "the recipe's value", so notebook parameters can pass None through.
    overrides = {key: value for key, value in overrides.items() if value is not None}
    config = profile_config(
        chosen, base_model=base_model or default_base_model(chosen), **overrides
    )
    base = Path(checkpoint_dir) if checkpoint_dir else Path(f"{Path(model_dir)}-checkpoints")
    # One sub-folder per run signature: a run resumes only its own checkpoints, never those of
    # a run with other data or hyper-parameters that shares the model directory.
    ckpt = base / run_signature(data, config, max_steps)
    result = train_classifier(data, config, output_dir=ckpt, resume=resume, max_steps=max_steps)
    report_probs, report_metrics, intervals = score_report_side(
        result.model, result.tokenizer, data, config.max_length
    )
    saved = save_classifier(
        model_dir,
        result.model,
        result.tokenizer,
        result.labels,
        max_length=config.max_length,
        info=training_info(result, data, report_metrics=report_metrics, intervals=intervals),
    )
    report = save_report(
        result,
        data,
        output_dir,
        report_probs=report_probs,
        report_metrics=report_metrics,
        intervals=intervals,
        name=name or "finetuned",
    )
    row = results_row(
        name or "finetuned_" + model_label(config.base_model),
        data,
        report_metrics,
        result.train_seconds,
        intervals,
    )
    return FineTuneRun(data, result, saved, report, row, report_probs, report_metrics, intervals)


def score_report_side(
    model: Any, tokenizer: Any, data: PreparedData, max_length: int = 128
) -> tuple[np.ndarray, dict[str, Any], dict[str, Interval]]:
    """Probabilities, metrics and bootstrap intervals on ``data.report_frame`` (after selection)."""
    frame = data.report_frame
    probs = predict_proba(model, tokenizer, frame["user_query"].tolist(), max_length=max_length)
    gold = frame["label_id"].to_numpy()
    pred = probs.argmax(axis=1)
    return (
        probs,
        classification_metrics(gold, pred, data.labels),
        bootstrap_intervals(gold, pred, data.labels),
    )


def run_signature(data: PreparedData, config: Any, max_steps: int | None) -> str:
    """A short hash of what determines a run: data split and size, labels, hyper-parameters."""
    recipe = {k: v for k, v in config.to_dict().items() if k != "progress"}
    key = {
        "split": data.split_mode,
        "train_rows": len(data.train),
        "val_rows": len(data.val),
        "test_rows": None if data.test is None else len(data.test),
        "labels": list(data.labels),
        "max_steps": max_steps,
        "recipe": recipe,
    }
    text = json.dumps(key, sort_keys=True, default=str)
    return "run-" + hashlib.sha256(text.encode()).hexdigest()[:10]


def model_label(base_model: str) -> str:
    """A short name for a base model: the hub id's last part, or the package of a folder."""
    path = Path(base_model)
    return path.parent.name if path.name == "model" and path.parent.name else path.name


def baseline_rows(data: PreparedData) -> tuple[list[BaselineResult], list[dict[str, Any]]]:
    """Both baselines on ``data`` and their results-table rows."""
    results = run_baselines(data)
    rows = [results_row(b.name, data, b.metrics, b.train_seconds, b.intervals) for b in results]
    return results, rows


def append_results(rows: list[dict[str, Any]], path: str | Path) -> pd.DataFrame:
    """Merge ``rows`` into the CSV at ``path`` (same model and split replaced), write, return."""
    from routerlab.training.report import results_frame

    file = Path(path)
    new = results_frame(rows)
    if file.is_file():
        old = pd.read_csv(file)
    # A table written with other columns (an older layout) is replaced, not merged.
    if file.is_file() and list(old.columns) == list(new.columns):
        keys = set(zip(new["model"], new["split"], strict=True))
        keep = [(m, s) not in keys for m, s in zip(old["model"], old["split"], strict=True)]
        new = pd.concat([old[keep], new], ignore_index=True)
    file.parent.mkdir(parents=True, exist_ok=True)
    new.to_csv(file, index=False)
    return new
