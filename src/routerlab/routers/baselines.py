"""Baseline routers that need no model: always one model, random, and prompt length.

They make useful reference points in the CLI, the server and the harness; the random and length
routers produce scores and choose through the shared :func:`choose_model` policy.
"""

from __future__ import annotations

import random

from routerlab.features import prompt_tokens
from routerlab.pool import Pool
from routerlab.prompts import tier_models
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, register_router


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
class RandomRouter(Router):
    """Random scores per request (seeded), turned into a model by the shared policy."""

    name = "random"

    def __init__(self, pool: Pool, seed: int = 0, cost_threshold: float = 0.0) -> None:
        super().__init__(pool)
        self.rng = random.Random(seed)
        self.cost_threshold = cost_threshold

    def _decide(self, request: RouteRequest) -> Decision:
        raw = {name: self.rng.random() for name in self.pool.names}
        total = sum(raw.values())
        scores = {name: value / total for name, value in raw.items()}
        return self._from_scores(scores, self.cost_threshold)


@register_router("length")
class LengthRouter(Router):
    """Longer prompts go to a stronger model: P(strong) = tokens / (tokens + ``threshold``).

    With the default policy (argmax) prompts above ``threshold`` tokens go to ``strong``.
    """

    name = "length"

    def __init__(
        self,
        pool: Pool,
        threshold: int = 200,
        strong: str | None = None,
        cost_threshold: float = 0.0,
    ) -> None:
        super().__init__(pool)
        if threshold <= 0:
            raise ValueError(f"threshold must be a positive token count, got {threshold}")
        self.threshold = threshold
        self.strong = pool.get(strong).name if strong else tier_models(pool)["general"]
        self.cost_threshold = cost_threshold

    def _decide(self, request: RouteRequest) -> Decision:
        tokens = prompt_tokens(request.prompt)
        p_strong = tokens / (tokens + self.threshold)
        cheap = self.pool.cheapest.name
        scores = {name: 0.0 for name in self.pool.names}
        scores[cheap] += 1.0 - p_strong
        scores[self.strong] += p_strong
        return self._from_scores(scores, self.cost_threshold, details={"tokens": tokens})
