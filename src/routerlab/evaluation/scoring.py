"""Scoring routers against an outcome table: accuracy, usage, cost, and the RouteLLM metrics.

Two-model curves. A score-producing router gives each prompt a "strong score"; sweeping a
threshold from above the largest score down to the smallest sends a growing share of prompts to
the strong model. The curve has one point per *unique* score value (prompts with tied scores
cross the threshold together), plus the all-weak start, so ties are handled deterministically; a
straight line between two points is what random tie-breaking inside the group gives on average.

Metrics (as RouteLLM defines them; quality is the mean outcome, a fraction in [0, 1]):

* ``PGR(share) = (quality - q_weak) / (q_strong - q_weak)`` — performance gap recovered;
* ``APGR`` — area under PGR against the strong-call share (0 to 1), trapezoidal; a random router
  scores 0.5 in expectation, the oracle much more;
* ``CPT(x)`` — the smallest strong-call share at which PGR reaches ``x`` (linearly interpolated
  between the two curve points around the first crossing);
* ``AUC`` — area under quality against strong-call share.

Multi-model tables: a router picks one model per prompt (:func:`score_choices`); a cost-aware
policy sweeps its knob (:func:`policy_curve`, through :func:`routerlab.routers.base.threshold_policy`,
the rule :func:`~routerlab.routers.base.choose_model` applies to one request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.routers.base import check_cost_threshold, threshold_policy
from routerlab.tables import OutcomeTable

CPT_LEVELS = (0.5, 0.8)


@dataclass(frozen=True)
class PairOutcomes:
    """The two columns a two-model curve needs, plus per-prompt costs when known."""

    strong: str
    weak: str
    strong_out: np.ndarray
    weak_out: np.ndarray
    strong_cost: np.ndarray | None = None
    weak_cost: np.ndarray | None = None

    @classmethod
    def from_table(
        cls,
        table: OutcomeTable,
        strong: str | None = None,
        weak: str | None = None,
        costs: Mapping[str, np.ndarray] | None = None,
    ) -> PairOutcomes:
        strong, weak = table.strong_weak(strong, weak)
        costs = costs or {}
        return cls(
            strong,
            weak,
            table.outcomes(strong),
            table.outcomes(weak),
            costs.get(strong),
            costs.get(weak),
        )

    @property
    def n(self) -> int:
        return len(self.strong_out)

    @property
    def q_strong(self) -> float:
        return float(self.strong_out.mean())

    @property
    def q_weak(self) -> float:
        return float(self.weak_out.mean())


def threshold_curve(pair: PairOutcomes, scores: np.ndarray | Sequence[float]) -> pd.DataFrame:
    """Quality, PGR and cost at every threshold: one row per unique score, plus the all-weak start.

    Columns: ``threshold`` (prompts with score >= it go strong; +inf for the start),
    ``strong_share``, ``quality``, ``pgr`` and ``cost_per_prompt`` (NaN when costs are unknown).
    """
    s = np.asarray(scores, dtype=float)
    if s.shape != (pair.n,):
        raise ConfigError(f"expected {pair.n} scores (one per prompt), got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ConfigError(f"{int((~np.isfinite(s)).sum())} router scores are NaN or infinite")
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    # Last position of each tie group: everyone at or above that score is routed strong.
    ends = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    gain = np.cumsum((pair.strong_out - pair.weak_out)[order])
    n = pair.n
    share = np.r_[0.0, (ends + 1) / n]
    quality = np.r_[pair.q_weak, pair.q_weak + gain[ends] / n]
    if pair.strong_cost is not None and pair.weak_cost is not None:
        extra = np.cumsum((pair.strong_cost - pair.weak_cost)[order])
        cost = np.r_[pair.weak_cost.mean(), pair.weak_cost.mean() + extra[ends] / n]
    else:
        cost = np.full(len(share), np.nan)
    return pd.DataFrame(
        {
            "threshold": np.r_[np.inf, s_sorted[ends]],
            "strong_share": share,
            "quality": quality,
            "pgr": pgr(quality, pair.q_weak, pair.q_strong),
            "cost_per_prompt": cost,
        }
    )


def pgr(quality: np.ndarray | float, q_weak: float, q_strong: float) -> np.ndarray:
    """Performance gap recovered; NaN when the two models are equally good."""
    gap = q_strong - q_weak
    if gap == 0:
        return np.full(np.shape(quality), np.nan)
    return (np.asarray(quality, dtype=float) - q_weak) / gap


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


def cpt(curve: pd.DataFrame, level: float) -> float:
    """Smallest strong-call share where PGR reaches ``level`` (interpolated); NaN if never."""
    x = curve["strong_share"].to_numpy()
    y = curve["pgr"].to_numpy()
    hit = np.flatnonzero(y >= level - 1e-12)
    if len(hit) == 0:
        return float("nan")
    i = int(hit[0])
    if i == 0 or y[i] == y[i - 1]:
        return float(x[i])
    return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))


def curve_metrics(curve: pd.DataFrame) -> dict[str, float]:
    """APGR, AUC and CPT(50 %), CPT(80 %) of a curve from :func:`threshold_curve`.

    The curve must span strong shares 0 to 1 (it does when built from scores).
    """
    x = curve["strong_share"].to_numpy()
    if len(x) < 2 or x[0] != 0.0 or not np.isclose(x[-1], 1.0):
        raise ConfigError("a curve must start at strong share 0 and end at 1")
    metrics = {
        "apgr": _trapezoid(curve["pgr"].to_numpy(), x),
        "auc": _trapezoid(curve["quality"].to_numpy(), x),
    }
    for level in CPT_LEVELS:
        metrics[f"cpt{round(level * 100)}"] = cpt(curve, level)
    return metrics


def score_choices(
    table: OutcomeTable,
    choices: Sequence[str] | np.ndarray,
    costs: Mapping[str, np.ndarray] | None = None,
) -> dict[str, float]:
    """Accuracy, share of calls per model and cost of a router that picked ``choices``.

    Keys: ``accuracy``, ``share:<model>`` for every table model, ``cost_total`` and
    ``cost_per_prompt`` (NaN when a chosen model's cost is unknown).
    """
    picked = np.asarray(choices, dtype=object)
    if picked.shape != (len(table),):
        raise ConfigError(f"expected {len(table)} choices (one per prompt), got {picked.shape}")
    unknown = sorted(set(picked.tolist()) - set(table.models))
    if unknown:
        raise ConfigError(
            f"choices name models not in the table: {unknown}; table has {table.models}"
        )
    matrix = table.matrix()
    col = np.array([table.models.index(m) for m in picked])
    rows = np.arange(len(table))
    out: dict[str, float] = {"accuracy": float(matrix[rows, col].mean())}
    for i, m in enumerate(table.models):
        out[f"share:{m}"] = float((col == i).mean())
    if costs is not None and all(m in costs for m in set(picked.tolist())):
        per = np.array([costs[m][r] for r, m in zip(rows, picked, strict=True)], dtype=float)
        out["cost_total"] = float(per.sum())
        out["cost_per_prompt"] = float(per.mean())
    else:
        out["cost_total"] = out["cost_per_prompt"] = float("nan")
    return out


def pair_metrics_of_choices(pair: PairOutcomes, to_strong: np.ndarray) -> dict[str, float]:
    """One operating point of a two-model router that decides (no scores): share, quality, PGR."""
    mask = np.asarray(to_strong, dtype=bool)
    quality = float(np.where(mask, pair.strong_out, pair.weak_out).mean())
    return {
        "strong_share": float(mask.mean()),
        "accuracy": quality,
        "pgr": float(pgr(quality, pair.q_weak, pair.q_strong)),
    }


def policy_curve(
    table: OutcomeTable,
    probabilities: np.ndarray,
    pool: Pool,
    thresholds: Sequence[float] | None = None,
    costs: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Sweep the policy's ``cost_threshold`` for a router with per-model probabilities.

    ``probabilities`` is (n_prompts, n_pool_models) in ``pool.names`` order; every pool model
    must be a table column. One row per threshold: accuracy, share per model, cost, and
    ``escalated_share`` (share of calls not sent to the pool's cheapest model).
    """
    probs = np.asarray(probabilities, dtype=float)
    names = pool.names
    if probs.shape != (len(table), len(names)):
        raise ConfigError(
            f"probabilities must be (n_prompts={len(table)}, n_models={len(names)}), got {probs.shape}"
        )
    missing = [m for m in names if m not in table.models]
    if missing:
        raise ConfigError(f"pool models {missing} have no outcome column; table has {table.models}")
    grid = np.linspace(0.0, 1.0, 21) if thresholds is None else np.asarray(thresholds, dtype=float)
    knobs = [check_cost_threshold(float(t)) for t in grid]  # once per threshold, not per prompt
    cheapest = names.index(pool.cheapest.name)
    rank = list(range(len(names)))  # pool order: ties go to the cheaper model
    rows = []
    for knob in knobs:
        picked = threshold_policy(probs, cheapest, rank, knob)
        point = score_choices(table, np.asarray(names, dtype=object)[picked], costs)
        point["cost_threshold"] = knob
        point["escalated_share"] = float(np.mean(picked != cheapest))
        rows.append(point)
    return pd.DataFrame(rows)


def oracle_choices(table: OutcomeTable, price_order: Sequence[str] | None = None) -> list[str]:
    """Per prompt, the cheapest model with the best outcome (``price_order``: cheapest first)."""
    order = list(price_order) if price_order is not None else list(table.models)
    missing = [m for m in table.models if m not in order]
    if missing:
        raise ConfigError(f"price_order lacks table models {missing}")
    matrix = table.matrix(order)
    # argmax returns the first maximum, i.e. the cheapest model among the best.
    return [order[i] for i in matrix.argmax(axis=1)]


# ----------------------------------------------------------------------------- RouteLLM's grid

QCUT_BINS = 10  # RouteLLM's ``--num-results`` default
GRIDS = ("full", "qcut10")


def qcut_thresholds(scores: np.ndarray | Sequence[float], bins: int = QCUT_BINS) -> np.ndarray:
    """RouteLLM's thresholds: the ``bins + 1`` edges of ``pd.qcut(scores, bins)`` (min, the
    quantiles at 1/bins, 2/bins, ..., max; linear interpolation, duplicates kept)."""
    if bins < 1:
        raise ConfigError(f"bins must be >= 1, got {bins}")
    s = np.asarray(scores, dtype=float)
    if len(s) == 0:
        raise ConfigError("no scores to cut into bins")
    return np.asarray(np.quantile(s, np.linspace(0.0, 1.0, bins + 1)), dtype=float)


def qcut_curve(
    pair: PairOutcomes, scores: np.ndarray | Sequence[float], bins: int = QCUT_BINS
) -> pd.DataFrame:
    """The curve RouteLLM's evaluation draws: one point per qcut edge (:func:`qcut_thresholds`).

    At every edge but the last, prompts with score >= edge go strong; at the last (the maximum)
    those with score > edge do, i.e. none — so the curve spans shares 0 to 1 in ``bins + 1``
    points, sorted by share as RouteLLM sorts before its trapezoid. Same columns as
    :func:`threshold_curve`.
    """
    s = np.asarray(scores, dtype=float)
    if s.shape != (pair.n,):
        raise ConfigError(f"expected {pair.n} scores (one per prompt), got shape {s.shape}")
    if not np.isfinite(s).all():
        raise ConfigError(f"{int((~np.isfinite(s)).sum())} router scores are NaN or infinite")
    edges = qcut_thresholds(s, bins)
    rows = []
    for i, t in enumerate(edges):
        mask = s > t if i == len(edges) - 1 else s >= t
        quality = float(np.where(mask, pair.strong_out, pair.weak_out).mean())
        cost = float("nan")
        if pair.strong_cost is not None and pair.weak_cost is not None:
            cost = float(np.mean(np.where(mask, pair.strong_cost, pair.weak_cost)))
        rows.append((float(t), float(mask.mean()), quality, cost))
    frame = pd.DataFrame(rows, columns=["threshold", "strong_share", "quality", "cost_per_prompt"])
    frame = frame.sort_values(["strong_share", "quality"], kind="stable", ignore_index=True)
    frame.insert(3, "pgr", pgr(frame["quality"].to_numpy(), pair.q_weak, pair.q_strong))
    return frame


def grid_curve(
    pair: PairOutcomes, scores: np.ndarray | Sequence[float], grid: str = "full"
) -> pd.DataFrame:
    """The curve on ``grid``: ``full`` (every unique score) or ``qcut10`` (RouteLLM's deciles)."""
    if grid == "full":
        return threshold_curve(pair, scores)
    if grid == "qcut10":
        return qcut_curve(pair, scores, QCUT_BINS)
    raise ConfigError(f"unknown threshold grid {grid!r}; allowed: {', '.join(GRIDS)}")


# ----------------------------------------------------------------------------- intervals


def bootstrap_curve_metrics(
    pair: PairOutcomes,
    scores: np.ndarray | Sequence[float],
    *,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
    grid: str = "full",
) -> dict[str, float]:
    """Percentile bootstrap interval of APGR, CPT(50 %), CPT(80 %) and cost at CPT(50 %).

    Prompts are resampled with replacement (scores and outcomes together; the router is fixed),
    so the interval is the sampling uncertainty of the held-out rows. Keys ``<metric>_lo`` and
    ``<metric>_hi``; NaN where a resample never reaches the level.
    """
    if n_boot < 1:
        raise ConfigError(f"n_boot must be >= 1, got {n_boot}")
    s = np.asarray(scores, dtype=float)
    rng = np.random.default_rng(seed)
    keys = ("apgr", "cpt50", "cpt80", "cost_cpt50")
    draws: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(n_boot):
        idx = rng.integers(0, pair.n, pair.n)
        sub = PairOutcomes(
            pair.strong,
            pair.weak,
            pair.strong_out[idx],
            pair.weak_out[idx],
            None if pair.strong_cost is None else pair.strong_cost[idx],
            None if pair.weak_cost is None else pair.weak_cost[idx],
        )
        curve = grid_curve(sub, s[idx], grid)
        m = curve_metrics(curve)
        for k in ("apgr", "cpt50", "cpt80"):
            draws[k].append(m[k])
        draws["cost_cpt50"].append(
            float(np.interp(m["cpt50"], curve["strong_share"], curve["cost_per_prompt"]))
            if np.isfinite(m["cpt50"])
            else float("nan")
        )
    alpha = (1.0 - level) / 2.0
    out: dict[str, float] = {}
    for k, values in draws.items():
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        lo, hi = np.quantile(v, [alpha, 1 - alpha]) if len(v) else (np.nan, np.nan)
        out[f"{k}_lo"], out[f"{k}_hi"] = float(lo), float(hi)
    return out


def bootstrap_mean(
    values: np.ndarray, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean (accuracy or cost per prompt of a fixed router)."""
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = [float(v[rng.integers(0, len(v), len(v))].mean()) for _ in range(n_boot)]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)
