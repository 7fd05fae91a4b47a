"""Helpers of the reliability suite (issue 13): a recording OpenAI-compatible upstream, the real
gateway in a child process, a response recorder and the checks every response must pass.

Everything listens on 127.0.0.1 only, every wait is bounded, and every server stops by itself when
its context manager exits (or when the test process ends: the gateway is a child process and the
upstream a daemon thread).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90.0  # the gateway imports FastAPI, the openai SDK and torch on busy cores
ERROR_FIELDS = ("message", "type", "param", "code")


def free_port() -> int:
    """A TCP port nothing listens on right now (the gateway binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# -- the recording upstream ---------------------------------------------------------------------


@dataclass
class UpstreamCall:
    """One call the upstream received."""

    index: int  # 1-based, in arrival order
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def is_judge(self) -> bool:
        """The judge routers ask for structured output; answers to clients never do."""
        return "response_format" in self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body.get("messages", []), ensure_ascii=False)


@dataclass
class Fault:
    """What the upstream does with a call: an HTTP status (None: answer) after a delay."""

    status: int | None = None
    delay_s: float = 0.0


class RecordingUpstream:
    """An OpenAI-compatible ``/v1/chat/completions`` that records every call.

    Faults are injected with ``fault`` (a function of the call, default: answer at once) or
    ``fail_every`` (every Nth call answers 500). Judge calls (structured output) are answered with
    ``{"model": judge_choice}``; other calls with a short text naming the model.
    """

    def __init__(self, judge_choice: str = "gpt-4.1-nano") -> None:
        self.judge_choice = judge_choice
        self.calls: list[UpstreamCall] = []
        self.fail_every = 0
        self.fault: Callable[[UpstreamCall], Fault] | None = None
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- recording and faults ----------------------------------------------------------------

    def reset(
        self,
        *,
        fail_every: int = 0,
        fault: Callable[[UpstreamCall], Fault] | None = None,
        judge_choice: str | None = None,
    ) -> None:
        with self._lock:
            self.calls.clear()
        self.fail_every = fail_every
        self.fault = fault
        if judge_choice is not None:
            self.judge_choice = judge_choice

    def client_calls(self) -> list[UpstreamCall]:
        """Calls that carry a client's request (not a judge router's question)."""
        with self._lock:
            return [c for c in self.calls if not c.is_judge]

    def all_calls(self) -> list[UpstreamCall]:
        with self._lock:
            return list(self.calls)

    def _decide(self, call: UpstreamCall) -> Fault:
        if self.fault is not None:
            return self.fault(call)
        if self.fail_every and call.index % self.fail_every == 0:
            return Fault(status=500)
        return Fault()

    # -- the app -----------------------------------------------------------------------------

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response, StreamingResponse
        from starlette.routing import Route

        async def completions(request: Request) -> Response:
            body = await request.json()
            with self._lock:
                call = UpstreamCall(len(self.calls) + 1, body, dict(request.headers))
                self.calls.append(call)
            fault = self._decide(call)
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.status is not None:
                error = {
                    "message": f"injected fault {fault.status}",
                    "type": "server_error",
                    "param": None,
                    "code": None,
                }
                return JSONResponse({"error": error}, status_code=fault.status)
            model = str(body.get("model"))
            content = (
                json.dumps({"model": self.judge_choice})
                if call.is_judge
                else f"answer {call.index} from {model}"
            )
            if body.get("stream"):
                return StreamingResponse(_sse(model, content), media_type="text/event-stream")
            return JSONResponse(_completion(model, content))

        return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        import uvicorn

        config = uvicorn.Config(
            self.app(), host=HOST, port=0, log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the recording upstream did not start")
            time.sleep(0.01)
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])
        return f"http://{HOST}:{self.port}/v1"

    def stop(self) -> None:
        """Stop listening and drop open connections (what a crashed upstream looks like)."""
        if self._server is None:
            return
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = None


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
    }


async def _sse(model: str, content: str) -> Any:
    base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 0, "model": model}
    for piece in (content[: len(content) // 2], content[len(content) // 2 :]):
        chunk = {
            **base,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        yield f"data: {json.dumps(chunk)}\n\n"
    done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield f"data: {json.dumps(done)}\n\n"
    usage = {
        **base,
        "choices": [],
        "usage": {"prompt_tokens": 11, "completion_tokens": 4, "total_tokens": 15},
    }
    yield f"data: {json.dumps(usage)}\n\n"
    yield "data: [DONE]\n\n"


@contextmanager
def recording_upstream(judge_choice: str = "gpt-4.1-nano") -> Iterator[RecordingUpstream]:
    upstream = RecordingUpstream(judge_choice)
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()


# -- the gateway in a child process --------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string for these values
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def server_toml(settings: dict[str, Any], router_options: dict[str, dict[str, Any]]) -> str:
    lines = ["[server]"] + [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    for name, options in router_options.items():
        lines.append(f"\n[server.router_options.{name}]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


@dataclass
class Gateway:
    """``routerlab serve`` running in a child process; its output goes to ``log_path``."""

    url: str
    token: str | None
    process: subprocess.Popen[bytes]
    log_path: Path
    secrets: tuple[str, ...] = ()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def alive(self) -> bool:
        return self.process.poll() is None


@contextmanager
def running_gateway(
    tmp: Path,
    upstream_url: str,
    *,
    token: str | None = None,
    api_key: str | None = None,
    settings: dict[str, Any] | None = None,
    router_options: dict[str, dict[str, Any]] | None = None,
) -> Iterator[Gateway]:
    """Start ``python -m routerlab serve`` (live profile, upstream at ``upstream_url``)."""
    port = free_port()
    config = {
        "host": HOST,
        "port": port,
        "profile": "live",
        "base_url": upstream_url,
        **(settings or {}),
    }
    config_path = tmp / f"server-{port}.toml"
    config_path.write_text(server_toml(config, router_options or {}), encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("ROUTERLAB_GATEWAY_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL")
    }
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    if token is not None:
        env["ROUTERLAB_GATEWAY_TOKEN"] = token
    if api_key is not None:
        env["OPENAI_API_KEY"] = api_key
    log_path = tmp / f"gateway-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "routerlab", "serve", "--config", str(config_path)],
            cwd=tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://{HOST}:{port}"
    secrets = tuple(s for s in (token, api_key) if s)
    gateway = Gateway(url, token, process, log_path, secrets)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                httpx.get(f"{url}/health", timeout=2.0)
                break
            except httpx.HTTPError as exc:
                if process.poll() is not None:
                    raise RuntimeError(f"the gateway exited at start-up:\n{gateway.log()}") from exc
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the gateway did not answer in time:\n{gateway.log()}"
                    ) from exc
                time.sleep(0.1)
        yield gateway
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


# -- recording what the gateway answers ------------------------------------------------------------


@dataclass
class Seen:
    """Every response a suite received: for the 500 count and the secret scan."""

    responses: list[tuple[str, int, dict[str, str], bytes]] = field(default_factory=list)

    def hook(self, response: httpx.Response) -> None:
        response.read()
        # The path only: a query string may carry what a test sent (a token in the wrong place).
        where = f"{response.request.method} {response.request.url.path}"
        self.responses.append(
            (where, response.status_code, dict(response.headers), response.content)
        )

    def add_raw(self, where: str, status: int, headers: dict[str, str], body: bytes) -> None:
        self.responses.append((where, status, headers, body))

    def statuses(self) -> list[int]:
        return [status for _, status, _, _ in self.responses]

    def server_errors(self) -> list[str]:
        return [
            f"{status} {where}: {body[:300]!r}"
            for where, status, _, body in self.responses
            if status == 500
        ]

    def text(self) -> str:
        parts = []
        for where, status, headers, body in self.responses:
            parts.append(f"{where} {status} {json.dumps(headers)}")
            parts.append(body.decode("utf-8", errors="replace"))
        return "\n".join(parts)


def client(
    gateway: Gateway, seen: Seen, *, auth: bool = True, timeout: float = 60.0
) -> httpx.Client:
    return httpx.Client(
        base_url=gateway.url,
        headers=gateway.auth() if auth else {},
        timeout=timeout,
        event_hooks={"response": [seen.hook]},
    )


def chat(model: str, content: Any, **more: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **more}


# -- checks ---------------------------------------------------------------------------------------


def assert_openai_error(
    response: httpx.Response,
    status: int | tuple[int, ...] | None = None,
    *,
    param_prefix: str | None = None,
) -> dict[str, Any]:
    """A 4xx/5xx in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    allowed = (status,) if isinstance(status, int) else status
    where = f"{response.request.method} {response.request.url.path}"
    if allowed is not None:
        assert response.status_code in allowed, (
            f"{where}: expected {allowed}, got {response.status_code}: {response.text[:500]}"
        )
    else:
        assert 400 <= response.status_code < 600, f"{where}: not an error: {response.status_code}"
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"{where}: error content-type {response.headers.get('content-type')!r}"
    )
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: not an error body: {body}"
    error = body["error"]
    missing = [key for key in ERROR_FIELDS if key not in error]
    assert not missing, f"{where}: error lacks {missing}: {error}"
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert isinstance(error["type"], str) and error["type"], error
    assert error["param"] is None or isinstance(error["param"], str), error
    assert error["code"] is None or isinstance(error["code"], str), error
    if param_prefix is not None:
        assert isinstance(error["param"], str) and error["param"].startswith(param_prefix), (
            f"{where}: param {error['param']!r} does not name {param_prefix!r}: {error}"
        )
    return dict(error)


def health(gateway: Gateway, seen: Seen) -> dict[str, Any]:
    """/health with the token: must answer 200 (the server is still up)."""
    assert gateway.alive(), f"the gateway process exited:\n{gateway.log()[-3000:]}"
    with client(gateway, seen, timeout=30.0) as http:
        response = http.get("/health")
    assert response.status_code == 200, response.text
    return dict(response.json())


def by_status(stats: dict[str, Any]) -> dict[str, int]:
    return {str(k): int(v) for k, v in stats.get("requests", {}).get("by_status", {}).items()}


def assert_no_500_or_traceback(gateway: Gateway, seen: Seen) -> None:
    """The suite's invariant: no response was a 500, /health counted none, the log has no trace."""
    assert not seen.server_errors(), "responses with status 500:\n" + "\n".join(
        seen.server_errors()[:10]
    )
    counted = by_status(health(gateway, seen)).get("500", 0)
    assert counted == 0, f"/health counts {counted} responses with status 500"
    log = gateway.log()
    assert "Traceback" not in log, f"the gateway logged a traceback:\n{log[-5000:]}"


def assert_no_secret(text: str, secrets: tuple[str, ...], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({secret[:6]}...) appears in {where}"


# -- raw HTTP/1.1 on a socket (for what httpx refuses to send) ------------------------------------


class RawConnection:
    """A keep-alive HTTP/1.1 connection that sends bytes exactly as given."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, lower-cased headers and body of the next response (Content-Length framed)."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed before a response: {self.buffer!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if not self._fill():
                raise ConnectionError("connection closed inside a response body")
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed_by_peer(self) -> bool:
        """True when the server has closed this connection (EOF or a reset) before the socket's
        timeout; False when it is still open when the timeout ends (or sent more data)."""
        try:
            return not self._fill()
        except TimeoutError:  # socket.timeout: still open, the server did not close it
            return False
        except OSError:  # reset by the peer: closed
            return True

    def close(self) -> None:
        self.sock.close()


def request_bytes(
    path: str,
    body: bytes,
    headers: dict[str, str],
    method: str = "POST",
    content_length: int | None = None,
) -> bytes:
    length = len(body) if content_length is None else content_length
    lines = [
        f"{method} {path} HTTP/1.1",
        f"host: {HOST}",
        f"content-length: {length}",
        "content-type: application/json",
    ] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
