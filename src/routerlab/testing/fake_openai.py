"""A loopback OpenAI-compatible server for end-to-end tests of the live code path.

It answers what routerlab's live profile uses, deterministically and without any model:

* ``POST /v1/chat/completions`` — the deterministic answers of
  :mod:`routerlab.testing.fake_completions` (plain text, structured outputs, HTTP 400 for a
  prompt containing its ``FAIL_MARKER``), streamed as server-sent events (usage in the last
  chunk) when the client streams.
* ``/v1/files`` upload, metadata and content download.
* ``/v1/batches`` create and retrieve: a batch runs every input line through the same chat
  handler when it is created and completes at once (or at the ``batch_polls``-th retrieve), writing
  an output file with one response per successful line and an error file for the rest.

:class:`FakeOpenAIServer` runs it on 127.0.0.1 in a thread, on a free port, and stops by itself
after ``max_lifetime_s`` even if a test forgets to. It counts calls (``stats``) so tests can
assert how many requests reached "upstream".
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

# At module level: FastAPI resolves the handlers' (string) annotations in this module's globals.
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from routerlab.testing.fake_completions import completion_for, error_body, stream_chunks

MAX_KEPT = 1000  # chat request bodies kept for inspection (bounded: notebooks make many calls)


# ----------------------------------------------------------------------------- the app


def data_text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Fields of a multipart/form-data body as {name: (filename, bytes)} (stdlib parser: the
    server needs no python-multipart)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


@dataclass
class FakeState:
    """What the server holds and has seen (read by tests through :class:`FakeOpenAIServer`)."""

    batch_polls: int = 0  # a batch reads "completed" from this retrieve on (0: at creation)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: Counter[str] = field(default_factory=Counter)
    stats: Counter[str] = field(default_factory=Counter)
    authorization: set[str] = field(default_factory=set)
    chat_bodies: list[dict[str, Any]] = field(default_factory=list)  # last MAX_KEPT, for tests
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}-{next(self.ids)}"


def _not_found(what: str, ident: object) -> JSONResponse:
    """OpenAI's 404 for an unknown file or batch id."""
    return JSONResponse(error_body(f"no {what} {ident}", "not_found"), status_code=404)


def create_app(state: FakeState | None = None) -> Any:
    """The FastAPI app (``app.state.fake`` is its :class:`FakeState`)."""
    app = FastAPI(title="fake OpenAI")
    fake = state or FakeState()
    app.state.fake = fake

    @app.middleware("http")
    async def require_key(request: Request, call_next: Any) -> Any:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return JSONResponse(
                error_body("missing bearer key", "invalid_api_key"), status_code=401
            )
        fake.authorization.add(auth)
        return await call_next(request)

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        fake.stats["chat.completions"] += 1
        fake.chat_bodies.append(body)
        del fake.chat_bodies[:-MAX_KEPT]
        status, payload = completion_for(body, completion_id=fake.new_id("chatcmpl"))
        if status != 200 or not body.get("stream"):
            return JSONResponse(payload, status_code=status)
        fake.stats["chat.completions.stream"] += 1

        async def events() -> AsyncIterator[bytes]:
            for chunk in stream_chunks(payload):
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    def _file_object(file_id: str) -> dict[str, Any]:
        f = fake.files[file_id]
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(f["data"]),
            "created_at": 0,
            "filename": f["filename"],
            "purpose": f["purpose"],
            "status": "processed",
        }

    def _store(data: bytes, filename: str, purpose: str) -> str:
        file_id = fake.new_id("file")
        fake.files[file_id] = {"data": data, "filename": filename, "purpose": purpose}
        return file_id

    @app.post("/v1/files")
    async def upload(request: Request) -> Any:
        fake.stats["files.create"] += 1
        fields = _multipart(request.headers.get("content-type", ""), await request.body())
        if "file" not in fields or "purpose" not in fields:
            return JSONResponse(error_body("upload needs file and purpose fields"), status_code=400)
        filename, data = fields["file"]
        file_id = _store(data, filename or "upload", data_text(fields["purpose"][1]))
        return _file_object(file_id)

    @app.get("/v1/files/{file_id}")
    async def file_meta(file_id: str) -> Any:
        if file_id not in fake.files:
            return _not_found("file", file_id)
        return _file_object(file_id)

    @app.get("/v1/files/{file_id}/content")
    async def file_content(file_id: str) -> Any:
        fake.stats["files.content"] += 1
        if file_id not in fake.files:
            return _not_found("file", file_id)
        return Response(fake.files[file_id]["data"], media_type="application/octet-stream")

    def _run_batch(batch_id: str, input_file_id: str) -> dict[str, Any]:
        outputs: list[str] = []
        errors: list[str] = []
        lines = fake.files[input_file_id]["data"].decode("utf-8").splitlines()
        for n, raw in enumerate(lines):
            if not raw.strip():
                continue
            line = json.loads(raw)
            status, payload = completion_for(line["body"], completion_id=f"{batch_id}-{n}")
            record = {
                "id": f"batch_req_{batch_id}_{n}",
                "custom_id": line["custom_id"],
                "response": {"status_code": status, "request_id": f"req-{n}", "body": payload},
                "error": None,
            }
            (outputs if status == 200 else errors).append(json.dumps(record) + "\n")
        out_id = _store("".join(outputs).encode(), f"{batch_id}_output.jsonl", "batch_output")
        err_id = (
            _store("".join(errors).encode(), f"{batch_id}_error.jsonl", "batch_output")
            if errors
            else None
        )
        counts = {"total": len(outputs) + len(errors), "completed": len(outputs)}
        return {
            "output_file_id": out_id,
            "error_file_id": err_id,
            "counts": counts | {"failed": len(errors)},
        }

    def _batch_object(batch_id: str) -> dict[str, Any]:
        b = fake.batches[batch_id]
        done = fake.polls[batch_id] >= fake.batch_polls
        counts = (
            b["counts"] if done else {"total": b["counts"]["total"], "completed": 0, "failed": 0}
        )
        return {
            "id": batch_id,
            "object": "batch",
            "endpoint": b["endpoint"],
            "input_file_id": b["input_file_id"],
            "completion_window": b["completion_window"],
            "status": "completed" if done else "in_progress",
            "output_file_id": b["output_file_id"] if done else None,
            "error_file_id": b["error_file_id"] if done else None,
            "created_at": 0,
            "request_counts": counts,
        }

    @app.post("/v1/batches")
    async def create_batch(request: Request) -> Any:
        body = await request.json()
        fake.stats["batches.create"] += 1
        input_id = body.get("input_file_id")
        if input_id not in fake.files:
            return _not_found("file", input_id)
        if body.get("endpoint") != "/v1/chat/completions":
            return JSONResponse(error_body("only /v1/chat/completions is served"), status_code=400)
        batch_id = fake.new_id("batch")
        fake.batches[batch_id] = {
            "endpoint": body["endpoint"],
            "input_file_id": input_id,
            "completion_window": body.get("completion_window", "24h"),
            **_run_batch(batch_id, input_id),
        }
        return _batch_object(batch_id)

    @app.get("/v1/batches/{batch_id}")
    async def retrieve_batch(batch_id: str) -> Any:
        fake.stats["batches.retrieve"] += 1
        if batch_id not in fake.batches:
            return _not_found("batch", batch_id)
        fake.polls[batch_id] += 1
        return _batch_object(batch_id)

    return app


class FakeOpenAIServer:
    """Run :func:`create_app` on 127.0.0.1 in a daemon thread; use as a context manager.

    ``base_url`` ends in ``/v1`` as the SDK wants it. The server shuts itself down after
    ``max_lifetime_s`` so a test run can never leave it behind.
    """

    def __init__(self, *, batch_polls: int = 0, max_lifetime_s: float = 900.0) -> None:
        self.state = FakeState(batch_polls=batch_polls)
        self.max_lifetime_s = max_lifetime_s
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def stats(self) -> Counter[str]:
        return self.state.stats

    def start(self, ready_timeout_s: float = 30.0) -> FakeOpenAIServer:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.state), log_level="warning", access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-openai"
        )
        self._thread.start()
        deadline = time.monotonic() + ready_timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.05)
        self._timer = threading.Timer(self.max_lifetime_s, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
