"""Reliability suite, part 1 (issue 13): malformed and hostile requests against the real gateway.

One ``routerlab serve`` child process (live profile) talks to a recording OpenAI-compatible
upstream on loopback. It runs with a gateway token, an API key and a base URL with credentials, so
the last tests can scan every response and the server's whole log for those secrets. Every bad
request must get a 4xx in OpenAI's error shape, reach no upstream, and leave the server answering;
across the module: no 500 and no traceback.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_support import (
    REPO,
    Gateway,
    RawConnection,
    RecordingUpstream,
    Seen,
    assert_no_500_or_traceback,
    assert_no_secret,
    assert_openai_error,
    by_status,
    chat,
    client,
    free_port,
    health,
    recording_upstream,
    request_bytes,
    running_gateway,
)

NANO = "gpt-4.1-nano"  # a vision + pdf model of the default pool: content checks are the gateway's
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# Limits of the [server] table set low enough to test quickly.
LIMITS = {
    "max_body_bytes": 8 * 1024 * 1024,
    "client_body_timeout_s": 1.0,
    "keepalive_timeout_s": 1.0,
}
BODY_LIMIT = LIMITS["max_body_bytes"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Suite:
    upstream: RecordingUpstream
    gateway: Gateway
    seen: Seen
    password: str

    def http(self, **kwargs: Any) -> httpx.Client:
        return client(self.gateway, self.seen, **kwargs)

    def port(self) -> int:
        return int(self.gateway.url.rsplit(":", 1)[1])


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    tmp: Path = tmp_path_factory.mktemp("reliability-hostile")
    token = f"gw-{secrets.token_hex(16)}"
    api_key = f"sk-test-{secrets.token_hex(16)}"
    password = f"pw-{secrets.token_hex(12)}"
    with recording_upstream() as upstream:
        base_url = f"http://user:{password}@127.0.0.1:{upstream.port}/v1"
        settings = {
            "routers": ["compact", "fixed"],
            "cache_size": 0,
            "retries": 2,
            "retry_backoff_s": 0.01,
            "upstream_timeout_s": 10.0,
            **LIMITS,
        }
        # router-fixed always names o4-mini (200,000-token window): the context-window check
        # must overrule it for longer prompts.
        with running_gateway(
            tmp,
            base_url,
            token=token,
            api_key=api_key,
            settings=settings,
            router_options={"fixed": {"model": "o4-mini"}},
        ) as gateway:
            gateway.secrets = (*gateway.secrets, password)
            yield Suite(upstream, gateway, Seen(), password)


@pytest.fixture
def s(suite: Suite) -> Suite:
    """The shared suite with a fresh upstream record (answers normally)."""
    suite.upstream.reset(judge_choice=NANO)
    return suite


def raw_post(
    s: Suite, body: bytes, *, path: str = "/v1/chat/completions"
) -> tuple[RawConnection, int, dict[str, str], bytes]:
    """POST ``body`` exactly as given on a fresh keep-alive connection."""
    conn = RawConnection(s.port())
    conn.send(request_bytes(path, body, s.gateway.auth()))
    status, headers, data = conn.read_response()
    s.seen.add_raw(f"raw POST {path}", status, headers, data)
    return conn, status, headers, data


def assert_raw_error(status: int, headers: dict[str, str], data: bytes, expected: int) -> None:
    assert status == expected, f"expected {expected}, got {status}: {data[:300]!r}"
    response = httpx.Response(
        status, headers=headers, content=data, request=httpx.Request("POST", "http://gateway/")
    )
    assert_openai_error(response, expected)


def assert_connection_still_usable(s: Suite, conn: RawConnection, headers: dict[str, str]) -> None:
    """A connection the server did not announce closing must serve the next request."""
    try:
        if headers.get("connection", "").lower() != "close":
            conn.send(request_bytes("/health", b"", s.gateway.auth(), method="GET"))
            status, _, data = conn.read_response()
            assert status == 200, f"/health on the same connection: {status} {data[:200]!r}"
    finally:
        conn.close()
    health(s.gateway, s.seen)


# -- malformed JSON ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="100k-nested-arrays"),
        pytest.param(b"[" * 100_000, id="100k-open-arrays"),
        pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="50k-nested-objects"),
        pytest.param(
            b'{"model":"gpt-4.1-nano","messages":[{"role":"user","content":'
            + b"[" * 60_000
            + b"]" * 60_000
            + b"}]}",
            id="nesting-inside-messages",
        ),
    ],
)
def test_deep_nesting_is_a_400_and_the_connection_survives(s: Suite, body: bytes) -> None:
    conn, status, headers, data = raw_post(s, body)
    assert_raw_error(status, headers, data, 400)
    assert_connection_still_usable(s, conn, headers)
    assert s.upstream.all_calls() == []


MALFORMED: list[tuple[str, bytes | dict[str, Any], int]] = [
    ("empty body", b"", 400),
    ("not JSON", b"hello", 400),
    ("truncated JSON", b'{"model": "gpt-4.1-nano", "messages": [', 400),
    ("invalid UTF-8 bytes", b'{"model": "gpt-4.1-nano", "messages": "\xff\xfe"}', 400),
    ("JSON null", b"null", 400),
    ("JSON array", b"[]", 400),
    ("JSON string", b'"hi"', 400),
    (
        "NaN literal",
        b'{"model":"gpt-4.1-nano","temperature":NaN,"messages":[{"role":"user","content":"hi"}]}',
        400,
    ),
    ("model missing", {"messages": [{"role": "user", "content": "hi"}]}, 400),
    ("model a number", {"model": 5, "messages": [{"role": "user", "content": "hi"}]}, 400),
    ("messages missing", {"model": NANO}, 400),
    ("messages empty", {"model": NANO, "messages": []}, 400),
    ("messages an object", {"model": NANO, "messages": {"role": "user"}}, 400),
    ("bad role", {"model": NANO, "messages": [{"role": "root", "content": "hi"}]}, 400),
    ("content a number", {"model": NANO, "messages": [{"role": "user", "content": 7}]}, 400),
    ("unknown part", chat(NANO, [{"type": "input_audio", "input_audio": {}}]), 400),
    ("part not an object", chat(NANO, ["text"]), 400),
    ("temperature a string", chat(NANO, "hi", temperature="hot"), 400),
    (
        "temperature 1e999",
        b'{"model":"gpt-4.1-nano","temperature":1e999,"messages":[{"role":"user","content":"hi"}]}',
        400,
    ),
    ("max_tokens negative", chat(NANO, "hi", max_tokens=-1), 400),
    ("stream a string", chat(NANO, "hi", stream="yes"), 400),
    ("n = 3", chat(NANO, "hi", n=3), 400),
    ("unknown field", chat(NANO, "hi", evil=True), 400),
    ("tools", chat(NANO, "hi", tools=[{"type": "function"}]), 400),
    ("unknown model", chat("gpt-99", "hi"), 404),
    ("cost knob out of range", chat("router-compact-2", "hi"), 400),
]


def test_malformed_requests_get_openai_shaped_4xx(s: Suite) -> None:
    with s.http() as http:
        for name, body, expected in MALFORMED:
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            response = http.post(
                "/v1/chat/completions",
                content=content,
                headers={"content-type": "application/json"},
            )
            assert response.status_code == expected, f"{name}: {response.text[:300]}"
            assert_openai_error(response, expected)
        for method, path, expected in [
            ("GET", "/v1/chat/completions", 405),
            ("GET", "/v1/nothing-here", 404),
            ("DELETE", "/v1/models", 405),
        ]:
            assert_openai_error(http.request(method, path), expected)
    assert s.upstream.all_calls() == []
    health(s.gateway, s.seen)


# -- text that is not valid Unicode --------------------------------------------------------------


@pytest.mark.parametrize("model", [NANO, "router-compact"])
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps(chat("{model}", "a\ud800b")), id="content"),
        pytest.param(
            json.dumps(chat("{model}", [{"type": "text", "text": "x\udfffy"}])), id="text-part"
        ),
        pytest.param(
            json.dumps(
                {
                    "model": "{model}",
                    "messages": [
                        {"role": "system", "content": "\udc00"},
                        {"role": "user", "content": "hi"},
                    ],
                }
            ),
            id="system-turn",
        ),
    ],
)
def test_lone_surrogate_is_a_400_without_upstream_call(s: Suite, model: str, body: str) -> None:
    assert "\\ud" in body  # json.dumps escapes the surrogate: the wire carries "\ud800"
    with s.http() as http:
        response = http.post(
            "/v1/chat/completions",
            content=body.replace("{model}", model),
            headers={"content-type": "application/json"},
        )
    assert_openai_error(response, 400)
    assert s.upstream.all_calls() == [], "text that is not valid Unicode reached the upstream"
    health(s.gateway, s.seen)


def test_valid_surrogate_pair_still_passes(s: Suite) -> None:
    """The control: an escaped pair is one valid character (U+1F600) and must be served."""
    with s.http() as http:
        body = json.dumps(chat(NANO, "smile \U0001f600"))  # on the wire: "smile \ud83d\ude00"
        assert "\\ud83d\\ude00" in body
        response = http.post(
            "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200, response.text
    assert len(s.upstream.client_calls()) == 1


# -- request size and truncated bodies ------------------------------------------------------------


def test_body_over_the_limit_is_a_413(s: Suite) -> None:
    """A body just over max_body_bytes is refused with 413 and never forwarded."""
    content = json.dumps(chat(NANO, "x" * BODY_LIMIT)).encode()
    assert len(content) > BODY_LIMIT
    with s.http() as http:
        response = http.post(
            "/v1/chat/completions", content=content, headers={"content-type": "application/json"}
        )
    assert_openai_error(response, 413)
    assert s.upstream.all_calls() == []
    health(s.gateway, s.seen)


def test_declared_length_over_the_limit_is_refused_before_the_body(s: Suite) -> None:
    """Content-Length 1 GB with only a few bytes sent: answered 413 without waiting for them."""
    conn = RawConnection(s.port())
    try:
        conn.send(
            request_bytes(
                "/v1/chat/completions", b'{"model":', s.gateway.auth(), content_length=1_000_000_000
            )
        )
        status, headers, data = conn.read_response()
        s.seen.add_raw("raw POST declared 1 GB", status, headers, data)
        assert_raw_error(status, headers, data, 413)
    finally:
        conn.close()
    health(s.gateway, s.seen)


def test_client_that_disconnects_mid_body_is_not_a_500(s: Suite) -> None:
    before = by_status(health(s.gateway, s.seen))
    for _ in range(3):
        conn = RawConnection(s.port())
        conn.send(
            request_bytes(
                "/v1/chat/completions", b'{"model": ', s.gateway.auth(), content_length=1000
            )
        )
        # Wait until the server has the request (its /health answer comes after on another
        # connection), then hang up with 990 bytes still owed.
        health(s.gateway, s.seen)
        conn.close()
    # The disconnects are handled asynchronously: poll until the server has counted all three
    # (as 499 or similar) or a bounded number of polls has passed, then check what it counted.
    for _ in range(30):
        after = by_status(health(s.gateway, s.seen))
        if sum(after.values()) >= sum(before.values()) + 3:
            break
        time.sleep(0.1)
    assert after.get("500", 0) == before.get("500", 0), f"/health counted a 500: {after}"
    assert after.get("499", 0) == before.get("499", 0) + 3, f"3 disconnects, not 499s: {after}"
    assert "Traceback" not in s.gateway.log(), s.gateway.log()[-3000:]
    assert s.upstream.all_calls() == []


def test_client_that_stops_sending_gets_an_answer(s: Suite) -> None:
    """Content-Length 1000, 10 bytes, then silence: the server must not wait forever.

    Bounded by the socket timeout (30 s); with client_body_timeout_s = 1 the answer comes after
    about a second. Any answer must be a 4xx in OpenAI's shape (the gateway uses 408).
    """
    conn = RawConnection(s.port())
    try:
        conn.send(
            request_bytes(
                "/v1/chat/completions", b'{"model": ', s.gateway.auth(), content_length=1000
            )
        )
        try:
            status, headers, data = conn.read_response()
        except ConnectionError:
            status = 0  # closed without an answer: also not waiting forever
        if status:
            s.seen.add_raw("raw POST stalled body", status, headers, data)
            assert 400 <= status < 500, (status, data[:300])
            assert_raw_error(status, headers, data, status)
    finally:
        conn.close()
    assert s.upstream.all_calls() == []
    health(s.gateway, s.seen)


def test_idle_keep_alive_connection_is_closed(s: Suite) -> None:
    """keepalive_timeout_s = 1: an idle connection is closed by the server. The 4 s wait is
    below uvicorn's own 5 s default, so this fails unless the configured limit is applied."""
    conn = RawConnection(s.port(), timeout=4.0)
    try:
        conn.send(request_bytes("/health", b"", s.gateway.auth(), method="GET"))
        status, _, _ = conn.read_response()
        assert status == 200
        assert conn.closed_by_peer(), "the server kept an idle connection open"
    finally:
        conn.close()


# -- content parts -------------------------------------------------------------------------------

BAD_IMAGE_URLS = {
    "data-text-plain": f"data:text/plain;base64,{b64(b'hello world')}",
    "data-pdf": f"data:application/pdf;base64,{b64(PDF_BYTES)}",
    "data-not-base64": "data:image/png;base64,@@@ not base64 !!!",
    "data-png-with-text-bytes": f"data:image/png;base64,{b64(b'just some text, no image')}",
    "data-png-holding-a-pdf": f"data:image/png;base64,{b64(PDF_BYTES)}",
    "data-svg": "data:image/svg+xml;base64," + b64(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    "file-etc-passwd": "file:///etc/passwd",
    "http-loopback-ssh": "http://127.0.0.1:22/x.png",
    "https-loopback": "https://127.0.0.1/x.png",
    "https-localhost": "https://localhost/x.png",
    "https-ipv6-loopback": "https://[::1]/x.png",
    "https-private-10": "https://10.0.0.5/x.png",
    "https-private-192": "https://192.168.1.1/x.png",
    "https-link-local-metadata": "https://169.254.169.254/latest/meta-data/",
    "ftp": "ftp://203.0.113.7/x.png",
    "javascript": "javascript:alert(1)",
    "empty": "",
}


@pytest.mark.parametrize("url", BAD_IMAGE_URLS.values(), ids=BAD_IMAGE_URLS.keys())
def test_bad_image_url_parts_are_refused(s: Suite, url: str) -> None:
    parts = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    with s.http() as http:
        for model in (NANO, "router-compact"):
            response = http.post("/v1/chat/completions", json=chat(model, parts))
            assert_openai_error(response, 400, param_prefix="messages")
    assert s.upstream.all_calls() == [], f"{url[:60]!r} reached the upstream"


def _file_part(name: str, data: bytes = PDF_BYTES) -> dict[str, Any]:
    return {
        "type": "file",
        "file": {"filename": name, "file_data": f"data:application/pdf;base64,{b64(data)}"},
    }


BAD_FILE_PARTS = {
    "dot-dot-etc-passwd": _file_part("../../etc/passwd"),
    "absolute-path": _file_part("/etc/passwd"),
    "windows-path": _file_part("..\\..\\boot.ini"),
    "nul-byte": _file_part("report\x00.pdf"),
    "100k-characters": _file_part("a" * 100_000 + ".pdf"),
    "text-sent-as-pdf": _file_part("notes.pdf", b"plain text, not a PDF"),
    "not-base64": {
        "type": "file",
        "file": {"filename": "doc.pdf", "file_data": "data:application/pdf;base64,%%%"},
    },
}


@pytest.mark.parametrize("part", BAD_FILE_PARTS.values(), ids=BAD_FILE_PARTS.keys())
def test_bad_file_parts_are_refused(s: Suite, part: dict[str, Any]) -> None:
    parts = [{"type": "text", "text": "summarise"}, part]
    with s.http() as http:
        for model in (NANO, "router-compact"):
            response = http.post("/v1/chat/completions", json=chat(model, parts))
            assert_openai_error(response, 400, param_prefix="messages")
    assert s.upstream.all_calls() == []


def test_good_content_parts_still_pass(s: Suite) -> None:
    """The control: the checks refuse bad parts, not images and PDFs as such."""
    parts = [
        {"type": "text", "text": "compare these"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG_1X1)}"}},
        {"type": "image_url", "image_url": {"url": "https://93.184.215.14/cat.png"}},
        _file_part("report.pdf"),
    ]
    with s.http() as http:
        response = http.post("/v1/chat/completions", json=chat(NANO, parts))
    assert response.status_code == 200, response.text
    assert len(s.upstream.client_calls()) == 1


# -- context windows -------------------------------------------------------------------------------

LONG_PROMPT = " the" * 400_001  # 400,001 tokens (o200k and cl100k): over o4-mini's 200,000


def _window(model: str) -> int:
    from routerlab.pool import load_pool

    return load_pool()[model].context_window


def test_prompt_token_count_is_what_the_test_claims() -> None:
    from routerlab.tokens import count_tokens

    assert count_tokens(LONG_PROMPT) == 400_001 > _window("o4-mini")


@pytest.mark.parametrize("model", ["router-fixed", "router-compact"])
def test_long_prompt_is_never_routed_to_a_model_it_does_not_fit(s: Suite, model: str) -> None:
    """router-fixed names o4-mini, and the judge behind router-compact answers o4-mini."""
    s.upstream.reset(judge_choice="o4-mini")
    with s.http() as http:
        response = http.post("/v1/chat/completions", json=chat(model, LONG_PROMPT))
    assert response.status_code == 200, response.text[:500]
    chosen = response.headers.get("x-routerlab-model", response.json().get("model"))
    assert chosen != "o4-mini" and _window(chosen) >= 400_001, chosen
    sent = [c.body["model"] for c in s.upstream.client_calls()]
    assert sent == [chosen], sent


def test_long_prompt_to_a_small_window_model_is_a_400(s: Suite) -> None:
    with s.http() as http:
        response = http.post("/v1/chat/completions", json=chat("o4-mini", LONG_PROMPT))
    assert_openai_error(response, 400)
    assert s.upstream.client_calls() == []


@pytest.mark.parametrize("model", ["router-fixed", "router-compact", NANO])
def test_prompt_fitting_no_window_is_a_400_naming_the_largest(s: Suite, model: str) -> None:
    """400,001 prompt tokens + max_tokens 700,000 exceed every window (largest 1,047,576)."""
    largest = max(_window(m) for m in ("gpt-4.1-nano", "gpt-4.1", "o4-mini"))
    with s.http() as http:
        response = http.post(
            "/v1/chat/completions", json=chat(model, LONG_PROMPT, max_tokens=700_000)
        )
    error = assert_openai_error(response, 400)
    assert str(largest) in error["message"] or f"{largest:,}" in error["message"], error
    assert s.upstream.client_calls() == []


# -- authentication ----------------------------------------------------------------------------------


def _wrong_auth(token: str) -> dict[str, list[tuple[str, str | bytes]]]:
    basic = b64(f"user:{token}".encode())
    return {
        "none": [],
        "empty bearer": [("authorization", "Bearer")],
        "wrong token": [("authorization", "Bearer wrong")],
        "token plus a char": [("authorization", f"Bearer {token}x")],
        "token minus a char": [("authorization", f"Bearer {token[:-1]}")],
        "token upper-cased": [("authorization", f"Bearer {token.upper()}")],
        "token and more": [("authorization", f"Bearer {token} {token}")],
        "basic scheme": [("authorization", f"Basic {basic}")],
        "token scheme": [("authorization", f"Token {token}")],
        "no scheme": [("authorization", token)],
        "x-api-key only": [("x-api-key", token)],
        "api-key only": [("api-key", token)],
        "non-ascii token": [("authorization", "Bearer t\xf6ken".encode("latin-1"))],
        "second header wrong": [("authorization", "Bearer wrong"), ("authorization", token)],
    }


def test_wrong_auth_variants_are_401(s: Suite) -> None:
    token = s.gateway.token
    assert token is not None
    variants = _wrong_auth(token)
    with s.http(auth=False) as http:
        for name, headers in variants.items():
            for method, path, body in [
                ("POST", "/v1/chat/completions", chat(NANO, "hi")),
                ("GET", "/v1/models", None),
            ]:
                response = http.request(method, path, json=body, headers=httpx.Headers(headers))
                assert response.status_code == 401, f"{name} on {path}: {response.status_code}"
                assert_openai_error(response, 401)
        query = http.post(f"/v1/chat/completions?api_key={token}", json=chat(NANO, "hi"))
        assert_openai_error(query, 401)
        anonymous = http.get("/health")
        assert anonymous.status_code == 200  # liveness for load balancers, without details
        assert "requests" not in anonymous.json() and "backend" not in anonymous.json()
    # Without the token nothing about the upstream is shown, not even its address.
    upstream_address = f"127.0.0.1:{s.upstream.port}"
    for where, _status, headers, body in s.seen.responses[-(2 * len(variants) + 2) :]:
        assert upstream_address not in body.decode("utf-8", "replace") + json.dumps(headers), where
    assert s.upstream.all_calls() == []
    health(s.gateway, s.seen)


# -- start-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["config", "env"])
def test_padded_token_is_refused_at_start_up(tmp_path: Path, where: str) -> None:
    """A token with surrounding whitespace would reject every client: refused before serving,
    with a one-line error and no traceback."""
    config = tmp_path / "server.toml"
    config.write_text(
        '[server]\nprofile = "live"\nbase_url = "http://127.0.0.1:9/v1"\n'
        + ('token = " padded "\n' if where == "config" else ""),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("ROUTERLAB_GATEWAY_TOKEN",)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    if where == "env":
        env["ROUTERLAB_GATEWAY_TOKEN"] = " padded\n"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "routerlab",
            "serve",
            "--config",
            str(config),
            "--port",
            str(free_port()),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, f"the server started with a padded token:\n{output}"
    assert "Traceback" not in output, output
    assert "whitespace" in output.lower(), output


# -- the module's invariants (run last: pytest keeps file order) ----------------------------------


def test_secrets_never_appear_in_responses_or_the_log(s: Suite) -> None:
    """Exercise the paths that carry backend details, then scan everything seen so far."""
    with s.http() as http:
        assert http.post("/v1/chat/completions", json=chat(NANO, "hi")).status_code == 200
        assert (
            http.post("/v1/chat/completions", json=chat("router-compact", "hi")).status_code == 200
        )
        with http.stream(
            "POST", "/v1/chat/completions", json=chat(NANO, "hi", stream=True)
        ) as streamed:
            assert streamed.status_code == 200
        http.get("/v1/models")
        http.get("/health")
        s.upstream.reset(fail_every=1)  # every upstream call fails: a 502 and its message
        assert_openai_error(http.post("/v1/chat/completions", json=chat(NANO, "hi")), 502)
        s.upstream.reset()
    with s.http(auth=False) as http:
        http.get("/health")
    assert_no_secret(s.seen.text(), s.gateway.secrets, "a response (body or header)")
    assert_no_secret(s.gateway.log(), s.gateway.secrets, "the server log")


def test_no_500_and_no_traceback_across_the_module(s: Suite) -> None:
    assert len(s.seen.responses) > 50  # the module's requests were all recorded
    assert_no_500_or_traceback(s.gateway, s.seen)
