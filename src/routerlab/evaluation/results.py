"""What an evaluation produces: one :class:`RouterResult` per router inside an :class:`Evaluation`,
and the functions that turn strong scores or decisions into a result.

A scoring router yields a ``curve`` (every curve router is scored on two threshold grids:
``full``, every unique score, and RouteLLM's ``qcut10``, the deciles of its scores); a deciding
router (fixed, judge) a ``point``. Headline metrics carry a percentile bootstrap 95 % interval over
the held-out rows (``*_lo`` / ``*_hi``); a seed-averaged router also its spread over seeds.
:func:`routerlab.evaluation.run.run_evaluation` builds these; the figures
(:mod:`routerlab.plots.evaluation`) and the study outputs (:mod:`routerlab.evaluation.study`)
read them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.indomain import VARIANT_LABELS, WITH_SUBJECT
from routerlab.evaluation.scoring import (
    PairOutcomes,
    bootstrap_curve_metrics,
    bootstrap_mean,
    curve_metrics,
    pair_metrics_of_choices,
    qcut_curve,
    threshold_curve,
)
from routerlab.tables import OutcomeTable

# Routers that read something besides the prompt text (so they are not comparable with
# prompt-only routers such as RouteLLM's). A scoring router says what it reads through its
# ``reads`` columns (:attr:`RouterResult.reads`, see :func:`reads_label`), which take precedence.
READS_METADATA = {WITH_SUBJECT: "MMLU subject", "oracle": "the outcomes themselves"}
PROMPT_TEXT = "prompt text"
# How a metadata column a router reads is named in tables and prose.
COLUMN_LABELS = {"subject": "MMLU subject"}

METRIC_COLUMNS = (
    "router",
    "label",
    "kind",
    "reads",
    "n",
    "apgr",
    "apgr_lo",
    "apgr_hi",
    "apgr_qcut10",
    "apgr_qcut10_lo",
    "apgr_qcut10_hi",
    "cpt50",
    "cpt50_lo",
    "cpt50_hi",
    "cpt50_qcut10",
    "cpt50_qcut10_lo",
    "cpt50_qcut10_hi",
    "cpt80",
    "cpt80_lo",
    "cpt80_hi",
    "auc",
    "accuracy",
    "accuracy_lo",
    "accuracy_hi",
    "strong_share",
    "pgr",
    "cost_per_prompt",
    "cost_per_prompt_lo",
    "cost_per_prompt_hi",
    "cost_cpt50",
    "cost_cpt50_lo",
    "cost_cpt50_hi",
)


@dataclass
class RouterResult:
    """How one router did. ``kind`` is ``curve`` (score-producing) or ``point`` (decides)."""

    name: str
    kind: str
    metrics: dict[str, float]
    curve: pd.DataFrame | None = None
    scores: np.ndarray | None = None  # strong scores on the held-out rows (curve routers)
    to_strong: np.ndarray | None = None  # decisions on the held-out rows (point routers)
    reads: str | None = None  # what it reads, when known from its features (see reads_of)


def reads_of(result: RouterResult) -> str:
    """What a router reads: its own features when known (an in-domain router with the subject
    feature reads the MMLU subject), else :data:`READS_METADATA`, else prompt text for a scorer
    and nothing for a fixed decision."""
    if result.reads is not None:
        return result.reads
    return READS_METADATA.get(result.name, PROMPT_TEXT if result.kind == "curve" else "nothing")


def reads_label(columns: Sequence[str]) -> str:
    """What a scoring router reads, in words: the prompt text only, or its metadata columns."""
    if not columns:
        return PROMPT_TEXT
    return ", ".join(COLUMN_LABELS.get(c, f"the table's {c!r} column") for c in columns)


@dataclass
class Evaluation:
    """Everything one evaluation produced, on the held-out rows ``test_rows`` of ``table``."""

    table: OutcomeTable
    pair: PairOutcomes
    train_rows: np.ndarray
    test_rows: np.ndarray
    results: list[RouterResult]
    operating_share: float
    notes: list[str] = field(default_factory=list)

    def metrics(self) -> pd.DataFrame:
        """One row per router (see :data:`METRIC_COLUMNS`)."""
        return metrics_frame(self.results)

    def result(self, name: str) -> RouterResult:
        for r in self.results:
            if r.name == name:
                return r
        raise ConfigError(f"no result for router {name!r}; have {[r.name for r in self.results]}")

    @property
    def test_table(self) -> OutcomeTable:
        return self.table.subset(self.test_rows)


def router_label(name: str) -> str:
    """How tables and figures name a router (the in-domain variants say what they read)."""
    return VARIANT_LABELS.get(name, name)


def metrics_frame(results: Sequence[RouterResult]) -> pd.DataFrame:
    rows = [
        {
            "router": r.name,
            "label": router_label(r.name),
            "kind": r.kind,
            "reads": reads_of(r),
            **r.metrics,
        }
        for r in results
    ]
    frame = pd.DataFrame(rows)
    for col in METRIC_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    frame["n"] = frame["n"].astype("Int64")
    extra = [c for c in frame.columns if c not in METRIC_COLUMNS]
    return frame[[*METRIC_COLUMNS, *extra]]


def _at_share(curve: pd.DataFrame, share: float, column: str) -> float:
    return float(np.interp(share, curve["strong_share"], curve[column]))


def evaluate_scores(
    name: str,
    pair: PairOutcomes,
    scores: np.ndarray,
    operating_share: float = 0.5,
    *,
    bootstrap: int = 0,
    seed: int = 0,
) -> RouterResult:
    """Curve metrics of a strong scorer on the full grid (plus APGR and CPT(50 %) on RouteLLM's
    10-bin grid, ``*_qcut10``); accuracy, PGR and cost read at ``operating_share``; with
    ``bootstrap`` > 0 resamples, 95 % intervals ``*_lo`` / ``*_hi`` (APGR, CPT(50 %), CPT(80 %)
    and cost on the full grid; ``apgr_qcut10_*`` and ``cpt50_qcut10_*`` on the 10-bin grid)."""
    curve = threshold_curve(pair, scores)
    metrics = curve_metrics(curve)
    qcut = curve_metrics(qcut_curve(pair, scores))
    metrics["apgr_qcut10"], metrics["cpt50_qcut10"] = qcut["apgr"], qcut["cpt50"]
    if bootstrap > 0:
        metrics.update(bootstrap_curve_metrics(pair, scores, n_boot=bootstrap, seed=seed))
        # The 10-bin headline numbers carry their own interval, resampled on their own grid.
        qboot = bootstrap_curve_metrics(pair, scores, n_boot=bootstrap, seed=seed, grid="qcut10")
        for key in ("apgr", "cpt50"):
            for end in ("lo", "hi"):
                metrics[f"{key}_qcut10_{end}"] = qboot[f"{key}_{end}"]
    metrics.update(
        accuracy=_at_share(curve, operating_share, "quality"),
        strong_share=operating_share,
        pgr=_at_share(curve, operating_share, "pgr"),
        cost_per_prompt=_at_share(curve, operating_share, "cost_per_prompt"),
        n=pair.n,
    )
    # Cost rises with every prompt sent strong, so this is the least cost that recovers half the gap.
    metrics["cost_cpt50"] = (
        _at_share(curve, metrics["cpt50"], "cost_per_prompt")
        if np.isfinite(metrics["cpt50"])
        else math.nan
    )
    return RouterResult(name, "curve", metrics, curve, np.asarray(scores, dtype=float))


def evaluate_seeded(
    name: str,
    pair: PairOutcomes,
    runs_scores: Sequence[np.ndarray],
    operating_share: float = 0.5,
    *,
    bootstrap: int = 0,
) -> RouterResult:
    """A noise-driven router (random) scored once per seed: metrics averaged over the runs
    (spread in ``apgr_std``, ``apgr_min``, ``apgr_max``, also for ``apgr_qcut10`` and
    ``cpt50``), mean curve; the bootstrap interval is of the first seed."""
    if not runs_scores:
        raise ConfigError(f"{name} router needs at least one seed")
    runs = [
        evaluate_scores(name, pair, scores, operating_share, bootstrap=bootstrap if i == 0 else 0)
        for i, scores in enumerate(runs_scores)
    ]
    keys = [k for k in runs[0].metrics if not k.endswith(("_lo", "_hi"))]
    metrics = {k: float(np.mean([r.metrics[k] for r in runs])) for k in keys}
    metrics.update({k: v for k, v in runs[0].metrics.items() if k.endswith(("_lo", "_hi"))})
    for key in ("apgr", "apgr_qcut10", "cpt50"):
        values = [r.metrics[key] for r in runs]
        metrics[f"{key}_std"] = float(np.std(values))
        metrics[f"{key}_min"], metrics[f"{key}_max"] = float(np.min(values)), float(np.max(values))
    metrics["seeds"] = float(len(runs))
    grid = np.linspace(0.0, 1.0, 101)
    curve = pd.DataFrame({"strong_share": grid})
    for col in ("quality", "pgr", "cost_per_prompt"):
        curve[col] = np.mean(
            [
                np.interp(grid, r.curve["strong_share"], r.curve[col])
                for r in runs
                if r.curve is not None
            ],
            axis=0,
        )
    curve.insert(0, "threshold", np.nan)
    return RouterResult(name, "curve", metrics, curve, runs[0].scores)


def evaluate_decisions(
    name: str, pair: PairOutcomes, to_strong: np.ndarray, *, bootstrap: int = 0
) -> RouterResult:
    """A router that decides (fixed model, judge): one operating point, no curve metrics;
    with ``bootstrap`` > 0, 95 % intervals of its accuracy and cost per prompt."""
    mask = np.asarray(to_strong, dtype=bool)
    metrics = pair_metrics_of_choices(pair, mask)
    routed = np.where(mask, pair.strong_out, pair.weak_out)
    if bootstrap > 0:
        metrics["accuracy_lo"], metrics["accuracy_hi"] = bootstrap_mean(routed, n_boot=bootstrap)
    if pair.strong_cost is not None and pair.weak_cost is not None:
        cost = np.where(mask, pair.strong_cost, pair.weak_cost)
        metrics["cost_per_prompt"] = float(cost.mean())
        if bootstrap > 0:
            lo, hi = bootstrap_mean(cost, n_boot=bootstrap)
            metrics["cost_per_prompt_lo"], metrics["cost_per_prompt_hi"] = lo, hi
    metrics.update(apgr=math.nan, cpt50=math.nan, cpt80=math.nan, auc=math.nan, n=pair.n)
    return RouterResult(name, "point", metrics, to_strong=mask)
