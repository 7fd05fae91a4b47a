"""Outcome tables from the MMLU harness: its per-question rows become per-model outcomes.

:func:`harness_records` turns a harness result table (``HarnessResult.table``) into one record per
prompt and model, :func:`outcomes_from_results` pivots such records into an
:class:`~routerlab.tables.OutcomeTable` (cost columns in RouterBench's ``<model>|cost_usd``,
``|input_tokens``, ``|output_tokens`` convention, plus ``|latency_s``), and
:func:`merge_outcomes` accumulates runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from routerlab.errors import ConfigError
from routerlab.tables import COST_SEP, OutcomeTable

# record field -> per-model column kind (the harness's usage names map to RouterBench's)
RECORD_EXTRAS = {
    "cost_usd": "cost_usd",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "prompt_tokens": "input_tokens",
    "completion_tokens": "output_tokens",
    "latency_s": "latency_s",
}
RECORD_METADATA = ("subject", "answer")


def outcomes_from_results(
    records: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    name: str = "live",
    drop_incomplete: bool = True,
) -> OutcomeTable:
    """Pivot harness records (one per prompt and model) into an outcome table.

    Each record needs ``prompt``, ``model`` and ``correct`` (bool) or ``score`` (number); optional
    ``subject``, ``answer``, ``cost_usd``, ``input_tokens`` (or ``prompt_tokens``),
    ``output_tokens`` (or ``completion_tokens``), ``latency_s``. A prompt answered twice by the
    same model keeps the last record (a rerun replaces it). Prompts that lack some model's outcome
    are dropped (noted) or, with ``drop_incomplete=False``, an error.
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
    for col in RECORD_METADATA:
        if col in meta.columns:
            out[col] = out["prompt"].map(meta[col])
    for field, what in RECORD_EXTRAS.items():
        if field in frame.columns:
            values = frame.pivot(index="prompt", columns="model", values=field)
            for m in models:
                out[f"{m}{COST_SEP}{what}"] = out["prompt"].map(values[m])
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
                    "input_tokens": row.get(f"{prefix}_prompt_tokens"),
                    "output_tokens": row.get(f"{prefix}_completion_tokens"),
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
