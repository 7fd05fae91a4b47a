"""ZeroEval's recorded replies of 17 models on CRUXEval (800 prompts) and MATH level 5 (721).

Source: yuchenlin/ZeroEval (Apache-2.0), greedy decoding, zero-shot, JSON answer format; the data
mirror keeps ``zeroeval/<task>/<model>.json`` with ``id, question, answer, output, generator``
and ZeroEval's published accuracy in ``SUMMARY.md``. Download: the ``result_dirs/crux`` and
``result_dirs/math-l5`` folders of https://github.com/yuchenlin/ZeroEval.

:func:`zeroeval_frame` grades every reply (:mod:`routerlab.grading`) and counts o200k tokens of
the visible text: ``<model>|input_tokens`` is the question as stored (ZeroEval's instruction
template around it is not stored, so every model's input is undercounted by the same few hundred
tokens unless ``prompt_overhead_tokens`` adds them) and ``<model>|output_tokens`` the reply. The
o1 models' hidden reasoning tokens are not in the files: their cost from these counts is a lower
bound (see ``ReasoningAssumption`` in :mod:`routerlab.evaluation.costs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from routerlab.grading.crux import crux_published_correct, crux_value_correct
from routerlab.grading.math_answers import math_correct, math_published_correct
from routerlab.grading.replies import reply_text
from routerlab.prices import ModelPrice
from routerlab.sources._mirror import dataset_dir

ZeroEvalTask = Literal["crux", "math-l5"]
Grading = Literal["value", "published"]
ZEROEVAL_TASKS: tuple[str, ...] = ("crux", "math-l5")
GRADINGS: tuple[str, ...] = ("value", "published")
ZEROEVAL_URL = "https://github.com/yuchenlin/ZeroEval (result_dirs/<task>/)"

ZEROEVAL_MODELS: tuple[str, ...] = (
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "o1-mini-2024-09-12",
    "o1-preview-2024-09-12",
    "gpt-3.5-turbo-0125",
    "gpt-4-turbo-2024-04-09",
    "claude-3-haiku-20240307",
    "claude-3-5-sonnet-20240620",
    "claude-3-opus-20240229",
    "gemini-1.5-flash",
    "gemini-1.5-pro",
    "Meta-Llama-3.1-8B-Instruct",
    "Meta-Llama-3.1-70B-Instruct",
    "Qwen2.5-7B-Instruct",
    "Qwen2.5-72B-Instruct",
    "gemma-2-2b-it",
    "gemma-2-9b-it",
)
# Cheap / strong / reasoning, the tiers of the study's pool (gpt-4.1-nano / gpt-4.1 / o4-mini).
OPENAI_TRIO: tuple[str, str, str] = (
    "gpt-4o-mini-2024-07-18",
    "gpt-4o-2024-08-06",
    "o1-mini-2024-09-12",
)
OPEN_TRIO: tuple[str, str, str] = (
    "gemma-2-2b-it",
    "Meta-Llama-3.1-8B-Instruct",
    "Meta-Llama-3.1-70B-Instruct",
)

# USD per 1M input / output tokens. Source: the data mirror's README ("List prices ... 2024"),
# i.e. the providers' 2024 list prices (OpenAI, Anthropic, Google pricing pages). o1-mini is at
# its 2024 price (3 / 12; 1.10 / 4.40 from 2025). The open models have no list price: these are
# the README's rough hosted figures (about 0.10-0.20 both ways for 2-9B, 0.9 for 70B), not quotes.
ZEROEVAL_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini-2024-07-18": ModelPrice(0.15, 0.60),
    "gpt-4o-2024-08-06": ModelPrice(2.50, 10.00),
    "o1-mini-2024-09-12": ModelPrice(3.00, 12.00),
    "o1-preview-2024-09-12": ModelPrice(15.00, 60.00),
    "gpt-3.5-turbo-0125": ModelPrice(0.50, 1.50),
    "gpt-4-turbo-2024-04-09": ModelPrice(10.00, 30.00),
    "claude-3-haiku-20240307": ModelPrice(0.25, 1.25),
    "claude-3-5-sonnet-20240620": ModelPrice(3.00, 15.00),
    "claude-3-opus-20240229": ModelPrice(15.00, 75.00),
    "gemini-1.5-flash": ModelPrice(0.075, 0.30),
    "gemini-1.5-pro": ModelPrice(1.25, 5.00),
    # hosted open models: rough figures (see above)
    "gemma-2-2b-it": ModelPrice(0.10, 0.10),
    "gemma-2-9b-it": ModelPrice(0.20, 0.20),
    "Meta-Llama-3.1-8B-Instruct": ModelPrice(0.20, 0.20),
    "Qwen2.5-7B-Instruct": ModelPrice(0.20, 0.20),
    "Meta-Llama-3.1-70B-Instruct": ModelPrice(0.90, 0.90),
    "Qwen2.5-72B-Instruct": ModelPrice(0.90, 0.90),
}


def zeroeval_dir(task: str, mirror: str | Path | None = None) -> Path:
    """The folder holding ``<model>.json`` files for ``task``."""
    if task not in ZEROEVAL_TASKS:
        raise ValueError(f"unknown ZeroEval task {task!r}; allowed: {', '.join(ZEROEVAL_TASKS)}")
    return dataset_dir(f"zeroeval-{task}", f"zeroeval/{task}", mirror, ZEROEVAL_URL)


def zeroeval_models(task: str, mirror: str | Path | None = None) -> list[str]:
    """Models with a reply file for ``task``: the known 17 in their usual order, then any others."""
    present = {p.stem for p in zeroeval_dir(task, mirror).glob("*.json")}
    known = [m for m in ZEROEVAL_MODELS if m in present]
    return known + sorted(present - set(known))


def published_accuracy(task: str, mirror: str | Path | None = None) -> dict[str, float]:
    """ZeroEval's published accuracy (percent) per model, read from the task's ``SUMMARY.md``."""
    path = zeroeval_dir(task, mirror) / "SUMMARY.md"
    table: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"\d+(\.\d+)?", cells[2]):
            table[cells[0]] = float(cells[2])
    if not table:
        raise ValueError(f"{path} has no 'Model | Mode | Acc' rows")
    return table


@dataclass(frozen=True)
class _Replies:
    ids: tuple[str, ...]
    questions: tuple[str, ...]
    references: tuple[str, ...]
    replies: tuple[str, ...]
    output_tokens: np.ndarray  # int (n,), o200k tokens of each reply


def _grade(task: str, grading: str, model: str, reply: str, reference: str) -> bool:
    if task == "crux":
        if grading == "value":
            return crux_value_correct(reply, reference)
        return crux_published_correct(reply, reference, model)
    if grading == "value":
        return math_correct(reply, reference)
    return math_published_correct(reply, reference, model)


def _count_tokens_batch(texts: Sequence[str]) -> np.ndarray:
    """o200k token counts of many texts in one tiktoken batch call (special tokens as text)."""
    from routerlab.tokens import get_encoding

    encoding = get_encoding("o200k_base")
    encoded = encoding.encode_ordinary_batch(list(texts), num_threads=2)
    return np.fromiter((len(tokens) for tokens in encoded), dtype=np.int64, count=len(texts))


def token_cache_dir() -> Path:
    """Where counted tokens are kept between processes (beside routerlab's tiktoken cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routerlab" / "zeroeval-tokens"


def _cached_counts(digest: str, texts: Sequence[str]) -> np.ndarray:
    # Counting 26k replies takes ~15 s on 2 busy cores; the counts of a file's exact bytes never
    # change, so they are kept on disk under the file's sha256 (a cache: losing it costs time only).
    path = token_cache_dir() / f"{digest}.o200k.npy"
    try:
        counts = np.load(path)
        if counts.shape == (len(texts),):
            return np.asarray(counts, dtype=np.int64)
    except (OSError, ValueError):
        pass
    counts = _count_tokens_batch(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, counts)
        tmp.replace(path)
    except OSError:
        pass
    return counts


@lru_cache(maxsize=64)
def _read_replies(path: str, mtime_ns: int) -> _Replies:
    # Keyed by modification time so an edited file is re-read; a process reads each file once.
    raw = Path(path).read_bytes()
    records = json.loads(raw)
    if not isinstance(records, list) or not records:
        raise ValueError(f"{path}: expected a non-empty list of ZeroEval records")
    ids, questions, references, replies = [], [], [], []
    for i, record in enumerate(records):
        missing = {"id", "question", "answer", "output"} - set(record)
        if missing:
            raise ValueError(f"{path}: record {i} lacks {sorted(missing)}")
        ids.append(str(record["id"]))
        questions.append(str(record["question"]))
        references.append(str(record["answer"]))
        replies.append(reply_text(record["output"]))
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return _Replies(
        tuple(ids),
        tuple(questions),
        tuple(references),
        tuple(replies),
        _cached_counts(digest, replies),
    )


@lru_cache(maxsize=256)
def _graded(path: str, mtime_ns: int, task: str, grading: str, model: str) -> np.ndarray:
    data = _read_replies(path, mtime_ns)
    return np.fromiter(
        (
            _grade(task, grading, model, r, a)
            for r, a in zip(data.replies, data.references, strict=True)
        ),
        dtype=bool,
        count=len(data.replies),
    )


@lru_cache(maxsize=8)
def _question_tokens(questions: tuple[str, ...]) -> np.ndarray:
    digest = hashlib.sha256("\x00".join(questions).encode()).hexdigest()[:32]
    return _cached_counts(digest, questions)


def zeroeval_frame(
    task: str,
    models: Sequence[str] | None = None,
    mirror: str | Path | None = None,
    grading: str = "value",
    *,
    prompt_overhead_tokens: int = 0,
) -> pd.DataFrame:
    """One row per prompt: ``id, prompt, task, reference``, a bool column per model (graded by
    ``grading``: ``value`` = our graders, ``published`` = ZeroEval's published rules), and
    ``<model>|input_tokens`` / ``<model>|output_tokens`` (o200k, visible text; see the module
    docstring). Every model must have answered the same ids with the same questions.
    """
    if grading not in GRADINGS:
        raise ValueError(f"unknown grading {grading!r}; allowed: {', '.join(GRADINGS)}")
    if prompt_overhead_tokens < 0:
        raise ValueError(f"prompt_overhead_tokens must be >= 0, got {prompt_overhead_tokens}")
    folder = zeroeval_dir(task, mirror)
    available = zeroeval_models(task, mirror)
    chosen = list(available if models is None else models)
    unknown = [m for m in chosen if m not in available]
    if unknown:
        raise ValueError(
            f"no ZeroEval {task} replies for {unknown}; available: {', '.join(available)}"
        )
    if not chosen or len(set(chosen)) != len(chosen):
        raise ValueError(f"models must be a non-empty list without repeats, got {chosen}")
    data: dict[str, _Replies] = {}
    correct: dict[str, np.ndarray] = {}
    for model in chosen:
        path = folder / f"{model}.json"
        mtime = path.stat().st_mtime_ns
        data[model] = _read_replies(str(path), mtime)
        correct[model] = _graded(str(path), mtime, task, grading, model)
    first = data[chosen[0]]
    for model, d in data.items():
        if d.ids != first.ids or d.questions != first.questions or d.references != first.references:
            raise ValueError(
                f"ZeroEval {task}: {model} does not have the same ids, questions and references "
                f"in the same order as {chosen[0]}; the files cannot form one table"
            )
    if len(set(first.ids)) != len(first.ids):
        raise ValueError(f"ZeroEval {task}: ids repeat in {chosen[0]}.json")
    input_tokens = _question_tokens(first.questions) + prompt_overhead_tokens
    columns: dict[str, object] = {
        "id": list(first.ids),
        "prompt": list(first.questions),
        "task": task,
        "reference": list(first.references),
    }
    for model in chosen:
        columns[model] = correct[model].copy()
    for model in chosen:
        columns[f"{model}|input_tokens"] = input_tokens.copy()
        columns[f"{model}|output_tokens"] = data[model].output_tokens.copy()
    return pd.DataFrame(columns)


def accuracy_vs_published(task: str, mirror: str | Path | None = None) -> pd.DataFrame:
    """Per model: ZeroEval's published accuracy and ours under both gradings (percent, 2 decimals).

    Columns ``model, published, published_rule, value, value_minus_published``; one row per
    model that has a reply file and a published figure.
    """
    published = published_accuracy(task, mirror)
    models = [m for m in zeroeval_models(task, mirror) if m in published]
    frames = {g: zeroeval_frame(task, models, mirror, grading=g) for g in GRADINGS}

    def percent(column: pd.Series) -> float:
        return float(f"{100 * float(column.mean()):.2f}")  # as ZeroEval printed its table

    rows = []
    for model in models:
        value = percent(frames["value"][model])
        rows.append(
            {
                "model": model,
                "published": published[model],
                "published_rule": percent(frames["published"][model]),
                "value": value,
                "value_minus_published": round(value - published[model], 2),
            }
        )
    return pd.DataFrame(rows)
