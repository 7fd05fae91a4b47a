"""Cost–quality frontiers for N-model tables: single models, the fixed-mix hull, the oracle, router
curves, their metrics and bootstrap intervals. Pure numpy on arrays, no table types.

Inputs: ``outcomes`` (n, m) floats (1/0 correct, or a score), ``costs`` (n, m) USD per prompt, and a
router's choices as model indices: ``(n,)`` for one operating point or ``(k, n)`` for a sweep of
its knob (one row per knob value). Outputs are in **quality** (mean outcome over the rows) and
**cost_usd_per_1k** (mean per-prompt cost x 1000).

Definitions used throughout:

* **single points** — each model alone: ``(cost_j, quality_j)``.
* **budget frontier** (:class:`Frontier`) — "the best quality with expected cost <= c". Sending each
  prompt at random to one of two operating points (a coin weighted ``p``) gives, in expectation,
  any point on the segment between them, and spending less than the budget is always allowed. So
  the frontier of a set of points is their **upper convex hull from the cheapest point (the best
  among equally cheap ones) to the best point (the cheapest among equally good ones)**: concave,
  non-decreasing, undefined (NaN) below its cheapest point and flat beyond its best one.
* **fixed-mix hull** — the frontier of the single points: what mixing fixed models at random buys.
  A dominated model (more expensive and worse than another) is never on it.
* **oracle** — per row, the model with the best outcome; among those, the one cheapest on that
  row; exact cost ties go to the model with the lower mean cost (then the lower index).
* **router curve** — the points of a knob sweep; the router's frontier (its **envelope**) is the
  frontier of its own points, so a router is judged on the same footing as the fixed-mix hull
  (points a knob reaches only by mixing two knob values count, points below the envelope do not).
  Taking the upper envelope of noisy points is slightly optimistic: the random router, which
  equals the hull in expectation, scores a little above 0 on finite rows.

Metrics of a curve (:func:`curve_metrics`), all on its envelope ``E`` and the hull ``H``; ``c_lo``
and ``c_hi`` are the cheapest and the most expensive single model's cost:

* ``quality_at_cheapest_cost = E(c_lo)``. NaN when the router has no operating point at or below
  ``c_lo`` (its cheapest knob value costs more than the cheapest model): it cannot run on that
  budget. (With a budget above its last point, E is flat: it stays at its best point.)
* ``cost_to_best_share`` — the best single model ``b`` has the highest quality (ties: the cheaper);
  the smallest cost at which E reaches ``quality_b`` (interpolated on E), divided by ``cost_b``.
  NaN = not reached (E never gets to ``quality_b``). Values below 1 = cheaper than the best model.
* ``area_vs_hull`` — ``100 x (1 / (c_hi - c_lo)) x integral over [c_lo, c_hi] of (E(c) - H(c)) dc``,
  in accuracy points: the router's mean advantage over mixing fixed models across the single
  models' cost range (positive = better). E is flat beyond its last point (as every frontier).
  Where E is undefined — budgets below the router's cheapest point — the budget still buys the
  cheapest model alone, so E counts as that model's quality there; since H is at least that
  value, a router that cannot run cheaply loses area there and never gains any. Exact (both
  functions are piecewise linear). NaN when all single models cost the same (no range).

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

PER_1K = 1000.0
# Streams of their own, derived from the caller's seed: a caller who drew its data or its router
# from ``default_rng(seed)`` with the same seed must not get the same numbers back (the random
# router's coin flips would then equal, say, a synthetic difficulty and look clairvoyant).
_RANDOM_ROUTER_STREAM = 1
_BOOTSTRAP_STREAM = 2


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream,)))


CURVE_METRICS = ("quality_at_cheapest_cost", "cost_to_best_share", "area_vs_hull")
_TOL = 1e-12
_REL_TOL = 1e-9


# ----------------------------------------------------------------------------- validation


def check_inputs(outcomes: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and costs as (n, m) float arrays of the same shape, finite, costs >= 0."""
    q = np.asarray(outcomes, dtype=float)
    c = np.asarray(costs, dtype=float)
    if q.ndim != 2 or q.shape[0] == 0 or q.shape[1] == 0:
        raise ConfigError(f"outcomes must be a non-empty (n_rows, n_models) array, got {q.shape}")
    if c.shape != q.shape:
        raise ConfigError(f"costs must have the outcomes' shape {q.shape}, got {c.shape}")
    if not np.isfinite(q).all():
        raise ConfigError(f"{int((~np.isfinite(q)).sum())} outcomes are NaN or infinite")
    if not np.isfinite(c).all() or (c < 0).any():
        raise ConfigError("costs must be finite and >= 0 (USD per prompt)")
    return q, c


def check_choices(choices: np.ndarray, n: int, m: int) -> np.ndarray:
    """Choices as a (k, n) int array of model indices in [0, m) (a (n,) point becomes k = 1)."""
    raw = np.asarray(choices)
    if raw.ndim == 1:
        raw = raw[None, :]
    if raw.ndim != 2 or raw.shape[1] != n or raw.shape[0] == 0:
        raise ConfigError(
            f"choices must be model indices of shape (n_rows={n},) or (n_knobs, {n}), "
            f"got {np.shape(choices)}"
        )
    if raw.dtype.kind not in "iu":
        if raw.dtype.kind == "f" and np.array_equal(raw, np.round(raw)):
            raw = raw.astype(int)
        else:
            raise ConfigError(f"choices must be integer model indices, got dtype {raw.dtype}")
    if raw.min() < 0 or raw.max() >= m:
        raise ConfigError(
            f"choices must be model indices in [0, {m}), got {raw.min()}..{raw.max()}"
        )
    return raw.astype(np.intp)


# ----------------------------------------------------------------------------- frontiers


@dataclass(frozen=True)
class Frontier:
    """A budget frontier: vertices sorted by cost, quality non-decreasing and concave."""

    cost: np.ndarray
    quality: np.ndarray

    def at(self, budget: np.ndarray | float) -> np.ndarray:
        """Quality at expected cost <= ``budget``: NaN below the first vertex, flat after the last.

        A budget a rounding error below the first vertex counts as at it: the same mean cost
        summed in another order (a router's all-cheapest knob vs the cheapest model alone, or
        two matrix products in the bootstrap) may differ in the last bits."""
        b = np.asarray(budget, dtype=float)
        first = float(self.cost[0])
        slack = _REL_TOL * max(1.0, abs(first))
        b = np.where((b < first) & (b >= first - slack), first, b)
        return np.interp(b, self.cost, self.quality, left=np.nan, right=self.quality[-1])

    def cost_to_reach(self, quality: float) -> float:
        """Smallest cost whose frontier quality is >= ``quality``; NaN when never reached."""
        q, c = self.quality, self.cost
        hit = np.flatnonzero(q >= quality - _TOL)
        if len(hit) == 0:
            return float("nan")
        i = int(hit[0])
        if i == 0 or q[i] == q[i - 1]:
            return float(c[i])
        return float(c[i - 1] + (quality - q[i - 1]) * (c[i] - c[i - 1]) / (q[i] - q[i - 1]))


def upper_envelope(cost: np.ndarray, quality: np.ndarray) -> Frontier:
    """The budget frontier of points ``(cost, quality)`` (see the module docstring)."""
    c = np.asarray(cost, dtype=float).ravel()
    q = np.asarray(quality, dtype=float).ravel()
    if c.shape != q.shape or len(c) == 0:
        raise ConfigError(f"need matching non-empty cost and quality, got {c.shape}, {q.shape}")
    # Sort by cost, best quality first among equal costs; keep the first of each cost.
    order = np.lexsort((-q, c))
    c, q = c[order], q[order]
    keep = np.r_[True, c[1:] != c[:-1]]
    c, q = c[keep], q[keep]
    # Only points cheaper than the first best one can be on a non-decreasing frontier.
    best = int(np.argmax(q))
    c, q = c[: best + 1], q[: best + 1]
    hull_c: list[float] = []
    hull_q: list[float] = []
    for x, y in zip(c.tolist(), q.tolist(), strict=True):
        # Pop the last vertex while it lies on or below the segment from its predecessor to here.
        while len(hull_c) >= 2:
            x1, y1, x2, y2 = hull_c[-2], hull_q[-2], hull_c[-1], hull_q[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) >= -_TOL * max(1.0, abs(x - x1)):
                hull_c.pop()
                hull_q.pop()
            else:
                break
        hull_c.append(x)
        hull_q.append(y)
    return Frontier(np.asarray(hull_c), np.asarray(hull_q))


def single_points(outcomes: np.ndarray, costs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quality and cost_usd_per_1k of each model alone, each of shape (m,)."""
    q, c = check_inputs(outcomes, costs)
    return q.mean(axis=0), c.mean(axis=0) * PER_1K


def fixed_mix_hull(outcomes: np.ndarray, costs: np.ndarray) -> Frontier:
    """The frontier of the single models (what mixing fixed models at random buys)."""
    quality, cost = single_points(outcomes, costs)
    return upper_envelope(cost, quality)


def hull_models(outcomes: np.ndarray, costs: np.ndarray) -> list[int]:
    """Model indices on the fixed-mix hull, cheapest first (ties: the lower index)."""
    quality, cost = single_points(outcomes, costs)
    hull = upper_envelope(cost, quality)
    out = []
    for hc, hq in zip(hull.cost, hull.quality, strict=True):
        out.append(int(np.flatnonzero((cost == hc) & (quality == hq))[0]))
    return out


def oracle_choices(outcomes: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Per row, the cheapest model on that row among those with the best outcome (ties: the model
    with the lower mean cost, then the lower index)."""
    q, c = check_inputs(outcomes, costs)
    by_mean = np.argsort(c.mean(axis=0), kind="stable")  # columns cheapest first
    qs, cs = q[:, by_mean], c[:, by_mean]
    best = qs >= qs.max(axis=1, keepdims=True)
    # argmin returns the first minimum: the lower mean cost among exact per-row cost ties.
    pick = np.argmin(np.where(best, cs, np.inf), axis=1)
    return by_mean[pick]


def picked(
    outcomes: np.ndarray, costs: np.ndarray, choices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per knob and row, the outcome and cost of the chosen model: two (k, n) arrays."""
    q, c = check_inputs(outcomes, costs)
    ch = check_choices(choices, q.shape[0], q.shape[1])
    rows = np.arange(q.shape[0])[None, :]
    return q[rows, ch], c[rows, ch]


def choice_points(
    outcomes: np.ndarray, costs: np.ndarray, choices: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Quality and cost_usd_per_1k of each knob value's choices: two (k,) arrays."""
    o, c = picked(outcomes, costs, choices)
    return o.mean(axis=1), c.mean(axis=1) * PER_1K


# ----------------------------------------------------------------------------- metrics


def quality_at_cheapest_cost(envelope: Frontier, single_cost: np.ndarray) -> float:
    """``E(c_lo)``; NaN when the router's cheapest point costs more than the cheapest model."""
    return float(envelope.at(float(np.min(single_cost))))


def best_single(single_quality: np.ndarray, single_cost: np.ndarray) -> int:
    """Index of the best single model: highest quality, ties to the cheaper (then lower index)."""
    q = np.asarray(single_quality, dtype=float)
    top = np.flatnonzero(q >= q.max() - _TOL)
    return int(top[np.argmin(np.asarray(single_cost)[top])])


def cost_to_best_share(
    envelope: Frontier, single_quality: np.ndarray, single_cost: np.ndarray
) -> float:
    """Cost at which E first reaches the best single model's quality / that model's cost; NaN
    when not reached (or when the best model costs nothing)."""
    b = best_single(single_quality, single_cost)
    cost_b = float(single_cost[b])
    reach = envelope.cost_to_reach(float(single_quality[b]))
    if not np.isfinite(reach) or cost_b <= 0:
        return float("nan")
    return reach / cost_b


def area_vs_hull(envelope: Frontier, hull: Frontier, single_cost: np.ndarray) -> float:
    """Mean of ``E - H`` over the single models' cost range, in accuracy points (x 100); E counts
    as the cheapest model's quality below its first point (module docstring). NaN: no range."""
    lo, hi = float(np.min(single_cost)), float(np.max(single_cost))
    if hi - lo <= 0:
        return float("nan")
    q_floor = float(hull.quality[0])  # the cheapest model's quality (best among equally cheap)
    knots = np.concatenate(([lo, hi], envelope.cost, hull.cost))
    knots = np.unique(knots[(knots >= lo) & (knots <= hi)])
    # Between consecutive knots both functions are linear (E's only jump, at its first point, is
    # a knot), so the midpoint rule is exact.
    mid = (knots[1:] + knots[:-1]) / 2.0
    e = envelope.at(mid)
    e = np.where(np.isnan(e), q_floor, e)
    gap = e - hull.at(mid)
    return float(100.0 * np.sum(gap * np.diff(knots)) / (hi - lo))


def curve_metrics(
    curve_quality: np.ndarray,
    curve_cost: np.ndarray,
    single_quality: np.ndarray,
    single_cost: np.ndarray,
) -> dict[str, float]:
    """The three curve metrics (module docstring) from a curve's points and the single points
    (costs in the same unit, e.g. USD per 1k prompts)."""
    envelope = upper_envelope(curve_cost, curve_quality)
    hull = upper_envelope(single_cost, single_quality)
    return {
        "quality_at_cheapest_cost": quality_at_cheapest_cost(envelope, single_cost),
        "cost_to_best_share": cost_to_best_share(envelope, single_quality, single_cost),
        "area_vs_hull": area_vs_hull(envelope, hull, single_cost),
    }


# ----------------------------------------------------------------------------- the random router


def random_choices(
    outcomes: np.ndarray,
    costs: np.ndarray,
    knobs: np.ndarray,
    *,
    seed: int = 0,
) -> np.ndarray:
    """A random router for N models, swept: (k, n) choices, one row per knob value in [0, 1].

    The models on the fixed-mix hull form a chain from the cheapest to the best model. Knob ``u``
    targets the expected cost ``c_lo + u (c_best - c_lo)``; it falls on the chain's segment
    between two hull models ``a`` and ``b``, and each row goes to ``b`` with the probability
    ``p`` that puts the expected cost on target (else to ``a``). One uniform draw per row is shared
    by every knob value, so the sweep is monotone per row. In expectation it traces the hull
    exactly: it is the N-model analogue of the two-model diagonal (area about 0). Which models are
    on the chain is read from ``outcomes``/``costs`` themselves (only the order, not the rows).
    """
    q, c = check_inputs(outcomes, costs)
    u = np.asarray(knobs, dtype=float).ravel()
    if len(u) == 0 or (u < 0).any() or (u > 1).any():
        raise ConfigError(f"random router knobs must be in [0, 1], got {u.tolist()}")
    chain = hull_models(q, c)
    means = c.mean(axis=0)[chain]
    draw = _rng(seed, _RANDOM_ROUTER_STREAM).random(q.shape[0])
    out = np.empty((len(u), q.shape[0]), dtype=np.intp)
    if len(chain) == 1:
        out[:] = chain[0]
        return out
    for i, knob in enumerate(u):
        target = means[0] + knob * (means[-1] - means[0])
        seg = min(int(np.searchsorted(means, target, side="right")) - 1, len(chain) - 2)
        seg = max(seg, 0)
        p = (target - means[seg]) / (means[seg + 1] - means[seg])
        out[i] = np.where(draw < p, chain[seg + 1], chain[seg])
    return out


# ----------------------------------------------------------------------------- bootstrap


def resample_weights(
    n: int, n_boot: int, *, seed: int = 0, chunk: int = 100
) -> Iterator[np.ndarray]:
    """Bootstrap resamples of ``n`` rows as (b, n) count weights (rows drawn with replacement;
    the counts of a resample sum to ``n``), in chunks of at most ``chunk`` resamples."""
    if n < 1 or n_boot < 1:
        raise ConfigError(f"need n >= 1 rows and n_boot >= 1, got n={n}, n_boot={n_boot}")
    rng = _rng(seed, _BOOTSTRAP_STREAM)
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
