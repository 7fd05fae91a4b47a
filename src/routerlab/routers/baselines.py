"""Baseline routers that need no model: always one model, random, and prompt length.

They make useful reference points in the CLI, the server, the harness and evaluations (each exists
once: ``routerlab eval`` scores these same classes); the random and length routers are
:class:`~routerlab.routers.base.ScoringRouter` s and choose through the shared policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.features import prompt_tokens
from routerlab.pool import Pool
from routerlab.prompts import tier_models
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, ScoringRouter, register_router


@register_router("fixed")
class FixedRouter(Router):
    """Always ``model`` (default: the strongest general model, the study's comparison)."""

    name = "fixed"

    def __init__(self, pool: Pool, model: str | None = None) -> None:
        super().__init__(pool)
        self.model = pool.get(model).name if model else tier_models(pool)["general"]

    def _decide(self, request: RouteRequest) -> Decision:
        return Decision(model=self.model, router=self.name, confidence=1.0)


@register_router("random")
class RandomRouter(ScoringRouter):
    """Random scores per prompt from a seeded generator; the shared policy picks the model.

    Per prompt ``u`` ~ U(0, 1) is the score mass on the models other than the cheapest (so its
    strong score is uniform, and ``seed`` gives the same ``u`` as ``np.random.default_rng(seed)
    .random(n)``); ``u`` is split among those models by a second draw. Evaluations average it over
    seeds (``averaged_over_seeds``).
    """

    name = "random"
    averaged_over_seeds = True

    def __init__(
        self,
        pool: Pool,
        seed: int = 0,
        cost_threshold: float = 0.0,
        models: Sequence[str] | None = None,
    ) -> None:
        super().__init__(pool, cost_threshold=cost_threshold, models=models)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        n, m = len(prompts), len(self.models)
        cheapest, _ = self._layout()
        u = self.rng.random(n)  # drawn first: the strong scores of the seed
        scores = np.zeros((n, m))
        scores[:, cheapest] = 1.0 - u
        others = [j for j in range(m) if j != cheapest]
        if others:
            split = self.rng.random((n, len(others)))
            scores[:, others] = u[:, None] * split / split.sum(axis=1, keepdims=True)
        return scores

    def strong_scores(self, scores: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """``u``: one minus the cheapest model's score (exactly, whatever the split)."""
        array = self._checked(scores)
        cheapest, _ = self._layout()
        return 1.0 - array[:, cheapest]


LENGTH_UNITS = ("chars", "words", "tokens")


def prompt_lengths(prompts: Sequence[str], unit: str = "tokens") -> np.ndarray:
    """Prompt lengths in characters, whitespace words or o200k tokens."""
    if unit == "chars":
        return np.array([len(p) for p in prompts], dtype=float)
    if unit == "words":
        return np.array([len(p.split()) for p in prompts], dtype=float)
    if unit == "tokens":
        return np.array([prompt_tokens(p) for p in prompts], dtype=float)
    raise ConfigError(f"unknown length unit {unit!r}; allowed: {', '.join(LENGTH_UNITS)}")


@register_router("length")
class LengthRouter(ScoringRouter):
    """Longer prompts go to a stronger model: P(strong) = length / (length + ``threshold``).

    ``unit`` is what length counts: ``tokens`` (o200k, the default for routing), ``chars`` or
    ``words``. With the default policy (argmax) prompts above ``threshold`` go to ``strong``.
    """

    name = "length"

    def __init__(
        self,
        pool: Pool,
        threshold: int = 200,
        strong: str | None = None,
        cost_threshold: float = 0.0,
        unit: str = "tokens",
    ) -> None:
        super().__init__(pool, cost_threshold=cost_threshold)
        if threshold <= 0:
            raise ConfigError(f"threshold must be a positive length, got {threshold}")
        if unit not in LENGTH_UNITS:
            raise ConfigError(f"unknown length unit {unit!r}; allowed: {', '.join(LENGTH_UNITS)}")
        self.threshold = threshold
        self.unit = unit
        self.strong = pool.get(strong).name if strong else tier_models(pool)["general"]

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        lengths = prompt_lengths(prompts, self.unit)
        p_strong = lengths / (lengths + self.threshold)
        cheapest, _ = self._layout()
        scores = np.zeros((len(prompts), len(self.models)))
        scores[:, cheapest] += 1.0 - p_strong
        scores[:, self.models.index(self.strong)] += p_strong
        return scores
