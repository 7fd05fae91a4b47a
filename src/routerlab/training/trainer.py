"""Fine-tuning a sequence classifier with the Hugging Face ``Trainer``.

The recipes (:class:`TrainingConfig`, :func:`offline_config`) are in
:mod:`routerlab.training.config`. Evaluation runs each epoch; the checkpoint with the best validation macro-F1 is kept; a run
resumes from the last checkpoint in ``output_dir`` when one exists.

Selection reads validation only: :func:`train_classifier` sees the train and validation frames,
and :func:`check_selection_rows` refuses to start when either shares a query (normalised text or
near-duplicate group) with the held-out test rows. Test rows are scored after training, by the
workflow, never by the ``Trainer``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.splits import normalise_text
from routerlab.training.config import TrainingConfig
from routerlab.training.inference import predict_proba
from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import PreparedData, tokenize_frame


@dataclass
class TrainResult:
    """What a fine-tune returns: the model, its tokenizer, metrics and the training history."""

    model: Any
    tokenizer: Any
    labels: tuple[str, ...]
    config: TrainingConfig
    metrics: dict[str, Any]  # on the validation side (selection), best checkpoint
    history: pd.DataFrame  # one row per logged step/epoch (loss, eval metrics)
    val_probs: np.ndarray  # validation probabilities, rows = validation rows
    train_seconds: float
    best_checkpoint: str | None = None
    selected_epoch: float | None = None  # the epoch whose checkpoint was kept (by validation)


class SelectionLeakError(ConfigError):
    """Rows given to training or model selection overlap the held-out test rows."""


def check_selection_rows(
    train: pd.DataFrame, val: pd.DataFrame, held_out: pd.DataFrame | None
) -> None:
    """Refuse training when a train or validation row shares a query with ``held_out`` rows.

    A query is shared when its normalised text matches, or (when the frames carry a ``group``
    column from :mod:`routerlab.splits`) when it is in the same near-duplicate group.
    """
    if held_out is None or len(held_out) == 0:
        return
    held_texts = {normalise_text(t) for t in held_out["user_query"]}
    held_groups = set(held_out["group"]) if "group" in held_out else set()
    for side, frame in (("training", train), ("validation", val)):
        texts = [t for t in frame["user_query"] if normalise_text(t) in held_texts]
        groups = set(frame["group"]) & held_groups if "group" in frame else set()
        if texts or groups:
            example = texts[0][:60] if texts else f"group {sorted(groups)[0]}"
            raise SelectionLeakError(
                f"{len(texts) or len(groups)} {side} row(s) share a query with the held-out "
                f"test rows (first: {example!r}); training and selection may read the train and "
                "validation sides only"
            )


def selected_epoch(history: pd.DataFrame, metric: str = "eval_macro_f1") -> float | None:
    """The epoch the Trainer kept: the first evaluation with the best validation ``metric``."""
    if metric not in history or "epoch" not in history:
        return None
    evals = history.dropna(subset=[metric])
    if evals.empty:
        return None
    best = int(np.argmax(evals[metric].to_numpy()))  # first maximum, as the Trainer keeps it
    return float(evals["epoch"].to_numpy()[best])


def _weighted_trainer_class() -> type:
    import torch
    from transformers import Trainer

    class WeightedLossTrainer(Trainer):
        """A ``Trainer`` whose loss is cross-entropy with class weights and label smoothing."""

        def __init__(
            self,
            *args: Any,
            class_weights: tuple[float, ...] | None = None,
            label_smoothing: float = 0.0,
            **kwargs: Any,
        ) -> None:
            super().__init__(*args, **kwargs)
            self._class_weights = (
                torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
            )
            self._label_smoothing = label_smoothing

        def compute_loss(
            self,
            model: Any,
            inputs: dict[str, Any],
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            logits = outputs.logits
            weight = None
            if self._class_weights is not None:
                weight = self._class_weights.to(device=logits.device, dtype=logits.dtype)
            loss = torch.nn.functional.cross_entropy(
                logits, labels, weight=weight, label_smoothing=self._label_smoothing
            )
            return (loss, outputs) if return_outputs else loss

    return WeightedLossTrainer


def load_base_model(base_model: str, labels: tuple[str, ...], dropout: float | None) -> Any:
    """The encoder with a fresh classification head for ``labels``, and its tokenizer."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    id2label = dict(enumerate(labels))
    config = AutoConfig.from_pretrained(
        base_model,
        num_labels=len(labels),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    if dropout is not None:
        # BERT-style and DistilBERT-style configs name their dropouts differently.
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout"):
            if hasattr(config, name):
                setattr(config, name, dropout)
        if hasattr(config, "seq_classif_dropout"):
            config.seq_classif_dropout = dropout
    model = AutoModelForSequenceClassification.from_pretrained(base_model, config=config)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    return model, tokenizer


class _TrainClock:
    """Training time summed over resumed runs: each checkpoint records the time spent so far."""

    FILE = "routerlab_train_seconds.json"

    def __init__(self, checkpoint: str | None) -> None:
        self.before = 0.0
        if checkpoint is not None:
            file = Path(checkpoint) / self.FILE
            if file.is_file():
                self.before = float(json.loads(file.read_text())["train_seconds"])
        self.start = time.perf_counter()

    def total(self) -> float:
        return self.before + time.perf_counter() - self.start

    def callback(self) -> Any:
        from transformers import TrainerCallback

        clock = self

        class _Record(TrainerCallback):  # type: ignore[misc]
            def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
                folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
                if folder.is_dir():
                    record = {"train_seconds": round(clock.total(), 1)}
                    (folder / clock.FILE).write_text(json.dumps(record))

        return _Record()


def history_frame(log_history: list[dict[str, Any]]) -> pd.DataFrame:
    """The Trainer's log history as a frame (one row per log entry)."""
    return pd.DataFrame(log_history)


def train_classifier(
    data: PreparedData,
    config: TrainingConfig | None = None,
    *,
    output_dir: str | Path = "outputs/classifier/checkpoints",
    model: Any = None,
    tokenizer: Any = None,
    resume: bool = True,
    max_steps: int | None = None,
    held_out: pd.DataFrame | None = None,
) -> TrainResult:
    """Fine-tune on ``data.train``, evaluate each epoch on ``data.val``, keep the best macro-F1.

    ``data.test`` is never read except by the guard: training stops with
    :class:`SelectionLeakError` when train or validation rows share a query with ``data.test``
    or with ``held_out`` (more rows to keep out, e.g. an outside test set).

    ``model``/``tokenizer`` replace loading ``config.base_model`` (tests pass a tiny model).
    ``resume`` continues from the last checkpoint in ``output_dir`` when there is one.
    ``max_steps`` caps the optimisation steps (quick runs and tests).
    """
    import torch
    from transformers import (
        DataCollatorWithPadding,
        EarlyStoppingCallback,
        TrainingArguments,
        set_seed,
    )
    from transformers.trainer_utils import get_last_checkpoint

    config = config or TrainingConfig()
    check_selection_rows(data.train, data.val, data.test)
    check_selection_rows(data.train, data.val, held_out)
    set_seed(config.seed)
    if model is None or tokenizer is None:
        model, tokenizer = load_base_model(config.base_model, data.labels, config.dropout)
    train_ds = tokenize_frame(data.train, tokenizer, config.max_length)
    val_ds = tokenize_frame(data.val, tokenizer, config.max_length)
    if config.group_by_length:
        train_ds = train_ds.add_column("length", [len(ids) for ids in train_ds["input_ids"]])
    cuda = torch.cuda.is_available()
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    arguments: dict[str, Any] = {
        "output_dir": str(out),
        "learning_rate": config.learning_rate,
        "num_train_epochs": config.epochs,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.eval_batch_size,
        "warmup_steps": config.warmup_steps,
        "weight_decay": config.weight_decay,
        "lr_scheduler_type": config.scheduler,
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
        "logging_strategy": "steps",
        # about five loss points per epoch, so short runs still draw a curve
        "logging_steps": max(1, min(50, len(train_ds) // config.batch_size // 5)),
        "save_total_limit": 2,
        "load_best_model_at_end": True,
        "metric_for_best_model": "macro_f1",
        "greater_is_better": True,
        "fp16": cuda,  # mixed precision only where it helps and is supported
        "use_cpu": not cuda,
        "seed": config.seed,
        "data_seed": config.seed,
        "report_to": "none",
        "disable_tqdm": not config.progress,
        "train_sampling_strategy": "group_by_length" if config.group_by_length else "random",
        "max_steps": max_steps if max_steps is not None else -1,
    }
    arguments.update(config.extra)
    args = TrainingArguments(**arguments)
    labels = data.labels

    def compute_metrics(prediction: Any) -> dict[str, float]:
        logits, gold = prediction.predictions, prediction.label_ids
        found = classification_metrics(gold, np.argmax(logits, axis=1), labels)
        return {k: v for k, v in found.items() if isinstance(v, float)}

    trainer_cls = _weighted_trainer_class()
    callbacks = []
    if config.early_stopping_patience > 0:
        callbacks.append(
            EarlyStoppingCallback(early_stopping_patience=config.early_stopping_patience)
        )
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=train_ds,
        eval_dataset=val_ds,
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
        callbacks=callbacks,
        class_weights=data.class_weights if config.class_weighted else None,
        label_smoothing=config.label_smoothing,
    )
    checkpoint = get_last_checkpoint(str(out)) if resume else None
    clock = _TrainClock(checkpoint)
    trainer.add_callback(clock.callback())
    trainer.train(resume_from_checkpoint=checkpoint)
    train_seconds = clock.total()
    # Not trainer.predict: with length grouping its eval sampler reorders the rows.
    probs = predict_proba(
        trainer.model,
        tokenizer,
        data.val["user_query"].tolist(),
        max_length=config.max_length,
        batch_size=config.eval_batch_size,
    )
    metrics = classification_metrics(data.val["label_id"].to_numpy(), probs.argmax(axis=1), labels)
    trainer.model.eval()
    history = history_frame(trainer.state.log_history)
    return TrainResult(
        model=trainer.model,
        tokenizer=tokenizer,
        labels=labels,
        config=config,
        metrics=metrics,
        history=history,
        val_probs=probs,
        train_seconds=train_seconds,
        best_checkpoint=trainer.state.best_model_checkpoint,
        selected_epoch=selected_epoch(history),
    )
