"""What a harness run produced: :class:`HarnessResult` (per-question table, summaries, save and
load) and the findings written from its numbers (:func:`describe_result`, :func:`compare_results`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

STAND_IN_NOTE = "offline stand-in: SmolLM2-135M, not the pool's models"


@dataclass
class HarnessResult:
    """Per-question table plus summaries; ``stand_in`` marks numbers made by a local model."""

    table: pd.DataFrame
    router: str
    fixed_model: str
    stand_in: bool
    backend: str
    # "complete", or "budget" when the spending cap stopped the run before every question was
    # asked (the table then holds the questions finished so far; rerun with the checkpoint)
    stopped: str = "complete"
    cache: dict[str, Any] | None = None  # response-cache counts of the client, None: no cache

    @property
    def partial(self) -> bool:
        return self.stopped != "complete"

    @property
    def label(self) -> str:
        return STAND_IN_NOTE if self.stand_in else f"backend: {self.backend}"

    def summary(self) -> pd.DataFrame:
        """One row per approach: n, accuracy, unparseable, errors, fallbacks, cost, latency."""
        rows = []
        for approach in ("router", "fixed"):
            t = self.table
            lat = t[f"{approach}_total_latency_s"]
            rows.append(
                {
                    "approach": f"router ({self.router})" if approach == "router" else
                    f"fixed ({self.fixed_model})",
                    "questions": len(t),
                    "accuracy": float(t[f"{approach}_correct"].mean()) if len(t) else 0.0,
                    "unparseable": int((t[f"{approach}_letter"].isna() & t[f"{approach}_error"].isna()).sum()),
                    "errors": int(t[f"{approach}_error"].notna().sum()),
                    "fallbacks": int(t["router_fallback"].sum()) if approach == "router" else 0,
                    "total_cost_usd": float(t[f"{approach}_cost_usd"].sum()),
                    "list_cost_usd": float(_col(t, f"{approach}_list_cost_usd", f"{approach}_cost_usd").sum()),
                    "cached_answers": int(_col(t, f"{approach}_cached", None).sum()),
                    "cost_per_question_usd": float(t[f"{approach}_cost_usd"].mean()) if len(t) else 0.0,
                    "mean_latency_s": float(lat.mean()) if len(t) else 0.0,
                    "p90_latency_s": float(lat.quantile(0.9)) if len(t) else 0.0,
                }
            )  # fmt: skip
        frame = pd.DataFrame(rows)
        frame["note"] = self.label + (
            " (partial: stopped at the spending cap)" if self.partial else ""
        )
        return frame

    def save(self, folder: str | Path, name: str) -> Path:
        """Write ``<name>_questions.csv`` and ``<name>_meta.json`` under ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out / f"{name}_questions.csv", index=False)
        meta = {
            k: getattr(self, k)
            for k in ("router", "fixed_model", "stand_in", "backend", "stopped", "cache")
        }
        (out / f"{name}_meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return out / f"{name}_questions.csv"

    @classmethod
    def load(cls, folder: str | Path, name: str) -> HarnessResult:
        """Read a result written by :meth:`save`."""
        out = Path(folder)
        meta = json.loads((out / f"{name}_meta.json").read_text(encoding="utf-8"))
        table = pd.read_csv(out / f"{name}_questions.csv")
        for col in ("router_error", "fixed_error", "router_letter", "fixed_letter"):
            table[col] = table[col].astype(object).where(table[col].notna(), None)
        return cls(table=table, **meta)

    def usage(self) -> pd.DataFrame:
        """Model usage per approach: count, share %, mean and p90 total latency per model."""
        parts = []
        for approach in ("router", "fixed"):
            t = self.table[self.table[f"{approach}_error"].isna()]
            grouped = t.groupby(f"{approach}_model")[f"{approach}_total_latency_s"]
            part = pd.DataFrame(
                {
                    "calls": grouped.size(),
                    "mean_latency_s": grouped.mean(),
                    "p90_latency_s": grouped.quantile(0.9),
                }
            ).reset_index(names="model")
            part.insert(0, "approach", approach)
            part["share_pct"] = 100.0 * part["calls"] / max(len(self.table), 1)
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        frame["note"] = self.label
        return frame


def _col(table: pd.DataFrame, name: str, fallback: str | None) -> pd.Series:
    """A column of a results table; tables saved before it existed use ``fallback`` (or 0)."""
    if name in table.columns:
        return table[name].fillna(0)
    if fallback is not None:
        return table[fallback]
    return pd.Series(0, index=table.index)


def load_saved(folder: str | Path, names: Sequence[str]) -> list[HarnessResult]:
    """Results saved earlier under ``folder`` (e.g. by another notebook); missing ones skipped."""
    return [
        HarnessResult.load(folder, name)
        for name in names
        if (Path(folder) / f"{name}_meta.json").is_file()
    ]


def compare_results(results: Sequence[HarnessResult]) -> pd.DataFrame:
    """Summaries of several runs side by side (each router once; the fixed model of each run)."""
    frames = []
    for run in results:
        frame = run.summary()
        frame.insert(0, "run", f"{run.router} run")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def describe_result(result: HarnessResult) -> str:
    """A short paragraph of findings written from the computed numbers."""
    summary = result.summary().set_index("approach")
    router_row, fixed_row = summary.iloc[0], summary.iloc[1]
    usage = result.usage()
    shares = usage[usage["approach"] == "router"].sort_values("share_pct", ascending=False)
    mix = ", ".join(f"{r.model} {r.share_pct:.0f}%" for r in shares.itertuples())
    n = int(router_row["questions"])
    diff = router_row["accuracy"] - fixed_row["accuracy"]
    # Compare list prices: a rerun served from the response cache pays 0 for both sides, and
    # 0/0 says nothing; what each side costs to make is the list price.
    router_list = _summary_value(router_row, "list_cost_usd", "total_cost_usd")
    fixed_list = _summary_value(fixed_row, "list_cost_usd", "total_cost_usd")
    cost_ratio = router_list / fixed_list if fixed_list else float("nan")
    text = (
        f"On {n} questions the {summary.index[0]} scored {router_row['accuracy']:.0%} and the "
        f"{summary.index[1]} {fixed_row['accuracy']:.0%} ({diff:+.0%}, i.e. "
        f"{abs(round(diff * n))} question(s)); {int(router_row['unparseable'])} router and "
        f"{int(fixed_row['unparseable'])} fixed answers were unparseable and count as wrong. "
        f"The router sent {mix}; {int(router_row['fallbacks'])} judge call(s) fell back. "
        f"Cost per question at list price: ${router_list / max(n, 1):.6f} routed (judge "
        f"included) vs ${fixed_list / max(n, 1):.6f} fixed ({cost_ratio:.2f}x); paid this run: "
        f"${router_row['cost_per_question_usd']:.6f} vs ${fixed_row['cost_per_question_usd']:.6f}"
        f"{_cached_note(router_row, fixed_row)}. Mean latency "
        f"{router_row['mean_latency_s']:.2f} s routed vs {fixed_row['mean_latency_s']:.2f} s fixed."
    )
    if n < 30:
        text += f" With {n} questions one question moves accuracy by {1 / n:.0%}: too few to rank."
    if result.stand_in:
        text += f" ({STAND_IN_NOTE}: these numbers exercise the pipeline only.)"
    return text


def _summary_value(row: pd.Series, name: str, fallback: str) -> float:
    """``row[name]``, or ``row[fallback]`` for summaries made before ``name`` existed."""
    value = row.get(name)
    return float(row[fallback] if value is None or pd.isna(value) else value)


def _cached_note(router_row: pd.Series, fixed_row: pd.Series) -> str:
    hits = int(router_row.get("cached_answers", 0) or 0) + int(
        fixed_row.get("cached_answers", 0) or 0
    )
    return f" ({hits} answer(s) served from the response cache, paid 0)" if hits else ""
