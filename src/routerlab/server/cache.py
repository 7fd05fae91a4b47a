"""A bounded, time-limited LRU of routing decisions, keyed by a hash of the routed prompt.

Routing the same prompt again (retries, regenerations, a popular system prompt) costs a judge
call or a classifier pass; the cached decision is reused until it expires. Hits and misses are
counted so ``/health`` can report the hit rate.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from routerlab.errors import ConfigError
from routerlab.routers.base import Decision


def decision_key(router: str, prompt: str, temperature: float, attachments: tuple[str, ...]) -> str:
    """SHA-256 of everything a router sees; equal requests to the same router share a key.

    The prompt is hashed as raw UTF-8 after a JSON header (a NUL between them cannot occur in
    JSON text): serialising a multi-megabyte prompt to JSON first would hold the GIL for
    ~0.1 s per 20 MB, while hashlib releases it.
    """
    header = json.dumps([router, round(temperature, 4), list(attachments)])
    digest = hashlib.sha256(header.encode("utf-8") + b"\0")
    digest.update(prompt.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@dataclass
class _Entry:
    decision: Decision
    expires: float


class DecisionCache:
    """LRU with a per-entry time-to-live. ``maxsize=0`` disables it (every lookup misses)."""

    def __init__(
        self, maxsize: int, ttl_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if maxsize < 0:
            raise ConfigError(f"maxsize must be >= 0, got {maxsize}")
        if ttl_s <= 0:
            raise ConfigError(f"ttl_s must be > 0, got {ttl_s}")
        self.maxsize = maxsize
        self.ttl_s = ttl_s
        self._clock = clock
        self._data: OrderedDict[str, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str) -> Decision | None:
        """The cached decision, or None (counted as a miss) when absent or expired."""
        entry = self._data.get(key)
        if entry is None or entry.expires <= self._clock():
            if entry is not None:
                del self._data[key]
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return entry.decision

    def put(self, key: str, decision: Decision) -> None:
        """Store a decision (fallback decisions are not worth keeping: the router failed)."""
        if self.maxsize == 0 or decision.fallback:
            return
        self._data[key] = _Entry(decision, self._clock() + self.ttl_s)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None

    def stats(self) -> dict[str, Any]:
        """Counters for ``/health``."""
        return {
            "size": len(self._data),
            "maxsize": self.maxsize,
            "ttl_s": self.ttl_s,
            "hits": self.hits,
            "misses": self.misses,
            "hit_rate": self.hit_rate,
        }
