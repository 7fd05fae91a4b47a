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


# The folder notebook 05 and the gateway load (routers.classifier.DEFAULT_MODEL_DIR, under
# OUTPUT_DIR "outputs"); only the honest grouped split writes there.
GATEWAY_SPLIT = "grouped"


def default_model_dir(split: str, output_dir: str | Path = "outputs") -> Path:
    """Where a model trained on ``split`` is saved by default: ``OUTPUT_DIR/models/classifier``
    for the grouped split (the folder notebook 05 and the gateway load), a separate
    ``classifier-<split>`` folder otherwise, so a leaky study-split model never replaces it."""
    name = "classifier" if split == GATEWAY_SPLIT else f"classifier-{split}"
    return Path(output_dir) / "models" / name


def trained_split(directory: str | Path) -> str:
    """The split a saved classifier was trained on (``split_mode`` of its training record)."""
    info = read_info(directory)
    split = info.get("split_mode")
    if not isinstance(split, str):
        raise ModelDirError(f"{str(directory)!r}: its training record names no split_mode")
    return split


def describe_training(directory: str | Path) -> str:
    """One line on what a saved classifier was trained on, or why there is none."""
    if not Path(directory).is_dir():
        return f"No classifier at `{directory}`: the classifier router is skipped."
    info = read_info(directory)
    split = str(info.get("split_mode", "unknown"))
    rows = ", ".join(
        f"{info[k]:,} {k.removesuffix('_rows')}"
        for k in ("train_rows", "val_rows", "test_rows")
        if isinstance(info.get(k), int)
    )
    honest = "grouped, no query on two sides" if split == GATEWAY_SPLIT else "LEAKY, not grouped"
    return f"Classifier `{directory}` was trained on the **{split}** split ({honest}; rows {rows or 'not recorded'})."
