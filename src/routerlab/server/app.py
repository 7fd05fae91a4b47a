"""The OpenAI-compatible routing gateway: ``POST /v1/chat/completions``, ``GET /v1/models``,
``GET /health``.

``model`` names either a pool model (passed through) or a router, ``router-<name>`` with an
optional cost knob, ``router-<name>-<cost_threshold>`` (re-applied to the router's per-model
scores through :func:`routerlab.routers.base.choose_model`). The reply is a standard chat
completion whose ``model`` is the model that answered; the routing decision travels in
``x-routerlab-*`` headers and in an extra ``routerlab`` field.

Layers: :mod:`~routerlab.server.limits` (body size and read timeout, JSON nesting, valid text),
:mod:`~routerlab.server.upstream` (messages and content parts), :mod:`~routerlab.server.protocol`
(OpenAI wire format), :mod:`~routerlab.server.state` (context windows, routing, cache, batching),
:mod:`~routerlab.server.errors` (failures as HTTP errors), :mod:`~routerlab.server.builders`
(client and routers from the config), :mod:`~routerlab.redact` (what may be shown of the
upstream), this module (the FastAPI app, auth, streaming, the last line of error handling).
Answering itself (capability parameters, retries, usage and cost) is the shared
:class:`~routerlab.gateway.Gateway`'s, as in the notebooks.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from routerlab.errors import ConfigError
from routerlab.gateway import check_capability
from routerlab.llm.base import ChatClient, ChatResult
from routerlab.pool import ContextWindowError, Pool, load_pool
from routerlab.routers.base import Router
from routerlab.server.builders import build_client, build_routers
from routerlab.server.config import ROUTER_PREFIX, ServerConfig
from routerlab.server.errors import describe_error, internal_error
from routerlab.server.limits import ClientGone, parse_json_object, read_body
from routerlab.server.protocol import (
    DEFAULT_TEMPERATURE,
    HEADER,
    APIError,
    ChatRequest,
    Routing,
    answer_fields,
    completion_body,
    json_response,
    read_request,
    sse,
    usage_body,
)
from routerlab.server.state import GatewayState
from routerlab.server.upstream import ContentLimits, attached_files

# Bodies larger than this are parsed and checked in a worker thread (json.loads, base64 checks
# and the structure walk hold the GIL for milliseconds per megabyte); smaller ones inline.
OFFLOAD_BYTES = 256 * 1024

# -- the app -----------------------------------------------------------------------------------


class _Boundary:
    """Pure ASGI middleware around every request: timing, and the last line of error handling.

    ``x-routerlab-server-ms`` = time from request to response start (the load test subtracts the
    upstream time from it to get the gateway's own overhead as the server sees it). An exception
    that escapes the app is logged with a request id and answered with a generic 500 that names
    only that id; Starlette's own handler would log a traceback and could echo details.
    """

    def __init__(self, app: Any, gateway: GatewayState) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        started = False

        async def timed_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                elapsed = f"{(time.perf_counter() - start) * 1000:.3f}".encode()
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-routerlab-server-ms", elapsed),
                ]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except Exception as exc:
            error = internal_error(exc, f"unhandled error in {scope.get('path', '?')}")
            self.gateway.requests["500"] += 1
            if not started:
                await error.response()(scope, receive, send)


def create_app(
    config: ServerConfig | None = None,
    *,
    client: ChatClient | None = None,
    routers: Mapping[str, Router] | None = None,
    pool: Pool | None = None,
) -> FastAPI:
    """Build the gateway app.

    ``client`` is the upstream (default: built from the config's profile: OpenAI or a compatible
    ``base_url`` when live, the local small model or a replay file offline); ``routers`` maps
    names to routers (default: ``config.routers`` built with :func:`make_router`). Both are
    injectable so tests and benchmarks run with fakes.
    """
    config = config or ServerConfig()
    pool = pool or load_pool(config.pool_path)
    owns_client = client is None
    if client is None:
        client = build_client(config, pool)
    skipped: dict[str, str] = {}
    if routers is None:
        routers, skipped = build_routers(config, pool, client)
    gateway = GatewayState(config, pool, client, routers, unavailable=skipped)
    limits = ContentLimits(
        max_image_bytes=config.max_image_bytes,
        max_file_bytes=config.max_file_bytes,
        allow_private_image_hosts=config.allow_private_image_hosts,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose()
        if owns_client:
            await gateway.client.aclose()

    app = FastAPI(
        title="routerlab gateway",
        description="OpenAI-compatible chat completions that route each prompt to a pool model.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.gateway = gateway

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> Response:
        gateway.requests[str(exc.status)] += 1
        response = exc.response()
        if exc.status in (408, 413):  # the rest of the body may still be on its way: hang up
            response.headers["connection"] = "close"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return APIError(exc.status_code, str(exc.detail), code=code).response()

    def authorized(request: Request) -> bool:
        if gateway.token is None:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, supplied = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            supplied.strip().encode(), gateway.token.encode()
        )

    def authorize(request: Request) -> None:
        if not authorized(request):
            raise APIError(
                401,
                "Incorrect or missing API key: send the gateway's token as "
                "'Authorization: Bearer <token>'.",
                code="invalid_api_key",
            )

    @app.get("/health")
    async def health(request: Request) -> Response:
        # Liveness for anyone (load balancers send no token); the details (backend name,
        # counters) only with the token.
        if not authorized(request):
            return json_response({"status": "ok", "details": "send the bearer token for stats"})
        return json_response(gateway.stats())

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        authorize(request)
        created = int(gateway.started)
        data = [
            {"id": name, "object": "model", "created": created, "owned_by": "routerlab-pool"}
            for name in gateway.pool.names
        ] + [
            {
                "id": ROUTER_PREFIX + name,
                "object": "model",
                "created": created,
                "owned_by": "routerlab-router",
            }
            for name in gateway.routers
        ]
        return json_response({"object": "list", "data": data})

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        authorize(request)  # before reading a byte of the body
        try:
            raw = await read_body(
                request,
                config.max_body_bytes,
                config.client_body_timeout_s,
                config.client_body_deadline_s,
            )
        except ClientGone:  # nobody to answer; counted, not logged as an error
            gateway.requests["499"] += 1
            return Response(status_code=499)
        if len(raw) > OFFLOAD_BYTES:
            chat = await asyncio.to_thread(parse_chat, raw)
        else:
            chat = parse_chat(raw)
        limit = chat.max_completion_tokens or chat.max_tokens
        allowed = await fitting_models(chat, limit)
        temperature = DEFAULT_TEMPERATURE if chat.temperature is None else chat.temperature
        routing = await gateway.route(chat.target, chat.parsed, temperature, allowed)
        model = routing.model
        try:  # the gateway's rule: the model must read the attached kinds
            check_capability(gateway.pool, model, attached_files(chat.parsed))
        except ConfigError as exc:
            raise APIError(
                400, str(exc), param="messages", code="unsupported_content_part"
            ) from None
        headers = routing.headers()
        gateway.by_model[model] += 1
        if chat.stream:
            return await _stream(gateway, chat, routing, limit, headers)

        start = time.perf_counter()
        with gateway.upstream_errors(model):
            result = await gateway.answers.acomplete(
                model,
                chat.parsed.messages,
                temperature=chat.temperature,
                max_output_tokens=limit,
                extra=chat.extra,
            )
        upstream_s = time.perf_counter() - start
        response = routing.answered(result, upstream_s)
        payload = completion_body(response, routing, upstream_s, result.finish_reason)
        headers[HEADER + "upstream-ms"] = f"{upstream_s * 1000:.3f}"
        headers[HEADER + "cost-usd"] = f"{response.cost_usd:.8f}"
        if response.stand_in:
            headers[HEADER + "stand-in"] = "true"
        gateway.requests["200"] += 1
        return json_response(payload, headers=headers)

    def parse_chat(raw: bytes) -> ChatRequest:
        """Body bytes to a validated request (JSON limits, fields, content parts)."""
        return read_request(parse_json_object(raw, config.max_json_depth), gateway.resolve, limits)

    async def fitting_models(chat: ChatRequest, limit: int | None) -> list[str] | None:
        """The models whose context window holds the prompt plus ``limit`` (None: all do).

        A pass-through model that is too small, or a prompt no model holds, is a 400.
        """
        tokens = await gateway.prompt_tokens(chat.parsed, limit)
        if tokens is None:
            return None
        model = chat.target.model
        try:
            if model is not None:
                gateway.pool.check_fits(model, tokens, limit)
            return gateway.pool.fitting(tokens, limit) if model is None else None
        except ContextWindowError as exc:
            raise APIError(
                400, str(exc), param="messages", code="context_length_exceeded"
            ) from None

    app.add_middleware(_Boundary, gateway=gateway)
    return app


async def _stream(
    gateway: GatewayState,
    chat: ChatRequest,
    routing: Routing,
    limit: int | None,
    headers: dict[str, str],
) -> Response:
    """Stream the upstream answer as OpenAI ``chat.completion.chunk`` server-sent events.

    The first delta is fetched before the response starts, so a failing upstream is retried and
    still answered with a proper status code; a failure later in the stream becomes an ``error``
    event (the status line is already sent by then).
    """
    results: list[ChatResult[Any]] = []
    start = time.perf_counter()
    with gateway.upstream_errors(routing.model):
        first, stream = await gateway.answers.aopen_stream(
            routing.model,
            chat.parsed.messages,
            on_result=results.append,
            temperature=chat.temperature,
            max_output_tokens=limit,
            extra=chat.extra,
        )
    chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> bytes:
        return sse(
            {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": routing.model,
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
                ],
                **more,
            }
        )

    async def events() -> AsyncIterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        if first:
            yield chunk({"content": first})
        if first is not None:
            try:
                async for delta in stream:
                    if delta:
                        yield chunk({"content": delta})
            except Exception as exc:
                error = APIError(
                    502,
                    f"upstream stream from {routing.model!r} broke: "
                    f"{gateway.public(describe_error(exc))}",
                    type="api_error",
                    code="upstream_error",
                )
                gateway.requests["502"] += 1
                yield sse(error.body())
                yield sse("[DONE]")
                return
        upstream_s = time.perf_counter() - start
        result = results[-1] if results else None
        response = None
        if result is not None:
            response = routing.answered(result, upstream_s)
        extra = {**routing.fields(), **answer_fields(response, upstream_s)}
        finish = (result.finish_reason if result else None) or "stop"
        yield chunk({}, finish, routerlab=extra)
        if chat.include_usage and result is not None:
            yield sse(
                {
                    "id": chunk_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": routing.model,
                    "choices": [],
                    "usage": usage_body(result.usage),
                }
            )
        gateway.requests["200"] += 1
        yield sse("[DONE]")

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
    )
