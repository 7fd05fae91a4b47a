"""Judge routers on a scripted ChatClient: decisions, every fallback reason, registry, baselines."""

from __future__ import annotations

import asyncio
import json

import pytest

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatResult
from routerlab.request import RouteRequest
from routerlab.routers import make_router, router_names
from routerlab.routers.judge import CompactJudgeRouter, VerboseJudgeRouter, default_fallback
from routerlab.testing import ScriptedChatClient
from routerlab.usage import Usage

VERDICT = {
    "analysis": {"task_type": "fact", "complexity_score": 1, "domain": "geography",
                 "performance_needs": "speed", "estimated_tokens": 8, "creativity": "low"},
    "routing_decision": {"model": "gpt-4.1-nano", "confidence": 0.7, "reasoning": "simple"},
}  # fmt: skip


USAGE = Usage(300, 20)  # what every scripted judge call reports


def test_verbose_decision_carries_analysis_and_cost(pool):
    client = ScriptedChatClient(json.dumps(VERDICT), pool=pool, usage=USAGE)
    decision = VerboseJudgeRouter(pool, client).route(RouteRequest("Capital of France?"))
    assert decision.model == "gpt-4.1-nano" and decision.router == "verbose"
    assert decision.confidence == 0.7 and decision.details["reasoning"] == "simple"
    assert decision.details["analysis"]["domain"] == "geography"
    assert decision.cost_usd == pytest.approx(pool.cost("gpt-4.1-nano", USAGE))
    call = client.calls[0]
    assert call.model == "gpt-4.1-nano" and call.temperature == 0.7
    assert "Example 3" in call.messages[0]["content"]


def test_unparsed_text_is_validated_by_the_router(pool):
    client = ScriptedChatClient(json.dumps({"model": "o4-mini"}), pool=pool, parse=False)
    decision = CompactJudgeRouter(pool, client).route("prove it")
    assert decision.model == "o4-mini" and not decision.fallback


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (LLMError("HTTP 500 after retries", kind="api_error", status=500), "judge api_error"),
        (LLMError("the model refused: no", kind="refusal"), "judge refusal"),
        ("Sure! I pick gpt-4.1", "invalid JSON from judge"),
        (json.dumps({"model": "claude-9"}), "unknown model 'claude-9'"),
        (json.dumps({"choice": "gpt-4.1"}), "failed the schema"),
    ],
)
def test_judge_failures_fall_back_with_reason(pool, reply, reason):
    client = ScriptedChatClient(reply, pool=pool, parse=False)
    router = CompactJudgeRouter(pool, client, fallback_model="o4-mini")
    decision = router.route("anything")
    assert decision.fallback and decision.model == "o4-mini"
    assert reason in decision.fallback_reason


def test_refusal_field_in_raw_response_falls_back(pool):
    raw = {"choices": [{"message": {"refusal": "I can't help with that"}}]}
    result = ChatResult("", "gpt-4.1-nano", "scripted", Usage(10, 2), 0.01, 1e-6, raw=raw)
    decision = CompactJudgeRouter(pool, ScriptedChatClient(result, pool=pool)).route("x")
    assert decision.fallback and "I can't help" in decision.fallback_reason
    assert decision.cost_usd == 1e-6  # a refused call is still billed


def test_default_fallback_is_the_strong_general_model(pool):
    assert default_fallback(pool) == "gpt-4.1"


def test_registry_builds_judges_and_baselines(pool):
    assert {"verbose", "compact", "fixed", "random", "length"} <= set(router_names())
    client = ScriptedChatClient(json.dumps({"model": "gpt-4.1"}), pool=pool)
    assert make_router("compact", pool, client=client).route("x").model == "gpt-4.1"
    with pytest.raises(ConfigError, match="need client"):
        make_router("verbose", pool)
    with pytest.raises(ConfigError, match="ChatClient"):
        CompactJudgeRouter(pool, object())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown model 'nope'"):
        CompactJudgeRouter(pool, client, judge_model="nope")


async def test_aroute_runs_concurrently_and_route_works_in_a_running_loop(pool):
    client = ScriptedChatClient(json.dumps({"model": "gpt-4.1"}), pool=pool, delay_s=0.05)
    router = CompactJudgeRouter(pool, client)
    decisions = await asyncio.gather(*(router.aroute(f"q{i}") for i in range(10)))
    assert [d.model for d in decisions] == ["gpt-4.1"] * 10
    assert client.peak == 10  # all ten calls were in flight at once
    assert router.route("sync inside a loop").model == "gpt-4.1"  # Jupyter-style call


def test_fixed_random_length_baselines(pool):
    assert make_router("fixed", pool).route("x").model == "gpt-4.1"
    assert make_router("fixed", pool, model="o4-mini").route("x").model == "o4-mini"
    picks_a = [make_router("random", pool, seed=3).route("x").model for _ in range(1)]
    router = make_router("random", pool, seed=3)
    picks = [router.route(f"q{i}").model for i in range(60)]
    assert set(picks) == set(pool.names)  # every model gets picked
    assert picks[0] == picks_a[0]  # seeded
    length = make_router("length", pool, threshold=20)
    short, long_ = length.route("hi"), length.route("word " * 100)
    assert short.model == "gpt-4.1-nano" and long_.model == "gpt-4.1"
    assert long_.scores["gpt-4.1"] > 0.5 and sum(long_.scores.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="threshold"):
        make_router("length", pool, threshold=0)
