"""The persistent response cache: hits, keys, eviction, concurrent writers, kills, opt-outs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import routerlab.llm.cache as cache_mod
from routerlab.llm.base import ChatClient
from routerlab.llm.cache import CachingClient, ResponseCache, cache_key, is_cacheable
from routerlab.llm.request import LLMRequest
from routerlab.testing import ScriptedChatClient
from routerlab.usage import Usage

SRC = str(Path(__file__).resolve().parents[1] / "src")
MSG = [{"role": "user", "content": "What is 2 + 2?"}]


class Pick(BaseModel):
    model: str


class Other(BaseModel):
    model: str
    why: str


def upstream(pool: Any, backend: str = "openai") -> ScriptedChatClient:
    """A paid backend stand-in: counts calls, answers from the request, charges list price."""
    client = ScriptedChatClient(pool=pool, backend=backend, usage=Usage(120, 7), latency_s=0.25)

    def reply(request: LLMRequest) -> str | dict[str, str]:
        schema = request.response_format
        if schema is not None:
            fields = {"model": request.model, "why": "because"}
            return {k: v for k, v in fields.items() if k in schema.model_fields}
        content = request.messages[-1]["content"]
        return f"{backend}:{request.model}:{content}:{len(client.calls)}"

    client.replies = reply
    return client


@pytest.fixture
def on(monkeypatch):
    """This file tests the cache itself: undo conftest's ROUTERLAB_NO_CACHE."""
    monkeypatch.delenv("ROUTERLAB_NO_CACHE", raising=False)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "c.sqlite3"


def test_hit_is_marked_free_and_keeps_list_price(pool, db):
    up = upstream(pool)
    client = CachingClient(up, ResponseCache(db))
    first = client.complete("gpt-4.1", MSG, temperature=0)
    second = client.complete("gpt-4.1", MSG, temperature=0)
    assert len(up.calls) == 1
    assert not first.cached and second.cached
    assert second.text == first.text and second.usage == first.usage
    assert second.cost_usd == 0.0 and second.list_cost_usd == pytest.approx(first.cost_usd)
    assert first.list_price_usd == first.cost_usd > 0
    stats = client.cache_stats()
    assert (stats["hits"], stats["misses"], stats["writes"]) == (1, 1, 1)
    assert stats["saved_usd"] == pytest.approx(first.cost_usd)
    assert client.stats()["cache"]["hits"] == 1  # what a /health endpoint can show


def test_structured_hit_returns_a_validated_object(pool, db):
    up = upstream(pool)
    client = CachingClient(up, ResponseCache(db))
    client.complete("gpt-4.1-nano", MSG, temperature=0, response_format=Pick)
    hit = client.complete("gpt-4.1-nano", MSG, temperature=0, response_format=Pick)
    assert len(up.calls) == 1 and hit.cached and isinstance(hit.parsed, Pick)
    assert hit.parsed.model == "gpt-4.1-nano"


def test_survives_a_restart(pool, db):
    CachingClient(upstream(pool), ResponseCache(db)).complete("gpt-4.1", MSG, temperature=0)
    up = upstream(pool)
    again = CachingClient(up, ResponseCache(db)).complete(  # a new "process"
        "gpt-4.1", MSG, temperature=0
    )
    assert again.cached and len(up.calls) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-4.1-nano"},
        {"messages": [{"role": "user", "content": "What is 2 + 3?"}]},
        {"messages": [{"role": "system", "content": "Be brief."}, *MSG]},
        {"response_format": Other},
        {"max_tokens": 5},
        {"extra": {"seed": 1}},
    ],
)
def test_any_change_to_the_request_misses(pool, db, change):
    up = upstream(pool)
    client = CachingClient(up, ResponseCache(db))
    base: dict[str, Any] = {
        "model": "gpt-4.1",
        "messages": MSG,
        "response_format": Pick,
        "temperature": 0,
    }
    client.complete(**base)
    changed = client.complete(**(base | change))
    assert len(up.calls) == 2 and not changed.cached


def test_backend_is_part_of_the_key(pool, db):
    live = upstream(pool, "openai")
    CachingClient(live, ResponseCache(db)).complete("gpt-4.1", MSG, temperature=0)
    for backend in ("openai-compatible http://127.0.0.1:9/v1", "replay x.jsonl", "local SmolLM2"):
        other = upstream(pool, backend)
        result = CachingClient(other, ResponseCache(db)).complete("gpt-4.1", MSG, temperature=0)
        assert len(other.calls) == 1 and not result.cached and result.backend == backend
    assert cache_key("openai", "m", MSG) != cache_key("replay f", "m", MSG)


def test_sampled_calls_are_never_cached(pool, db):
    up = upstream(pool)
    cache = ResponseCache(db)
    client = CachingClient(up, cache)
    a = client.complete("gpt-4.1", MSG, temperature=0.7)
    b = client.complete("gpt-4.1", MSG, temperature=0.7)
    assert len(up.calls) == 2 and not (a.cached or b.cached) and a.text != b.text
    assert len(cache) == 0 and client.cache_stats()["uncacheable"] == 2


def test_unset_temperature_is_not_cached(pool, db):
    """Unset means the provider's default (1.0 at OpenAI): sampled, so never cached."""
    up = upstream(pool)
    cache = ResponseCache(db)
    client = CachingClient(up, cache)
    a = client.complete("gpt-4.1", MSG)
    b = client.complete("gpt-4.1", MSG)
    assert len(up.calls) == 2 and not (a.cached or b.cached) and len(cache) == 0
    assert not is_cacheable(None) and not is_cacheable(0.2) and is_cacheable(0)


def test_the_callers_wish_decides_not_the_temperature_sent(pool, db):
    """call_params drops the temperature for reasoning models: a caller that asked 0.2 of
    o4-mini sends no temperature, and must not be cached; one that asked 0 is."""

    up = upstream(pool)
    client = CachingClient(up, ResponseCache(db))
    sampled = pool.call_params("o4-mini", 0.2, 50)
    assert "temperature" not in sampled
    for _ in range(2):
        client.complete("o4-mini", MSG, cacheable=is_cacheable(0.2), **sampled)
    assert len(up.calls) == 2
    exact = pool.call_params("o4-mini", 0, 50)
    first = client.complete("o4-mini", MSG, cacheable=is_cacheable(0), **exact)
    second = client.complete("o4-mini", MSG, cacheable=is_cacheable(0), **exact)
    assert len(up.calls) == 3 and not first.cached and second.cached


def test_gateway_marks_answers_by_the_requested_temperature(pool, db):
    """Gateway.acall: o4-mini gets no temperature either way; only a request at 0 is cached."""
    from routerlab.asyncutil import run_sync
    from routerlab.gateway import Gateway
    from routerlab.request import RouteRequest

    up = upstream(pool)
    gateway = Gateway(pool, CachingClient(up, ResponseCache(db)), max_output_tokens=50)
    for temperature, calls in ((0.2, 2), (0.7, 4), (0.0, 5)):
        for _ in range(2):
            run_sync(gateway.acall(RouteRequest("hi", temperature=temperature), "o4-mini"))
        assert len(up.calls) == calls


def test_recorder_forwards_the_mark_to_the_cache(pool, db, tmp_path):
    from routerlab.llm.replay import Recorder

    up = upstream(pool)
    client = Recorder(CachingClient(up, ResponseCache(db)), tmp_path / "rec.jsonl")
    client.complete("gpt-4.1", MSG, temperature=0, cacheable=False)
    client.complete("gpt-4.1", MSG, temperature=0, cacheable=False)
    assert len(up.calls) == 2
    client.complete("gpt-4.1", MSG, temperature=0)
    assert client.complete("gpt-4.1", MSG, temperature=0).cached and len(up.calls) == 3
    assert len((tmp_path / "rec.jsonl").read_text().splitlines()) == 4


def test_failures_are_not_cached(pool, db):
    from routerlab.errors import LLMError

    up = ScriptedChatClient(LLMError("boom", kind="api_error"), pool=pool)
    client = CachingClient(up, ResponseCache(db))
    for _ in range(2):
        with pytest.raises(LLMError):
            client.complete("gpt-4.1", MSG, temperature=0)
    assert len(up.calls) == 2


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        self.now += 1.0  # every reading is a distinct, later instant
        return self.now


def test_ttl_expires_entries(monkeypatch, db):
    clock = Clock()
    monkeypatch.setattr(cache_mod.time, "time", clock)
    cache = ResponseCache(db, ttl_s=100)
    cache.put("k", {"v": 1})
    assert cache.get("k") == {"v": 1}
    clock.now += 200
    assert cache.get("k") is None and len(cache) == 0
    cache.put("a", {"v": 1})
    clock.now += 200
    cache.put("b", {"v": 2})
    assert cache.prune() == 1 and cache.get("a") is None and cache.get("b") == {"v": 2}


def test_size_limits_evict_least_recently_used(monkeypatch, db):
    monkeypatch.setattr(cache_mod.time, "time", Clock())
    cache = ResponseCache(db, max_entries=3, prune_every=1)
    for key in "abc":
        cache.put(key, {"v": key})
    assert cache.get("a") == {"v": "a"}  # a is now the most recently used
    cache.put("d", {"v": "d"})
    assert len(cache) == 3 and cache.get("b") is None
    assert {k for k in "acd" if cache.get(k)} == set("acd")

    small = ResponseCache(db.with_name("bytes.sqlite3"), max_bytes=250, prune_every=1)
    for i in range(10):
        small.put(f"k{i}", {"v": "x" * 100})
    assert small.size_bytes() <= 250 and len(small) == 2
    assert small.get("k9") is not None and small.get("k0") is None


def test_limits_are_checked():
    from routerlab.errors import ConfigError

    for bad in ({"ttl_s": 0}, {"max_entries": 0}, {"max_bytes": -1}, {"prune_every": 0}):
        with pytest.raises(ConfigError):
            ResponseCache("unused.sqlite3", **bad)


def test_threads_write_concurrently(db):
    cache = ResponseCache(db)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(40):
                cache.put(f"t{n}-{i}", {"n": n, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(cache) == 6 * 40
    assert cache.get("t5-39") == {"n": 5, "i": 39}


WRITER = """
import sys
from routerlab.llm.cache import ResponseCache
cache = ResponseCache(sys.argv[1])
tag, n = sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # both writers start together
for i in range(n if n > 0 else 10**9):
    cache.put(f"{tag}-{i}", {"tag": tag, "i": i, "pad": "x" * 2000})
    if i == 50:
        print("wrote", flush=True)
"""


def _writer(db: Path, tag: str, n: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), tag, str(n)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def test_two_processes_write_concurrently(db):
    procs = [_writer(db, tag, 150) for tag in ("p1", "p2")]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    cache = ResponseCache(db)
    assert len(cache) == 300
    assert cache.get("p1-149")["i"] == 149 and cache.get("p2-0")["tag"] == "p2"


def test_kill_mid_write_leaves_a_readable_cache(db):
    proc = _writer(db, "k", 0)  # writes until killed
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "wrote"  # mid-stream of writes
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT key, value FROM responses").fetchall()
    assert len(rows) >= 51
    for key, value in rows:  # every committed entry is whole
        assert json.loads(value)["tag"] == "k" and key == f"k-{json.loads(value)['i']}"
    cache = ResponseCache(db)
    cache.put("after", {"ok": True})
    assert cache.get("after") == {"ok": True} and cache.get("k-0")["i"] == 0


def test_an_unusable_cache_never_fails_a_call(pool, tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    up = upstream(pool)
    client = CachingClient(up, ResponseCache(bad))
    with pytest.warns(RuntimeWarning, match="unusable"):
        result = client.complete("gpt-4.1", MSG, temperature=0)
    client.complete("gpt-4.1", MSG, temperature=0)
    assert len(up.calls) == 2 and not result.cached and client.cache_stats()["errors"] >= 2


def test_streams_pass_through_uncached(pool, db):
    up = upstream(pool)
    client = CachingClient(up, ResponseCache(db))

    async def go() -> str:
        return "".join([d async for d in client.astream("gpt-4.1", MSG)])

    from routerlab.asyncutil import run_sync

    assert run_sync(go()) == run_sync(go()).replace(":2", ":1")
    assert len(up.calls) == 2


# -- make_client defaults and the opt-outs ------------------------------------------------------


def _live(pool, **kwargs):
    from routerlab.llm import make_client

    return make_client("live", base_url="http://127.0.0.1:9/v1", pool=pool, **kwargs)


def test_make_client_caches_live_calls_by_default(pool, on, tmp_path, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path / "dir"))
    client = _live(pool)
    assert isinstance(client, CachingClient)
    assert client.cache.path == tmp_path / "dir" / "responses.sqlite3"
    assert client.backend == "openai-compatible http://127.0.0.1:9/v1"
    assert not isinstance(_live(pool, cache=False), CachingClient)


def test_make_client_offline_and_replay_are_not_cached_by_default(pool, on, tmp_path):
    from routerlab.llm import make_client

    assert not isinstance(make_client("offline", pool=pool), CachingClient)  # not loaded
    replay = tmp_path / "r.jsonl"
    replay.write_text("")
    assert not isinstance(
        make_client("offline", backend="replay", replay_path=replay, pool=pool), CachingClient
    )
    cached = make_client("offline", pool=pool, cache=ResponseCache(tmp_path / "x.sqlite3"))
    assert isinstance(cached, CachingClient) and cached.stand_in


def test_no_cache_env_wins(pool, monkeypatch):
    monkeypatch.setenv("ROUTERLAB_NO_CACHE", "1")
    assert not isinstance(_live(pool), CachingClient)
    assert not isinstance(_live(pool, cache=True), CachingClient)


@pytest.mark.parametrize("command", ["label", "route", "notebooks"])
def test_no_cache_flag_exists(command):
    from routerlab.cli import build_parser

    parser = build_parser()
    extra = {"label": ["in.csv", "out.csv"], "route": ["hi"], "notebooks": []}[command]
    args = parser.parse_args([command, *extra, "--no-cache"])
    assert args.no_cache is True


def test_route_no_cache_sets_the_environment(pool, on, monkeypatch, capsys):
    from routerlab.cli import main

    monkeypatch.delenv("ROUTERLAB_NO_CACHE", raising=False)
    code = main(["route", "hi", "--router", "fixed", "--decision-only", "--profile", "offline",
                 "--no-cache"])  # fmt: skip
    assert code == 0 and os.environ["ROUTERLAB_NO_CACHE"] == "1"


def test_live_client_through_the_sdk_is_served_from_the_cache(pool, on, monkeypatch):
    """make_client's live client, real openai SDK, a recording HTTP transport: the second
    identical structured call sends no request; a sampled call always does."""
    import httpx2

    from routerlab.llm import make_client

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    requests: list[Any] = []

    def server(request: Any) -> Any:
        requests.append(request)
        body = {
            "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-4.1-nano",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": '{"model": "gpt-4.1"}'}}],
            "usage": {"prompt_tokens": 90, "completion_tokens": 9, "total_tokens": 99},
        }  # fmt: skip
        return httpx2.Response(200, json=body)

    def build() -> ChatClient:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
        return make_client("live", base_url="http://127.0.0.1:9/v1", pool=pool, http_client=http)

    first = build().complete("gpt-4.1-nano", MSG, temperature=0, response_format=Pick)
    second_client = build()  # a new process would build a new client: same cache file
    second = second_client.complete("gpt-4.1-nano", MSG, temperature=0, response_format=Pick)
    assert len(requests) == 1 and second.cached and second.parsed == first.parsed
    assert second.backend == "openai-compatible http://127.0.0.1:9/v1"
    assert second.usage.prompt_tokens == 90 and second.list_cost_usd == first.cost_usd > 0
    second_client.complete("gpt-4.1-nano", MSG, temperature=0.7, response_format=Pick)
    assert len(requests) == 2


# -- the gateway server: cached only when the request asked for temperature 0 ------------------


def test_server_caches_only_requests_at_temperature_zero(pool, db):
    """The server routes an unset temperature as 1.0 and forwards none upstream (OpenAI then
    samples at 1.0): never cached. A request at 0 is, and its ``routerlab`` field says so."""
    from fastapi.testclient import TestClient

    from routerlab.routers.base import make_router
    from routerlab.server import ServerConfig, create_app

    up = upstream(pool)
    app = create_app(
        ServerConfig(retries=0),
        client=CachingClient(up, ResponseCache(db)),
        routers={"length": make_router("length", pool)},
    )
    ask = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "What is 2 + 2?"}]}
    with TestClient(app) as http:
        unset = [http.post("/v1/chat/completions", json=ask).json() for _ in range(2)]
        assert len(up.calls) == 2
        assert [body["routerlab"]["cached"] for body in unset] == [False, False]
        zero = [
            http.post("/v1/chat/completions", json=ask | {"temperature": 0}).json()
            for _ in range(2)
        ]
    assert len(up.calls) == 3
    first, second = (body["routerlab"] for body in zero)
    assert not first["cached"] and second["cached"]
    assert second["upstream_cost_usd"] == 0.0
    assert first["upstream_cost_usd"] > 0
    assert second["list_cost_usd"] == pytest.approx(first["upstream_cost_usd"])


def test_routed_response_marks_a_cached_answer(pool, db):
    """Gateway.route: the rerun's answer says cached, paid 0, and keeps its list price in
    to_dict() (``routerlab route --json``) and overview()."""
    from routerlab.gateway import Gateway
    from routerlab.request import RouteRequest
    from routerlab.routers.base import make_router

    up = upstream(pool)
    gateway = Gateway(pool, CachingClient(up, ResponseCache(db)), make_router("length", pool))
    request = RouteRequest("What is 2 + 2?", temperature=0)
    first, second = (gateway.route(request).to_dict() for _ in range(2))
    assert len(up.calls) == 1 and not first["cached"] and second["cached"]
    assert second["answer_cost_usd"] == 0.0 and first["answer_cost_usd"] > 0
    assert second["list_cost_usd"] == pytest.approx(first["answer_cost_usd"])
    assert first["list_cost_usd"] == pytest.approx(first["answer_cost_usd"])
    facts = dict(gateway.route(request).overview().itertuples(index=False))
    assert facts["cached"].startswith("yes") and float(facts["answer cost (USD)"]) == 0.0
    assert float(facts["answer list price (USD)"]) == pytest.approx(
        first["list_cost_usd"], abs=1e-6
    )


def test_describe_result_of_a_fully_cached_rerun_reports_list_price(pool, db):
    """The rerun pays $0 on both sides: the ratio is of list prices, not 0/0 ("nan x")."""
    import pandas as pd

    from routerlab.gateway import Gateway
    from routerlab.harness import describe_result, run_harness
    from routerlab.routers.base import make_router

    questions = pd.DataFrame(
        {
            "qid": ["q1", "q2"],
            "subject": ["math", "math"],
            "prompt": ["What is 2 + 2? A) 3 B) 4", "What is 3 + 3? A) 6 B) 5"],
            "gold": ["B", "A"],
        }
    )
    up = upstream(pool)
    gateway = Gateway(pool, CachingClient(up, ResponseCache(db)), make_router("length", pool))
    first = run_harness(gateway, questions, temperature=0, progress=False)
    calls = len(up.calls)
    again = run_harness(gateway, questions, temperature=0, progress=False)
    assert len(up.calls) == calls  # every answer came from the cache
    summary = again.summary()
    assert (summary["total_cost_usd"] == 0).all() and (summary["list_cost_usd"] > 0).all()
    text = describe_result(again)
    assert "(nanx)" not in text and "served from the response cache, paid 0" in text
    assert describe_result(first).split("; paid")[0] == text.split("; paid")[0]


def test_labeled_table_keeps_the_cached_mark():
    import pandas as pd

    from routerlab.labeling.pipeline import labeled_table

    frame = pd.DataFrame({"prompt": ["a", "b"]})
    labels = pd.DataFrame({"label": ["x", "y"], "status": ["ok", "ok"], "cached": [True, False]})
    out = labeled_table(frame, labels, judge="gpt-4.1", backend="openai", stand_in=False)
    assert list(out["cached"]) == [True, False]
    no_mark = labels.drop(columns="cached")
    assert not labeled_table(frame, no_mark, judge="j", backend="b", stand_in=False)["cached"].any()
