"""A loopback OpenAI-compatible server for end-to-end tests of the live code path.

It answers what routerlab's live profile uses, deterministically and without any model:

* ``POST /v1/chat/completions`` — plain text (``"Answer: <letter>"``, the letter a hash of the
  model and the last user message, so MMLU replies parse and differ between models), structured
  outputs (a ``response_format`` of type ``json_schema`` gets a JSON object that validates against
  that schema: first enum value, minimum numbers, fixed strings), and streaming (server-sent
  events, usage in the last chunk) when the client streams. A user message containing
  :data:`FAIL_MARKER` is answered with HTTP 400, so error paths can be exercised.
* ``/v1/files`` upload, metadata and content download.
* ``/v1/batches`` create and retrieve: a batch runs every input line through the same chat
  handler when it is created and completes at once (or at the ``batch_polls``-th retrieve), writing
  an output file with one response per successful line and an error file for the rest.

:class:`FakeOpenAIServer` runs it on 127.0.0.1 in a thread, on a free port, and stops by itself
after ``max_lifetime_s`` even if a test forgets to. It counts calls (``stats``) so tests can
assert how many requests reached "upstream".
"""

from __future__ import annotations

import hashlib
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

FAIL_MARKER = "FAKE_OPENAI_FAIL"
MAX_KEPT = 1000  # chat request bodies kept for inspection (bounded: notebooks make many calls)
LETTERS = "ABCD"


# ----------------------------------------------------------------------------- schema filling


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return _resolve(dict(node), root)


def instance_for(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A deterministic value that validates against ``schema`` (the JSON Schema subset that
    OpenAI's strict structured outputs allow: objects, arrays, enums, const, anyOf, $ref)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [_resolve(o, root) for o in schema[key]]
            # prefer a real value over null
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return instance_for(chosen, root)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: instance_for(sub, root) for name, sub in props.items()}
    if kind == "array":
        n = int(schema.get("minItems", 1))
        return [instance_for(schema.get("items", {}), root) for _ in range(n)]
    if kind == "integer":
        low = schema.get("minimum")
        if low is None and "exclusiveMinimum" in schema:
            low = int(schema["exclusiveMinimum"]) + 1
        return int(low if low is not None else 1)
    if kind == "number":
        low = schema.get("minimum")
        high = schema.get("maximum")
        if low is not None and high is not None:
            return (float(low) + float(high)) / 2
        return float(low if low is not None else 1.0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = "fake"
    return text.ljust(int(schema.get("minLength", 0)), "x")


# ----------------------------------------------------------------------------- completions


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def completion_for(body: dict[str, Any], *, completion_id: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a chat completion request, deterministic in its body."""
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not isinstance(messages, list) or not messages:
        return 400, _error("the request needs a model and a non-empty messages list")
    users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    if FAIL_MARKER in last:
        return 400, _error(f"the prompt contains {FAIL_MARKER}: refused on purpose")
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema", {})
        content = json.dumps(instance_for(schema))
    elif fmt.get("type") == "json_object":
        content = "{}"
    else:
        digest = hashlib.sha256(f"{model}\n{last}".encode()).digest()
        content = f"Answer: {LETTERS[digest[0] % 4]}"
    prompt_tokens = sum(_tokens(_text_of(m.get("content"))) for m in messages)
    completion_tokens = _tokens(content)
    return 200, {
        "id": completion_id,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _error(message: str, code: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "code": code, "param": None}}


def _chunks(completion: dict[str, Any]) -> Iterator[dict[str, Any]]:
    base = {k: completion[k] for k in ("id", "created", "model")} | {
        "object": "chat.completion.chunk"
    }
    text = completion["choices"][0]["message"]["content"]
    for i in range(0, len(text), 4):  # several deltas, as a real stream sends
        delta: dict[str, Any] = {"content": text[i : i + 4]}
        if i == 0:
            delta["role"] = "assistant"
        yield base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield base | {"choices": [], "usage": completion["usage"]}


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


def create_app(state: FakeState | None = None) -> Any:
    """The FastAPI app (``app.state.fake`` is its :class:`FakeState`)."""
    app = FastAPI(title="fake OpenAI")
    fake = state or FakeState()
    app.state.fake = fake

    @app.middleware("http")
    async def require_key(request: Request, call_next: Any) -> Any:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
            return JSONResponse(_error("missing bearer key", "invalid_api_key"), status_code=401)
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
            for chunk in _chunks(payload):
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
            return JSONResponse(_error("upload needs file and purpose fields"), status_code=400)
        filename, data = fields["file"]
        file_id = _store(data, filename or "upload", data_text(fields["purpose"][1]))
        return _file_object(file_id)

    @app.get("/v1/files/{file_id}")
    async def file_meta(file_id: str) -> Any:
        if file_id not in fake.files:
            return JSONResponse(_error(f"no file {file_id}", "not_found"), status_code=404)
        return _file_object(file_id)

    @app.get("/v1/files/{file_id}/content")
    async def file_content(file_id: str) -> Any:
        fake.stats["files.content"] += 1
        if file_id not in fake.files:
            return JSONResponse(_error(f"no file {file_id}", "not_found"), status_code=404)
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
            return JSONResponse(_error(f"no file {input_id}", "not_found"), status_code=404)
        if body.get("endpoint") != "/v1/chat/completions":
            return JSONResponse(_error("only /v1/chat/completions is served"), status_code=400)
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
            return JSONResponse(_error(f"no batch {batch_id}", "not_found"), status_code=404)
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
