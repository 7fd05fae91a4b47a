"""The gateway server on loopback, called with the real ``openai`` client (upstream is a fake)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import openai
import pytest
import uvicorn

from routerlab.errors import LLMError, RouterlabError
from routerlab.llm.request import LLMRequest
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, make_router
from routerlab.server import ServerConfig, create_app
from routerlab.server.batching import MicroBatcher
from routerlab.testing import ScriptedChatClient, fail_first
from routerlab.usage import Usage

TOKEN = "test-token"
LONG = "Explain, with a worked proof, why the halting problem is undecidable. " * 30


def echo(request: LLMRequest) -> str:
    return f"echo from {request.model}"


def upstream_error(status: int = 503) -> LLMError:
    return LLMError("upstream is down", kind="api_error", status=status)


def fake_upstream(pool, replies: Any = echo) -> ScriptedChatClient:
    """An upstream answering at once (streams word by word) and recording every call."""
    return ScriptedChatClient(
        replies, pool=pool, backend="fake", usage=Usage(prompt_tokens=12, completion_tokens=3),
        latency_s=0.0,
    )  # fmt: skip


@contextmanager
def serve(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a background thread."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def upstream(pool) -> ScriptedChatClient:
    return fake_upstream(pool)


@pytest.fixture(scope="module")
def base_url(pool, upstream) -> Iterator[str]:
    config = ServerConfig(token=TOKEN, retries=0)
    app = create_app(config, client=upstream, routers={"length": make_router("length", pool)})
    with serve(app) as url:
        yield url


@pytest.fixture()
def client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=TOKEN, max_retries=0)


def test_pass_through_model(client, upstream):
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4.1", messages=[{"role": "user", "content": "hello"}], temperature=0.3
    )
    completion = raw.parse()
    assert completion.model == "gpt-4.1"
    assert completion.choices[0].message.content == "echo from gpt-4.1"
    assert completion.usage.prompt_tokens == 12
    assert raw.headers["x-routerlab-router"] == "none"
    assert raw.headers["x-routerlab-model"] == "gpt-4.1"
    assert float(raw.headers["x-routerlab-upstream-ms"]) >= 0
    extra = completion.model_extra["routerlab"]
    assert extra["router"] is None and extra["cost_usd"] > 0
    call = upstream.calls[-1]
    assert call.message_list() == [{"role": "user", "content": "hello"}]
    assert call.temperature == 0.3


def test_router_chooses_and_reports_decision(client):
    short = client.chat.completions.with_raw_response.create(
        model="router-length", messages=[{"role": "user", "content": "2+2?"}]
    )
    long = client.chat.completions.with_raw_response.create(
        model="router-length", messages=[{"role": "user", "content": LONG}]
    )
    assert short.parse().model == "gpt-4.1-nano"
    assert long.parse().model == "gpt-4.1"  # the length router's strong model
    for raw in (short, long):
        assert raw.headers["x-routerlab-router"] == "length"
        assert raw.headers["x-routerlab-model"] == raw.parse().model
        assert 0 <= float(raw.headers["x-routerlab-confidence"]) <= 1
        assert float(raw.headers["x-routerlab-router-latency-ms"]) >= 0
        info = raw.parse().model_extra["routerlab"]
        assert info["model"] == raw.parse().model
        assert set(info["scores"]) == {"gpt-4.1-nano", "gpt-4.1", "o4-mini"}
    # the cost knob re-applies the shared policy: at 1.0 the cheapest model always wins
    cheap = client.chat.completions.create(
        model="router-length-1.0", messages=[{"role": "user", "content": LONG}]
    )
    assert cheap.model == "gpt-4.1-nano"
    assert cheap.model_extra["routerlab"]["cost_threshold"] == 1.0


def test_capability_aware_params_and_parts_reach_upstream(client, upstream):
    parts = [
        {"type": "text", "text": "describe"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {
            "type": "file",
            "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"},
        },
    ]
    client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": parts}],
        temperature=0.5,
        max_tokens=64,
        top_p=0.9,
        seed=7,
    )
    call = upstream.calls[-1]
    assert dict(call.extra) == {"seed": 7}  # top_p dropped like temperature
    assert call.model == "o4-mini"
    assert call.messages[0]["content"] == parts
    assert call.temperature is None  # reasoning models reject it
    assert call.max_completion_tokens == 64 and call.max_tokens is None
    client.chat.completions.create(
        model="gpt-4.1-nano", messages=[{"role": "user", "content": "x"}], max_tokens=7
    )
    assert upstream.calls[-1].max_tokens == 7


def test_streaming_sse(client, base_url, upstream):
    stream = client.chat.completions.create(
        model="router-length", messages=[{"role": "user", "content": "stream me"}], stream=True
    )
    chunks = list(stream)
    assert upstream.streamed[-1] and upstream.calls[-1].model == "gpt-4.1-nano"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo from gpt-4.1-nano"  # the upstream's deltas, joined back
    assert all(c.model == "gpt-4.1-nano" for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["routerlab"]["router"] == "length"
    # the wire format ends with the OpenAI terminator
    body = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "s"}], "stream": True}
    raw = httpx.post(
        f"{base_url}/v1/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [line for line in raw.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[0][len("data: ") :])["object"] == "chat.completion.chunk"


def test_models_lists_pool_and_routers(client):
    ids = [m.id for m in client.models.list()]
    assert ids == ["gpt-4.1-nano", "gpt-4.1", "o4-mini", "router-length"]


def test_decision_cache_hit_shows_in_health(client, base_url):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert set(httpx.get(f"{base_url}/health").json()) == {"status", "details"}  # no token
    before = httpx.get(f"{base_url}/health", headers=auth).json()["decision_cache"]
    messages = [{"role": "user", "content": "a prompt asked twice"}]
    first = client.chat.completions.with_raw_response.create(
        model="router-length", messages=messages
    )
    second = client.chat.completions.with_raw_response.create(
        model="router-length", messages=messages
    )
    assert first.headers["x-routerlab-cache"] == "miss"
    assert second.headers["x-routerlab-cache"] == "hit"
    after = httpx.get(f"{base_url}/health", headers=auth).json()["decision_cache"]
    assert after["hits"] == before["hits"] + 1
    assert after["misses"] == before["misses"] + 1
    assert 0 < after["hit_rate"] <= 1


def test_errors_follow_openai_shape(client, base_url):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "x"}])
    assert info.value.code == "model_not_found"
    assert "router-length" in info.value.message  # the error names what is available

    with pytest.raises(openai.AuthenticationError) as info:
        openai.OpenAI(base_url=f"{base_url}/v1", api_key="wrong", max_retries=0).models.list()
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"

    bad_part = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4.1", messages=bad_part)
    assert info.value.code == "unsupported_content_part"
    assert info.value.param == "messages[0].content[0].type"

    headers = {"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    url = f"{base_url}/v1/chat/completions"
    missing = httpx.post(url, json={"model": "gpt-4.1"}, headers=headers)
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "messages"
    assert set(missing.json()["error"]) == {"message", "type", "param", "code"}
    bad_json = httpx.post(url, content=b"{not json", headers=headers)
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    no_token = httpx.post(url, json={"model": "gpt-4.1", "messages": []})
    assert no_token.status_code == 401
    knob = httpx.post(
        url,
        json={"model": "router-length-7", "messages": [{"role": "user", "content": "x"}]},
        headers=headers,
    )
    assert knob.status_code == 400 and "[0, 1]" in knob.json()["error"]["message"]


def test_upstream_failure_retries_then_502(pool):
    flaky = fake_upstream(pool, fail_first(1, upstream_error, then=echo))
    down = fake_upstream(pool, lambda request: upstream_error())
    rejects = fake_upstream(pool, lambda request: upstream_error(400))
    config = ServerConfig(retries=2, retry_backoff_s=0.0)
    messages = [{"role": "user", "content": "hi"}]
    for upstream, expected in ((flaky, 200), (down, 502), (rejects, 400)):
        with serve(create_app(config, client=upstream, routers={})) as url:
            sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
            if expected == 200:
                assert sdk.chat.completions.create(model="gpt-4.1", messages=messages).model
                assert len(flaky.calls) == 2  # one failure, one retry
            else:
                with pytest.raises(openai.APIStatusError) as info:
                    sdk.chat.completions.create(model="gpt-4.1", messages=messages)
                assert info.value.status_code == expected
                if expected == 502:
                    assert len(down.calls) == 3  # first try + 2 retries
                    assert "after 3 attempt(s)" in info.value.message
                else:
                    assert len(rejects.calls) == 1  # a rejected request is not retried


class SlowBatchRouter(Router):
    """A batched router (like the classifier) whose first batch "computes" until ``expected``
    requests have been submitted to the batcher, so the rest must queue into one later batch."""

    name = "slowbatch"

    def __init__(self, pool, expected: int) -> None:
        super().__init__(pool)
        self.expected = expected
        self.submitted = 0
        self.all_in = threading.Event()

    def _decide(self, request: RouteRequest) -> Decision:
        return Decision(model="gpt-4.1", router=self.name, scores={"gpt-4.1": 1.0})

    def route_batch(self, requests):
        self.all_in.wait(30)  # bounded: the test fails on the counts instead of hanging
        return [self._decide(r) for r in requests]


class BrokenRouter(Router):
    name = "broken"

    def _decide(self, request: RouteRequest) -> Decision:
        raise RuntimeError("weights missing")


def test_concurrent_requests_share_router_batches(pool, monkeypatch):
    router = SlowBatchRouter(pool, expected=16)
    submit = MicroBatcher.submit

    async def counted(self, request):
        router.submitted += 1
        if router.submitted >= router.expected:
            router.all_in.set()
        return await submit(self, request)

    monkeypatch.setattr(MicroBatcher, "submit", counted)
    app = create_app(
        ServerConfig(batch_max_wait_ms=20),
        client=fake_upstream(pool),
        routers={"slowbatch": router},
    )
    with serve(app) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)

        def ask(i: int) -> str:
            messages = [{"role": "user", "content": f"question {i}"}]
            return sdk.chat.completions.create(model="router-slowbatch", messages=messages).model

        with ThreadPoolExecutor(16) as workers:
            models = list(workers.map(ask, range(16)))
        stats = httpx.get(f"{url}/health").json()["batching"]["slowbatch"]
    assert models == ["gpt-4.1"] * 16
    assert stats["requests"] == 16
    # the first batch held until all 16 were queued: whatever it took, the rest came as one
    assert router.all_in.is_set() and stats["batches"] <= 2 and stats["largest_batch"] >= 8


def test_router_failure_and_stream_failure_status(pool):
    down = fake_upstream(pool, lambda request: upstream_error())
    config = ServerConfig(retries=1, retry_backoff_s=0.0)
    routers = {"broken": BrokenRouter(pool), "fixed": make_router("fixed", pool)}
    app = create_app(config, client=down, routers=routers)
    with serve(app) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        messages = [{"role": "user", "content": "hi"}]
        with pytest.raises(openai.InternalServerError) as info:
            sdk.chat.completions.create(model="router-broken", messages=messages)
        # a generic message with a request id; the details go to the server log only
        assert info.value.code == "router_error" and "weights missing" not in info.value.message
        assert "RuntimeError" not in info.value.message
        assert re.search(r"internal error; request id req_[0-9a-f]+$", info.value.message)
        # the cost knob needs per-model scores, which the fixed router does not produce
        with pytest.raises(openai.BadRequestError, match="cost knob does not apply"):
            sdk.chat.completions.create(model="router-fixed-0.5", messages=messages)
        # a stream whose upstream fails before the first token is a plain 502, not an SSE body
        with pytest.raises(openai.APIStatusError) as info:
            list(sdk.chat.completions.create(model="gpt-4.1", messages=messages, stream=True))
        assert info.value.status_code == 502
        assert len(down.calls) == 2  # first try + 1 retry


def test_offline_profile_builds_local_upstream_and_default_routers(tmp_path):
    missing = str(tmp_path / "no-classifier")
    app = create_app(ServerConfig(profile="offline", classifier_model_dir=missing))
    with serve(app) as url:
        health = httpx.get(f"{url}/health").json()
    assert health["stand_in"] is True and "offline stand-in" in health["backend"]
    assert health["routers"] == ["router-compact", "router-verbose"] and health["auth"] is False
    assert "does not exist" in health["routers_unavailable"]["classifier"]
    # a router named explicitly must load, or the server does not start
    with pytest.raises(RouterlabError, match="no-classifier"):
        create_app(
            ServerConfig(profile="offline", routers=("classifier",), classifier_model_dir=missing)
        )
