"""Bootstrap intervals for the cost–quality frontiers of :mod:`routerlab.evaluation.frontier`.

Intervals (:func:`bootstrap_frontier`): percentile bootstrap over rows. Each resample draws ``n``
rows with replacement, and everything — single points, hull, oracle, every curve point, envelope
and metric — is recomputed on it; the router's choices per row stay fixed (the router is not
retrained). Resamples are multinomial count weights, so a resample costs one matrix product rather
than re-indexing the table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from routerlab.errors import ConfigError
from routerlab.evaluation.frontier import (
    BOOTSTRAP_STREAM,
    CURVE_METRICS,
    PER_1K,
    check_inputs,
    curve_metrics,
    oracle_choices,
    picked,
    stream_rng,
)

# ----------------------------------------------------------------------------- bootstrap


def resample_weights(
    n: int, n_boot: int, *, seed: int = 0, chunk: int = 100
) -> Iterator[np.ndarray]:
    """Bootstrap resamples of ``n`` rows as (b, n) count weights (rows drawn with replacement;
    the counts of a resample sum to ``n``), in chunks of at most ``chunk`` resamples."""
    if n < 1 or n_boot < 1:
        raise ConfigError(f"need n >= 1 rows and n_boot >= 1, got n={n}, n_boot={n_boot}")
    rng = stream_rng(seed, BOOTSTRAP_STREAM)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        # n draws of a row index per resample, counted (bincount is several times faster than
        # rng.multinomial for the same distribution).
        draws = rng.integers(0, n, size=(b, n)) + np.arange(b)[:, None] * n
        yield np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        done += b


@dataclass
class BootstrapDraws:
    """Every quantity recomputed on each resample (first axis: resamples)."""

    single_quality: np.ndarray  # (B, m)
    single_cost: np.ndarray  # (B, m), USD per 1k
    oracle_quality: np.ndarray  # (B,)
    oracle_cost: np.ndarray  # (B,)
    curves: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # per curve: "quality" and "cost" (B, k) and each of CURVE_METRICS (B,)


def bootstrap_frontier(
    outcomes: np.ndarray,
    costs: np.ndarray,
    sweeps: Mapping[str, np.ndarray],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    chunk: int = 100,
) -> BootstrapDraws:
    """Recompute single points, oracle, every sweep's points and curve metrics on ``n_boot``
    resamples of the rows. ``sweeps``: name -> (n,) or (k, n) choices (a (n,) point gets
    quality and cost draws only; a sweep with k >= 2 also the three curve metrics)."""
    q, c = check_inputs(outcomes, costs)
    n = q.shape[0]
    oracle = oracle_choices(q, c)
    rows = np.arange(n)
    oq, oc = q[rows, oracle], c[rows, oracle]
    gathered = {name: picked(q, c, ch) for name, ch in sweeps.items()}
    parts: dict[str, list[np.ndarray]] = {"sq": [], "sc": [], "oq": [], "oc": []}
    curve_parts: dict[str, dict[str, list[np.ndarray]]] = {
        name: {key: [] for key in ("quality", "cost", *CURVE_METRICS)} for name in sweeps
    }
    for w in resample_weights(n, n_boot, seed=seed, chunk=chunk):
        total = w.sum(axis=1, keepdims=True)
        sq, sc = (w @ q) / total, (w @ c) / total * PER_1K
        parts["sq"].append(sq)
        parts["sc"].append(sc)
        parts["oq"].append((w @ oq) / total[:, 0])
        parts["oc"].append((w @ oc) / total[:, 0] * PER_1K)
        for name, (po, pc) in gathered.items():
            kq, kc = (w @ po.T) / total, (w @ pc.T) / total * PER_1K
            store = curve_parts[name]
            store["quality"].append(kq)
            store["cost"].append(kc)
            if po.shape[0] < 2:
                continue
            metrics = [curve_metrics(kq[b], kc[b], sq[b], sc[b]) for b in range(len(w))]
            for key in CURVE_METRICS:
                store[key].append(np.array([mm[key] for mm in metrics]))
    draws = BootstrapDraws(
        np.concatenate(parts["sq"]),
        np.concatenate(parts["sc"]),
        np.concatenate(parts["oq"]),
        np.concatenate(parts["oc"]),
    )
    for name, store in curve_parts.items():
        draws.curves[name] = {k: np.concatenate(v) for k, v in store.items() if v}
    return draws


def percentile_interval(
    draws: np.ndarray, level: float = 0.95, *, nan_means: str = "drop"
) -> tuple[float, float]:
    """Percentile interval of bootstrap ``draws``. ``nan_means``: ``"drop"`` ignores NaN draws;
    ``"high"`` ranks them above every value (``cost_to_best_share``: not reached = more than any
    cost) and ``"low"`` below (``quality_at_cheapest_cost``: no point on that budget); an end that
    falls on a NaN draw is NaN (unbounded on that side)."""
    if not 0 < level < 1:
        raise ConfigError(f"level must be in (0, 1), got {level}")
    if nan_means not in ("drop", "high", "low"):
        raise ConfigError(f"nan_means must be drop, high or low, got {nan_means!r}")
    v = np.asarray(draws, dtype=float).ravel()
    if nan_means == "drop":
        v = v[~np.isnan(v)]
    else:
        v = np.where(np.isnan(v), np.inf if nan_means == "high" else -np.inf, v)
    if len(v) == 0:
        return float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    # "lower"/"higher" pick actual draws, so an end at +-inf stays infinite (not interpolated).
    lo = float(np.quantile(v, alpha, method="lower"))
    hi = float(np.quantile(v, 1.0 - alpha, method="higher"))
    return (lo if np.isfinite(lo) else float("nan"), hi if np.isfinite(hi) else float("nan"))


NAN_MEANS = {
    "quality_at_cheapest_cost": "low",
    "cost_to_best_share": "high",
    "area_vs_hull": "drop",
}
