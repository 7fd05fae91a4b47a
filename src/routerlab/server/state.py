"""The gateway's state and its work between the HTTP layer and the upstream.

Resolving ``model`` (pool model or ``router-<name>[-<knob>]``), routing with the decision cache and
micro-batching, the cost knob and context windows through the shared
:func:`~routerlab.gateway.fit_decision`, answering through the shared
:class:`~routerlab.gateway.Gateway` (capability parameters, the retry policy of
:mod:`routerlab.retry`) with its failures turned into HTTP errors, and the counters ``/health``
shows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from routerlab.gateway import Gateway, KnobNotApplicable, fit_decision, policy_of
from routerlab.llm.base import ChatClient
from routerlab.pool import Pool
from routerlab.redact import backend_name, redact_urls
from routerlab.request import RouteRequest
from routerlab.retry import RetryPolicy
from routerlab.routers.base import Decision, Router
from routerlab.server.batching import MicroBatcher, has_batched_inference
from routerlab.server.cache import DecisionCache, decision_key
from routerlab.server.config import ROUTER_PREFIX, ServerConfig
from routerlab.server.errors import internal_error, upstream_error
from routerlab.server.protocol import APIError, Routing, Target
from routerlab.server.upstream import ParsedMessages

log = logging.getLogger("routerlab.server")

# Work on prompts longer than this runs in a worker thread, so the event loop keeps serving.
OFFLOAD_CHARS = 50_000
# A token is at least one UTF-8 byte, so it is at most 4 characters' worth: prompts this short
# (times 4) fit every window and are never counted. Per-message framing adds a few tokens.
TOKENS_PER_MESSAGE = 4


class GatewayState:
    """State shared by the endpoints: pool, upstream client, routers, cache, counters."""

    def __init__(
        self,
        config: ServerConfig,
        pool: Pool,
        client: ChatClient,
        routers: Mapping[str, Router],
        *,
        unavailable: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.pool = pool
        self.client = client
        self.routers = dict(routers)
        self.unavailable = dict(unavailable or {})  # default routers left out, and why
        self.token = config.resolved_token()
        self.cache = DecisionCache(max(config.cache_size, 0), config.cache_ttl_s)
        self.batchers = {
            name: MicroBatcher(
                router,
                max_batch=config.batch_max_size,
                max_wait_s=config.batch_max_wait_ms / 1000,
                dtype=config.router_dtype,
            )
            for name, router in self.routers.items()
            if has_batched_inference(router)
        }
        self.requests: Counter[str] = Counter()  # by status code
        self.by_model: Counter[str] = Counter()
        self.started = time.time()
        # The answer path the notebooks use; retries only transient failures (routerlab.retry).
        self.answers = Gateway(
            pool,
            client,
            retry=RetryPolicy(
                retries=config.retries,
                backoff_s=config.retry_backoff_s,
                timeout_s=config.upstream_timeout_s,
            ),
        )

    @property
    def stream_usage(self) -> bool:
        """Whether the client reports a stream's usage and cost (an ``on_result`` callback)."""
        return self.answers.stream_usage

    # -- model names ---------------------------------------------------------------------------

    def model_ids(self) -> list[str]:
        """What ``/v1/models`` lists: pool models, then ``router-<name>`` for each router."""
        return self.pool.names + [ROUTER_PREFIX + name for name in self.routers]

    def resolve(self, value: Any) -> Target:
        """Turn a request's ``model`` into a :class:`Target`; 404 ``model_not_found`` otherwise."""
        if value is None:
            raise APIError(
                400,
                "Missing required parameter: 'model'.",
                param="model",
                code="missing_required_parameter",
            )
        if not isinstance(value, str):
            raise APIError(400, "'model' must be a string.", param="model", code="invalid_type")
        if value in self.pool:
            return Target(model=value)
        if value.startswith(ROUTER_PREFIX):
            rest = value[len(ROUTER_PREFIX) :]
            if rest in self.routers:
                return Target(router=rest)
            head, _, tail = rest.rpartition("-")
            if head in self.routers:
                try:
                    knob = float(tail)
                except ValueError:
                    knob = None
                if knob is not None:
                    if not 0.0 <= knob <= 1.0:
                        raise APIError(
                            400,
                            f"the cost knob of {value!r} must be in [0, 1], got {knob:g}",
                            param="model",
                        )
                    return Target(router=head, knob=knob)
        raise APIError(
            404,
            f"The model {value!r} does not exist; available: {', '.join(self.model_ids())} "
            f"(a router also takes a cost knob in [0, 1], e.g. {ROUTER_PREFIX}classifier-0.3).",
            param="model",
            code="model_not_found",
        )

    # -- routing -------------------------------------------------------------------------------

    async def prompt_tokens(self, parsed: ParsedMessages, max_output: int | None) -> int | None:
        """Tokens of every message's text (an upper bound), or None when it cannot matter.

        Short prompts are not counted: 4 characters a token is a bound no tokenizer exceeds, and
        if even that fits the smallest window, every model fits. Long ones are counted with
        tiktoken in a worker thread.
        """
        texts = parsed.texts
        chars = sum(len(t) for t in texts)
        framing = TOKENS_PER_MESSAGE * len(parsed.messages)
        smallest = min(m.context_window for m in self.pool.models)
        if 4 * chars + framing + (max_output or 0) <= smallest:
            return None
        if chars > OFFLOAD_CHARS:
            return await asyncio.to_thread(_count_tokens, texts) + framing
        return _count_tokens(texts) + framing

    async def route(
        self,
        target: Target,
        parsed: ParsedMessages,
        temperature: float,
        allowed: Collection[str] | None = None,
    ) -> Routing:
        """The decision for a request: cached, micro-batched or asked of the router.

        ``allowed`` (the models whose context window holds the prompt) restricts the choice; a
        router's pick outside it is replaced through :func:`~routerlab.gateway.fit_decision`.
        """
        if target.router is None:
            assert target.model is not None
            return Routing(Decision(model=target.model, router="none"))
        name = target.router
        start = time.perf_counter()
        args = (name, parsed.prompt, temperature, parsed.attachments)
        if len(parsed.prompt) > OFFLOAD_CHARS:  # hashing megabytes would stall the loop
            key = await asyncio.to_thread(decision_key, *args)
        else:
            key = decision_key(*args)
        decision = self.cache.get(key)
        hit = decision is not None
        if decision is None:
            files = tuple(Path(a) for a in parsed.attachments)  # routers read kinds only
            request = RouteRequest(prompt=parsed.prompt, temperature=temperature, files=files)
            try:
                decision = await self._decide(name, request)
            except Exception as exc:  # the router's failure, not the request's
                raise internal_error(exc, f"router {name!r} failed", code="router_error") from exc
            self.cache.put(key, decision)
        return self._apply_knob(target, decision, hit, time.perf_counter() - start, allowed)

    async def _decide(self, name: str, request: RouteRequest) -> Decision:
        batcher = self.batchers.get(name)
        if batcher is not None:
            return await batcher.submit(request)
        return await self.routers[name].aroute(request)

    def _apply_knob(
        self,
        target: Target,
        decision: Decision,
        hit: bool,
        waited: float,
        allowed: Collection[str] | None = None,
    ) -> Routing:
        """The decision as served: the caller's knob and the windows applied under the serving
        router's own policy, this request's wait as its latency and, on a cache hit, nothing
        paid for it."""
        try:
            policy = policy_of(self.routers.get(target.router or ""))
            fitted = fit_decision(decision, self.pool, allowed, knob=target.knob, policy=policy)
        except KnobNotApplicable:
            raise APIError(
                400,
                f"router {target.router!r} names a model without per-model scores, so a cost "
                f"knob does not apply; use model={ROUTER_PREFIX}{target.router}",
                param="model",
            ) from None
        served = replace(fitted, latency_s=waited, cost_usd=0.0 if hit else decision.cost_usd)
        return Routing(served, router=target.router, cache_hit=hit, knob=target.knob)

    # -- upstream ------------------------------------------------------------------------------

    @contextmanager
    def upstream_errors(self, model: str) -> Iterator[None]:
        """Around a call to the upstream (through :attr:`answers`): a failure leaves as the HTTP
        error :meth:`http_error` makes of it."""
        try:
            yield
        except Exception as exc:
            error = self.http_error(exc, model)
            if error is exc:
                raise
            raise error from exc

    def http_error(self, exc: Exception, model: str) -> Exception:
        """What a failed upstream call answers (:func:`~routerlab.server.errors.upstream_error`)."""
        return upstream_error(exc, model, self.answers.retry, self.public)

    def public(self, text: str) -> str:
        """``text`` fit for a client: the upstream named by its backend name, not its URL, and
        any other URL without credentials."""
        backend = getattr(self.client, "backend", "")
        if backend:
            for shown in (backend, redact_urls(backend)):  # raw, or already redacted
                text = text.replace(shown, backend_name(backend))
        # An upstream error message may echo what it was sent (some servers quote the
        # Authorization header): the gateway's own secrets never go back to a client.
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return redact_urls(text)

    def _secrets(self) -> list[str]:
        keys = [
            self.token,
            getattr(self.client, "_api_key", None),
            getattr(getattr(self.client, "inner", None), "_api_key", None),  # behind a cache
            os.environ.get("OPENAI_API_KEY"),
        ]
        return [k for k in keys if k and len(k) >= 4]

    def stats(self) -> dict[str, Any]:
        """What ``/health`` shows to a caller with the token."""
        return {
            "status": "ok",
            "uptime_s": round(time.time() - self.started, 3),
            "backend": backend_name(getattr(self.client, "backend", type(self.client).__name__)),
            "stand_in": bool(getattr(self.client, "stand_in", False)),
            "models": self.pool.names,
            "routers": [ROUTER_PREFIX + name for name in self.routers],
            "routers_unavailable": self.unavailable,
            "auth": self.token is not None,
            "decision_cache": self.cache.stats(),
            # the persistent response cache of the upstream client (None: no cache)
            "response_cache": _response_cache_stats(self.client),
            "batching": {name: b.stats() for name, b in self.batchers.items()},
            "requests": {
                "by_status": dict(self.requests),
                "by_model": dict(self.by_model),
            },
        }

    async def aclose(self) -> None:
        for batcher in self.batchers.values():
            await batcher.aclose()


def _response_cache_stats(client: ChatClient) -> dict[str, Any] | None:
    stats = getattr(client, "cache_stats", None)  # test fakes may lack it
    if stats is None:
        return None
    counts = stats()
    # Counts only: the cache file's path is an internal detail of the server machine.
    return {k: v for k, v in counts.items() if k != "path"} if counts else None


def _count_tokens(texts: Sequence[str]) -> int:
    from routerlab.tokens import TokenizerUnavailableError, count_tokens

    text = "\n".join(texts)
    try:
        return count_tokens(text)
    except TokenizerUnavailableError:  # cannot count: every UTF-8 byte a token is an upper bound
        log.warning("no tokenizer; bounding prompt tokens by UTF-8 bytes")
        return len(text.encode("utf-8", "replace"))
