"""The mirror's multi-model tables, registered by name (issue 11 item 2).

* ``zeroeval-crux`` / ``zeroeval-math-l5``: ZeroEval's 17 models on 800 CRUXEval and 721 MATH
  level-5 problems, replies graded by :mod:`routerlab.grading` (``grading="value"``, or
  ``"published"`` for ZeroEval's own rules); ``task`` and ``reference`` are metadata; per-model
  ``|input_tokens`` / ``|output_tokens`` are o200k counts of the visible text. Prices: the 2024 list
  prices of :data:`routerlab.sources.zeroeval.ZEROEVAL_PRICES`. Loader keywords: ``models``,
  ``grading``, ``mirror``.
* ``llmrouter``: LLMRouter's 9 open models on its train (5,403) and test (355) prompts in one
  table, with a ``split`` metadata column (``train`` / ``test``): an evaluation honours that fixed
  split (:func:`fixed_split`). Prices: the source's ``llm_candidates.json``. It records no output
  tokens; :data:`ASSUMED_OUTPUT_TOKENS` says what a reply is priced at. ``llmrouter-train`` and
  ``llmrouter-test`` are one split each.

Loading reads the data mirror (``$ROUTERLAB_DATA_MIRROR``); registering does not, so importing
:mod:`routerlab.tables` stays cheap and works without the mirror. The loaders import
:mod:`routerlab.sources` lazily (it imports :mod:`routerlab.evaluation`, which imports this
package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.prices import ModelPrice
from routerlab.tables.outcome_table import OutcomeTable
from routerlab.tables.registry import register_table

ZEROEVAL_TABLES = {"zeroeval-crux": "crux", "zeroeval-math-l5": "math-l5"}
LLMROUTER = "llmrouter"
SPLIT_COLUMN = "split"
TRAIN, TEST = "train", "test"
# LLMRouter records scores but no replies: every reply is priced at this many output tokens
# (the same figure the outcome-router benchmark uses), stated in every result's notes.
ASSUMED_OUTPUT_TOKENS: dict[str, int] = {
    LLMROUTER: 256,
    f"{LLMROUTER}-{TRAIN}": 256,
    f"{LLMROUTER}-{TEST}": 256,
}


def _zeroeval_loader(table: str, task: str) -> Any:
    def load(
        models: Sequence[str] | None = None,
        grading: str = "value",
        mirror: str | Path | None = None,
    ) -> OutcomeTable:
        from routerlab.sources.zeroeval import zeroeval_frame

        try:
            frame = zeroeval_frame(task, models=models, mirror=mirror, grading=grading)
        except ValueError as err:  # the loader's own messages name what is allowed
            raise ConfigError(str(err)) from err
        chosen = [c for c in frame.columns if frame[c].dtype == bool]
        return OutcomeTable.from_frame(
            frame,
            models=chosen,
            name=table,
            notes=[f"{table}: replies graded with grading={grading!r}"],
        )

    return load


def _zeroeval_prices() -> Mapping[str, ModelPrice]:
    from routerlab.sources.zeroeval import ZEROEVAL_PRICES

    return ZEROEVAL_PRICES


def load_llmrouter(mirror: str | Path | None = None) -> OutcomeTable:
    """LLMRouter train + test in one table, ``split`` saying which (a fixed split)."""
    import pandas as pd

    from routerlab.sources.llmrouter import llmrouter_frame

    try:
        parts = [llmrouter_frame(split, mirror).assign(split=split) for split in (TRAIN, TEST)]
    except ValueError as err:
        raise ConfigError(str(err)) from err
    frame = pd.concat(parts, ignore_index=True)
    models = [c for c in frame.columns if c not in ("id", "prompt", SPLIT_COLUMN)]
    return OutcomeTable.from_frame(
        frame,
        models=models,
        name=LLMROUTER,
        metadata=[SPLIT_COLUMN],
        notes=[
            f"{LLMROUTER}: fixed split (train {int((frame[SPLIT_COLUMN] == TRAIN).sum()):,}, "
            f"test {int((frame[SPLIT_COLUMN] == TEST).sum()):,} rows)"
        ],
    )


def _llmrouter_prices() -> Mapping[str, ModelPrice]:
    from routerlab.sources.llmrouter import llmrouter_prices

    return llmrouter_prices()


def fixed_split(table: OutcomeTable) -> tuple[np.ndarray, np.ndarray] | None:
    """(training rows, held-out rows) when the table carries a fixed ``split`` column with
    ``train`` and ``test`` values; None when it has none (the evaluation then draws a split)."""
    if SPLIT_COLUMN not in table.metadata_columns:
        return None
    values = np.asarray(table.meta(SPLIT_COLUMN), dtype=str)
    unknown = sorted(set(values) - {TRAIN, TEST})
    if unknown:
        raise ConfigError(
            f"table {table.name!r} has a {SPLIT_COLUMN!r} column with values {unknown}; "
            f"allowed: {TRAIN!r}, {TEST!r}"
        )
    train, test = np.flatnonzero(values == TRAIN), np.flatnonzero(values == TEST)
    if len(train) == 0 or len(test) == 0:
        raise ConfigError(
            f"table {table.name!r}: its {SPLIT_COLUMN!r} column needs both train and test rows, "
            f"has {len(train)} train and {len(test)} test"
        )
    return train, test


for _name, _task in ZEROEVAL_TABLES.items():
    register_table(_name, _zeroeval_loader(_name, _task), _zeroeval_prices, replace=True)
register_table(LLMROUTER, load_llmrouter, _llmrouter_prices, replace=True)


def _llmrouter_split_loader(split: str) -> Any:
    def load(mirror: str | Path | None = None) -> OutcomeTable:
        table = load_llmrouter(mirror)
        rows = np.flatnonzero(np.asarray(table.meta(SPLIT_COLUMN), dtype=str) == split)
        part = table.subset(rows)
        return OutcomeTable(part.frame, part.models, name=f"{LLMROUTER}-{split}", notes=part.notes)

    return load


# One split alone (no fixed split then: an evaluation of one of these draws its own).
for _split in (TRAIN, TEST):
    register_table(
        f"{LLMROUTER}-{_split}", _llmrouter_split_loader(_split), _llmrouter_prices, replace=True
    )

__all__ = [
    "ASSUMED_OUTPUT_TOKENS",
    "LLMROUTER",
    "SPLIT_COLUMN",
    "ZEROEVAL_TABLES",
    "fixed_split",
    "load_llmrouter",
]
