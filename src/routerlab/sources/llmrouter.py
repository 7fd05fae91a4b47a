"""LLMRouter's multi-model outcome data: 9 open models' scores on 5,403 train and 355 test prompts.

Source: ulab-uiuc/LLMRouter (MIT), RouterDC's preprocessed data, decontaminated in the data mirror
(``llmrouter/train.json``, ``test.json``: records ``question`` and ``scores``, a dict of model ->
score that is sometimes written as a Python-literal string; ``llm_candidates.json``: each model's
size, description and price per 1M input / output tokens). Download: the ``data`` folder of
https://github.com/ulab-uiuc/LLMRouter.

The records have no id: ``id`` is ``<split>-<row>``. Their ``cluster_id`` (a label from the source's
own clustering of the prompts) is not returned: it is not prompt text a router could see.
"""

from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.prices import ModelPrice
from routerlab.sources._mirror import dataset_dir

LLMROUTER_SPLITS: tuple[str, ...] = ("train", "test")
LLMROUTER_URL = "https://github.com/ulab-uiuc/LLMRouter (data/)"


def llmrouter_dir(mirror: str | Path | None = None) -> Path:
    return dataset_dir("llmrouter", "llmrouter", mirror, LLMROUTER_URL)


def _candidates(mirror: str | Path | None) -> dict[str, dict[str, Any]]:
    path = llmrouter_dir(mirror) / "llm_candidates.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: expected an object of model name -> description")
    return raw


def llmrouter_candidates(mirror: str | Path | None = None) -> list[str]:
    """All 14 models of ``llm_candidates.json`` (only 9 of them have scores in the splits)."""
    return list(_candidates(mirror))


def llmrouter_models(split: str = "train", mirror: str | Path | None = None) -> list[str]:
    """The models scored in ``split`` (9), in ``llm_candidates.json`` order."""
    return [c for c in llmrouter_frame(split, mirror).columns if c not in ("id", "prompt")]


def llmrouter_prices(mirror: str | Path | None = None) -> dict[str, ModelPrice]:
    """USD per 1M input / output tokens from ``llm_candidates.json`` (the source's own prices,
    NVIDIA-hosted endpoints), for all 14 candidates, the 9 scored ones included."""
    prices: dict[str, ModelPrice] = {}
    for name, entry in _candidates(mirror).items():
        try:
            prices[name] = ModelPrice(float(entry["input_price"]), float(entry["output_price"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"llm_candidates.json: {name!r} needs numeric input_price and output_price ({exc})"
            ) from exc
    return prices


def __getattr__(name: str) -> Any:
    # LLMROUTER_PRICES reads the mirror, so it is computed on first use, not at import.
    if name == "LLMROUTER_PRICES":
        return llmrouter_prices()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _scores(value: Any, where: str) -> dict[str, float]:
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"{where}: scores string is not a Python literal ({exc})") from exc
    if not isinstance(value, dict):
        raise ValueError(
            f"{where}: scores must be a dict of model -> number, got {type(value).__name__}"
        )
    return {str(k): float(v) for k, v in value.items()}


@lru_cache(maxsize=4)
def _frame(path: str, mtime_ns: int, split: str, candidates: tuple[str, ...]) -> pd.DataFrame:
    records = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(records, list) or not records:
        raise ValueError(f"{path}: expected a non-empty list of records")
    rows: list[dict[str, float]] = []
    prompts: list[str] = []
    for i, record in enumerate(records):
        where = f"{path} record {i}"
        if "question" not in record or "scores" not in record:
            raise ValueError(f"{where}: needs 'question' and 'scores'")
        rows.append(_scores(record["scores"], where))
        prompts.append(str(record["question"]))
    scored = set(rows[0])
    unknown = scored - set(candidates)
    if unknown:
        raise ValueError(f"{path}: scores for models not in llm_candidates.json: {sorted(unknown)}")
    models = [c for c in candidates if c in scored]
    for i, row in enumerate(rows):
        if set(row) != scored:
            raise ValueError(
                f"{path} record {i}: scores for {sorted(row)}, but record 0 has {sorted(scored)}"
            )
    table = np.array([[row[m] for m in models] for row in rows], dtype=float)
    frame = pd.DataFrame({"id": [f"{split}-{i}" for i in range(len(records))], "prompt": prompts})
    for j, model in enumerate(models):
        frame[model] = table[:, j]
    return frame


def llmrouter_frame(split: str, mirror: str | Path | None = None) -> pd.DataFrame:
    """``id, prompt`` and one float score column per scored model (9; scores mostly 0/1)."""
    if split not in LLMROUTER_SPLITS:
        raise ValueError(
            f"unknown LLMRouter split {split!r}; allowed: {', '.join(LLMROUTER_SPLITS)}"
        )
    path = llmrouter_dir(mirror) / f"{split}.json"
    if not path.is_file():
        raise ValueError(f"LLMRouter split file missing: {path}")
    candidates = tuple(llmrouter_candidates(mirror))
    return _frame(str(path), path.stat().st_mtime_ns, split, candidates).copy()
