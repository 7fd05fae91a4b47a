"""A trained outcome router (:class:`routerlab.learning.OutcomeRouter`) as a registered router.

``make_router("outcome", pool, model_dir=FOLDER)`` loads a folder saved by
``routerlab train-router`` and serves it: the scores are the saved predictor's predicted quality
per model, the policy is the saved router's own (maximise predicted quality − λ·cost), not the
threshold policy of the classifier.

Models: a saved model that is a pool model stays; any other is mapped onto the pool through the
inverse of a tier map (``tiers``: pool model -> table model; default
:meth:`routerlab.tiers.TierMap.of`, the study pool -> ZeroEval's OpenAI trio), so a router trained
on ``gpt-4o-mini`` / ``gpt-4o`` / ``o1-mini`` outcomes routes among ``gpt-4.1-nano`` /
``gpt-4.1`` / ``o4-mini``. Such decisions say so in their details.

The knob (``cost_threshold`` in [0, 1], the same name and range as every scoring router's) is
λ as a share of ``lam_max``, the smallest λ at which the cheapest model always wins: 0 = the best
predicted quality, 1 = always the cheapest. Without a knob the folder's own λ (calibrated on
training rows for a budget or a target quality) is used. Costs are one number per model (USD per
1k prompts): the saved cost model's mean billed output tokens x output price plus the training
prompts' mean input tokens x input price when the folder recorded them (``mean_input_tokens`` in
its info), so a decision can be re-made from its score dict alone (the server's knob).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from routerlab.errors import ConfigError, RouterlabError
from routerlab.learning.policy import choose as lam_choose
from routerlab.pool import Pool
from routerlab.routers.base import Decision, ScoringRouter, register_router
from routerlab.tiers import TierMap


def mean_costs(saved: Any) -> np.ndarray:
    """USD per 1k prompts per saved model: mean billed output tokens on the training rows x
    output price, plus ``info["mean_input_tokens"]`` (0 when not recorded) x input price."""
    out = getattr(saved.cost_model, "_mean_out", None)
    if out is None:
        raise ConfigError("the saved outcome router's cost model is not fitted")
    tokens_in = float(saved.info.get("mean_input_tokens", 0.0) or 0.0)
    pin = np.array([p[0] for p in saved.cost_model.prices], dtype=float)
    pout = np.array([p[1] for p in saved.cost_model.prices], dtype=float)
    return (tokens_in * pin + np.asarray(out, dtype=float) * pout) / 1e6 * 1000.0


def lam_for_cheapest(costs: np.ndarray) -> float:
    """The smallest λ at which the cheapest model always wins: predictions differ by at most 1,
    so 1 / the smallest positive cost gap to the cheapest (0 when all cost the same)."""
    gaps = costs - costs.min()
    positive = gaps[gaps > 0]
    return float(1.0 / positive.min()) if len(positive) else 0.0


@register_router("outcome")
class OutcomeScoringRouter(ScoringRouter):
    """A saved outcome router serving pool models; see the module docstring."""

    name = "outcome"
    KNOB_GRID = (0.0, *np.geomspace(1e-3, 1.0, 24).tolist())

    def __init__(
        self,
        pool: Pool,
        *,
        model_dir: str | Path | None = None,
        cost_threshold: float | None = None,
        tiers: Mapping[str, str] | TierMap | None = None,
    ) -> None:
        from routerlab.learning.router import OutcomeRouter

        if model_dir is None:
            raise ConfigError(
                "router 'outcome' needs model_dir: a folder saved by `routerlab train-router`"
            )
        folder = Path(model_dir)
        if not folder.is_dir():
            raise ConfigError(f"router 'outcome': model_dir {folder} is not a folder")
        try:
            self.saved = OutcomeRouter.load(folder)
        except RouterlabError:
            raise
        except Exception as exc:  # a corrupt or foreign joblib/json file
            raise ConfigError(f"router 'outcome': cannot load {folder}: {exc}") from exc
        self.folder = folder
        self.tier_map = tiers if isinstance(tiers, TierMap) else TierMap.of(tiers)
        pool_models, used_map = self._pool_models(pool)
        order = {name: i for i, name in enumerate(pool.names)}
        # self.models in pool order (cheapest first); column j of the saved predictor -> ours
        self._columns = sorted(range(len(pool_models)), key=lambda j: order[pool_models[j]])
        self.used_tier_map = used_map
        self.costs = mean_costs(self.saved)[self._columns]
        self.lam_max = lam_for_cheapest(self.costs)
        default = min(max(self.saved.lam / self.lam_max, 0.0), 1.0) if self.lam_max > 0 else 0.0
        super().__init__(
            pool,
            cost_threshold=default if cost_threshold is None else cost_threshold,
            models=[pool_models[j] for j in self._columns],
        )

    def _pool_models(self, pool: Pool) -> tuple[list[str], bool]:
        """Each saved model as a pool model (itself, or through the inverse tier map)."""
        inverse: dict[str, str] = {}
        for source, target in self.tier_map.tiers:
            if source in pool:
                inverse.setdefault(target, source)
        mapped, unmapped, used = [], [], False
        for m in self.saved.models:
            if m in pool:
                mapped.append(m)
            elif m in inverse:
                mapped.append(inverse[m])
                used = True
            else:
                unmapped.append(m)
        if unmapped:
            raise ConfigError(
                f"router 'outcome' ({self.folder}): saved model(s) {unmapped} are neither pool "
                f"models nor mapped onto one by the tier map ({self.tier_map.describe()}); "
                f"pool: {', '.join(pool.names)}"
            )
        repeated = sorted({p for p in mapped if mapped.count(p) > 1})
        if repeated:
            raise ConfigError(
                f"router 'outcome' ({self.folder}): several saved models map onto {repeated}; "
                f"saved models: {', '.join(self.saved.models)}"
            )
        return mapped, used

    @classmethod
    def unavailable(cls, **options: Any) -> str | None:
        if options.get("model_dir") is None:
            return "needs model_dir (a folder saved by `routerlab train-router`)"
        return None

    # ------------------------------------------------------------------ scores and policy

    @property
    def lam(self) -> float:
        """λ at the router's own knob (quality per USD per 1k prompts)."""
        return self.knob * self.lam_max

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        """Predicted quality per model, columns in ``self.models`` order."""
        return self.saved.predict(list(prompts))[:, self._columns]

    def choose(
        self, scores: np.ndarray | Sequence[Sequence[float]], knob: float | None = None
    ) -> np.ndarray:
        """argmax of score − λ·cost with λ = knob x ``lam_max``; ties go to the cheaper."""
        used = self.knob if knob is None else self.check_knob(knob)
        return lam_choose(self._checked(scores), self.costs, used * self.lam_max)

    def choose_sweep(
        self, scores: np.ndarray | Sequence[Sequence[float]], knobs: Sequence[float] | None = None
    ) -> np.ndarray:
        grid = self.knob_grid() if knobs is None else np.asarray(knobs, dtype=float)
        array = self._checked(scores)
        return np.stack([self.choose(array, float(k)) for k in grid])

    def knob_grid(self) -> np.ndarray:
        """0, a geometric grid up to 1 (the interesting λ are small), and the default knob."""
        return np.unique(np.r_[np.asarray(self.KNOB_GRID, dtype=float), self.knob])

    def strong_scores(self, scores: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The knob below which the router leaves the cheapest model: max over the others of
        (score gain over the cheapest) / (cost gap x ``lam_max``); the router escalates exactly
        when this exceeds its knob."""
        array = self._checked(scores).astype(float)
        cheapest = int(np.argmin(self.costs))
        best = np.full(len(array), -np.inf)
        for j in range(array.shape[1]):
            if j == cheapest:
                continue
            gain = array[:, j] - array[:, cheapest]
            gap = (self.costs[j] - self.costs[cheapest]) * self.lam_max
            share = np.where(gain > 0, 1.0, 0.0) if gap <= 0 else gain / gap
            best = np.maximum(best, share)
        return best

    def choose_for(
        self,
        scores: Mapping[str, float],
        knob: float | None = None,
        allowed: Collection[str] | None = None,
    ) -> str:
        """The policy for one decision's scores, among ``allowed`` models when given."""
        row = self._row(scores)
        keep = [j for j, m in enumerate(self.models) if allowed is None or m in allowed]
        if not keep:
            raise ConfigError(
                f"none of the scored models is allowed; allowed: {', '.join(sorted(allowed or ()))}"
            )
        used = self.knob if knob is None else self.check_knob(knob)
        picked = lam_choose(row[:, keep], self.costs[keep], used * self.lam_max)
        return self.models[keep[int(picked[0])]]

    def _decisions(self, scores: np.ndarray, latency_s: float) -> list[Decision]:
        decisions = super()._decisions(scores, latency_s)
        details: dict[str, Any] = {
            "cost_threshold": self.knob,
            "lam": self.lam,
            "lam_max": self.lam_max,
            "model_dir": str(self.folder),
        }
        calibration = self.saved.info.get("calibration")
        if isinstance(calibration, dict):
            details["calibration"] = {
                k: calibration[k] for k in ("target", "target_value") if k in calibration
            }
        if self.used_tier_map:
            details["tier_map"] = self.tier_map.describe()
        for d in decisions:
            d.details = dict(details)
        return decisions


__all__ = ["OutcomeScoringRouter", "lam_for_cheapest", "mean_costs"]
