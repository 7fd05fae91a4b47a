"""The one retry policy for upstream model calls (gateway, HTTP server and labeler alike).

Only failures where the same request may succeed later are retried: connection errors, timeouts,
and HTTP 408, 409, 429 and 5xx. Everything else (4xx, bad input, text that cannot be encoded,
refusals, invalid output) would fail the same way again and is raised at once. Each attempt may
be bounded by a timeout; back-off doubles after each failed attempt.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from routerlab.errors import ConfigError, LLMError

T = TypeVar("T")

TRANSIENT_KINDS = frozenset({"timeout", "connection", "rate_limit"})
TRANSIENT_STATUS = frozenset({408, 409, 429})


def is_transient(exc: BaseException) -> bool:
    """Whether another attempt may succeed: connection errors, timeouts, 408/409/429 and 5xx.

    A failure caused by text that cannot be encoded (a lone surrogate) is never transient.
    """
    if is_unencodable(exc):
        return False
    if isinstance(exc, LLMError):
        if exc.kind in TRANSIENT_KINDS:
            return True
        return exc.status is not None and (exc.status in TRANSIENT_STATUS or exc.status >= 500)
    if isinstance(exc, TimeoutError | OSError):  # asyncio timeouts, refused/reset sockets
        return True
    # httpx's (and httpx2's) transport errors, recognised without importing either
    return any(c.__name__ in ("TransportError", "TimeoutException") for c in type(exc).__mro__)


def is_unencodable(exc: BaseException) -> bool:
    """True when ``exc`` (or what it wraps) says the request's text cannot be encoded."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, UnicodeError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to call an upstream.

    Attributes:
        retries: further attempts after the first (0: call once).
        backoff_s: delay before the first retry; it doubles after each failed attempt.
        timeout_s: bound on each attempt (None: the client's own timeout only).
        jitter: scale each delay by a random factor in [0.5, 1.5) (many callers at once).
    """

    retries: int = 0
    backoff_s: float = 0.0
    timeout_s: float | None = None
    jitter: bool = False

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        if self.backoff_s < 0:
            raise ConfigError(f"backoff_s must be >= 0, got {self.backoff_s}")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ConfigError(f"timeout_s must be > 0 or None, got {self.timeout_s}")

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        base = self.backoff_s * 2**attempt
        return base * (0.5 + random.random()) if self.jitter else base

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        retry_if: Callable[[BaseException], bool] = is_transient,
    ) -> T:
        """Await ``call()`` until it succeeds, a failure is not worth retrying (``retry_if``
        false) or the attempts are spent; the last failure is raised as it is.

        So a caller that sees an exception for which ``retry_if`` holds knows every attempt was
        made (:meth:`exhausted`).
        """
        for attempt in range(self.attempts):
            try:
                if self.timeout_s is None:
                    return await call()
                return await asyncio.wait_for(call(), self.timeout_s)
            except Exception as exc:
                if attempt + 1 == self.attempts or not retry_if(exc):
                    raise
            delay = self.delay(attempt)
            if delay > 0:
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def exhausted(self, exc: BaseException) -> bool:
        """Whether ``exc``, raised by :meth:`run` with the default ``retry_if``, ended a run
        that used every attempt (a transient failure), rather than one not worth retrying."""
        return is_transient(exc)
