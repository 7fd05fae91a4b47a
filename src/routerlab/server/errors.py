"""How the gateway server answers failures: upstream failures as 400/502 in OpenAI's error
shape, its own bugs as a 500 that names only a request id (the details go to the server log)."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable

from routerlab.errors import ConfigError, LLMError, RouterlabError
from routerlab.redact import redact_urls
from routerlab.retry import RetryPolicy, is_unencodable
from routerlab.server.protocol import APIError

log = logging.getLogger("routerlab.server")


def upstream_error(
    exc: Exception, model: str, retry: RetryPolicy, public: Callable[[str], str]
) -> Exception:
    """What a failed upstream call to ``model`` (run under ``retry``) answers.

    The request's own faults are a 400 (the client refused it, text that cannot be encoded, an
    upstream 4xx); a transient failure after every attempt is a 502, as is another upstream
    error; anything else (a bug) is returned as it is, to be answered as a 500 with an id.
    ``public`` makes a message fit for the client (no upstream URL, no secrets).
    """
    if isinstance(exc, ConfigError):  # the client refused the request itself
        return APIError(400, public(str(exc)))
    if is_unencodable(exc):
        return APIError(
            400,
            "The request holds text that cannot be encoded as UTF-8 (a lone "
            "surrogate?); send valid Unicode text.",
            param="messages",
            code="invalid_text",
        )
    if retry.exhausted(exc):
        return APIError(
            502,
            f"upstream call to {model!r} failed after {retry.attempts} attempt(s): "
            f"{public(describe_error(exc))}",
            type="api_error",
            code="upstream_error",
        )
    if isinstance(exc, LLMError):
        return upstream_rejection(exc, model, public(str(exc)))
    return exc


def upstream_rejection(exc: LLMError, model: str, message: str) -> APIError:
    """A non-transient upstream error: the request's fault (4xx) -> 400, otherwise 502.

    ``message`` is the error's client-safe text (:meth:`GatewayState.public
    <routerlab.server.state.GatewayState.public>`).
    """
    if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403):
        return APIError(400, f"upstream rejected the request to {model!r}: {message}")
    return APIError(
        502,
        f"upstream call to {model!r} failed: {message}",
        type="api_error",
        code="upstream_error",
    )


def describe_error(exc: BaseException) -> str:
    """A one-line, credential-free description of an upstream failure."""
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RouterlabError) else str(exc)
    return redact_urls(text)


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def internal_error(
    exc: BaseException, what: str = "internal error", *, code: str | None = None
) -> APIError:
    """A 500 that tells the client only a request id; the details go to the server log."""
    request_id = new_request_id()
    details = "".join(traceback.format_exception(exc))
    log.error("%s (request id %s):\n%s", what, request_id, redact_urls(details).rstrip())
    return APIError(
        500,
        f"internal error; request id {request_id}",
        type="api_error",
        code=code or "internal_error",
    )
