"""Outcome tables as CSV files: read any file of the documented shape, write one back."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.tables.outcome_table import OutcomeTable


def read_outcome_csv(
    path: str | os.PathLike[str],
    models: Sequence[str] | None = None,
    *,
    metadata: Sequence[str] = (),
) -> OutcomeTable:
    """Any CSV with a ``prompt`` column, one boolean or numeric column per model and optional
    metadata and ``<model>|cost_usd`` / ``|input_tokens`` / ``|output_tokens`` columns.

    Cells are read as text first, so metadata keeps its spelling (``8.50`` stays ``8.50``, ids keep
    leading zeros); outcome and cost columns are parsed by :meth:`OutcomeTable.from_frame`.
    """
    file = Path(path)
    if not file.is_file():
        raise DatasetNotFoundError(f"outcome table not found: {file}")
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    if frame.empty:
        raise ConfigError(
            f"outcome table {str(file)!r} has a header but no rows; expected one row per prompt"
        )
    return OutcomeTable.from_frame(frame, models, name=file.stem, metadata=metadata)


def write_outcome_table(table: OutcomeTable, path: str | os.PathLike[str]) -> Path:
    """Write the table as CSV (the shape :func:`read_outcome_csv` reads back)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    table.frame.to_csv(file, index=False)
    return file
