"""The N-model evaluation run: every router on the same held-out rows, single models, the oracle and
a random router, with the frontier metrics of :mod:`.frontier` and their bootstrap intervals.

:func:`evaluate_multi` takes arrays (outcomes and costs of the table's rows, model names) and each
router's choices as model indices on the held-out rows; it knows nothing of tables, pools or router
classes, so the CLI, the notebook and the tests call it the same way. A router is either

* a **point** — an (n,) array of choices (a router that only decides), or
* a **curve** — a :class:`Sweep` (or a ``(knobs, choices)`` / ``(knobs, choices, default)`` tuple):
  ``knobs`` (k,) and ``choices`` (k, n), one row per knob value. Its headline ``quality`` and
  ``cost_usd_per_1k`` are those of its **default knob** (the knob value the router is configured
  with; when not given, the middle of the sweep, ``knobs[k // 2]``).

Always added: ``always:<model>`` for every model (points), ``oracle`` (point: the cheapest model
with the best outcome per row) and ``random`` (curve: :func:`.frontier.random_choices`, knob = the
expected-cost position along the fixed-mix hull chain, default 0.5 = halfway in cost between the
cheapest and the best model).

:meth:`MultiEvaluation.records` gives the JSON records of ``routerlab eval --json`` (issue 11):
``router``, ``kind`` (``point``/``curve``), ``quality``, ``cost_usd_per_1k``, for curves ``knob``,
``quality_at_cheapest_cost``, ``cost_to_best_share`` (null = not reached) and ``area_vs_hull``,
every number with a ``<name>_ci`` pair ``[low, high]`` (null ends are unbounded or undefined), and
``n`` (the held-out rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.evaluation.frontier import (
    CURVE_METRICS,
    NAN_MEANS,
    PER_1K,
    BootstrapDraws,
    Frontier,
    bootstrap_frontier,
    check_choices,
    check_inputs,
    choice_points,
    curve_metrics,
    oracle_choices,
    percentile_interval,
    random_choices,
    single_points,
    upper_envelope,
)

SINGLE_PREFIX = "always:"
RANDOM_KNOBS = np.linspace(0.0, 1.0, 51)
RANDOM_DEFAULT = 0.5


@dataclass(frozen=True)
class Sweep:
    """A router's choices over a knob sweep: ``knobs`` (k,), ``choices`` (k, n) model indices."""

    knobs: np.ndarray
    choices: np.ndarray
    default: float | None = None  # the router's configured knob; None = knobs[k // 2]

    def default_index(self) -> int:
        knobs = np.asarray(self.knobs, dtype=float)
        if self.default is None:
            return len(knobs) // 2
        return int(np.argmin(np.abs(knobs - float(self.default))))


def model_indices(names: Sequence[str], models: Sequence[str]) -> np.ndarray:
    """Model names (a deciding router's picks, or a scoring router's ``models``) as indices into
    ``models`` (the evaluation's order); unknown names are an error naming them."""
    position = {m: i for i, m in enumerate(models)}
    unknown = sorted({str(x) for x in names} - set(position))
    if unknown:
        raise ConfigError(f"models {unknown} are not among the evaluated models {list(models)}")
    return np.array([position[str(x)] for x in names], dtype=np.intp)


def sweep_from_policy(
    choose: Callable[[np.ndarray, float], np.ndarray],
    scores: np.ndarray,
    knobs: Sequence[float] | np.ndarray,
    *,
    router_models: Sequence[str],
    models: Sequence[str],
    default: float | None = None,
) -> Sweep:
    """A :class:`Sweep` from a vectorised policy: ``choose(scores, knob)`` returns indices into
    ``router_models`` (a scoring router's ``choose``); they are mapped to indices into ``models``
    (the evaluation's order), one row per knob value."""
    mapping = model_indices(router_models, models)
    k = np.asarray(knobs, dtype=float).ravel()
    if len(k) == 0:
        raise ConfigError("a sweep needs at least one knob value")
    rows = []
    for knob in k:
        picked = np.asarray(choose(scores, float(knob)))
        if picked.dtype.kind not in "iu" or picked.min() < 0 or picked.max() >= len(mapping):
            raise ConfigError(
                f"choose(scores, {knob}) must return indices into the router's "
                f"{len(mapping)} models, got {picked.dtype} values {picked.min()}..{picked.max()}"
            )
        rows.append(mapping[picked])
    return Sweep(k, np.vstack(rows), default)


RouterSpec = np.ndarray | Sequence[int] | Sweep | tuple[Any, ...]


@dataclass
class MultiResult:
    """One router's result: its points (one row for a point router) and, for curves, metrics."""

    name: str
    kind: str  # "point" or "curve"
    points: pd.DataFrame  # knob (NaN for points), quality, cost_usd_per_1k
    default_index: int
    intervals: dict[str, tuple[float, float]]
    metrics: dict[str, float] = field(default_factory=dict)
    envelope: Frontier | None = None

    @property
    def quality(self) -> float:
        return float(self.points["quality"].iloc[self.default_index])

    @property
    def cost_usd_per_1k(self) -> float:
        return float(self.points["cost_usd_per_1k"].iloc[self.default_index])

    @property
    def knob(self) -> float:
        return float(self.points["knob"].iloc[self.default_index])

    def record(self, n: int) -> dict[str, Any]:
        rec: dict[str, Any] = {"router": self.name, "kind": self.kind}
        keys = ["quality", "cost_usd_per_1k"]
        values = {"quality": self.quality, "cost_usd_per_1k": self.cost_usd_per_1k}
        if self.kind == "curve":
            rec["knob"] = _json_number(self.knob)
            keys += list(CURVE_METRICS)
            values.update(self.metrics)
        for key in keys:
            rec[key] = _json_number(values[key])
            lo, hi = self.intervals.get(key, (math.nan, math.nan))
            rec[f"{key}_ci"] = [_json_number(lo), _json_number(hi)]
        rec["n"] = n
        return rec


def _json_number(value: float) -> float | None:
    """NaN and infinities have no JSON spelling: null (not reached / unbounded / undefined)."""
    v = float(value)
    return v if math.isfinite(v) else None


@dataclass
class MultiEvaluation:
    """Every router's result on the same rows, plus the single points, hull and oracle."""

    models: tuple[str, ...]
    n: int
    single_quality: np.ndarray
    single_cost: np.ndarray
    hull: Frontier
    results: list[MultiResult]
    notes: list[str]
    level: float
    n_boot: int

    def result(self, name: str) -> MultiResult:
        for r in self.results:
            if r.name == name:
                return r
        raise ConfigError(
            f"no router {name!r} in this evaluation; have: {', '.join(r.name for r in self.results)}"
        )

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready record per router (module docstring)."""
        return [r.record(self.n) for r in self.results]

    def to_json(self, table_name: str, notes: Sequence[str] = ()) -> dict[str, Any]:
        """``{"table", "notes", "routers"}``: ``notes`` (e.g. the cost notes) come first, then the
        evaluation's own."""
        return {
            "table": table_name,
            "notes": [*notes, *self.notes],
            "routers": self.records(),
        }

    def frame(self) -> pd.DataFrame:
        """The records as a table (one row per router; interval columns ``<metric>_lo/_hi``)."""
        rows = []
        for rec in self.records():
            row = {}
            for key, value in rec.items():
                if key.endswith("_ci"):
                    row[f"{key[:-3]}_lo"], row[f"{key[:-3]}_hi"] = value
                else:
                    row[key] = value
            rows.append(row)
        return pd.DataFrame(rows)

    def at_budget(self, budget_usd_per_1k: float) -> pd.DataFrame:
        """Per curve router, its best knob value whose cost is within ``budget_usd_per_1k`` (a real
        knob setting, no mixing); routers with no knob value within the budget are left out."""
        if not budget_usd_per_1k >= 0:
            raise ConfigError(f"budget must be >= 0 USD per 1k prompts, got {budget_usd_per_1k}")
        rows = []
        for r in self.results:
            if r.kind != "curve":
                continue
            within = r.points[r.points["cost_usd_per_1k"] <= budget_usd_per_1k]
            if within.empty:
                continue
            best = within.sort_values(["quality", "cost_usd_per_1k"], ascending=[False, True])
            top = best.iloc[0]
            rows.append(
                {
                    "router": r.name,
                    "knob": float(top["knob"]),
                    "quality": float(top["quality"]),
                    "cost_usd_per_1k": float(top["cost_usd_per_1k"]),
                }
            )
        return pd.DataFrame(rows, columns=["router", "knob", "quality", "cost_usd_per_1k"])


def _as_spec(
    name: str, spec: RouterSpec, n: int, m: int
) -> tuple[np.ndarray | None, np.ndarray, float | None]:
    """(knobs or None for a point, (k, n) choices, default knob)."""
    if isinstance(spec, Sweep):
        knobs, choices, default = spec.knobs, spec.choices, spec.default
    elif isinstance(spec, tuple) and len(spec) in (2, 3) and np.ndim(spec[1]) == 2:
        knobs, choices = spec[0], spec[1]
        default = spec[2] if len(spec) == 3 else None
    else:
        try:
            return None, check_choices(np.asarray(spec), n, m)[:1], None
        except ConfigError as err:
            raise ConfigError(f"router {name!r}: {err}") from err
    try:
        ch = check_choices(np.asarray(choices), n, m)
    except ConfigError as err:
        raise ConfigError(f"router {name!r}: {err}") from err
    k = np.asarray(knobs, dtype=float).ravel()
    if k.shape != (ch.shape[0],):
        raise ConfigError(
            f"router {name!r}: {len(k)} knob values for {ch.shape[0]} rows of choices"
        )
    return k, ch, None if default is None else float(default)


def evaluate_multi(
    outcomes: np.ndarray,
    costs: np.ndarray,
    models: Sequence[str],
    routers: Mapping[str, RouterSpec],
    *,
    rows: Sequence[int] | np.ndarray | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    random_knobs: np.ndarray | None = None,
    notes: Sequence[str] = (),
) -> MultiEvaluation:
    """Score ``routers`` on ``rows`` (positional; default all) of ``outcomes``/``costs`` (n, m).

    Each router's choices are model indices into ``models`` for the selected rows, in the order
    of ``rows`` (the router was run on those prompts). ``n_boot`` resamples of those rows give
    every interval (``n_boot=0``: no intervals, all null); ``seed`` fixes the resamples and the
    random router's draws. Names ``always:*``, ``oracle`` and ``random`` are reserved.
    """
    q, c = check_inputs(outcomes, costs)
    models = tuple(str(mm) for mm in models)
    if len(models) != q.shape[1]:
        raise ConfigError(f"{len(models)} model names for {q.shape[1]} outcome columns")
    if len(set(models)) != len(models):
        raise ConfigError(f"model names repeat: {list(models)}")
    if rows is not None:
        idx = np.asarray(rows, dtype=int)
        if idx.ndim != 1 or len(idx) == 0 or idx.min() < 0 or idx.max() >= q.shape[0]:
            raise ConfigError(f"rows must be positions in [0, {q.shape[0]}), got {len(idx)} values")
        q, c = q[idx], c[idx]
    n, m = q.shape
    reserved = [r for r in routers if r in ("oracle", "random") or r.startswith(SINGLE_PREFIX)]
    if reserved:
        raise ConfigError(f"router names {reserved} are reserved for the built-in baselines")

    specs: dict[str, tuple[np.ndarray | None, np.ndarray, float | None]] = {}
    for j, model in enumerate(models):
        specs[f"{SINGLE_PREFIX}{model}"] = (None, np.full((1, n), j, dtype=np.intp), None)
    specs["oracle"] = (None, oracle_choices(q, c)[None, :], None)
    knobs = RANDOM_KNOBS if random_knobs is None else np.asarray(random_knobs, dtype=float)
    specs["random"] = (knobs, random_choices(q, c, knobs, seed=seed), RANDOM_DEFAULT)
    for name, spec in routers.items():
        specs[name] = _as_spec(name, spec, n, m)

    sq, sc = single_points(q, c)
    hull = upper_envelope(sc, sq)
    draws: BootstrapDraws | None = None
    if n_boot > 0:
        curve_specs = {name: ch for name, (_, ch, _) in specs.items()}
        draws = bootstrap_frontier(q, c, curve_specs, n_boot=n_boot, seed=seed)

    results = []
    for name, (k, ch, default) in specs.items():
        kq, kc = choice_points(q, c, ch)
        is_curve = k is not None
        knob_values = k if k is not None else np.full(1, np.nan)
        points = pd.DataFrame({"knob": knob_values, "quality": kq, "cost_usd_per_1k": kc})
        d_idx = Sweep(knob_values, ch, default).default_index() if is_curve else 0
        result = MultiResult(name, "curve" if is_curve else "point", points, d_idx, {})
        if is_curve:
            result.metrics = curve_metrics(kq, kc, sq, sc)
            result.envelope = upper_envelope(kc, kq)
        if draws is not None:
            store = draws.curves[name]
            result.intervals["quality"] = percentile_interval(store["quality"][:, d_idx], level)
            result.intervals["cost_usd_per_1k"] = percentile_interval(
                store["cost"][:, d_idx], level
            )
            if is_curve:
                for key in CURVE_METRICS:
                    result.intervals[key] = percentile_interval(
                        store[key], level, nan_means=NAN_MEANS[key]
                    )
        results.append(result)

    own = [f"n = {n} held-out rows; quality = mean outcome, cost in USD per 1k prompts"]
    if n_boot > 0:
        own.append(
            f"intervals: {round(level * 100)} % percentile bootstrap, {n_boot} resamples of the "
            "rows (hull, oracle and curves recomputed on each)"
        )
    own.append(
        "random: each prompt to one of two adjacent fixed-mix hull models at random, "
        f"knob = expected-cost position along the hull (default {RANDOM_DEFAULT})"
    )
    return MultiEvaluation(
        models=models,
        n=n,
        single_quality=sq,
        single_cost=sc,
        hull=hull,
        results=results,
        notes=[*notes, *own],
        level=level,
        n_boot=n_boot,
    )


__all__ = [
    "PER_1K",
    "MultiEvaluation",
    "MultiResult",
    "RouterSpec",
    "Sweep",
    "evaluate_multi",
    "model_indices",
    "sweep_from_policy",
]
