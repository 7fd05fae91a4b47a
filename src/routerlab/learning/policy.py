"""The cost-aware policy: per prompt, the model maximising predicted quality - lam * cost.

Costs are in USD per 1k prompts: either one number per model, shape (m,), or a per-prompt
prediction, shape (n, m) (e.g. from :class:`routerlab.learning.costs.CostModel`, which knows each
prompt's input tokens). ``lam`` (quality per USD per 1k prompts) is the knob: 0 picks the model
with the best predicted quality, a large ``lam`` the cheapest. Ties go to the cheaper model.

:func:`calibrate` picks ``lam`` on training rows (pass out-of-fold predictions, so the rows were
not seen by the predictor that scored them) for a target budget or a target quality;
:func:`operating_point` reports what a ``lam`` achieves on any rows with recorded outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from routerlab.errors import ConfigError


def _costs_for(pred: np.ndarray, costs: np.ndarray) -> np.ndarray:
    c = np.asarray(costs, dtype=float)
    if c.ndim == 1:
        if c.shape != (pred.shape[1],):
            raise ConfigError(
                f"costs must have one entry per model ({pred.shape[1]}), got {c.shape}"
            )
        c = np.broadcast_to(c, pred.shape)
    elif c.shape != pred.shape:
        raise ConfigError(f"costs must have shape (m,) or {pred.shape}, got {c.shape}")
    if not np.isfinite(c).all() or (c < 0).any():
        raise ConfigError("costs must be finite and >= 0 (USD per 1k prompts)")
    return c


def choose(pred: np.ndarray, costs: np.ndarray, lam: float) -> np.ndarray:
    """Index of the chosen model per prompt: argmax_j pred[:, j] - lam * cost[:, j].

    Among models within 1e-12 of the best value the cheapest wins (then the lowest index).
    """
    pred = np.asarray(pred, dtype=float)
    if pred.ndim != 2 or pred.shape[1] < 1:
        raise ConfigError(f"predictions must have shape (n, m), got {pred.shape}")
    if not np.isfinite(lam) or lam < 0:
        raise ConfigError(f"lam must be a finite number >= 0, got {lam}")
    c = _costs_for(pred, costs)
    value = pred - lam * c
    best = value.max(axis=1, keepdims=True)
    tied = value >= best - 1e-12
    return np.asarray(np.where(tied, c, np.inf).argmin(axis=1), dtype=int)


def lam_grid(pred: np.ndarray, costs: np.ndarray, points: int = 60) -> np.ndarray:
    """Knob values that cover the whole curve: 0, the quantiles of the per-prompt break-even
    ratios (pred_j - pred_l) / (cost_j - cost_l) > 0, and one beyond the largest (all cheapest)."""
    pred = np.asarray(pred, dtype=float)
    c = _costs_for(pred, costs)
    ratios = []
    m = pred.shape[1]
    for j in range(m):
        for l_ in range(m):
            dc = c[:, j] - c[:, l_]
            dp = pred[:, j] - pred[:, l_]
            ok = (dc > 0) & (dp > 0)
            ratios.append(dp[ok] / dc[ok])
    r = np.concatenate(ratios) if ratios else np.zeros(0)
    if len(r) == 0:
        return np.array([0.0])
    inner = np.quantile(r, np.linspace(0.0, 1.0, max(points - 2, 1)))
    return np.unique(np.r_[0.0, inner, r.max() * 1.01 + 1e-12])


def sweep(pred: np.ndarray, costs: np.ndarray, lams: np.ndarray) -> np.ndarray:
    """Choices for every ``lam``: shape (len(lams), n)."""
    return np.stack([choose(pred, costs, float(lam)) for lam in np.asarray(lams, dtype=float)])


@dataclass(frozen=True)
class OperatingPoint:
    """What one ``lam`` gives on some rows: quality (mean outcome, 0..1), cost in USD per 1k
    prompts, and the share of prompts sent to each model."""

    lam: float
    quality: float
    cost_usd_per_1k: float
    shares: tuple[float, ...]


def operating_point(
    lam: float,
    pred: np.ndarray,
    policy_costs: np.ndarray,
    outcomes: np.ndarray,
    realised_costs: np.ndarray,
) -> OperatingPoint:
    """Route with ``lam`` on ``pred`` / ``policy_costs``; score with the recorded ``outcomes`` (n, m)
    and the recorded per-prompt ``realised_costs`` (n, m, USD per 1k prompts)."""
    choice = choose(pred, policy_costs, lam)
    rows = np.arange(len(choice))
    y = np.asarray(outcomes, dtype=float)[rows, choice]
    cost = np.asarray(realised_costs, dtype=float)[rows, choice]
    shares = np.bincount(choice, minlength=np.asarray(pred).shape[1]) / max(len(choice), 1)
    return OperatingPoint(float(lam), float(y.mean()), float(cost.mean()), tuple(shares.tolist()))


@dataclass(frozen=True)
class Calibration:
    """The ``lam`` chosen on training rows and what it gave there (``expected``)."""

    lam: float
    target: str  # "budget" or "quality"
    target_value: float
    expected: OperatingPoint
    met: bool  # False: no lam on the grid meets the target; the closest one is returned


def calibrate(
    pred_train: np.ndarray,
    costs: np.ndarray,
    *,
    target_budget: float | None = None,
    target_quality: float | None = None,
    outcomes: np.ndarray | None = None,
    realised_costs: np.ndarray | None = None,
    points: int = 200,
) -> Calibration:
    """Choose ``lam`` on training rows for a target budget (USD per 1k prompts: the best quality
    whose cost stays within it) or a target quality (0..1: the cheapest ``lam`` that reaches it).

    ``pred_train`` should be out-of-fold predictions on the training rows
    (:func:`routerlab.learning.cv.cross_val_predict`). Quality and cost on those rows are measured
    with the recorded ``outcomes`` and ``realised_costs`` when given, else estimated from the
    predictions and the policy's own ``costs``.
    """
    if (target_budget is None) == (target_quality is None):
        raise ConfigError(
            "give exactly one of target_budget (USD per 1k prompts) or target_quality"
        )
    pred = np.asarray(pred_train, dtype=float)
    policy_costs = _costs_for(pred, costs)
    truth = pred if outcomes is None else np.asarray(outcomes, dtype=float)
    paid = policy_costs if realised_costs is None else np.asarray(realised_costs, dtype=float)
    if truth.shape != pred.shape or paid.shape != pred.shape:
        raise ConfigError(f"outcomes and realised_costs must have shape {pred.shape}")
    points_ = [
        operating_point(lam, pred, policy_costs, truth, paid)
        for lam in lam_grid(pred, policy_costs, points)
    ]
    if target_budget is not None:
        if target_budget < 0:
            raise ConfigError(f"target_budget must be >= 0 USD per 1k prompts, got {target_budget}")
        ok = [p for p in points_ if p.cost_usd_per_1k <= target_budget]
        if ok:
            best = max(ok, key=lambda p: (p.quality, -p.cost_usd_per_1k))
            return Calibration(best.lam, "budget", float(target_budget), best, True)
        cheapest = min(points_, key=lambda p: p.cost_usd_per_1k)
        return Calibration(cheapest.lam, "budget", float(target_budget), cheapest, False)
    assert target_quality is not None
    if not 0 <= target_quality <= 1:
        raise ConfigError(f"target_quality must be in [0, 1], got {target_quality}")
    ok = [p for p in points_ if p.quality >= target_quality]
    if ok:
        best = min(ok, key=lambda p: (p.cost_usd_per_1k, -p.quality))
        return Calibration(best.lam, "quality", float(target_quality), best, True)
    top = max(points_, key=lambda p: (p.quality, -p.cost_usd_per_1k))
    return Calibration(top.lam, "quality", float(target_quality), top, False)
