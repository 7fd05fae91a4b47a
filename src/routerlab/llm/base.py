"""The client surface every backend implements (OpenAI, local small model, replay).

A call returns a :class:`ChatResult`: the text or a parsed Pydantic object, with latency, token
usage and cost. Clients are built by :func:`routerlab.llm.make_client`; none exists at import.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from routerlab.asyncutil import run_sync
from routerlab.errors import ConfigError
from routerlab.llm.request import LLMRequest, Message
from routerlab.pool import Pool
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)
__all__ = ["ChatClient", "ChatResult", "ClientSettings", "LLMRequest", "Message", "OnResult"]


@dataclass
class ChatResult(Generic[T]):
    """One completed call."""

    text: str
    model: str  # the pool model asked for
    # "openai", "openai-compatible <url>", "local SmolLM2-135M (offline stand-in)", "replay <file>"
    backend: str
    usage: Usage
    latency_s: float
    cost_usd: float
    parsed: T | None = None  # set when a response_format was given and the output validated
    finish_reason: str | None = None
    stand_in: bool = False  # True when a local small model answered in place of the pool model
    raw: dict[str, Any] | None = field(default=None, repr=False)
    # Served from the response cache (routerlab.llm.cache): ``cost_usd`` is then what was paid
    # (0) and ``list_cost_usd`` what the call cost when it was made; otherwise both are equal.
    cached: bool = False
    list_cost_usd: float | None = None
    cached_latency_s: float | None = None  # the original call's latency, for a cached result

    def __post_init__(self) -> None:
        if self.list_cost_usd is None:
            self.list_cost_usd = self.cost_usd

    @property
    def list_price_usd(self) -> float:
        """What the call costs at list price, whether paid now or served from the cache."""
        return self.cost_usd if self.list_cost_usd is None else self.list_cost_usd


# Receives the whole result once a stream has ended (usage, cost, latency).
OnResult = Callable[[ChatResult[Any]], None] | None


@dataclass(frozen=True)
class ClientSettings:
    """Retries and timeouts for API-backed clients."""

    timeout_s: float = 60.0
    max_retries: int = 3

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ConfigError(f"timeout_s must be > 0, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")


class ChatClient(ABC):
    """Chat-completion surface shared by all backends.

    A backend implements :meth:`_acomplete` (and :meth:`_astream` when it streams natively);
    a wrapper around another client (cache, recorder) overrides :meth:`_asend`. All of them take
    one :class:`LLMRequest`. Parameters are passed as given: deciding which ones a model accepts
    (no temperature for reasoning models, ``max_completion_tokens``) is the gateway's job, not
    the client's.
    """

    backend: str = "abstract"
    stand_in: bool = False

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def acomplete(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        cacheable: bool | None = None,
        **params: Any,
    ) -> ChatResult[Any]:
        """One chat completion; ``params`` are the other :class:`LLMRequest` fields by name
        (``temperature``, ``max_tokens``, ``max_completion_tokens``, ``response_format`` for a
        validated Pydantic object, ``extra`` body fields).

        ``cacheable``: whether the answer may be served from / stored in a response cache. Call
        sites set it from the temperature the *caller* asked for (0: deterministic), before
        :meth:`routerlab.pool.Pool.call_params` drops the temperature for models that reject it.
        None lets the cache decide from ``temperature`` (cached only when it is 0). Backends
        ignore it; only the caching wrapper, and wrappers that forward to it, read it.
        """
        return await self.asend(LLMRequest.create(model, messages, **params), cacheable=cacheable)

    async def asend(self, request: LLMRequest, *, cacheable: bool | None = None) -> ChatResult[Any]:
        """As :meth:`acomplete`, for a request already built."""
        self.pool.get(request.model)  # UnknownModelError lists the pool
        return await self._asend(request, cacheable)

    async def _asend(self, request: LLMRequest, cacheable: bool | None) -> ChatResult[Any]:
        """Hook for wrappers (cache, recorder) that read ``cacheable``; backends keep it."""
        return await self._acomplete(request)

    @abstractmethod
    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        """The backend's call: the request is validated and its model is in the pool."""

    def complete(self, model: str, messages: Sequence[Message], **kwargs: Any) -> ChatResult[Any]:
        """Sync wrapper of :meth:`acomplete` (works inside Jupyter's running loop)."""
        return run_sync(self.acomplete(model, messages, **kwargs))

    async def astream(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        on_result: OnResult = None,
        cacheable: bool | None = None,
        **params: Any,
    ) -> AsyncIterator[str]:
        """Text deltas of a completion (``params`` as for :meth:`acomplete`).

        ``on_result``, when given, receives the complete :class:`ChatResult` (usage, cost,
        latency) once the stream has ended.
        """
        request = LLMRequest.create(model, messages, **params)
        self.pool.get(request.model)
        async for delta in self._astream(request, on_result, cacheable):
            yield delta

    async def _astream(
        self, request: LLMRequest, on_result: OnResult, cacheable: bool | None
    ) -> AsyncIterator[str]:
        """Backends without native streaming yield the whole answer as one delta."""
        result = await self._asend(request, cacheable)
        if on_result is not None:
            on_result(result)
        yield result.text

    def _priced(
        self, model: str, text: str, usage: Usage, latency_s: float, **fields: Any
    ) -> ChatResult[Any]:
        """A result of this backend for ``model``; ``cost_usd`` defaults to the pool's price of
        ``usage``; ``fields`` are the other :class:`ChatResult` fields."""
        fields.setdefault("cost_usd", self.pool.cost(model, usage))
        return ChatResult(
            text=text, model=model, backend=self.backend, usage=usage, latency_s=latency_s, **fields
        )

    def cache_stats(self) -> dict[str, Any] | None:
        """Response-cache counts (hits, misses, ...), or None when this client has no cache."""
        return None

    def stats(self) -> dict[str, Any]:
        """What a health endpoint can show: backend, stand-in flag and the cache's counts."""
        return {"backend": self.backend, "stand_in": self.stand_in, "cache": self.cache_stats()}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release network resources (no-op for local backends)."""
