"""The router interface, the one policy that turns scores into a model, and a registry.

A router either scores every pool model for a request (``scores``: probabilities that the model
is the right choice) or names a model directly (judge routers). :func:`choose_model` is the only
place where scores become a model, so every score-producing router shares the same knob.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.request import RouteRequest


@dataclass
class Decision:
    """A routing decision for one request."""

    model: str
    router: str
    confidence: float | None = None
    scores: dict[str, float] | None = None  # per-model probability, when the router has them
    latency_s: float = 0.0  # time the router took to decide
    cost_usd: float = 0.0  # what the decision itself cost (judge tokens); 0 for local routers
    fallback: bool = False  # True when the router failed and the fallback model was used
    fallback_reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # e.g. the judge's analysis

    def strong_score(self, pool: Pool) -> float | None:
        """P(any model other than the cheapest), the score two-model evaluations threshold."""
        if self.scores is None:
            return None
        cheapest = pool.cheapest.name
        return float(sum(p for m, p in self.scores.items() if m != cheapest))


def choose_model(
    scores: dict[str, float],
    pool: Pool,
    cost_threshold: float = 0.0,
    allowed: Collection[str] | None = None,
) -> str:
    """Turn per-model scores into a model.

    ``cost_threshold`` (0 to 1) is the one knob trading quality for cost. At 0 the classifier is
    followed (argmax). Otherwise the argmax is kept only when the probability mass on models other
    than the cheapest is at least ``cost_threshold``; below it the cheapest model is used. At 1 the
    cheapest model is always used. Ties in the argmax go to the cheaper (earlier in pool) model.

    ``allowed`` restricts the choice (e.g. to the models whose context window holds the prompt):
    the policy runs on the allowed models' scores, and "cheapest" is the cheapest allowed model.
    """
    if not 0.0 <= cost_threshold <= 1.0:
        raise ConfigError(f"cost_threshold must be in [0, 1], got {cost_threshold}")
    unknown = [m for m in scores if m not in pool]
    if unknown:
        pool.get(unknown[0])  # raises UnknownModelError listing the pool
    if allowed is not None:
        scores = {m: p for m, p in scores.items() if m in allowed}
        if not scores:
            raise ConfigError(
                f"none of the scored models is allowed; allowed: {', '.join(sorted(allowed))}"
            )
    if not scores:
        raise ConfigError("no scores to choose from")
    candidates = pool.models if allowed is None else [m for m in pool.models if m.name in allowed]
    cheapest = min(candidates, key=lambda m: (m.input + m.output, m.order)).name
    if cost_threshold >= 1.0:
        return cheapest
    order = {name: i for i, name in enumerate(pool.names)}
    best = max(scores, key=lambda m: (scores[m], -order[m]))
    if best == cheapest or cost_threshold <= 0.0:
        return best
    escalate = sum(p for m, p in scores.items() if m != cheapest)
    return best if escalate >= cost_threshold else cheapest


def model_within(
    model: str,
    pool: Pool,
    allowed: Collection[str],
    scores: dict[str, float] | None = None,
    cost_threshold: float = 0.0,
) -> str:
    """``model`` if it is allowed, else the policy's choice among the ``allowed`` models.

    With per-model scores the shared policy (:func:`choose_model`) runs on the allowed models;
    without them (judge routers name one model) the strongest allowed model is used: pool order
    is cheapest first, so the last allowed one. Used to keep a router away from models whose
    context window cannot hold the prompt.
    """
    if model in allowed:
        return model
    if not allowed:
        raise ConfigError("no model is allowed")
    if scores and any(m in allowed for m in scores):
        return choose_model(scores, pool, cost_threshold, allowed)
    return [name for name in pool.names if name in allowed][-1]


class Router(ABC):
    """Base class: implement :meth:`_decide`; timing and batching come for free."""

    name: str = "router"

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    @abstractmethod
    def _decide(self, request: RouteRequest) -> Decision:
        """Return a decision for one request (latency is filled in by :meth:`route`)."""

    def _from_scores(
        self, scores: dict[str, float], cost_threshold: float = 0.0, **fields: Any
    ) -> Decision:
        """A decision from per-model scores through the shared policy (:func:`choose_model`)."""
        model = choose_model(scores, self.pool, cost_threshold)
        return Decision(
            model=model, router=self.name, confidence=scores[model], scores=scores, **fields
        )

    def route(self, request: RouteRequest | str) -> Decision:
        req = request if isinstance(request, RouteRequest) else RouteRequest(prompt=request)
        start = time.perf_counter()
        decision = self._decide(req)
        if not decision.latency_s:
            decision.latency_s = time.perf_counter() - start
        return decision

    async def aroute(self, request: RouteRequest | str) -> Decision:
        """Async form; routers that call an API override this to avoid a thread."""
        return await asyncio.to_thread(self.route, request)

    def route_batch(self, requests: Sequence[RouteRequest | str]) -> list[Decision]:
        """Decide for many requests; routers with batched inference override this."""
        return [self.route(r) for r in requests]


RouterFactory = Callable[..., Router]
_REGISTRY: dict[str, RouterFactory] = {}


def register_router(name: str) -> Callable[[RouterFactory], RouterFactory]:
    """Decorator: make a router constructible by name via :func:`make_router`."""

    def wrap(factory: RouterFactory) -> RouterFactory:
        _REGISTRY[name] = factory
        return factory

    return wrap


def router_names() -> list[str]:
    _load_builtin_routers()
    return sorted(_REGISTRY)


def make_router(name: str, pool: Pool, **kwargs: Any) -> Router:
    """Build a registered router from its short name and keyword arguments."""
    _load_builtin_routers()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        available = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown router {name!r}; available: {available}") from None
    return factory(pool=pool, **kwargs)


def _load_builtin_routers() -> None:
    """Import router modules so their @register_router decorators run (missing ones skipped)."""
    import importlib
    import pkgutil

    import routerlab.routers as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base":
            importlib.import_module(f"routerlab.routers.{info.name}")
