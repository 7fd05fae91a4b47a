"""Presenting an N-model run: JSON-safe records, the metric table as text, and the knob a budget
calibrates on training rows (with what it then achieves on held-out rows)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from routerlab.evaluation.frontier import choice_points
from routerlab.evaluation.multi import MultiEvaluation


@dataclass
class BudgetPoint:
    router: str
    knob: float
    train_quality: float
    train_cost_usd_per_1k: float
    quality: float
    cost_usd_per_1k: float
    met: bool  # False: no knob value met the budget on training rows; the cheapest was used


def clean_record(record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in record.items():
        if isinstance(v, float | np.floating):
            out[k] = float(v) if math.isfinite(float(v)) else None
        elif isinstance(v, np.bool_):
            out[k] = bool(v)
        else:
            out[k] = v
    return out


def cell(value: Any, ci: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    text = f"{value:.{digits}f}"
    if isinstance(ci, list | tuple) and any(c is not None for c in ci):
        lo = "…" if ci[0] is None else f"{ci[0]:.{digits}f}"
        hi = "…" if ci[1] is None else f"{ci[1]:.{digits}f}"
        text += f" [{lo}, {hi}]"
    return text


def metric_text(evaluation: MultiEvaluation) -> str:
    """The metric table as text: one row per router, each value with its interval."""
    rows = []
    for rec in evaluation.records():
        rows.append(
            {
                "router": rec["router"],
                "kind": rec["kind"],
                "quality": cell(rec["quality"], rec["quality_ci"]),
                "$/1k": cell(rec["cost_usd_per_1k"], rec["cost_usd_per_1k_ci"], 4),
                "q@cheapest": cell(
                    rec.get("quality_at_cheapest_cost"), rec.get("quality_at_cheapest_cost_ci")
                ),
                "cost→best": (
                    cell(rec.get("cost_to_best_share"), rec.get("cost_to_best_share_ci"), 2)
                    if rec["kind"] == "curve" and rec.get("cost_to_best_share") is not None
                    else ("not reached" if rec["kind"] == "curve" else "")
                ),
                "area vs hull": cell(rec.get("area_vs_hull"), rec.get("area_vs_hull_ci"), 2)
                if rec["kind"] == "curve"
                else "",
            }
        )
    frame = pd.DataFrame(rows)
    frame.loc[frame["kind"] == "point", "q@cheapest"] = ""
    return frame.to_string(index=False)


def calibrate_budget(
    name: str,
    knobs: np.ndarray,
    train_choices: np.ndarray,
    held_choices: np.ndarray,
    q_train: np.ndarray,
    c_train: np.ndarray,
    q_held: np.ndarray,
    c_held: np.ndarray,
    budget: float,
) -> BudgetPoint:
    """The knob with the best training quality whose training cost is within ``budget`` (else
    the cheapest knob, ``met=False``), and what that knob achieves on the held-out rows."""
    tq, tc = choice_points(q_train, c_train, train_choices)
    within = np.flatnonzero(tc <= budget + 1e-12)
    if len(within):
        best = within[np.lexsort((tc[within], -tq[within]))[0]]
        met = True
    else:
        best = int(np.argmin(tc))
        met = False
    hq, hc = choice_points(q_held, c_held, held_choices[best : best + 1])
    return BudgetPoint(
        name, float(knobs[best]), float(tq[best]), float(tc[best]), float(hq[0]), float(hc[0]), met
    )
