"""Outcome tables: for each prompt, how each model did — the lookup every offline evaluation needs.

An :class:`OutcomeTable` wraps a DataFrame with one row per prompt:

* ``id`` (str), ``prompt`` (str), ``subject`` (str, may be empty), ``answer`` (gold, may be empty);
* one column per model, named by the model: ``True``/``False`` (correct) or a numeric score;
* optional per-model extras named ``<model>::cost_usd``, ``<model>::prompt_tokens``,
  ``<model>::completion_tokens`` and ``<model>::latency_s``.

Loaders: :func:`load_routellm_mmlu` (the mirror's RouteLLM MMLU outcomes joined with MMLU gold
answers and subjects, contaminated prompts dropped), :func:`read_outcome_csv` (any CSV of the same
shape: a ``prompt`` column and one boolean or numeric column per model) and
:func:`load_outcome_table` (either, by name or path). :func:`outcomes_from_results` turns live
harness records (one per prompt and model) into a table and :func:`merge_outcomes` accumulates runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError, DatasetNotFoundError

ROUTELLM_MMLU = "routellm-mmlu"  # the table name the CLI and notebook accept
ROUTELLM_STRONG = "gpt-4-1106-preview"
ROUTELLM_WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
META_COLUMNS = ("id", "prompt", "subject", "answer")
EXTRA_SEP = "::"
EXTRAS = ("cost_usd", "prompt_tokens", "completion_tokens", "latency_s")
_LETTERS = "ABCD"
_TRUE = {"true", "1", "yes", "t", "y"}
_FALSE = {"false", "0", "no", "f", "n"}


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
    ) -> OutcomeTable:
        """Validate and normalise a frame; ``models=None`` takes every non-meta, non-extra column."""
        if "prompt" not in frame.columns:
            raise ConfigError(
                f"outcome table {name or ''} has no 'prompt' column; columns are "
                f"{list(frame.columns)}; expected 'prompt' and one boolean or numeric column per model"
            )
        if models is None:
            models = [c for c in frame.columns if c not in META_COLUMNS and EXTRA_SEP not in str(c)]
        models = [str(m) for m in models]
        if not models:
            raise ConfigError(
                f"outcome table {name or ''} has no model columns besides {list(META_COLUMNS)}; "
                "expected one boolean (correct) or numeric (score) column per model"
            )
        missing = [m for m in models if m not in frame.columns]
        if missing:
            raise ConfigError(
                f"outcome table lacks model columns {missing}; has {list(frame.columns)}"
            )
        out = pd.DataFrame(index=range(len(frame)))
        prompts = frame["prompt"].reset_index(drop=True)
        if prompts.isna().any():
            raise ConfigError(f"outcome table has {int(prompts.isna().sum())} empty prompts")
        out["id"] = (
            frame["id"].astype(str).reset_index(drop=True)
            if "id" in frame.columns
            else [prompt_id(p) for p in prompts.astype(str)]
        )
        out["prompt"] = prompts.astype(str)
        for col in ("subject", "answer"):
            out[col] = (
                frame[col].fillna("").astype(str).reset_index(drop=True)
                if col in frame.columns
                else ""
            )
        for model in models:
            out[model] = _outcome_column(frame[model].reset_index(drop=True), model)
        for model in models:
            for extra in EXTRAS:
                col = f"{model}{EXTRA_SEP}{extra}"
                if col in frame.columns:
                    out[col] = pd.to_numeric(frame[col], errors="coerce").reset_index(drop=True)
        return cls(out, tuple(models), name=name, notes=tuple(notes))

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def prompts(self) -> list[str]:
        return self.frame["prompt"].tolist()

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
        """Per-prompt extra (``cost_usd``, ``prompt_tokens``, ...) or None when not recorded."""
        self._check(model)
        col = f"{model}{EXTRA_SEP}{what}"
        return self.frame[col].to_numpy(dtype=float) if col in self.frame.columns else None

    def accuracy(self) -> dict[str, float]:
        """Mean score per model."""
        return {m: float(self.frame[m].astype(float).mean()) for m in self.models}

    def subset(self, rows: Sequence[int] | np.ndarray) -> OutcomeTable:
        """The table restricted to positional ``rows`` (order kept)."""
        frame = self.frame.iloc[np.asarray(rows, dtype=int)].reset_index(drop=True)
        return OutcomeTable(frame, self.models, name=self.name, notes=self.notes)

    def select_models(self, models: Sequence[str]) -> OutcomeTable:
        """Keep only ``models`` (and their extras)."""
        for m in models:
            self._check(m)
        keep = [*META_COLUMNS, *models]
        keep += [
            c for c in self.frame.columns if c.split(EXTRA_SEP)[0] in models and EXTRA_SEP in c
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


def normalise_prompt(text: str) -> str:
    """Collapse runs of whitespace so join keys survive re-wrapping and trailing spaces."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _outcome_column(values: pd.Series, model: str) -> pd.Series:
    """Booleans (also 'True'/'False' strings) become 1.0/0.0; numbers stay; anything else errors."""
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
        f"model column {model!r} must be boolean (True/False) or numeric; found values like {bad}"
    )


# ----------------------------------------------------------------------------- RouteLLM MMLU


def routellm_prompt(question: str, choices: Sequence[str]) -> str:
    """The RouteLLM MMLU prompt: question, lettered choices, ``Answer:``."""
    lines = [question, *(f"{_LETTERS[i]}. {c}" for i, c in enumerate(choices)), "Answer:"]
    return "\n".join(lines)


def _read_csv_any(location: str) -> pd.DataFrame:
    return pd.read_csv(location, keep_default_na=False, dtype=str)


def _contaminated(location: str) -> set[str]:
    if location.startswith(("http://", "https://")):
        frame = pd.read_json(location, lines=True)
        return set(frame["eval_prompt"].astype(str))
    path = Path(location)
    if not path.is_file():
        raise DatasetNotFoundError(f"contamination file not found: {location}")
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.add(str(json.loads(line)["eval_prompt"]))
    return found


def load_routellm_mmlu(
    *, drop_contaminated: bool = True, join_gold: bool = True, allow_download: bool = False
) -> OutcomeTable:
    """RouteLLM's recorded MMLU outcomes (14,042 prompts; 14,037 after decontamination).

    Models: ``gpt-4-1106-preview`` (strong) and ``mistralai/Mixtral-8x7B-Instruct-v0.1`` (weak),
    both 5-shot at temperature 0. ``subject`` comes from the file name; ``answer`` (the gold letter)
    is joined from MMLU test on the whitespace-normalised prompt text; the join coverage is in
    ``notes``.
    """
    from routerlab.data import load_mmlu, routellm_outcome_files

    files, contamination = routellm_outcome_files(allow_download=allow_download)
    frames = []
    for location in files:
        subject = Path(location).stem.removeprefix("mmlu_")
        raw = _read_csv_any(location)
        # Row ids by file position: MMLU repeats 105 question texts, so a text hash is not unique.
        raw.insert(0, "id", [f"mmlu/{subject}/{i}" for i in range(len(raw))])
        raw.insert(2, "subject", subject)
        frames.append(raw)
    frame = pd.concat(frames, ignore_index=True)
    notes = [f"{len(frame)} recorded prompts in {len(files)} subject files"]
    if drop_contaminated:
        dirty = _contaminated(contamination)
        keep = ~frame["prompt"].isin(dirty)
        notes.append(f"dropped {int((~keep).sum())} contaminated prompts")
        frame = frame[keep].reset_index(drop=True)
    if join_gold:
        frame, note = _join_gold(frame, load_mmlu("test", allow_download=allow_download))
        notes.append(note)
    models = [c for c in frame.columns if c not in META_COLUMNS]
    return OutcomeTable.from_frame(frame, models, name=ROUTELLM_MMLU, notes=notes)


_PANDAS_NA_STRINGS = {"", "None", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "#N/A", "<NA>"}


def _pandas_na(choice: str) -> str:
    return "nan" if str(choice).strip() in _PANDAS_NA_STRINGS else str(choice)


def _join_gold(frame: pd.DataFrame, mmlu: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    # RouteLLM wrote its prompts from a pandas frame that read choices such as "None" as NaN
    # (printed "nan"), so those choices are keyed the same way.
    keys = [
        (s, normalise_prompt(routellm_prompt(q, [_pandas_na(x) for x in c])))
        for s, q, c in zip(mmlu["subject"], mmlu["question"], mmlu["choices"], strict=True)
    ]
    gold: dict[tuple[str, str], str] = {}
    for key, answer in zip(keys, mmlu["answer"], strict=True):
        letter = _LETTERS[int(answer)]
        # A duplicated question with two different answers cannot be joined: leave it blank.
        gold[key] = letter if gold.get(key, letter) == letter else ""
    answers = [
        gold.get((s, normalise_prompt(p)), "")
        for s, p in zip(frame["subject"], frame["prompt"], strict=True)
    ]
    out = frame.copy()
    out.insert(3, "answer", answers)
    matched = sum(1 for a in answers if a)
    return out, f"gold answer joined for {matched} of {len(out)} prompts"


# ----------------------------------------------------------------------------- generic CSV


def read_outcome_csv(
    path: str | os.PathLike[str], models: Sequence[str] | None = None
) -> OutcomeTable:
    """Any CSV with a ``prompt`` column and one boolean or numeric column per model."""
    file = Path(path)
    if not file.is_file():
        raise DatasetNotFoundError(f"outcome table not found: {file}")
    frame = pd.read_csv(file, keep_default_na=False, na_values=[""])
    return OutcomeTable.from_frame(frame, models, name=file.stem)


def load_outcome_table(source: str, *, allow_download: bool = False) -> OutcomeTable:
    """``routellm-mmlu`` (the mirror's table) or a path to an outcome CSV."""
    if source == ROUTELLM_MMLU:
        return load_routellm_mmlu(allow_download=allow_download)
    if not Path(source).exists():
        raise DatasetNotFoundError(
            f"outcome table {source!r} is neither {ROUTELLM_MMLU!r} nor an existing CSV file"
        )
    return read_outcome_csv(source)


def write_outcome_table(table: OutcomeTable, path: str | os.PathLike[str]) -> Path:
    """Write the table as CSV (the shape :func:`read_outcome_csv` reads back)."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    table.frame.to_csv(file, index=False)
    return file


# ----------------------------------------------------------------------------- live results


def outcomes_from_results(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    name: str = "live",
    drop_incomplete: bool = True,
) -> OutcomeTable:
    """Pivot harness records (one per prompt and model) into an outcome table.

    Each record needs ``prompt``, ``model`` and ``correct`` (bool) or ``score`` (number); optional
    ``subject``, ``answer``, ``cost_usd``, ``prompt_tokens``, ``completion_tokens``, ``latency_s``.
    A prompt answered twice by the same model keeps the last record (a rerun replaces it).
    Prompts that lack some model's outcome are dropped (noted) or, with
    ``drop_incomplete=False``, an error.
    """
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    if frame.empty:
        raise ConfigError("no harness records to turn into an outcome table")
    missing = [c for c in ("prompt", "model") if c not in frame.columns]
    value_col = "correct" if "correct" in frame.columns else "score"
    if value_col not in frame.columns:
        missing.append("correct (or score)")
    if missing:
        raise ConfigError(f"harness records lack {missing}; have {list(frame.columns)}")
    frame = frame.drop_duplicates(subset=["prompt", "model"], keep="last")
    wide = frame.pivot(index="prompt", columns="model", values=value_col)
    models = [str(m) for m in wide.columns]
    notes = []
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        if not drop_incomplete:
            raise ConfigError(
                f"{int(incomplete.sum())} prompts lack an outcome for some model "
                f"({', '.join(models)}); run every model on every prompt or drop those prompts"
            )
        notes.append(f"dropped {int(incomplete.sum())} prompts not answered by every model")
        wide = wide[~incomplete]
        if wide.empty:
            raise ConfigError(f"no prompt was answered by every model ({', '.join(models)})")
    out = wide.reset_index()
    out.columns = ["prompt", *models]
    meta = frame.drop_duplicates("prompt", keep="last").set_index("prompt")
    for col in ("subject", "answer"):
        if col in meta.columns:
            out[col] = out["prompt"].map(meta[col])
    for extra in EXTRAS:
        if extra in frame.columns:
            ex = frame.pivot(index="prompt", columns="model", values=extra)
            for m in models:
                out[f"{m}{EXTRA_SEP}{extra}"] = out["prompt"].map(ex[m])
    return OutcomeTable.from_frame(out, models, name=name, notes=notes)


def harness_records(table: pd.DataFrame, questions: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-model records from a harness result table (``HarnessResult.table``).

    Each question yields the routed call and the fixed-model call (the two ``router_*`` and
    ``fixed_*`` column groups); ``questions`` (from ``harness.load_questions``) supplies the
    prompt text by ``qid``. Calls that errored are left out (no outcome was observed).
    """
    if "qid" not in questions.columns or "prompt" not in questions.columns:
        raise ConfigError("questions need qid and prompt columns (harness.load_questions)")
    prompts = dict(zip(questions["qid"], questions["prompt"], strict=True))
    records: list[dict[str, Any]] = []
    for row in table.to_dict("records"):
        if row["qid"] not in prompts:
            raise ConfigError(f"question {row['qid']!r} is not in the questions given")
        for prefix in ("router", "fixed"):
            error = row.get(f"{prefix}_error")
            if isinstance(error, str) and error:
                continue
            records.append(
                {
                    "prompt": prompts[row["qid"]],
                    "subject": row.get("subject", ""),
                    "answer": row.get("gold", ""),
                    "model": row[f"{prefix}_model"],
                    "correct": bool(row[f"{prefix}_correct"]),
                    "cost_usd": row.get(f"{prefix}_cost_usd"),
                    "prompt_tokens": row.get(f"{prefix}_prompt_tokens"),
                    "completion_tokens": row.get(f"{prefix}_completion_tokens"),
                    "latency_s": row.get(f"{prefix}_model_latency_s"),
                }
            )
    return records


def merge_outcomes(old: OutcomeTable, new: OutcomeTable) -> OutcomeTable:
    """Accumulate runs: new rows are appended, a prompt present in both takes the new values.

    Both tables must record the same models (a new model needs every prompt rerun).
    """
    if set(old.models) != set(new.models):
        raise ConfigError(
            f"cannot merge tables of different models: {sorted(old.models)} vs {sorted(new.models)}"
        )
    frame = pd.concat([old.frame, new.frame], ignore_index=True)
    frame = frame.drop_duplicates(subset=["prompt"], keep="last").reset_index(drop=True)
    return OutcomeTable.from_frame(frame, list(old.models), name=new.name or old.name)
