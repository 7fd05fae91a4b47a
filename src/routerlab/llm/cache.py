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

The database lives in the user cache directory (``$XDG_CACHE_HOME/routerlab/responses.sqlite3``,
or ``$ROUTERLAB_CACHE_DIR``). It is safe with several threads and processes writing at once
(WAL, a short busy timeout, one transaction per write) and survives a kill mid-write (SQLite's
atomic commit: a torn write is rolled back on the next open). Entries expire after a TTL and the
least recently used are evicted past a size limit. ``ROUTERLAB_NO_CACHE=1`` (or ``--no-cache``)
turns it off. A cache that cannot be opened or written never fails a call: the call goes upstream
and the problem is counted in :meth:`CachingClient.cache_stats`.

A hit is marked: ``ChatResult.cached`` is True, ``cost_usd`` (what was paid) is 0 and
``list_cost_usd`` keeps what the call cost when it was made.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from routerlab.errors import ConfigError
from routerlab.llm.base import ChatClient, ChatResult, OnResult
from routerlab.llm.request import LLMRequest, Message, as_request, canonical_json
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)

CACHE_DIR_ENV = "ROUTERLAB_CACHE_DIR"
NO_CACHE_ENV = "ROUTERLAB_NO_CACHE"
DB_NAME = "responses.sqlite3"
# Bump when the key's payload changes: old entries then simply miss. 2: the key hashes the
# LLMRequest payload (the response schema as canonical JSON text, the class name no longer apart).
KEY_VERSION = 2

DEFAULT_TTL_S = 30 * 24 * 3600.0  # a month: model snapshots behind an alias change slowly
DEFAULT_MAX_ENTRIES = 200_000
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
BUSY_TIMEOUT_MS = 2_000  # short: a writer that waits longer skips caching instead of stalling
PRUNE_EVERY = 64  # writes between two eviction passes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    accessed REAL NOT NULL,
    size INTEGER NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_accessed ON responses (accessed);
"""


def default_cache_dir() -> Path:
    """``$ROUTERLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/routerlab`` (as :mod:`routerlab.tokens`
    places its tiktoken files), else ``~/.cache/routerlab``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routerlab"


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


class ResponseCache:
    """Key-value store of serialized results in one SQLite file, with TTL and size eviction.

    One connection per thread and process (connections are neither shared across threads nor
    inherited through fork). Every write is one ``BEGIN IMMEDIATE`` transaction.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        ttl_s: float | None = DEFAULT_TTL_S,
        max_entries: int | None = DEFAULT_MAX_ENTRIES,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        prune_every: int = PRUNE_EVERY,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        if ttl_s is not None and ttl_s <= 0:
            raise ConfigError(f"ttl_s must be > 0 or None (no expiry), got {ttl_s}")
        if max_entries is not None and max_entries < 1:
            raise ConfigError(f"max_entries must be >= 1 or None, got {max_entries}")
        if max_bytes is not None and max_bytes < 1:
            raise ConfigError(f"max_bytes must be >= 1 or None, got {max_bytes}")
        if prune_every < 1:
            raise ConfigError(f"prune_every must be >= 1, got {prune_every}")
        self.path = Path(path) if path is not None else default_cache_dir() / DB_NAME
        if self.path.exists() and not self.path.is_file():
            raise ConfigError(f"cache path {self.path} is not a file; set {CACHE_DIR_ENV}")
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.prune_every = prune_every
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._writes = 0
        self._count_lock = threading.Lock()

    # -- connections ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        # Two processes opening a fresh file at once race to switch it to WAL and create the
        # table; SQLite reports the loser "locked" at once, without its busy handler: retry
        # until the busy timeout has passed.
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: commits atomic on a crash
                conn.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    conn.close()
                    raise
                time.sleep(0.01)
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    # -- reads and writes ----------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or None when absent or expired (an expired entry is deleted)."""
        conn = self._conn()
        row = conn.execute("SELECT created, value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        now = time.time()
        if self.ttl_s is not None and row[0] < now - self.ttl_s:
            self._write(conn, "DELETE FROM responses WHERE key = ?", (key,))
            return None
        try:
            value: dict[str, Any] = json.loads(row[1])
        except json.JSONDecodeError:
            return None
        # Recency for LRU eviction; losing this update to a busy writer is harmless.
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("UPDATE responses SET accessed = ? WHERE key = ?", (now, key))
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` under ``key`` (replacing any), then evict every ``prune_every`` writes."""
        text = json.dumps(value, ensure_ascii=False, default=str)
        now = time.time()
        conn = self._conn()
        self._write(
            conn,
            "INSERT OR REPLACE INTO responses (key, created, accessed, size, value) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, now, now, len(text.encode("utf-8")), text),
        )
        with self._count_lock:
            self._writes += 1
            due = self._writes % self.prune_every == 0
        if due:
            self.prune()

    @staticmethod
    def _write(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(sql, params)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def prune(self) -> int:
        """Delete expired entries, then the least recently used past the size limits.

        Returns how many entries were deleted.
        """
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            deleted = 0
            if self.ttl_s is not None:
                cur = conn.execute(
                    "DELETE FROM responses WHERE created < ?", (time.time() - self.ttl_s,)
                )
                deleted += cur.rowcount
            count, total = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM responses"
            ).fetchone()
            excess = 0
            if self.max_entries is not None and count > self.max_entries:
                excess = count - self.max_entries
            if self.max_bytes is not None and total > self.max_bytes:
                # walk from the least recently used until enough bytes are freed
                freed, n = 0, 0
                for (size,) in conn.execute(
                    "SELECT size FROM responses ORDER BY accessed, created"
                ):
                    if total - freed <= self.max_bytes:
                        break
                    freed += size
                    n += 1
                excess = max(excess, n)
            if excess:
                cur = conn.execute(
                    "DELETE FROM responses WHERE key IN (SELECT key FROM responses "
                    "ORDER BY accessed, created LIMIT ?)",
                    (excess,),
                )
                deleted += cur.rowcount
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return deleted

    def clear(self) -> None:
        """Delete every entry."""
        self._write(self._conn(), "DELETE FROM responses", ())

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def size_bytes(self) -> int:
        row = self._conn().execute("SELECT COALESCE(SUM(size), 0) FROM responses").fetchone()
        return int(row[0])


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
