"""Reading prompts to label (CSV, JSONL, parquet; prompts or hub conversations) and writing labels."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.labeling.conversations import is_conversation_frame, parse_conversations

PROMPT_COLUMNS = ("user_query", "prompt")
SUFFIXES = (".csv", ".jsonl", ".json", ".parquet")


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A CSV, JSONL/JSON (records) or parquet file as a DataFrame."""
    file = Path(path)
    if not file.is_file():
        raise DatasetNotFoundError(f"input file not found: {file}")
    suffix = file.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(file, keep_default_na=False, dtype=str)
    if suffix in (".jsonl", ".json"):
        try:
            return pd.read_json(file, lines=suffix == ".jsonl", dtype=False)
        except ValueError as exc:
            raise ConfigError(f"{file} is not valid {suffix[1:].upper()}: {exc}") from None
    if suffix == ".parquet":
        return pd.read_parquet(file)
    raise ConfigError(f"unsupported input {file.name!r}; allowed: {', '.join(SUFFIXES)}")


def read_prompts(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Prompts to label with a ``user_query`` column (other columns kept).

    Conversations in the hub's structure (``conversation_a``, or the study's stringified
    ``conversation_a_str``) become their first user turn; otherwise a ``user_query`` or
    ``prompt`` column is used.
    """
    frame = read_table(path)
    if is_conversation_frame(frame):
        return parse_conversations(frame)
    column = next((c for c in PROMPT_COLUMNS if c in frame.columns), None)
    if column is None:
        raise ConfigError(
            f"{path}: need a column named {' or '.join(PROMPT_COLUMNS)} (prompts) or "
            f"conversation_a (hub conversations); columns are: {', '.join(map(str, frame.columns))}"
        )
    out = frame.rename(columns={column: "user_query"})
    out["user_query"] = out["user_query"].fillna("").astype(str)
    return out


def write_labels(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a CSV atomically (temporary file, then rename), so a reader never sees half a file."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(file)
    return file


def checkpoint_for(output: str | os.PathLike[str]) -> Path:
    """The checkpoint beside an output CSV: ``<output>.checkpoint.jsonl``."""
    out = Path(output)
    return out.with_name(out.name + ".checkpoint.jsonl")
