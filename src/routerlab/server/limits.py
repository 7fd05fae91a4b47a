"""Limits at the gateway's boundary: body size, body read timeout, JSON nesting and valid text.

Every check answers with an :class:`~routerlab.server.protocol.APIError` (OpenAI's shape) before
any routing or upstream work. The checks are cheap on ordinary requests: the body is read in
chunks and never buffered past the limit, and the structural walk over the parsed JSON only runs
when a C-speed scan of the raw bytes says it could find something (many brackets, or a
``\\uD8xx``-style escape or raw surrogate bytes).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from routerlab.server.protocol import APIError

# Lone surrogates reach Python only through a JSON escape (\ud800 .. \udfff, any case) or as
# raw bytes ED A0..BF xx, which json.loads decodes with 'surrogatepass'.
_SURROGATE_HINTS = (b"\\ud8", b"\\ud9", b"\\uda", b"\\udb", b"\\udc", b"\\udd", b"\\ude", b"\\udf")


class ClientGone(Exception):
    """The client disconnected before its request body arrived (counted as a 499)."""


def too_large(limit: int) -> APIError:
    return APIError(
        413,
        f"The request body is larger than this gateway's limit of {limit:,} bytes "
        "(max_body_bytes in the [server] config).",
        code="request_too_large",
    )


async def read_body(
    request: Request, max_bytes: int, chunk_timeout_s: float, deadline_s: float | None = None
) -> bytes:
    """The request body, refused with a 413 as soon as it is known to exceed ``max_bytes``.

    The declared ``Content-Length`` is checked first; a chunked (or lying) body is counted as it
    arrives, so no more than ``max_bytes`` plus one chunk is ever held. A client that stops
    sending for ``chunk_timeout_s`` gets a 408, and so does one whose whole body has not arrived
    within ``deadline_s`` (a byte every few seconds would otherwise hold the connection for
    ever); one that disconnects raises :class:`ClientGone`.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise APIError(
                400, "Content-Length must be an integer.", code="invalid_request"
            ) from None
        if length > max_bytes:
            raise too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    stream = request.stream()
    loop = asyncio.get_running_loop()
    end = None if deadline_s is None else loop.time() + deadline_s
    try:
        while True:
            wait = chunk_timeout_s if end is None else min(chunk_timeout_s, end - loop.time())
            try:
                if wait <= 0:
                    raise TimeoutError
                async with asyncio.timeout(wait):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                break
            except TimeoutError:
                if end is not None and loop.time() >= end:
                    why = (
                        f"not all of it within {deadline_s:g} s (client_body_deadline_s in the "
                        "[server] config)"
                    )
                else:
                    why = (
                        f"no data for {chunk_timeout_s:g} s (client_body_timeout_s in the "
                        "[server] config)"
                    )
                raise APIError(
                    408, f"The request body did not arrive: {why}.", code="request_timeout"
                ) from None
            size += len(chunk)
            if size > max_bytes:
                raise too_large(max_bytes)
            if chunk:
                chunks.append(chunk)
    except ClientDisconnect:
        raise ClientGone() from None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_json_object(raw: bytes, max_depth: int) -> dict[str, Any]:
    """Parse a request body: a JSON object, nested at most ``max_depth`` deep, all text valid.

    ``json.loads`` is recursive in C and raises RecursionError on very deep input; that and any
    depth over the limit are a 400. Lone surrogates (``"a\\ud800b"``) parse fine but cannot be
    encoded as UTF-8 for the upstream, so they are a 400 naming the field.
    """
    # JSON over HTTP is UTF-8 (RFC 8259), but json.loads also auto-detects UTF-16/32, whose
    # text the byte-level hints below cannot see: a JSON text starts with an ASCII character,
    # so a NUL or a UTF-16/32 byte-order mark in its first four bytes means another encoding.
    if 0 in raw[:4] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise APIError(
            400,
            "The request body must be JSON encoded as UTF-8 (it looks like UTF-16 or UTF-32).",
            code="invalid_json",
        )
    try:
        body = json.loads(raw)
    except RecursionError:
        raise _too_deep(max_depth) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIError(
            400, f"We could not parse the JSON body of your request: {exc}", code="invalid_json"
        ) from None
    if not isinstance(body, dict):
        raise APIError(400, "The request body must be a JSON object.", code="invalid_json")
    deep = raw.count(b"[") + raw.count(b"{") > max_depth
    lower = raw.lower() if b"\\u" in raw else b""
    surrogates = b"\xed" in raw or any(hint in lower for hint in _SURROGATE_HINTS)
    if deep or surrogates:
        check_structure(body, max_depth)
    return body


def check_structure(body: Any, max_depth: int) -> None:
    """Walk ``body`` without recursion: refuse nesting over ``max_depth`` and invalid text."""
    stack: list[tuple[Any, int, str]] = [(body, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise _too_deep(max_depth, path)
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key, path or "body")
                    stack.append((item, depth + 1, f"{path}.{key}" if path else key))
            else:
                stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))


def _check_text(text: str, path: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise APIError(
            400,
            f"{path or 'A string in the body'} is not valid Unicode text: it holds a lone "
            f"surrogate ({text[exc.start]!r} at position {exc.start}); send UTF-8 text with "
            "surrogate pairs only.",
            param=path or None,
            code="invalid_text",
        ) from None


def _too_deep(max_depth: int, path: str = "") -> APIError:
    return APIError(
        400,
        f"The JSON body is nested more than {max_depth} levels deep "
        "(max_json_depth in the [server] config).",
        param=path or None,
        code="invalid_json",
    )
