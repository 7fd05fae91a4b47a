"""The router interface, the one policy that turns scores into a model, and a registry.

A router either scores every model it knows for a request (:class:`ScoringRouter`: probabilities
that each model is the right choice) or names a model directly (:class:`Router`: judge and fixed
routers). :func:`threshold_policy` is the only place where scores become a model: for many prompts
through :meth:`ScoringRouter.choose`, for one score dict through :func:`choose_model`, so every
score-producing router shares the same knob.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.policy import (
    check_cost_threshold,
    choose_model,
    model_within,
    threshold_policy,
)

__all__ = [
    "Decision",
    "Router",
    "RouterFactory",
    "ScoringRouter",
    "check_cost_threshold",
    "choose_model",
    "make_router",
    "model_within",
    "register_router",
    "registry_restored",
    "router_factory",
    "router_names",
    "threshold_policy",
]


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


class ScoringRouter(Router):
    """A router that scores every model it knows for a prompt; one policy picks the model.

    Subclasses implement :meth:`score_batch` (many prompts -> an ``(n, len(self.models))`` array
    of scores, by convention probabilities that each model is the right choice). Everything else
    comes from here: the knob (``cost_threshold``, checked once in ``__init__``), the vectorised
    policy :meth:`choose` (the rule of :func:`choose_model`), single and batched routing, the
    scalar two-model evaluations threshold (:meth:`strong_scores`) and the knob values swept for a
    curve (:meth:`knob_grid`).

    ``self.models`` is the ordered tuple of models the router scores (default: the pool's). When
    they are pool models, "cheapest" and tie order come from the pool; otherwise (a router trained
    on an outcome table's columns) ``models`` is listed cheapest first and ties go to the earlier.

    ``reads`` names the table metadata columns the router reads besides the prompt text (e.g.
    ``("subject",)``); an evaluation passes them to :meth:`score_batch` as ``metadata``; a routing
    request carries none, so such a router can be evaluated but not serve requests.

    A trainable router also overrides :meth:`fit_table` (train on given rows of an outcome table);
    ``routerlab eval`` then trains it on the table's training rows before scoring the others.
    A router whose scores are pure noise sets ``averaged_over_seeds`` (its constructor takes
    ``seed``): an evaluation averages it over several seeds.
    """

    reads: tuple[str, ...] = ()
    averaged_over_seeds: ClassVar[bool] = False
    KNOB_GRID: ClassVar[tuple[float, ...]] = tuple(np.linspace(0.0, 1.0, 21).tolist())

    def __init__(
        self, pool: Pool, *, cost_threshold: float = 0.0, models: Sequence[str] | None = None
    ) -> None:
        super().__init__(pool)
        self.knob = self.check_knob(cost_threshold)
        self.models: tuple[str, ...] = tuple(models) if models is not None else tuple(pool.names)
        if not self.models:
            raise ConfigError(f"router {self.name!r} scores no models")

    # ------------------------------------------------------------------ to implement

    @abstractmethod
    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        """Scores, one row per prompt, columns in ``self.models`` order. ``metadata`` holds the
        columns named in ``reads`` (only passed when the router declares some)."""

    def fit_table(self, table: Any, rows: np.ndarray, **kwargs: Any) -> ScoringRouter:
        """Train on ``rows`` of an outcome table (trainable routers override this).

        An evaluation passes ``strong``, ``weak`` (the table's pair), ``seed`` and
        ``held_out_rows`` (to refuse overlap) as keywords; accept ``**kwargs`` for the rest.
        """
        raise ConfigError(f"router {self.name!r} is not trainable (it has no fit_table)")

    # ------------------------------------------------------------------ the policy

    @classmethod
    def check_knob(cls, value: float) -> float:
        """The knob, checked (override with :meth:`choose` for a policy with another knob)."""
        return check_cost_threshold(value)

    @property
    def cost_threshold(self) -> float:
        return self.knob

    @classmethod
    def trainable(cls) -> bool:
        return cls.fit_table is not ScoringRouter.fit_table

    def knob_grid(self) -> np.ndarray:
        """The knob values swept for a cost-quality curve."""
        return np.asarray(self.KNOB_GRID, dtype=float)

    def _layout(self) -> tuple[int, list[int]]:
        """(column of the cheapest model, tie-break rank per column) for ``self.models``."""
        if all(m in self.pool for m in self.models):
            specs = [self.pool.get(m) for m in self.models]
            cheapest = min(
                range(len(specs)), key=lambda j: (specs[j].input + specs[j].output, specs[j].order)
            )
            order = {name: i for i, name in enumerate(self.pool.names)}
            return cheapest, [order[m] for m in self.models]
        return 0, list(range(len(self.models)))

    def _checked(self, scores: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        array = np.asarray(scores)
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(float)  # float32 stays float32: sums are taken in float64
        if array.ndim != 2 or array.shape[1] != len(self.models):
            raise ConfigError(
                f"router {self.name!r}: scores must be (n_prompts, {len(self.models)}) for models "
                f"{', '.join(self.models)}; got shape {array.shape}"
            )
        return array

    def choose(
        self, scores: np.ndarray | Sequence[Sequence[float]], knob: float | None = None
    ) -> np.ndarray:
        """The chosen column of ``self.models`` per row (:func:`threshold_policy`); ``knob``
        defaults to the router's own (checked once per call, not per prompt)."""
        used = self.knob if knob is None else self.check_knob(knob)
        cheapest, rank = self._layout()
        return threshold_policy(self._checked(scores), cheapest, rank, used)

    def choose_for(
        self,
        scores: Mapping[str, float],
        knob: float | None = None,
        allowed: Collection[str] | None = None,
    ) -> str:
        """The router's own policy for one decision's score dict (the model it names), under
        ``knob`` (default: the router's) and among ``allowed`` models when given.

        What the gateway re-applies when a caller gives a knob or a context window rules a
        model out. Under the threshold policy this is :func:`choose_model` (bit for bit);
        a router with another policy gets its one-row :meth:`choose` (disallowed columns
        scored -inf) or overrides this.
        """
        used = self.knob if knob is None else self.check_knob(knob)
        if type(self).choose is ScoringRouter.choose and all(m in self.pool for m in scores):
            return choose_model(dict(scores), self.pool, used, allowed)
        row = self._row(scores)
        if allowed is not None:
            keep = np.array([m in allowed for m in self.models])
            if not keep.any():
                raise ConfigError(
                    f"none of the scored models is allowed; allowed: {', '.join(sorted(allowed))}"
                )
            row = np.where(keep[None, :], row, -np.inf)
        return self.models[int(self.choose(row, used)[0])]

    def _row(self, scores: Mapping[str, float]) -> np.ndarray:
        """One decision's score dict as a (1, len(self.models)) row."""
        missing = [m for m in self.models if m not in scores]
        if missing:
            raise ConfigError(
                f"router {self.name!r}: scores lack model(s) {missing}; it scores "
                f"{', '.join(self.models)}"
            )
        return np.array([[float(scores[m]) for m in self.models]], dtype=float)

    def choose_sweep(
        self, scores: np.ndarray | Sequence[Sequence[float]], knobs: Sequence[float] | None = None
    ) -> np.ndarray:
        """Choices at every knob of ``knobs`` (default :meth:`knob_grid`): ``(k, n)`` columns."""
        grid = self.knob_grid() if knobs is None else np.asarray(knobs, dtype=float)
        checked = [self.check_knob(float(k)) for k in grid]
        array = self._checked(scores)
        cheapest, rank = self._layout()
        return np.stack([threshold_policy(array, cheapest, rank, k) for k in checked])

    def strong_scores(self, scores: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The scalar a two-model evaluation thresholds: the score mass on the models other than
        the cheapest (as :meth:`Decision.strong_score`, summed in the same order)."""
        array = self._checked(scores)
        cheapest, _ = self._layout()
        total = np.zeros(len(array))
        for j in range(array.shape[1]):
            if j != cheapest:
                total = total + array[:, j]
        return total

    # ------------------------------------------------------------------ evaluation hooks

    def fit_notes(self) -> list[str]:
        """What training chose, one line each (shown in an evaluation's notes)."""
        return []

    def fit_metrics(self) -> dict[str, float]:
        """Extra figures of the training (e.g. a cross-validated score) for the metric table."""
        return {}

    @classmethod
    def unavailable(cls, **options: Any) -> str | None:
        """Why the router cannot be built with ``options`` (an evaluation then skips it with a
        note instead of failing), or None."""
        return None

    # ------------------------------------------------------------------ routing

    def _decisions(self, scores: np.ndarray, latency_s: float) -> list[Decision]:
        picked = self.choose(scores)
        decisions = []
        for row, j in zip(scores, picked, strict=True):
            named = {m: float(p) for m, p in zip(self.models, row, strict=True)}
            model = self.models[int(j)]
            decisions.append(
                Decision(
                    model=model,
                    router=self.name,
                    confidence=named[model],
                    scores=named,
                    latency_s=latency_s,
                    details={"cost_threshold": self.knob},
                )
            )
        return decisions

    def _prompts(self, requests: Sequence[RouteRequest | str]) -> list[str]:
        if self.reads:
            raise ConfigError(
                f"router {self.name!r} reads {', '.join(self.reads)}, which a routing request "
                "does not carry; it can be evaluated on an outcome table but not route requests"
            )
        return [
            r.prompt if isinstance(r, RouteRequest) else RouteRequest(r).prompt for r in requests
        ]

    def _decide(self, request: RouteRequest) -> Decision:
        return self.route_batch([request])[0]

    def route_batch(self, requests: Sequence[RouteRequest | str]) -> list[Decision]:
        """Score all prompts in one call; each decision's latency is its share of the time."""
        prompts = self._prompts(requests)
        start = time.perf_counter()
        scores = self._checked(self.score_batch(prompts))
        if len(scores) != len(prompts):
            raise ConfigError(
                f"router {self.name!r} returned {len(scores)} score rows for {len(prompts)} prompts"
            )
        share = (time.perf_counter() - start) / max(len(prompts), 1)
        return self._decisions(scores, share)


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


def router_factory(name: str) -> RouterFactory:
    """The registered factory (usually the class) of ``name``."""
    _load_builtin_routers()
    try:
        return _REGISTRY[name]
    except KeyError:
        available = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown router {name!r}; available: {available}") from None


def make_router(name: str, pool: Pool, **kwargs: Any) -> Router:
    """Build a registered router from its short name and keyword arguments."""
    return router_factory(name)(pool=pool, **kwargs)


def _load_builtin_routers() -> None:
    """Import router modules so their @register_router decorators run (missing ones skipped).

    The folder is listed without importing the ``routerlab.routers`` package from here, so
    this module and the package do not import each other."""
    import importlib
    import pkgutil
    from pathlib import Path

    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name not in ("base", "policy"):
            importlib.import_module(f"routerlab.routers.{info.name}")


@contextmanager
def registry_restored() -> Iterator[None]:
    """Inside the block routers may be registered (tests); afterwards the registry is as before."""
    _load_builtin_routers()
    saved = dict(_REGISTRY)
    try:
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)
