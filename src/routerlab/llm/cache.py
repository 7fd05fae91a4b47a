"""A persistent response cache for deterministic chat calls (SQLite, WAL mode).

Only calls the caller asked to be deterministic are cached: ``temperature`` 0. An unset
temperature is *not* deterministic (OpenAI samples at 1.0 by default), and a model that rejects
the parameter (reasoning models) samples whatever was asked; so call sites pass
``acomplete(..., cacheable=...)`` computed from the temperature the caller requested, before the
gateway drops it, and the cache falls back to the temperature it sees only when that is absent.
The key is the sha256 of the canonical JSON of everything that shapes the answer: the backend's
identity (``openai``, ``openai-compatible <url>``, the local stand-in, a replay file), the model,
the messages, the token caps, the ``response_format`` schema and any extra body fields. A replay or
local stand-in therefore never serves a live key's answer, and a different server never serves
another's.

The database (:class:`~routerlab.llm.store.ResponseCache`, in :mod:`routerlab.llm.store`)
lives in the user cache directory, is safe with concurrent writers and kills, expires entries
after a TTL and evicts the least recently used past a size limit. ``ROUTERLAB_NO_CACHE=1`` (or
``--no-cache``) turns it off. A cache that cannot be opened or written never fails a call: the
call goes upstream and the problem is counted in :meth:`CachingClient.cache_stats`.

A hit is marked: ``ChatResult.cached`` is True, ``cost_usd`` (what was paid) is 0 and
``list_cost_usd`` keeps what the call cost when it was made.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from routerlab.llm.base import ChatClient, ChatResult, OnResult
from routerlab.llm.request import LLMRequest, Message, as_request, canonical_json
from routerlab.llm.store import CACHE_DIR_ENV, DB_NAME, ResponseCache, default_cache_dir
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)
# The store's names stay importable from here, where they always were.
__all__ = [
    "CACHE_DIR_ENV",
    "DB_NAME",
    "NO_CACHE_ENV",
    "CachingClient",
    "ResponseCache",
    "cache_disabled_by_env",
    "cache_key",
    "default_cache_dir",
    "is_cacheable",
]

NO_CACHE_ENV = "ROUTERLAB_NO_CACHE"
# Bump when the key's payload changes: old entries then simply miss. 2: the key hashes the
# LLMRequest payload (the response schema as canonical JSON text, the class name no longer apart).
KEY_VERSION = 2


def cache_disabled_by_env() -> bool:
    """True when ``ROUTERLAB_NO_CACHE`` is set to something other than ``""``, ``0`` or ``false``."""
    value = os.environ.get(NO_CACHE_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no")


def is_cacheable(temperature: float | None) -> bool:
    """Deterministic calls only: temperature explicitly 0. Unset means the provider's default
    (1.0 at OpenAI: sampled), so it is not cached; nor is any temperature above 0."""
    return temperature is not None and float(temperature) == 0.0


def cache_key(
    backend: str,
    request: LLMRequest | str,
    messages: Sequence[Message] | None = None,
    **params: Any,
) -> str:
    """sha256 hex digest of everything that shapes a deterministic answer, backend included.

    ``request`` is an :class:`LLMRequest`, or the keyword form (model, messages, fields).
    """
    payload = {
        "v": KEY_VERSION,
        "backend": backend,
        **as_request(request, messages, **params).payload(),
    }
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    """Counts since the client was built (one process)."""

    hits: int = 0
    misses: int = 0  # cacheable calls that went upstream
    uncacheable: int = 0  # sampled calls (temperature unset or > 0), never looked up
    writes: int = 0
    errors: int = 0  # the database could not be read or written; the call went upstream
    saved_usd: float = 0.0  # list price of the answers served from the cache

    def to_dict(self) -> dict[str, Any]:
        looked_up = self.hits + self.misses
        return {
            "hits": self.hits,
            "misses": self.misses,
            "uncacheable": self.uncacheable,
            "writes": self.writes,
            "errors": self.errors,
            "hit_rate": self.hits / looked_up if looked_up else 0.0,
            "saved_usd": self.saved_usd,
        }


def _serialize(result: ChatResult[Any]) -> dict[str, Any]:
    return {
        "text": result.text,
        "model": result.model,
        "backend": result.backend,
        "usage": result.usage.to_dict(),
        "latency_s": result.latency_s,
        "cost_usd": result.list_price_usd,
        "parsed": None if result.parsed is None else result.parsed.model_dump(mode="json"),
        "finish_reason": result.finish_reason,
        "stand_in": result.stand_in,
        "stored_at": time.time(),
    }


def _deserialize(value: dict[str, Any], response_format: type[T] | None) -> ChatResult[T]:
    parsed: T | None = None
    if response_format is not None:
        if value.get("parsed") is None:
            raise ValueError("cached entry has no parsed object for a structured call")
        parsed = response_format.model_validate(value["parsed"])
    list_cost = float(value["cost_usd"])
    return ChatResult(
        text=str(value["text"]),
        model=str(value["model"]),
        backend=str(value["backend"]),
        usage=Usage(**value["usage"]),
        latency_s=0.0,  # nothing was waited for; the original latency is in cached_latency_s
        cost_usd=0.0,  # paid now: nothing
        parsed=parsed,
        finish_reason=value.get("finish_reason"),
        stand_in=bool(value.get("stand_in", False)),
        cached=True,
        list_cost_usd=list_cost,
        cached_latency_s=float(value.get("latency_s", 0.0)),
    )


class CachingClient(ChatClient):
    """Wraps any client; serves deterministic calls from a :class:`ResponseCache`.

    Calls not marked cacheable (``acomplete(cacheable=False)``, or no mark and a temperature
    other than 0) and streams go to the wrapped client unchanged (streaming is passed through so
    tokens still arrive as they are made). Failures are never cached.
    """

    def __init__(self, inner: ChatClient, cache: ResponseCache | None = None) -> None:
        super().__init__(inner.pool)
        self.inner = inner
        self.cache = cache if cache is not None else ResponseCache()
        self.backend = inner.backend
        self.stand_in = inner.stand_in
        self._stats = CacheStats()
        self._lock = threading.Lock()
        self._warned = False

    def cache_stats(self) -> dict[str, Any]:
        """Hits, misses, uncacheable calls, writes, errors, hit rate and dollars saved."""
        with self._lock:
            out = self._stats.to_dict()
        out["path"] = str(self.cache.path)
        return out

    def _count(self, **deltas: float) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self._stats, name, getattr(self._stats, name) + delta)

    def _problem(self, exc: Exception) -> None:
        self._count(errors=1)
        if not self._warned:  # once per client: a broken cache must not flood the output
            self._warned = True
            warnings.warn(
                f"response cache {self.cache.path} unusable ({type(exc).__name__}: {exc}); "
                f"calls go upstream uncached (set {NO_CACHE_ENV}=1 to silence)",
                RuntimeWarning,
                stacklevel=3,
            )

    async def _asend(self, request: LLMRequest, cacheable: bool | None) -> ChatResult[Any]:
        """``cacheable`` (the caller's wish) decides caching; None: the request's temperature."""
        if cacheable is None:
            cacheable = is_cacheable(request.temperature)
        if not cacheable:
            self._count(uncacheable=1)
            return await self.inner.asend(request, cacheable=False)

        # Hashing the canonical JSON of a multi-megabyte conversation and SQLite's I/O (which
        # may wait on another writer's lock) run in a worker thread, never on the event loop
        # that also serves other requests (the gateway).
        def lookup() -> tuple[str, dict[str, Any] | None]:
            key = cache_key(self.inner.backend, request)
            return key, self.cache.get(key)

        try:
            key, value = await asyncio.to_thread(lookup)
        except (sqlite3.Error, OSError) as exc:
            self._problem(exc)
            key, value = cache_key(self.inner.backend, request), None
        if value is not None:
            try:
                hit = _deserialize(value, request.response_format)
            except (KeyError, TypeError, ValueError, ValidationError):
                pass  # an entry this version cannot read: ask again and overwrite it
            else:
                self._count(hits=1, saved_usd=hit.list_price_usd)
                return hit
        self._count(misses=1)
        result = await self.inner.asend(request, cacheable=True)
        try:
            await asyncio.to_thread(self.cache.put, key, _serialize(result))
            self._count(writes=1)
        except (sqlite3.Error, OSError) as exc:
            self._problem(exc)
        return result

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        return await self._asend(request, None)

    async def _astream(
        self, request: LLMRequest, on_result: OnResult, cacheable: bool | None
    ) -> AsyncIterator[str]:
        """Streams are not cached: passed to the wrapped client as they are."""
        self._count(uncacheable=1)
        async for delta in self.inner._astream(request, on_result, cacheable):
            yield delta

    async def aclose(self) -> None:
        await self.inner.aclose()
