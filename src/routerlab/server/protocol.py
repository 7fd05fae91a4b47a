"""OpenAI's chat-completions wire format, as the gateway speaks it.

Errors (``{"error": {message, type, param, code}}`` with a status code), request fields (what is
handled, forwarded to the upstream or refused), the completion body, stream chunks, and the
routing decision as ``x-routerlab-*`` headers and a ``routerlab`` field. JSON is written with the
standard library, not Pydantic models: this is the hot path.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi.responses import Response

from routerlab.gateway import RoutedResponse, routed_response
from routerlab.llm.base import ChatResult
from routerlab.redact import backend_name
from routerlab.routers.base import Decision
from routerlab.server.upstream import ContentLimits, ParsedMessages, RequestProblem, parse_messages
from routerlab.usage import Usage

HEADER = "x-routerlab-"
DEFAULT_TEMPERATURE = 1.0  # OpenAI's default, what the upstream model samples with
# Request fields forwarded to the upstream as they are; the others we know are refused.
FORWARDED = ("top_p", "stop", "seed", "presence_penalty", "frequency_penalty", "logit_bias",
             "user", "metadata", "response_format", "reasoning_effort", "store")  # fmt: skip
HANDLED = ("model", "messages", "stream", "stream_options", "temperature", "max_tokens",
           "max_completion_tokens", "n")  # fmt: skip
# Which of them a model accepts is the pool's rule (routerlab.pool.SAMPLING_FIELDS).
REFUSED = ("tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
           "logprobs", "top_logprobs", "audio", "modalities", "prediction")  # fmt: skip


class APIError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> Response:
        return json_response(self.body(), status=self.status)


def json_response(
    payload: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


@dataclass(frozen=True)
class Target:
    """What ``model`` names: a pool model, or a router and an optional cost knob."""

    model: str | None = None
    router: str | None = None
    knob: float | None = None


@dataclass(frozen=True)
class Routing:
    """The decision for one request, as reported to the client.

    ``decision`` is the router's decision as served (:meth:`GatewayState.route
    <routerlab.server.state.GatewayState.route>`): after the caller's cost knob and the context
    windows, with ``latency_s`` the time this request waited for it and ``cost_usd`` what deciding
    cost this request (0 on a decision-cache hit). A pass-through request has a decision that
    names its model and ``router`` None.
    """

    decision: Decision
    router: str | None = None  # the registered router's name; None: a pool model was named
    cache_hit: bool = False
    knob: float | None = None  # the caller's cost threshold (router-<name>-<knob>)

    @property
    def model(self) -> str:
        return self.decision.model

    @property
    def confidence(self) -> float | None:
        return self.decision.confidence

    @property
    def scores(self) -> dict[str, float] | None:
        return self.decision.scores

    @property
    def latency_s(self) -> float:
        return self.decision.latency_s

    @property
    def cost_usd(self) -> float:
        return self.decision.cost_usd

    @property
    def fallback(self) -> bool:
        return self.decision.fallback

    def fields(self) -> dict[str, Any]:
        d = self.decision  # read once: this runs for every request
        return {
            "router": self.router,
            "model": d.model,
            "confidence": d.confidence,
            "scores": d.scores,
            "cost_threshold": self.knob,
            "router_latency_ms": round(d.latency_s * 1000, 3),
            "router_cost_usd": d.cost_usd,
            "cache_hit": self.cache_hit,
            "fallback": d.fallback,
        }

    def headers(self) -> dict[str, str]:
        d = self.decision
        out = {
            HEADER + "router": self.router or "none",
            HEADER + "model": d.model,
            HEADER + "router-latency-ms": f"{d.latency_s * 1000:.3f}",
            HEADER + "router-cost-usd": f"{d.cost_usd:.8f}",
        }
        if d.confidence is not None:
            out[HEADER + "confidence"] = f"{d.confidence:.4f}"
        if self.router is not None:
            out[HEADER + "cache"] = "hit" if self.cache_hit else "miss"
            out[HEADER + "fallback"] = "true" if d.fallback else "false"
        if self.knob is not None:
            out[HEADER + "cost-threshold"] = f"{self.knob:g}"
        return out

    def answered(self, result: ChatResult[Any], upstream_s: float) -> RoutedResponse:
        """The gateway's response for the answer to this request: its usage and costs (the
        router's included) computed as for the notebooks."""
        d = self.decision
        router = self.router or "none"
        return routed_response(result, d.model, router, d, d.cost_usd, d.latency_s + upstream_s)


@dataclass(frozen=True)
class ChatRequest:
    target: Target
    parsed: ParsedMessages
    stream: bool
    include_usage: bool
    temperature: float | None
    max_tokens: int | None
    max_completion_tokens: int | None
    extra: dict[str, Any]


def read_request(
    body: dict[str, Any], resolve: Callable[[Any], Target], limits: ContentLimits | None = None
) -> ChatRequest:
    """Validate the request body; ``resolve`` turns ``model`` into a :class:`Target`;
    ``limits`` bound inline images and files."""
    for name in REFUSED:
        if body.get(name) not in (None, False, [], {}):
            raise APIError(
                400,
                f"'{name}' is not supported by the routerlab gateway (text answers only).",
                param=name,
                code="unsupported_parameter",
            )
    unknown = sorted(set(body) - set(HANDLED) - set(FORWARDED) - set(REFUSED))
    if unknown:
        raise APIError(
            400,
            f"Unrecognized request argument supplied: {unknown[0]}",
            param=unknown[0],
            code="unknown_parameter",
        )
    target = resolve(body.get("model"))
    try:
        parsed = parse_messages(body.get("messages"), limits)
    except RequestProblem as exc:
        raise APIError(400, str(exc), param=exc.param, code=exc.code) from None
    n = body.get("n")
    if n not in (None, 1):
        raise APIError(400, "only n = 1 is supported by the routerlab gateway.", param="n")
    stream = body.get("stream") or False
    if not isinstance(stream, bool):
        raise APIError(400, "'stream' must be a boolean.", param="stream", code="invalid_type")
    options = body.get("stream_options") or {}
    return ChatRequest(
        target=target,
        parsed=parsed,
        stream=stream,
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        temperature=_number(body, "temperature", 0.0, 2.0),
        max_tokens=_positive_int(body, "max_tokens"),
        max_completion_tokens=_positive_int(body, "max_completion_tokens"),
        extra={k: body[k] for k in FORWARDED if body.get(k) is not None},
    )


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise APIError(
            400, f"'{name}' must be a number in [{low:g}, {high:g}], got {value!r}.", param=name
        )
    return float(value)


def _positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise APIError(400, f"'{name}' must be an integer >= 1, got {value!r}.", param=name)
    return value


# -- responses ---------------------------------------------------------------------------------


def usage_body(usage: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def completion_body(
    response: RoutedResponse, routing: Routing, upstream_s: float, finish_reason: str | None
) -> dict[str, Any]:
    """The chat completion for an answered request: ``response`` (the gateway's answer, its
    usage and costs) and ``routing`` in a ``routerlab`` field."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": routing.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": response.answer, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason or "stop",
            }
        ],
        "usage": usage_body(response.usage),
        "system_fingerprint": None,
        "routerlab": {
            **routing.fields(),
            **answer_fields(response, upstream_s),
            # a response-cache hit pays 0 upstream; list_cost_usd is what the answer cost to make
            "cached": response.cached,
            "list_cost_usd": response.list_cost_usd,
            "backend": backend_name(response.backend),
            "stand_in": response.stand_in,
        },
    }


def answer_fields(response: RoutedResponse | None, upstream_s: float) -> dict[str, Any]:
    """Upstream latency and costs for the ``routerlab`` field (costs None: not reported)."""
    return {
        "upstream_latency_ms": round(upstream_s * 1000, 3),
        "upstream_cost_usd": response.answer_cost_usd if response else None,
        "cost_usd": response.cost_usd if response else None,
    }


def sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"data: {data}\n\n".encode()
