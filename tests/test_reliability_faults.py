"""Reliability suite, part 2 (issue 13): fault injection between the gateway and its upstream.

The real gateway (``routerlab serve``, live profile, a dummy key) is pointed with ``base_url`` at
a recording OpenAI-compatible upstream on loopback that fails on command: every Nth call a 500,
chosen statuses, a slow answer, or the whole upstream killed in the middle of a run. Transient
failures (connection errors, timeouts, 408/409/429/5xx) are retried and end in a success or a clean
502; client errors (4xx) are not retried; nothing is ever a 500 or a traceback, and no secret
appears in a response or the log.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_support import (
    Fault,
    Gateway,
    RecordingUpstream,
    Seen,
    UpstreamCall,
    assert_no_500_or_traceback,
    assert_no_secret,
    assert_openai_error,
    chat,
    client,
    health,
    recording_upstream,
    running_gateway,
)

NANO = "gpt-4.1-nano"
RETRIES = 2  # extra attempts after a transient failure: 3 calls at most per request
UPSTREAM_TIMEOUT_S = 2.0  # one upstream call (room for a busy CI machine); slow faults sleep 5 s
SLOW_S = 5.0
SETTINGS = {
    "routers": ["compact"],
    "cache_size": 0,
    "retries": RETRIES,
    "retry_backoff_s": 0.01,
    "upstream_timeout_s": UPSTREAM_TIMEOUT_S,
}


@dataclass
class Rig:
    upstream: RecordingUpstream
    gateway: Gateway
    seen: Seen

    def http(self) -> httpx.Client:
        return client(self.gateway, self.seen)

    def post(self, http: httpx.Client, i: int, model: str = NANO, **more: Any) -> httpx.Response:
        return http.post("/v1/chat/completions", json=chat(model, f"question {i}", **more))


def _start(tmp: Path) -> Iterator[Rig]:
    token = f"gw-{secrets.token_hex(16)}"
    api_key = f"sk-test-{secrets.token_hex(16)}"
    password = f"pw-{secrets.token_hex(12)}"
    with recording_upstream() as upstream:
        base_url = f"http://user:{password}@127.0.0.1:{upstream.port}/v1"
        with running_gateway(
            tmp, base_url, token=token, api_key=api_key, settings=SETTINGS
        ) as gateway:
            gateway.secrets = (*gateway.secrets, password)
            yield Rig(upstream, gateway, Seen())


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    yield from _start(tmp_path_factory.mktemp("reliability-faults"))


@pytest.fixture
def r(rig: Rig) -> Rig:
    rig.upstream.reset()
    return rig


def concurrently(count: int, workers: int, send: Any) -> list[httpx.Response]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(send, range(count)))


# -- every Nth call fails -------------------------------------------------------------------------


def test_every_third_call_failing_is_retried_to_success(r: Rig) -> None:
    """Sequential: calls 3, 6, 9, ... answer 500, each failure is retried once and succeeds."""
    r.upstream.reset(fail_every=3)
    with r.http() as http:
        responses = [r.post(http, i) for i in range(30)]
    assert [x.status_code for x in responses] == [200] * 30, [x.text for x in responses][:3]
    calls = r.upstream.all_calls()
    failed = [c for c in calls if c.index % 3 == 0]
    assert len(calls) == 30 + len(failed), "each 500 must be retried exactly once here"
    health(r.gateway, r.seen)


@pytest.mark.parametrize(
    ("count", "workers", "every"),
    [
        pytest.param(60, 10, 3, id="60-at-10"),
        # The fault run: 200 requests at concurrency 20.
        pytest.param(200, 20, 5, id="200-at-20", marks=pytest.mark.slow),
    ],
)
def test_every_nth_call_failing_under_concurrency(
    r: Rig, count: int, workers: int, every: int
) -> None:
    """Concurrent requests while every Nth upstream call fails: each ends in a 200 or a clean
    502, never a 500, and every 200 is backed by exactly one answered upstream call."""
    r.upstream.reset(fail_every=every)
    with r.http() as http:
        responses = concurrently(count, workers, lambda i: r.post(http, i))
    statuses = [x.status_code for x in responses]
    assert set(statuses) <= {200, 502}, statuses
    for response in responses:
        if response.status_code == 502:
            assert_openai_error(response, 502)
    calls = r.upstream.all_calls()
    answered = [c for c in calls if c.index % every != 0]
    assert len(answered) == statuses.count(200), "one answered call per 200"
    assert len(calls) <= count * (RETRIES + 1)
    health(r.gateway, r.seen)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429, 408, 409])
def test_transient_statuses_are_retried_then_a_clean_502(r: Rig, status: int) -> None:
    r.upstream.reset(fault=lambda call: Fault(status=status))
    with r.http() as http:
        response = r.post(http, 0)
    assert_openai_error(response, 502)
    assert len(r.upstream.all_calls()) == RETRIES + 1, f"{status} must be retried"


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_client_errors_from_upstream_are_not_retried(r: Rig, status: int) -> None:
    r.upstream.reset(fault=lambda call: Fault(status=status))
    with r.http() as http:
        response = r.post(http, 0)
    assert_openai_error(response, 400)  # the request's fault, told to the client in its shape
    assert len(r.upstream.all_calls()) == 1, f"a {status} from upstream was retried"


@pytest.mark.parametrize("status", [401, 403])
def test_upstream_auth_failure_is_a_502_without_retry(r: Rig, status: int) -> None:
    """The gateway's own key was refused: not the client's fault, and retrying cannot help."""
    r.upstream.reset(fault=lambda call: Fault(status=status))
    with r.http() as http:
        response = r.post(http, 0)
    assert_openai_error(response, 502)
    assert len(r.upstream.all_calls()) == 1


def test_first_failure_then_success_on_a_stream(r: Rig) -> None:
    """Streaming: the failure comes before the first byte, so it is retried like any call."""
    r.upstream.reset(fault=lambda call: Fault(status=503 if call.index == 1 else None))
    with (
        r.http() as http,
        http.stream("POST", "/v1/chat/completions", json=chat(NANO, "hi", stream=True)) as response,
    ):
        assert response.status_code == 200
        text = response.read().decode()
    assert "data: [DONE]" in text and '"error"' not in text
    assert len(r.upstream.all_calls()) == 2


def test_stream_to_a_failing_upstream_is_a_clean_502(r: Rig) -> None:
    r.upstream.reset(fault=lambda call: Fault(status=500))
    with r.http() as http:
        response = http.post("/v1/chat/completions", json=chat(NANO, "hi", stream=True))
    assert_openai_error(response, 502)
    assert len(r.upstream.all_calls()) == RETRIES + 1


def test_router_with_failing_upstream_is_a_clean_502(r: Rig) -> None:
    """router-compact: the judge call fails too (the router falls back), then the answer does."""
    r.upstream.reset(fault=lambda call: Fault(status=500))
    with r.http() as http:
        response = r.post(http, 0, model="router-compact")
    assert_openai_error(response, 502)
    assert r.upstream.client_calls(), "the fallback model was not asked"


# -- slow upstream ---------------------------------------------------------------------------------


def test_slow_upstream_times_out_into_a_clean_502(r: Rig) -> None:
    """Every call sleeps 5 s > upstream_timeout_s (2 s): retried (timeouts are transient), then
    a 502 or 504 in OpenAI's shape; bounded by the retries, not by the upstream."""
    r.upstream.reset(fault=lambda call: Fault(delay_s=SLOW_S))
    with r.http() as http:
        response = r.post(http, 0)
    assert_openai_error(response, (502, 504))
    assert len(r.upstream.all_calls()) == RETRIES + 1


def test_slow_first_call_then_fast_succeeds(r: Rig) -> None:
    def fault(call: UpstreamCall) -> Fault:
        return Fault(delay_s=SLOW_S) if call.index == 1 else Fault()

    r.upstream.reset(fault=fault)
    with r.http() as http:
        response = r.post(http, 0)
    assert response.status_code == 200, response.text
    assert len(r.upstream.all_calls()) == 2


# -- the module's invariants ------------------------------------------------------------------------


def test_no_500_no_traceback_no_secret(r: Rig) -> None:
    assert len(r.seen.responses) > 100
    assert_no_500_or_traceback(r.gateway, r.seen)
    assert_no_secret(r.seen.text(), r.gateway.secrets, "a response (body or header)")
    assert_no_secret(r.gateway.log(), r.gateway.secrets, "the server log")


# -- upstream killed mid-run (its own gateway and upstream) ---------------------------------------


def test_upstream_killed_mid_run(tmp_path: Path) -> None:
    """40 requests at concurrency 8; the upstream is killed when its 10th call arrives.

    Requests answered before: 200. In flight and after: connection errors, retried, then clean
    502s. Never a 500; the gateway stays up and keeps answering /health; no secret in the 502
    messages or the log.
    """
    rigs = _start(tmp_path)
    rig = next(rigs)
    try:
        upstream = rig.upstream
        killer = threading.Thread(target=upstream.stop, daemon=True)

        def fault(call: UpstreamCall) -> Fault:
            if call.index == 10:
                killer.start()  # from another thread: this handler runs on the upstream's loop
            return Fault()

        upstream.reset(fault=fault)
        with rig.http() as http:
            responses = concurrently(40, 8, lambda i: rig.post(http, i))
        killer.join(15)
        statuses = [x.status_code for x in responses]
        assert set(statuses) <= {200, 502}, statuses
        assert statuses.count(200) >= 1, "nothing was answered before the kill"
        assert statuses.count(502) >= 40 - len(upstream.all_calls()), statuses
        assert statuses.count(502) >= 1, statuses
        for response in responses:
            if response.status_code == 502:
                assert_openai_error(response, 502)
        assert_no_500_or_traceback(rig.gateway, rig.seen)
        assert_no_secret(rig.seen.text(), rig.gateway.secrets, "a response (body or header)")
        assert_no_secret(rig.gateway.log(), rig.gateway.secrets, "the server log")
    finally:
        rigs.close()
