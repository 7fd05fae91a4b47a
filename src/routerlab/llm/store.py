"""The SQLite store behind the response cache: one file, WAL mode, TTL and size eviction.

It lives in the user cache directory (``$XDG_CACHE_HOME/routerlab/responses.sqlite3``, or
``$ROUTERLAB_CACHE_DIR``), never inside the installed package. It is safe with several threads and
processes writing at once (WAL, a short busy timeout, one transaction per write) and survives a kill
mid-write (SQLite's atomic commit: a torn write is rolled back on the next open). What is stored,
and under which key, is :mod:`routerlab.llm.cache`'s business.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError

CACHE_DIR_ENV = "ROUTERLAB_CACHE_DIR"
DB_NAME = "responses.sqlite3"
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
