"""The gateway's boundary (issue 13): body, JSON and text limits, content parts, context windows,
retry classification, generic 500s, no credentials in responses, off-loop work, 408/499.

The app runs in-process through httpx's ASGI transport (or raw ASGI calls) against fake upstreams
that count their calls, so every check also proves that nothing reached the upstream.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import threading
from typing import Any

import httpx
import pytest

from routerlab.errors import ConfigError, LLMError
from routerlab.pool import ContextWindowError
from routerlab.redact import backend_name, redact_urls
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, choose_model, model_within
from routerlab.server import ServerConfig, create_app
from routerlab.server.config import load_config
from routerlab.server.upstream import is_private_host
from routerlab.testing import ScriptedChatClient, make_pool
from routerlab.usage import Usage

TOKEN = "limits-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
PDF = b"%PDF-1.4\n" + b"0" * 16
CREDS_URL = "http://user:pw-s3cret@upstream.example:8080/v1"


def counting_upstream(pool, replies: Any = "ok", backend: str = "fake") -> ScriptedChatClient:
    """Answers at once and records its calls (so a test can prove none reached it); a scripted
    exception (or a function of the request returning one) makes it fail."""
    return ScriptedChatClient(
        replies, pool=pool, backend=backend, usage=Usage(3, 1), cost_usd=0.0, latency_s=0.0
    )


class ScoreRouter(Router):
    """Scores fixed per test: the policy, not the router, must keep away from small windows."""

    name = "scores"

    def __init__(self, pool, scores: dict[str, float]) -> None:
        super().__init__(pool)
        self.scores = scores

    def _decide(self, request: RouteRequest) -> Decision:
        return self._from_scores(dict(self.scores))


class NamingRouter(Router):
    """Names one model without scores, like the judge routers."""

    name = "names"

    def __init__(self, pool, model: str) -> None:
        super().__init__(pool)
        self.model = model

    def _decide(self, request: RouteRequest) -> Decision:
        return Decision(model=self.model, router=self.name)


def make_app(pool, client=None, routers=None, **config: Any):
    settings = {"token": TOKEN, "retries": 2, "retry_backoff_s": 0.0, **config}
    client = client or counting_upstream(pool)
    app = create_app(ServerConfig(**settings), client=client, routers=routers or {}, pool=pool)
    return app, client


def post(app, body: Any, *, raw: bytes | None = None, headers: dict[str, str] | None = None):
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            content = raw if raw is not None else json.dumps(body).encode()
            return await http.post(
                "/v1/chat/completions",
                content=content,
                headers={**AUTH, "content-type": "application/json", **(headers or {})},
            )

    return asyncio.run(go())


def get(app, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            return await http.get(path, headers=headers or {})

    return asyncio.run(go())


def chat(content: Any, model: str = "gpt-4.1-nano", **more: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **more}


def assert_error(response: httpx.Response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    if param is not None:
        assert error["param"] == param
    return error


# -- JSON nesting and text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        json.dumps(chat("hi", metadata={"x": json.loads("[" * 200 + "]" * 200)})).encode(),
    ],
    ids=["100k-arrays", "50k-objects", "200-deep-field"],
)
def test_deep_nesting_is_a_400_without_upstream_call(pool, raw):
    app, client = make_app(pool)
    error = assert_error(post(app, None, raw=raw), 400)
    assert error["code"] == "invalid_json" and "nested more than 64" in error["message"]
    assert len(client.calls) == 0


@pytest.mark.parametrize(
    ("content", "param"),
    [
        ("a\ud800b", "messages[0].content"),
        ([{"type": "text", "text": "x\udfffy"}], "messages[0].content[0].text"),
    ],
)
def test_lone_surrogate_is_a_400_and_never_sent_upstream(pool, content, param):
    app, client = make_app(pool)
    body = json.dumps(chat(content)).encode()  # ensure_ascii writes the \udXXX escape
    assert b"\\ud" in body
    error = assert_error(post(app, None, raw=body), 400, param)
    assert error["code"] == "invalid_text" and "surrogate" in error["message"]
    assert len(client.calls) == 0


def test_surrogate_as_raw_bytes_and_in_other_fields(pool):
    app, client = make_app(pool)
    raw = b'{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"a\xed\xa0\x80b"}]}'
    assert_error(post(app, None, raw=raw), 400, "messages[0].content")
    assert_error(post(app, chat("hi", user="u\udc00")), 400, "user")
    assert len(client.calls) == 0
    ok = post(app, chat("emoji \U0001f600 as a pair"))  # a valid surrogate pair is fine
    assert ok.status_code == 200 and len(client.calls) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_body_in_another_unicode_encoding_is_a_400(pool, encoding):
    # json.loads would decode these, lone surrogate included, past the UTF-8 byte checks.
    app, client = make_app(pool)
    raw = json.dumps(chat("a\ud800b"), ensure_ascii=False).encode(encoding, "surrogatepass")
    error = assert_error(post(app, None, raw=raw), 400)
    assert error["code"] == "invalid_json" and "UTF-8" in error["message"]
    assert len(client.calls) == 0


# -- body size, timeouts, disconnects ----------------------------------------------------------


def test_body_over_the_limit_is_a_413_declared_or_chunked(pool):
    app, client = make_app(pool, max_body_bytes=2_000)
    big = json.dumps(chat("x" * 5_000)).encode()
    error = assert_error(post(app, None, raw=big), 413)
    assert error["code"] == "request_too_large" and "2,000 bytes" in error["message"]

    sent: list[int] = []

    async def chunks():
        for _ in range(100):  # 100 x 1 kB, no Content-Length: counted while it arrives
            sent.append(1)
            yield b" " * 1_000

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            return await http.post("/v1/chat/completions", content=chunks(), headers=AUTH)

    chunked = asyncio.run(go())
    assert_error(chunked, 413)
    assert chunked.headers["connection"] == "close"
    assert len(client.calls) == 0
    assert post(app, chat("small")).status_code == 200


def _asgi_scope(body_length: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"gw"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(body_length).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


async def _call_asgi(app, receive) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(_asgi_scope(1000), receive, send)
    return sent


def test_client_that_stops_sending_gets_a_408(pool):
    app, client = make_app(pool, client_body_timeout_s=0.05)
    messages = iter([{"type": "http.request", "body": b'{"model"', "more_body": True}])
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        for message in messages:
            return message
        await never.wait()  # declared 1,000 bytes, sent 8, then silence
        return {"type": "http.disconnect"}

    sent = asyncio.run(_call_asgi(app, receive))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    body = json.loads(
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    )
    assert body["error"]["code"] == "request_timeout"
    assert len(client.calls) == 0


def test_client_that_trickles_its_body_gets_a_408_at_the_deadline(pool):
    # A chunk every 20 ms never trips the 1 s per-chunk timeout; the 0.2 s deadline for the
    # whole body does.
    app, client = make_app(pool, client_body_timeout_s=1.0, client_body_deadline_s=0.2)
    sent_chunks = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent_chunks
        sent_chunks += 1
        if sent_chunks > 1:
            await asyncio.sleep(0.02)
        if sent_chunks > 500:  # bounded: the test cannot hang if the deadline is not enforced
            return {"type": "http.request", "body": b"}", "more_body": False}
        return {"type": "http.request", "body": b" ", "more_body": True}

    sent = asyncio.run(_call_asgi(app, receive))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"client_body_deadline_s" in body
    assert sent_chunks < 500 and len(client.calls) == 0


def test_client_that_disconnects_mid_body_is_a_499_not_a_500(pool, caplog):
    app, client = make_app(pool)
    messages = iter(
        [
            {"type": "http.request", "body": b'{"model":', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    with caplog.at_level(logging.WARNING):
        asyncio.run(_call_asgi(app, receive))
    stats = get(app, "/health", AUTH).json()["requests"]["by_status"]
    assert stats.get("499") == 1 and "500" not in stats
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(client.calls) == 0


# -- content parts -----------------------------------------------------------------------------


def image(url: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": {"url": url}}]


def data_url(media: str, data: bytes) -> str:
    return f"data:{media};base64,{base64.b64encode(data).decode()}"


BAD_IMAGE_URLS = {
    "file-scheme": "file:///etc/passwd",
    "plain-http": "http://example.com/cat.png",
    "ftp": "ftp://example.com/cat.png",
    "loopback-port-22": "https://127.0.0.1:22/x.png",
    "localhost": "https://localhost/x.png",
    "ipv6-loopback": "https://[::1]/x.png",
    "private-10": "https://10.1.2.3/x.png",
    "link-local-metadata": "https://169.254.169.254/latest/meta-data",
    "legacy-127.1": "https://127.1/x.png",
    "decimal-ip": "https://2130706433/x.png",
    "mapped-ipv6": "https://[::ffff:127.0.0.1]/x.png",
    "no-host": "https:///x.png",
    "data-text-plain": data_url("text/plain", b"hello"),
    "data-pdf": data_url("application/pdf", PDF),
    "data-not-base64": "data:image/png;base64,!!!not base64!!!",
    "data-not-base64-url": "data:image/png,rawbytes",
    "data-png-with-jpeg-bytes": data_url("image/png", JPEG),
    "data-png-with-text": data_url("image/png", b"just some text, not an image"),
    "data-empty": "data:image/png;base64,",
}


@pytest.mark.parametrize("url", list(BAD_IMAGE_URLS.values()), ids=list(BAD_IMAGE_URLS))
def test_bad_image_urls_are_refused(pool, url):
    app, client = make_app(pool)
    error = assert_error(
        post(app, chat(image(url), "gpt-4.1")), 400, "messages[0].content[1].image_url.url"
    )
    assert error["code"] == "invalid_image_url"
    assert len(client.calls) == 0


def test_good_image_urls_pass_and_private_hosts_can_be_allowed(pool):
    app, client = make_app(pool)
    for url in (
        "https://example.com/cat.png",
        data_url("image/png", PNG),
        data_url("image/jpeg", JPEG),
        data_url("image/gif", b"GIF89a" + b"\x00" * 8),
        data_url("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "),
    ):
        assert post(app, chat(image(url), "gpt-4.1")).status_code == 200, url
    assert len(client.calls) == 5
    open_app, _ = make_app(pool, allow_private_image_hosts=True)
    assert post(open_app, chat(image("https://127.0.0.1/x.png"), "gpt-4.1")).status_code == 200
    big, _ = make_app(pool, max_image_bytes=10)
    error = assert_error(post(big, chat(image(data_url("image/png", PNG)), "gpt-4.1")), 400)
    assert "limit of 10 bytes" in error["message"]


def file_part(filename: Any = "report.pdf", data: str | None = None, **more: Any) -> list[dict]:
    file = {"filename": filename, "file_data": data or data_url("application/pdf", PDF), **more}
    return [{"type": "text", "text": "read"}, {"type": "file", "file": file}]


BAD_FILES = {
    "dot-dot-path": (file_part("../../etc/passwd"), "filename"),
    "nul-byte": (file_part("a\x00b.pdf"), "filename"),
    "100k-name": (file_part("x" * 100_000 + ".pdf"), "filename"),
    "name-not-string": (file_part(42), "filename"),
    "not-base64": (file_part(data="data:application/pdf;base64,%%%"), "file_data"),
    "text-declared-pdf": (file_part(data=data_url("application/pdf", b"plain text")), "file_data"),
    "png-declared-pdf": (file_part(data=data_url("application/pdf", PNG)), "file_data"),
    "not-a-data-url": (file_part(data="https://example.com/r.pdf"), "file_data"),
    "declared-text": (file_part(data=data_url("text/plain", PDF)), "file_data"),
}


@pytest.mark.parametrize(("content", "field"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_parts_are_refused(pool, content, field):
    app, client = make_app(pool)
    error = assert_error(
        post(app, chat(content, "gpt-4.1")), 400, f"messages[0].content[1].file.{field}"
    )
    assert error["code"] == "invalid_file"
    assert len(client.calls) == 0


def test_file_size_limit_and_file_id_pass_through(pool):
    small, _ = make_app(pool, max_file_bytes=8)
    error = assert_error(post(small, chat(file_part(), "gpt-4.1")), 400)
    assert "max_file_bytes" in error["message"]
    app, client = make_app(pool)
    assert post(app, chat(file_part(), "gpt-4.1")).status_code == 200
    by_id = [{"type": "text", "text": "read"}, {"type": "file", "file": {"file_id": "file-abc"}}]
    assert post(app, chat(by_id, "gpt-4.1")).status_code == 200
    assert len(client.calls) == 2


def test_private_host_rule():
    for host in ("localhost", "LOCALHOST.", "a.localhost", "127.0.0.1", "::1", "10.0.0.1",
                 "192.168.1.1", "172.16.0.1", "169.254.1.1", "0.0.0.0", "127.1", "0x7f.1",
                 "fe80::1", "::ffff:10.0.0.1", "100.64.0.1"):  # fmt: skip
        assert is_private_host(host), host
    for host in ("example.com", "8.8.8.8", "2001:4860:4860::8888", "cafe.be"):
        assert not is_private_host(host), host


# -- context windows ---------------------------------------------------------------------------


@pytest.fixture()
def small_pool():
    """Three models with tiny windows, so prompts that overflow them are a few hundred bytes."""
    return make_pool(
        ["tiny", "mid", "wide"],
        [(0.1, 0.4), (1.0, 4.0), (2.0, 8.0)],
        context_window={"tiny": 64, "mid": 600, "wide": 2_000},
    )


WORDS = " ".join(f"word{i}" for i in range(200))  # about 400 o200k tokens


def test_router_never_chooses_a_model_whose_window_is_too_small(small_pool):
    routers = {
        "scores": ScoreRouter(small_pool, {"tiny": 0.9, "mid": 0.07, "wide": 0.03}),
        "names": NamingRouter(small_pool, "tiny"),
    }
    app, client = make_app(small_pool, routers=routers)
    short = post(app, chat("hi", "router-scores"))
    assert short.json()["model"] == "tiny"  # fits: the router's choice stands
    for name in ("router-scores", "router-names"):
        reply = post(app, chat(WORDS, name))
        assert reply.status_code == 200, reply.text
        assert reply.json()["model"] in ("mid", "wide")  # tiny (64 tokens) cannot hold it
    # the output budget counts too: mid (600) cannot hold ~400 prompt + 500 output tokens
    budget = post(app, chat(WORDS, "router-scores", max_tokens=500))
    assert budget.json()["model"] == "wide"
    assert len(client.calls) == 4


def test_no_window_fits_is_a_400_naming_the_largest(small_pool):
    routers = {"scores": ScoreRouter(small_pool, {"tiny": 0.5, "mid": 0.3, "wide": 0.2})}
    app, client = make_app(small_pool, routers=routers)
    huge = WORDS * 6  # about 2,400 tokens
    error = assert_error(post(app, chat(huge, "router-scores")), 400, "messages")
    assert error["code"] == "context_length_exceeded" and "2,000 tokens" in error["message"]
    passthrough = assert_error(post(app, chat(WORDS, "tiny")), 400, "messages")
    assert "tiny's context window of 64" in passthrough["message"]
    assert "largest window in the pool is 2,000 tokens (wide)" in passthrough["message"]
    assert post(app, chat(WORDS, "wide")).status_code == 200
    assert len(client.calls) == 1


def test_policy_helpers_respect_allowed_models(pool):
    scores = {"gpt-4.1-nano": 0.2, "gpt-4.1": 0.3, "o4-mini": 0.5}
    assert choose_model(scores, pool) == "o4-mini"
    assert choose_model(scores, pool, allowed={"gpt-4.1-nano", "gpt-4.1"}) == "gpt-4.1"
    # at knob 1 the cheapest *allowed* model wins (o4-mini is priced below gpt-4.1)
    assert choose_model(scores, pool, 1.0, allowed={"gpt-4.1", "o4-mini"}) == "o4-mini"
    assert model_within("o4-mini", pool, {"gpt-4.1-nano", "gpt-4.1"}) == "gpt-4.1"
    assert model_within("gpt-4.1", pool, {"gpt-4.1"}, scores) == "gpt-4.1"
    with pytest.raises(ContextWindowError, match=r"largest is 1,047,576 tokens"):
        pool.fitting(2_000_000)
    assert pool.fitting(300_000) == ["gpt-4.1-nano", "gpt-4.1"]
    assert pool.fitting(100_000, 150_000) == ["gpt-4.1-nano", "gpt-4.1"]


def test_gateway_route_keeps_to_models_that_fit(small_pool):
    from routerlab.gateway import Gateway

    client = counting_upstream(small_pool)
    gateway = Gateway(small_pool, client, NamingRouter(small_pool, "tiny"))
    routed = gateway.route(WORDS)
    # a judge-like router names no scores: the strongest model that fits takes over
    assert routed.model == "wide" and routed.decision is not None
    assert routed.decision.details["context_window_replaced"] == "tiny"
    assert gateway.route("hi").model == "tiny"
    with pytest.raises(ContextWindowError, match=r"largest is 2,000 tokens \(wide\)"):
        gateway.route(WORDS * 6)
    with pytest.raises(ContextWindowError, match="tiny's context window of 64"):
        gateway.answer(WORDS, "tiny")
    assert len(client.calls) == 2


# -- upstream errors: what is retried, what is a 500 ----------------------------------------------


@pytest.mark.parametrize(
    ("status", "calls", "answer"),
    [
        (400, 1, 400),
        (404, 1, 400),
        (422, 1, 400),
        (401, 1, 502),
        (408, 3, 502),
        (409, 3, 502),
        (429, 3, 502),
        (500, 3, 502),
        (503, 3, 502),
    ],
)
def test_only_transient_upstream_errors_are_retried(pool, status, calls, answer):
    client = counting_upstream(
        pool, replies=lambda request: LLMError("upstream said no", kind="api_error", status=status)
    )
    app, _ = make_app(pool, client=client)
    assert_error(post(app, chat("hi")), answer)
    assert len(client.calls) == calls


def test_unencodable_text_from_the_client_is_a_400_not_retried(pool):
    def error() -> Exception:
        try:
            "a\ud800".encode()
        except UnicodeEncodeError as exc:
            raise LLMError("openai x: UnicodeEncodeError", kind="api_error") from exc
        raise AssertionError

    client = counting_upstream(pool, replies=lambda request: _raise_wrapped(error))
    app, _ = make_app(pool, client=client)
    assert assert_error(post(app, chat("hi")), 400)["code"] == "invalid_text"
    assert len(client.calls) == 1
    timeouts = counting_upstream(pool, replies=lambda request: TimeoutError())
    app, _ = make_app(pool, client=timeouts)
    assert_error(post(app, chat("hi")), 502)
    assert len(timeouts.calls) == 3


def _raise_wrapped(make) -> Exception:
    try:
        make()
    except LLMError as exc:
        return exc
    raise AssertionError


def test_unexpected_error_is_a_generic_500_with_a_request_id(pool, caplog):
    client = counting_upstream(pool, replies=RuntimeError("secret detail at /srv/keys.txt"))
    app, _ = make_app(pool, client=client)
    with caplog.at_level(logging.ERROR, logger="routerlab.server"):
        response = post(app, chat("hi"))
    error = assert_error(response, 500)
    match = re.fullmatch(r"internal error; request id (req_[0-9a-f]+)", error["message"])
    assert match, error["message"]
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert len(client.calls) == 1  # a bug is not retried
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert match.group(1) in logged and "secret detail" in logged and "Traceback" in logged
    assert get(app, "/health", AUTH).json()["requests"]["by_status"]["500"] == 1


# -- disclosure --------------------------------------------------------------------------------


def test_no_credentials_in_bodies_health_or_502s(pool):
    backend = f"openai-compatible {CREDS_URL}"
    app, _ = make_app(pool, client=counting_upstream(pool, backend=backend))
    ok = post(app, chat("hi"))
    assert ok.json()["routerlab"]["backend"] == "openai-compatible"
    health = get(app, "/health", AUTH)
    assert health.json()["backend"] == "openai-compatible"
    failing = counting_upstream(
        pool,
        backend=backend,
        replies=lambda request: LLMError(f"{backend} gpt-4.1-nano: HTTP 503: down", status=503),
    )
    app, _ = make_app(pool, client=failing)
    bad = post(app, chat("hi"))
    assert bad.status_code == 502 and "openai-compatible gpt-4.1-nano: HTTP 503" in bad.text
    rejected = counting_upstream(
        pool,
        backend=backend,
        replies=lambda request: LLMError(f"{CREDS_URL}: HTTP 400", status=400),
    )
    app, _ = make_app(pool, client=rejected)
    for response in (ok, health, bad, post(app, chat("hi"))):
        assert "pw-s3cret" not in response.text and "user:" not in response.text


def test_upstream_messages_echoing_the_key_or_token_are_redacted(pool, monkeypatch):
    # Some upstreams quote the request's Authorization header in their error message.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-echoed-key-123")
    echo = f"HTTP 400: bad header 'Bearer sk-test-echoed-key-123' and token {TOKEN}"
    app, client = make_app(
        pool, client=counting_upstream(pool, replies=lambda request: LLMError(echo, status=400))
    )
    response = post(app, chat("hi"))
    assert response.status_code == 400 and len(client.calls) == 1
    assert "sk-test-echoed-key-123" not in response.text and TOKEN not in response.text
    assert "***" in response.text


def test_no_credentials_from_a_real_openai_client_that_cannot_connect(pool):
    from routerlab.llm.base import ClientSettings
    from routerlab.llm.openai_client import OpenAIClient

    url = "http://user:pw-s3cret@127.0.0.1:9/v1"  # discard port: connection refused
    client = OpenAIClient(
        pool,
        base_url=url,
        api_key="sk-test-key",
        settings=ClientSettings(max_retries=0, timeout_s=5),
    )
    app, _ = make_app(pool, client=client, retries=0)
    response = post(app, chat("hi"))
    assert response.status_code == 502
    assert "openai-compatible" in response.text and "could not connect" in response.text
    assert "127.0.0.1:9" not in response.text  # the backend by name, not by URL
    health = get(app, "/health", AUTH)
    for text in (response.text, health.text):
        assert "pw-s3cret" not in text and "sk-test-key" not in text


def test_redaction_helpers():
    text = f"failed: {CREDS_URL}/chat?api_key=sk-1&x=2 and https://a:b@h/"
    redacted = redact_urls(text)
    assert "pw-s3cret" not in redacted and "sk-1" not in redacted and "a:b@" not in redacted
    assert "http://***@upstream.example:8080/v1/chat?api_key=***&x=2" in redacted
    assert backend_name(f"openai-compatible {CREDS_URL}") == "openai-compatible"
    assert backend_name("replay /srv/recordings.jsonl") == "replay"
    assert (
        backend_name("local SmolLM2-135M (offline stand-in)")
        == "local SmolLM2-135M (offline stand-in)"
    )


def test_padded_token_is_refused_at_start_up(pool, monkeypatch):
    for token in (" padded ", "padded\n", "\tpadded"):
        with pytest.raises(ConfigError, match="leading or trailing whitespace"):
            ServerConfig(token=token)
    monkeypatch.setenv("ROUTERLAB_GATEWAY_TOKEN", " from-env ")
    with pytest.raises(ConfigError, match=r"\$ROUTERLAB_GATEWAY_TOKEN has leading"):
        create_app(ServerConfig(), client=counting_upstream(pool), routers={}, pool=pool)
    monkeypatch.setenv("ROUTERLAB_GATEWAY_TOKEN", "fine")
    assert ServerConfig().resolved_token() == "fine"


def test_limit_settings_are_validated_and_read_from_toml(tmp_path):
    for bad in ({"max_body_bytes": 0}, {"max_json_depth": 4}, {"max_file_bytes": -1},
                {"client_body_timeout_s": 0}, {"keepalive_timeout_s": -1},
                {"allow_private_image_hosts": "yes"}, {"max_image_bytes": True}):  # fmt: skip
        with pytest.raises(ConfigError):
            ServerConfig(**bad)
    path = tmp_path / "server.toml"
    path.write_text(
        "[server]\nmax_body_bytes = 1000\nmax_json_depth = 16\nkeepalive_timeout_s = 2\n"
        "allow_private_image_hosts = true\n"
    )
    config = load_config(path)
    assert config.max_body_bytes == 1000 and config.max_json_depth == 16
    assert config.allow_private_image_hosts is True
    assert config.uvicorn_options() == {"timeout_keep_alive": 2}


# -- the event loop keeps serving --------------------------------------------------------------


def test_token_counting_and_judge_features_run_off_the_event_loop(pool, monkeypatch):
    """While a long prompt is being counted (held in its worker on purpose), /health answers."""
    import routerlab.routers.judge as judge_module
    import routerlab.server.state as state_module
    from routerlab.routers.judge import CompactJudgeRouter

    entered, release = threading.Event(), threading.Event()
    threads: dict[str, int] = {}
    real_count = state_module._count_tokens
    real_messages = judge_module.judge_messages

    def held_count(texts):
        threads["count"] = threading.get_ident()
        entered.set()
        assert release.wait(30), "the test never released the count"
        return real_count(texts)

    def recorded_messages(*args, **kwargs):
        threads["features"] = threading.get_ident()
        return real_messages(*args, **kwargs)

    monkeypatch.setattr(state_module, "_count_tokens", held_count)
    monkeypatch.setattr(judge_module, "judge_messages", recorded_messages)
    client = counting_upstream(pool)
    app, _ = make_app(pool, client=client, routers={"compact": CompactJudgeRouter(pool, client)})
    long_prompt = "Summarise this. " * 60_000  # 960k characters: over every fast bound

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            slow = asyncio.create_task(
                http.post(
                    "/v1/chat/completions", json=chat(long_prompt, "router-compact"), headers=AUTH
                )
            )
            assert await asyncio.to_thread(entered.wait, 30)
            health = await asyncio.wait_for(http.get("/health"), 30)  # served meanwhile
            release.set()
            return health, await slow

    health, slow = asyncio.run(scenario())
    assert health.status_code == 200
    assert slow.status_code == 200, slow.text
    main = threading.get_ident()
    assert threads["count"] != main and threads["features"] != main


def test_large_bodies_are_parsed_off_the_event_loop(pool, monkeypatch):
    import routerlab.server.app as app_module

    seen: list[int] = []
    real = app_module.parse_json_object

    def recorded(raw, depth):
        seen.append(threading.get_ident())
        return real(raw, depth)

    monkeypatch.setattr(app_module, "parse_json_object", recorded)
    app, _ = make_app(pool)
    assert post(app, chat("short")).status_code == 200
    assert post(app, chat("long " * 100_000)).status_code == 200
    main = threading.get_ident()
    assert seen[0] == main and seen[1] != main  # small inline (cheap), large in a worker


def test_transient_classification():
    from routerlab.retry import is_transient

    transient = [
        TimeoutError(),
        ConnectionResetError(),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        LLMError("x", kind="timeout"),
        LLMError("x", kind="connection"),
        LLMError("x", kind="bad_request", status=409),
        LLMError("x", kind="api_error", status=502),
    ]
    permanent = [
        ValueError("bad"),
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        LLMError("x", kind="bad_request", status=400),
        LLMError("x", kind="api_error"),  # no status: not a known transient failure
        LLMError("x", kind="refusal"),
        LLMError("x", kind="invalid_output"),
    ]
    assert all(is_transient(e) for e in transient)
    assert not any(is_transient(e) for e in permanent)


# -- the response cache behind the gateway -------------------------------------------------------


def test_health_shows_response_cache_counts_without_its_path(pool, tmp_path):
    from routerlab.llm.cache import CachingClient, ResponseCache

    inner = counting_upstream(pool)
    cached = CachingClient(inner, ResponseCache(tmp_path / "responses.sqlite3"))
    app, _ = make_app(pool, client=cached)
    for _ in range(2):  # temperature 0: deterministic, so the second call is a hit
        assert post(app, chat("same question", temperature=0)).status_code == 200
    assert len(inner.calls) == 1
    health = get(app, "/health", headers={"authorization": f"Bearer {TOKEN}"}).json()
    counts = health["response_cache"]
    assert counts["hits"] == 1 and counts["misses"] == 1
    assert str(tmp_path) not in json.dumps(health)
