"""OpenAIClient driven through the real openai SDK against an httpx2.MockTransport (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import httpx2
import pytest
from pydantic import BaseModel, Field

from routerlab.errors import ConfigError, LLMError, UnknownModelError
from routerlab.llm.base import ChatResult, ClientSettings
from routerlab.llm.openai_client import OpenAIClient
from routerlab.usage import Usage

USER = [{"role": "user", "content": "Which model should answer 'what is 2+2'?"}]
FAST = ClientSettings(timeout_s=5.0, max_retries=2)
NO_WAIT = {"retry-after-ms": "1"}  # the SDK honours it: retries wait 1 ms instead of ~0.5 s


class Decision(BaseModel):
    model: Literal["gpt-4.1-nano", "gpt-4.1", "o4-mini"]
    confidence: float = Field(ge=0, le=1)


def completion(
    content: str | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "gpt-4.1-nano-2025-04-14",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        },
    }


class Server:
    """Records each request and answers with the next scripted response."""

    def __init__(self, *responses: httpx2.Response | Callable[[httpx2.Request], Any]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        response = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if callable(response) and not isinstance(response, httpx2.Response):
            return response(request)
        return response

    def body(self, index: int = -1) -> dict[str, Any]:
        return json.loads(self.requests[index].content)


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch) -> None:
    """The developer's own OpenAI settings must not change what these tests see."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def make(pool, server: Server, settings: ClientSettings = FAST, **kwargs: Any) -> OpenAIClient:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    return OpenAIClient(pool, api_key="sk-test", settings=settings, http_client=http, **kwargs)


async def test_structured_parse_sends_schema_and_returns_model(pool) -> None:
    server = Server(
        httpx2.Response(200, json=completion('{"model": "gpt-4.1", "confidence": 0.8}'))
    )
    client = make(pool, server)
    result = await client.acomplete(
        "gpt-4.1-nano", USER, temperature=0, max_tokens=50, response_format=Decision
    )
    assert isinstance(result.parsed, Decision)
    assert result.parsed.model == "gpt-4.1" and result.parsed.confidence == 0.8
    assert result.backend == "openai" and result.stand_in is False
    body = server.body()
    assert body["model"] == "gpt-4.1-nano" and body["messages"] == USER
    assert body["temperature"] == 0 and body["max_tokens"] == 50
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "Decision" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert set(schema["properties"]) == {"model", "confidence"}
    assert schema["properties"]["model"]["enum"] == ["gpt-4.1-nano", "gpt-4.1", "o4-mini"]
    assert server.requests[0].headers["authorization"] == "Bearer sk-test"


async def test_plain_call_usage_and_cost_with_cached_and_reasoning_tokens(pool) -> None:
    server = Server(
        httpx2.Response(
            200,
            json=completion(
                "Paris.",
                prompt_tokens=1_000,
                completion_tokens=500,
                cached_tokens=400,
                reasoning_tokens=300,
            ),
        )
    )
    client = make(pool, server)
    result = await client.acomplete("o4-mini", USER, max_completion_tokens=600)
    assert result.text == "Paris." and result.parsed is None and result.finish_reason == "stop"
    assert result.usage == Usage(1_000, 500, 400, 300)
    # o4-mini: 600 uncached x 1.10 + 400 cached x 0.275 + 500 output (reasoning incl.) x 4.40
    expected = (600 * 1.10 + 400 * 0.275 + 500 * 4.40) / 1_000_000
    assert result.cost_usd == pytest.approx(expected)
    assert result.latency_s > 0
    body = server.body()
    assert "temperature" not in body and "max_tokens" not in body  # only what was passed
    assert body["max_completion_tokens"] == 600


@pytest.mark.parametrize("status", [429, 500])
async def test_retries_then_succeeds(pool, status: int) -> None:
    server = Server(
        httpx2.Response(status, json={"error": {"message": "busy"}}, headers=NO_WAIT),
        httpx2.Response(status, json={"error": {"message": "busy"}}, headers=NO_WAIT),
        httpx2.Response(200, json=completion("ok")),
    )
    client = make(pool, server, ClientSettings(timeout_s=5.0, max_retries=2))
    result = await client.acomplete("gpt-4.1-nano", USER)
    assert result.text == "ok"
    assert len(server.requests) == 3


async def test_retries_exhausted_rate_limit(pool) -> None:
    server = Server(httpx2.Response(429, json={"error": {"message": "slow down"}}, headers=NO_WAIT))
    client = make(pool, server, ClientSettings(timeout_s=5.0, max_retries=1))
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER)
    assert info.value.kind == "rate_limit" and info.value.status == 429
    assert len(server.requests) == 2  # the first try and one retry


async def test_timeout_is_mapped(pool) -> None:
    def hang(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("read timed out", request=request)

    server = Server(hang)
    client = make(pool, server, ClientSettings(timeout_s=0.5, max_retries=0))
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER)
    assert info.value.kind == "timeout"
    assert len(server.requests) == 1


async def test_connection_error_is_mapped(pool) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    client = make(pool, Server(refuse), ClientSettings(timeout_s=1.0, max_retries=0))
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER)
    assert info.value.kind == "connection"


@pytest.mark.parametrize(("status", "text"), [(400, "bad temperature"), (401, "bad key")])
async def test_client_errors_carry_status_without_retry(pool, status: int, text: str) -> None:
    server = Server(httpx2.Response(status, json={"error": {"message": text}}))
    client = make(pool, server)
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER)
    assert info.value.status == status and info.value.kind == "bad_request"
    assert text in str(info.value)
    assert "sk-test" not in str(info.value)
    assert len(server.requests) == 1


async def test_refusal_is_an_error(pool) -> None:
    server = Server(httpx2.Response(200, json=completion(None, refusal="I can't help with that.")))
    client = make(pool, server)
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER, response_format=Decision)
    assert info.value.kind == "refusal" and "can't help" in str(info.value)


@pytest.mark.parametrize(
    "content", ['{"model": "gpt-4.1", "confidence": 0.8', '{"model": "gpt-5", "confidence": 0.5}']
)
async def test_invalid_structured_output(pool, content: str) -> None:
    client = make(pool, Server(httpx2.Response(200, json=completion(content))))
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER, response_format=Decision)
    assert info.value.kind == "invalid_output" and "schema" in str(info.value)


async def test_truncated_structured_output(pool) -> None:
    server = Server(httpx2.Response(200, json=completion('{"model": "gp', finish_reason="length")))
    client = make(pool, server)
    with pytest.raises(LLMError) as info:
        await client.acomplete("gpt-4.1-nano", USER, response_format=Decision)
    assert info.value.kind == "invalid_output" and "token limit" in str(info.value)


@pytest.mark.parametrize(
    ("model", "messages", "temperature", "error"),
    [
        ("gpt-4.1-nano", [], None, ConfigError),
        ("gpt-5", USER, None, UnknownModelError),
        ("gpt-4.1-nano", USER, 3, ConfigError),
    ],
)
async def test_bad_input_fails_before_any_request(pool, model, messages, temperature, error):
    server = Server(httpx2.Response(200, json=completion("never")))
    client = make(pool, server)
    with pytest.raises(error):
        await client.acomplete(model, messages, temperature=temperature)
    assert server.requests == []


async def test_extra_fields_and_compatible_server(pool) -> None:
    server = Server(httpx2.Response(200, json=completion("hi")))
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    client = OpenAIClient(pool, base_url="http://127.0.0.1:9/v1", http_client=http)
    result = await client.acomplete("gpt-4.1-nano", USER, extra={"seed": 7, "top_k": 5})
    assert result.backend == "openai-compatible http://127.0.0.1:9/v1"
    request = server.requests[0]
    assert str(request.url) == "http://127.0.0.1:9/v1/chat/completions"
    assert server.body()["seed"] == 7 and server.body()["top_k"] == 5
    assert request.headers["authorization"].startswith("Bearer ")  # the placeholder key


async def test_missing_key_without_base_url(pool) -> None:
    client = OpenAIClient(pool)  # constructing needs no key: the SDK client is built lazily
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        await client.acomplete("gpt-4.1-nano", USER)


async def test_stream_yields_deltas_and_reports_usage(pool) -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]},
        {
            "choices": [],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        },
    ]
    base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4.1-nano"}
    sse = "".join(f"data: {json.dumps({**base, **c})}\n\n" for c in chunks) + "data: [DONE]\n\n"
    server = Server(
        httpx2.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})
    )
    client = make(pool, server)
    results: list[ChatResult[Any]] = []
    deltas = [d async for d in client.astream("gpt-4.1-nano", USER, on_result=results.append)]
    assert deltas == ["Hel", "lo"]
    body = server.body()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    (result,) = results
    assert result.text == "Hello" and result.usage == Usage(10, 2)
    assert result.cost_usd == pytest.approx((10 * 0.10 + 2 * 0.40) / 1_000_000)
    assert result.finish_reason == "stop"


def test_sync_wrapper_and_no_client_at_construction(pool) -> None:
    server = Server(httpx2.Response(200, json=completion("sync ok")))
    client = make(pool, server)
    assert client._client is None  # nothing built before the first call
    assert client.complete("gpt-4.1-nano", USER).text == "sync ok"


def test_backend_description_never_carries_url_credentials(pool):
    from routerlab.llm.openai_client import OpenAIClient

    client = OpenAIClient(pool, base_url="http://user:pw-s3cret@127.0.0.1:9/v1", api_key="sk-x")
    assert "pw-s3cret" not in client.backend and "user" not in client.backend
    assert client.backend.startswith("openai-compatible http://")
    assert client.base_url == "http://user:pw-s3cret@127.0.0.1:9/v1"  # the SDK still gets it
