"""The one retry policy (routerlab.retry): what is retried, how often, and what is raised."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from routerlab.errors import ConfigError, LLMError
from routerlab.retry import RetryPolicy, is_transient, is_unencodable


class Script:
    """A call that raises the scripted exceptions in turn, then returns ``"ok"``."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


async def test_transient_failures_are_retried_until_success():
    call = Script(LLMError("busy", kind="rate_limit", status=429), ConnectionResetError())
    assert await RetryPolicy(retries=2).run(call) == "ok"
    assert call.calls == 3


async def test_a_failure_not_worth_retrying_is_raised_at_once():
    for failure in (
        LLMError("bad", kind="bad_request", status=400),
        LLMError("no", kind="refusal"),
        ValueError("a bug"),
    ):
        call = Script(failure)
        with pytest.raises(type(failure)):
            await RetryPolicy(retries=5).run(call)
        assert call.calls == 1


async def test_the_last_transient_failure_is_raised_after_every_attempt():
    policy = RetryPolicy(retries=2)
    errors = [LLMError(f"down {i}", kind="api_error", status=503) for i in range(4)]
    call = Script(*errors)
    with pytest.raises(LLMError, match="down 2") as caught:
        await policy.run(call)
    assert call.calls == policy.attempts == 3
    assert policy.exhausted(caught.value)  # the caller can tell "gave up" from "refused"
    assert not policy.exhausted(LLMError("bad", status=400))


async def test_each_attempt_is_bounded_by_the_timeout():
    never = asyncio.Event()  # never set: the first attempt hangs until the timeout cancels it
    calls = 0

    async def hangs_once() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await never.wait()
        return "ok"

    assert await RetryPolicy(retries=1, timeout_s=0.05).run(hangs_once) == "ok"
    assert calls == 2
    # a call that hangs on every attempt: a TimeoutError after both
    with pytest.raises(TimeoutError):
        await RetryPolicy(retries=1, timeout_s=0.05).run(never.wait)


async def test_a_caller_may_widen_what_is_retried():
    class Invalid(Exception):
        pass

    call = Script(Invalid(), Invalid())
    result = await RetryPolicy(retries=2).run(
        call, retry_if=lambda e: isinstance(e, Invalid) or is_transient(e)
    )
    assert result == "ok" and call.calls == 3


async def test_backoff_doubles_and_jitter_stays_within_half_to_one_and_a_half(monkeypatch):
    slept: list[float] = []

    async def record(delay: float, *args: Any) -> None:
        slept.append(delay)

    monkeypatch.setattr(asyncio, "sleep", record)
    call = Script(*(TimeoutError() for _ in range(3)))
    assert await RetryPolicy(retries=3, backoff_s=0.5).run(call) == "ok"
    assert slept == [0.5, 1.0, 2.0]
    jittered = RetryPolicy(backoff_s=1.0, jitter=True)
    assert all(0.5 * 2**a <= jittered.delay(a) < 1.5 * 2**a for a in range(4) for _ in range(20))


def test_text_that_cannot_be_encoded_is_never_transient():
    try:
        "\ud800".encode()
    except UnicodeEncodeError as exc:
        wrapped = LLMError("could not connect", kind="connection")
        wrapped.__cause__ = exc
    assert is_unencodable(wrapped) and not is_transient(wrapped)
    assert is_transient(LLMError("could not connect", kind="connection"))


@pytest.mark.parametrize(
    "kwargs", [{"retries": -1}, {"backoff_s": -0.1}, {"timeout_s": 0}, {"timeout_s": -1.0}]
)
def test_bad_policies_are_refused(kwargs):
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)
