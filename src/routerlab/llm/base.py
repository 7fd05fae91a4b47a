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
from routerlab.pool import Pool
from routerlab.request import check_temperature
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)
Message = dict[str, Any]


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

    Parameters are passed as given: deciding which ones a model accepts (no temperature for
    reasoning models, ``max_completion_tokens``) is the gateway's job, not the client's.
    """

    backend: str = "abstract"
    stand_in: bool = False

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    def _validate(self, model: str, messages: Sequence[Message], temperature: float | None) -> None:
        self.pool.get(model)  # UnknownModelError lists the pool
        if not messages:
            raise ConfigError("messages is empty; give at least one {role, content} message")
        if temperature is not None:
            check_temperature(temperature)

    async def acomplete(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        response_format: type[T] | None = None,
        extra: dict[str, Any] | None = None,
        cacheable: bool | None = None,
    ) -> ChatResult[T]:
        """One chat completion; ``response_format`` asks for a validated Pydantic object.

        ``cacheable``: whether the answer may be served from / stored in a response cache. Call
        sites set it from the temperature the *caller* asked for (0: deterministic), before
        :func:`routerlab.gateway.call_params` drops the temperature for models that reject it.
        None lets the cache decide from ``temperature`` (cached only when it is 0). Backends
        ignore it; only the caching wrapper, and wrappers that forward to it, read it.
        """
        self._validate(model, messages, temperature)
        return await self._acomplete(
            model,
            list(messages),
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra or {},
        )

    @abstractmethod
    async def _acomplete(
        self,
        model: str,
        messages: list[Message],
        *,
        temperature: float | None,
        max_tokens: int | None,
        max_completion_tokens: int | None,
        response_format: type[T] | None,
        extra: dict[str, Any],
    ) -> ChatResult[T]: ...

    def complete(self, model: str, messages: Sequence[Message], **kwargs: Any) -> ChatResult[Any]:
        """Sync wrapper of :meth:`acomplete` (works inside Jupyter's running loop)."""
        return run_sync(self.acomplete(model, messages, **kwargs))

    async def astream(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        on_result: Callable[[ChatResult[Any]], None] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[str]:
        """Text deltas of a completion. Backends without native streaming yield it whole.

        ``on_result``, when given, receives the complete :class:`ChatResult` (usage, cost,
        latency) once the stream has ended.
        """
        result = await self.acomplete(model, messages, **kwargs)
        if on_result is not None:
            on_result(result)
        yield result.text

    def cache_stats(self) -> dict[str, Any] | None:
        """Response-cache counts (hits, misses, ...), or None when this client has no cache."""
        return None

    def stats(self) -> dict[str, Any]:
        """What a health endpoint can show: backend, stand-in flag and the cache's counts."""
        return {"backend": self.backend, "stand_in": self.stand_in, "cache": self.cache_stats()}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release network resources (no-op for local backends)."""
