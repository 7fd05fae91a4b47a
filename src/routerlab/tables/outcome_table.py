"""The outcome table: for each prompt, how each of 2..N models did, plus what is known about the
prompt (metadata) and what each answer cost.

An :class:`OutcomeTable` wraps a DataFrame with one row per prompt:

* ``id`` (str; derived from the prompt text when absent) and ``prompt`` (str, required);
* **metadata columns**: ``subject`` and ``answer`` (always present, may be empty), any of
  :data:`KNOWN_METADATA` the source has, anything passed as ``metadata=[...]``, and, when the models
  are inferred (``models=None``), every other column whose values are not outcome-like. Metadata is
  kept (``table.meta(col)``) and never taken for a model;
* **model columns**, named by the model: ``True``/``False`` (correct, stored as 1.0/0.0) or a
  numeric score;
* optional **per-model columns** in RouterBench's convention ``<model>|cost_usd``,
  ``<model>|input_tokens``, ``<model>|output_tokens`` (and ``<model>|latency_s``). The legacy names
  ``<model>::cost_usd``, ``::prompt_tokens``, ``::completion_tokens``, ``::latency_s`` are read and
  mapped to these.

:func:`read_outcome_csv` reads any CSV of that shape; :func:`write_outcome_table` writes one back.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError

KEY_COLUMNS = ("id", "prompt")
# columns that describe a prompt, never a model's outcome, whatever their values look like
KNOWN_METADATA = ("subject", "answer", "category", "task", "reference", "question", "source",
                  "dataset")  # fmt: skip
ALWAYS_METADATA = ("subject", "answer")  # present in every table (empty when the source has none)
COST_SEP = "|"  # RouterBench: "<model>|<what>"
LEGACY_SEP = "::"
EXTRAS = ("cost_usd", "input_tokens", "output_tokens", "latency_s")
# legacy and alternative per-model names -> the canonical ones above
EXTRA_ALIASES = {
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "total_cost": "cost_usd",  # RouterBench's column name
}
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


def _split_extra(column: str) -> tuple[str, str] | None:
    """``(model, canonical what)`` of a per-model column name, or None when it is not one."""
    for sep in (COST_SEP, LEGACY_SEP):
        if sep in column:
            model, what = column.rsplit(sep, 1)
            return model, EXTRA_ALIASES.get(what, what)
    return None


def _canonical_what(what: str) -> str:
    canonical = EXTRA_ALIASES.get(what, what)
    if canonical not in EXTRAS:
        allowed = ", ".join([*EXTRAS, *EXTRA_ALIASES])
        raise ConfigError(f"unknown per-model column kind {what!r}; allowed: {allowed}")
    return canonical


@dataclass(frozen=True)
class OutcomeTable:
    """Per-prompt, per-model outcomes. Build with :meth:`from_frame` (validates)."""

    frame: pd.DataFrame
    models: tuple[str, ...]
    name: str = ""
    notes: tuple[str, ...] = ()  # what the loader did (rows dropped, join coverage, ...)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        models: Sequence[str] | None = None,
        *,
        name: str = "",
        notes: Sequence[str] = (),
        metadata: Sequence[str] = (),
    ) -> OutcomeTable:
        """Validate and normalise a frame.

        ``models=None`` takes every outcome-like column (booleans, true/false text, numbers in
        [0, 1]) that is not a key, metadata or per-model column; other columns become metadata
        (listed in ``notes``). Given ``models`` are checked: each must be a column, not metadata,
        with boolean or numeric values.
        """
        where = f"outcome table {name!r}" if name else "outcome table"
        columns = [str(c) for c in frame.columns]
        frame = frame.set_axis(columns, axis=1).reset_index(drop=True)
        if "prompt" not in columns:
            raise ConfigError(
                f"{where} has no 'prompt' column; columns are {columns}; expected 'prompt' and "
                "one boolean or numeric column per model"
            )
        declared = set(KNOWN_METADATA) | {str(m) for m in metadata}
        missing_meta = [m for m in metadata if m not in columns]
        if missing_meta:
            raise ConfigError(f"{where} lacks metadata columns {missing_meta}; has {columns}")
        plain = [c for c in columns if c not in KEY_COLUMNS and _split_extra(c) is None]
        notes = list(notes)
        inferred = models is None
        if models is None:
            candidates = [c for c in plain if c not in declared]
            chosen = [c for c in candidates if _outcome_like(frame[c])]
            inferred_meta = [c for c in candidates if c not in chosen]
            if inferred_meta:
                notes.append(
                    f"kept as metadata (values not boolean or numeric in [0, 1]): "
                    f"{', '.join(inferred_meta)}; pass models=[...] to score such a column"
                )
            if not chosen:
                why = (
                    f"; not outcome-like: {_examples(frame, inferred_meta)}"
                    if inferred_meta
                    else ""
                )
                raise ConfigError(
                    f"{where} has no model columns: expected one boolean (True/False) or numeric "
                    f"column per model besides metadata {[c for c in plain if c in declared]}{why}"
                )
            models = chosen
        models = [str(m) for m in models]
        _check_models(frame, models, declared, where)
        meta_cols = [c for c in plain if c not in models]
        out = pd.DataFrame(index=range(len(frame)))
        prompts = frame["prompt"]
        if prompts.isna().any():
            raise ConfigError(f"{where} has {int(prompts.isna().sum())} empty prompts")
        out["id"] = (
            frame["id"].astype(str)
            if "id" in columns
            else [prompt_id(p) for p in prompts.astype(str)]
        )
        out["prompt"] = prompts.astype(str)
        for col in [*ALWAYS_METADATA, *(c for c in meta_cols if c not in ALWAYS_METADATA)]:
            out[col] = _metadata_column(frame[col]) if col in columns else ""
        for model in models:
            out[model] = _outcome_column(frame[model], model, where)
        ignored = _copy_extras(frame, out, models, strict=inferred, where=where)
        if ignored:
            notes.append(
                f"ignored per-model columns {ignored}; understood: {', '.join(EXTRAS)} "
                "(RouterBench '<model>|<what>')"
            )
        return cls(out, tuple(models), name=name, notes=tuple(notes))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def prompts(self) -> list[str]:
        return self.frame["prompt"].tolist()

    @property
    def metadata_columns(self) -> tuple[str, ...]:
        """Columns that describe prompts (subject, answer, category, ...), in frame order."""
        return tuple(
            c
            for c in self.frame.columns
            if c not in KEY_COLUMNS and c not in self.models and _split_extra(c) is None
        )

    def meta(self, column: str) -> np.ndarray:
        """One metadata column as an array (routers see it only when they declare ``reads``)."""
        if column not in self.metadata_columns:
            raise ConfigError(
                f"{column!r} is not a metadata column of {self.name or 'this table'}; "
                f"metadata columns: {', '.join(self.metadata_columns)}"
            )
        return self.frame[column].to_numpy()

    def outcomes(self, model: str) -> np.ndarray:
        """The model's per-prompt score (1.0/0.0 for correct/wrong) as floats."""
        self._check(model)
        return self.frame[model].to_numpy(dtype=float)

    def matrix(self, models: Sequence[str] | None = None) -> np.ndarray:
        """Outcomes as an (n_prompts, n_models) float array."""
        models = list(models) if models is not None else list(self.models)
        for m in models:
            self._check(m)
        return self.frame[models].to_numpy(dtype=float)

    def extra(self, model: str, what: str) -> np.ndarray | None:
        """Per-prompt ``cost_usd``, ``input_tokens``, ``output_tokens`` or ``latency_s`` of
        ``model`` (legacy ``prompt_tokens`` / ``completion_tokens`` accepted), None when not
        recorded."""
        self._check(model)
        col = f"{model}{COST_SEP}{_canonical_what(what)}"
        return self.frame[col].to_numpy(dtype=float) if col in self.frame.columns else None

    def accuracy(self) -> dict[str, float]:
        """Mean score per model."""
        return {m: float(self.frame[m].astype(float).mean()) for m in self.models}

    def subset(self, rows: Sequence[int] | np.ndarray) -> OutcomeTable:
        """The table restricted to positional ``rows`` (order kept; every column kept)."""
        frame = self.frame.iloc[np.asarray(rows, dtype=int)].reset_index(drop=True)
        return OutcomeTable(frame, self.models, name=self.name, notes=self.notes)

    def select_models(self, models: Sequence[str]) -> OutcomeTable:
        """Keep only ``models`` (and their per-model columns); metadata is kept."""
        for m in models:
            self._check(m)
        if len(set(models)) != len(models):
            raise ConfigError(f"models listed twice in {list(models)}")
        keep = [*KEY_COLUMNS, *self.metadata_columns, *models]
        keep += [
            c
            for c in self.frame.columns
            if (split := _split_extra(c)) is not None and split[0] in models
        ]
        return OutcomeTable(
            self.frame[keep].copy(), tuple(models), name=self.name, notes=self.notes
        )

    def strong_weak(self, strong: str | None = None, weak: str | None = None) -> tuple[str, str]:
        """Resolve the pair: given names win; otherwise the more accurate model is the strong one."""
        for m in (strong, weak):
            if m is not None:
                self._check(m)
        acc = self.accuracy()
        ranked = sorted(self.models, key=lambda m: (-acc[m], self.models.index(m)))
        strong = strong or next(m for m in ranked if m != weak)
        weak = weak or next(m for m in reversed(ranked) if m != strong)
        if strong == weak:
            raise ConfigError(
                f"strong and weak model are both {strong!r}; pick two different models"
            )
        return strong, weak

    def _check(self, model: str) -> None:
        if model not in self.models:
            raise ConfigError(f"unknown model {model!r}; the table has: {', '.join(self.models)}")


def prompt_id(prompt: str) -> str:
    """A stable id for a prompt: the first 16 hex digits of its sha256."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()[:16]


def _outcome_like(values: pd.Series) -> bool:
    """Booleans, true/false text, or numbers in [0, 1] (empty cells aside, at least one value)."""
    present = values.dropna()
    if present.empty:
        return False
    if present.dtype == bool:
        return True
    numeric = pd.to_numeric(present, errors="coerce")
    if numeric.notna().all():
        return bool(((numeric >= 0) & (numeric <= 1)).all())
    return bool(present.astype(str).str.strip().str.lower().isin(_TRUE | _FALSE).all())


def _examples(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    return "; ".join(f"{c!r} has values like {frame[c].dropna().head(3).tolist()}" for c in columns)


def _check_models(
    frame: pd.DataFrame, models: Sequence[str], declared: set[str], where: str
) -> None:
    if not models:
        raise ConfigError(f"{where}: no models given; expected one or more model column names")
    if len(set(models)) != len(models):
        raise ConfigError(f"{where}: models listed twice in {list(models)}")
    columns = list(frame.columns)
    allowed = [
        c for c in columns if c not in KEY_COLUMNS and c not in declared and _split_extra(c) is None
    ]
    for m in models:
        if m not in columns:
            raise ConfigError(
                f"{where} lacks model column {m!r}; model columns it could use: {allowed}"
            )
        if m in KEY_COLUMNS or m in declared or _split_extra(m) is not None:
            kind = "a key" if m in KEY_COLUMNS else "metadata" if m in declared else "a cost"
            raise ConfigError(
                f"column {m!r} of {where} is {kind} column, not a model's outcome; "
                f"model columns it could use: {allowed}"
            )


def _metadata_column(values: pd.Series) -> pd.Series:
    """Text metadata stays text (empty cells ""); numeric metadata keeps its numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    return values.where(values.notna(), "").astype(str)


def _outcome_column(values: pd.Series, model: str, where: str) -> pd.Series:
    """Booleans (also 'True'/'False' strings) become 1.0/0.0; numbers stay; anything else errors."""
    if values.isna().any():
        rows = values.index[values.isna()].tolist()[:5]
        raise ConfigError(
            f"model column {model!r} of {where} has {int(values.isna().sum())} empty cells "
            f"(rows {rows}); every prompt needs an outcome (boolean or numeric) for every model"
        )
    if values.dtype == bool:
        return values.astype(float)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.astype(float)
    text = values.astype(str).str.strip().str.lower()
    if text.isin(_TRUE | _FALSE).all():
        return text.isin(_TRUE).astype(float)
    bad = values[numeric.isna() & ~text.isin(_TRUE | _FALSE)].head(3).tolist()
    raise ConfigError(
        f"model column {model!r} of {where} must be boolean (True/False) or numeric; "
        f"found values like {bad}"
    )


def _copy_extras(
    source: pd.DataFrame, out: pd.DataFrame, models: Sequence[str], *, strict: bool, where: str
) -> list[str]:
    """Copy per-model columns under their canonical names; return those not understood.

    With inferred models (``strict``), a per-model column of a name that is no model column is an
    error (a typo would otherwise drop a model's costs silently); with explicit models the other
    models' columns are simply left out.
    """
    ignored = []
    for col in source.columns:
        split = _split_extra(col)
        if split is None:
            continue
        model, what = split
        if model not in models:
            if strict:
                raise ConfigError(
                    f"per-model column {col!r} of {where} names {model!r}, which is not a model "
                    f"column; models: {', '.join(models)} (name the models with models=[...] when "
                    "a model's outcomes are scores outside [0, 1])"
                )
            continue
        if what not in EXTRAS:
            ignored.append(col)
            continue
        values = pd.to_numeric(source[col], errors="coerce")
        bad = source[col][values.isna() & source[col].notna()]
        if len(bad):
            raise ConfigError(
                f"per-model column {col!r} of {where} must be numeric; found values like "
                f"{bad.head(3).tolist()}"
            )
        out[f"{model}{COST_SEP}{what}"] = values.astype(float)
    return ignored


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
    return OutcomeTable.from_frame(frame, models, name=file.stem, metadata=metadata)


def write_outcome_table(table: OutcomeTable, path: str | os.PathLike[str]) -> Path:
    """Write the table as CSV (the shape :func:`read_outcome_csv` reads back)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    table.frame.to_csv(file, index=False)
    return file
