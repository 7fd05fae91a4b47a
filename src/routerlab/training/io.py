"""Saving and loading a classifier-router model directory.

A directory holds the Hugging Face model and tokenizer (``save_pretrained``) and
``routerlab_classifier.json``: the label map (label id -> pool model), ``max_length``, the base
model, the split and training configuration, and the validation metrics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routerlab.errors import RouterlabError

INFO_FILE = "routerlab_classifier.json"
FORMAT_VERSION = 1


class ModelDirError(RouterlabError, ValueError):
    """A classifier model directory is missing, incomplete or incompatible."""


@dataclass
class LoadedClassifier:
    model: Any
    tokenizer: Any
    labels: tuple[str, ...]
    max_length: int
    info: dict[str, Any]


def save_classifier(
    directory: str | Path,
    model: Any,
    tokenizer: Any,
    labels: tuple[str, ...] | list[str],
    *,
    max_length: int = 128,
    info: dict[str, Any] | None = None,
) -> Path:
    """Write model, tokenizer and ``routerlab_classifier.json`` into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    record = {
        "format_version": FORMAT_VERSION,
        "labels": list(labels),
        "max_length": int(max_length),
        **(info or {}),
    }
    (out / INFO_FILE).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
    return out


def read_info(directory: str | Path) -> dict[str, Any]:
    """The training-info record of a model directory (clear error when missing or broken)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise ModelDirError(
            f"classifier model directory {str(folder)!r} does not exist; train one with "
            "`routerlab train` or notebook 04 (default outputs/models/classifier)"
        )
    file = folder / INFO_FILE
    if not file.is_file():
        raise ModelDirError(
            f"{str(folder)!r} is not a routerlab classifier directory: it lacks {INFO_FILE} "
            "(save models with routerlab.training.io.save_classifier)"
        )
    try:
        info = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelDirError(f"{file} is not valid JSON: {exc}") from None
    if info.get("format_version") != FORMAT_VERSION or not info.get("labels"):
        raise ModelDirError(
            f"{file} has format_version {info.get('format_version')!r} and labels "
            f"{info.get('labels')!r}; this routerlab reads format_version {FORMAT_VERSION} "
            "with a non-empty label list"
        )
    return dict(info)


def load_classifier(directory: str | Path) -> LoadedClassifier:
    """Load model (in eval mode), tokenizer and label map from ``directory``."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    info = read_info(directory)
    labels = tuple(str(x) for x in info["labels"])
    try:
        model = AutoModelForSequenceClassification.from_pretrained(str(directory))
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"cannot load the model in {str(directory)!r}: {exc}") from None
    if int(model.config.num_labels) != len(labels):
        raise ModelDirError(
            f"{str(directory)!r}: the model has {model.config.num_labels} outputs but "
            f"{INFO_FILE} lists {len(labels)} labels ({', '.join(labels)})"
        )
    model.eval()
    return LoadedClassifier(
        model=model,
        tokenizer=tokenizer,
        labels=labels,
        max_length=int(info.get("max_length", 128)),
        info=info,
    )
