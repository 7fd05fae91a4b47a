"""One answer path: the notebooks' Gateway and the HTTP server share the upstream call (capability
parameters, retries, usage and cost) and the decision rules (cost knob, context windows)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from routerlab.errors import LLMError
from routerlab.gateway import Gateway, KnobNotApplicable, fit_decision
from routerlab.llm.request import LLMRequest
from routerlab.retry import RetryPolicy
from routerlab.routers.base import Decision
from routerlab.server import ServerConfig, create_app
from routerlab.server.protocol import HEADER, Routing
from routerlab.testing import ScriptedChatClient
from routerlab.usage import Usage

TOKEN = "answer-path-token"


def ScriptedClient(pool: Any, *errors: Exception) -> ScriptedChatClient:
    """Raises the scripted errors in turn, then answers (usage 1000 + 100 tokens, priced)."""
    pending = list(errors)

    def reply(request: LLMRequest) -> Any:
        return pending.pop(0) if pending else "answer"

    return ScriptedChatClient(
        reply, pool=pool, backend="scripted", usage=Usage(prompt_tokens=1000, completion_tokens=100)
    )


def down() -> LLMError:
    return LLMError("upstream is down", kind="api_error", status=503)


# -- the Gateway's upstream call -------------------------------------------------------------


def test_gateway_retries_transient_failures_under_its_policy(pool):
    client = ScriptedClient(pool, down(), down())
    gateway = Gateway(pool, client, retry=RetryPolicy(retries=2))
    response = gateway.answer("What is 2 + 2?", "o4-mini")
    assert response.ok and response.answer == "answer"
    assert len(client.calls) == 3
    # the pool's capability rules: no temperature for a reasoning model
    assert client.calls[-1].temperature is None


def test_gateway_default_is_one_attempt_and_a_batch_records_the_failure(pool):
    client = ScriptedClient(pool, down())
    gateway = Gateway(pool, client)  # API clients retry in their SDK; the gateway calls once
    [failed] = gateway.batch(["hi"], model="gpt-4.1")
    assert failed.error == "api_error: upstream is down" and len(client.calls) == 1


def test_gateway_does_not_retry_the_requests_own_faults(pool):
    client = ScriptedClient(pool, LLMError("bad request", kind="bad_request", status=400))
    gateway = Gateway(pool, client, retry=RetryPolicy(retries=3))
    with pytest.raises(LLMError, match="bad request"):
        gateway.answer("hi", "gpt-4.1")
    assert len(client.calls) == 1


def test_usage_and_cost_come_from_the_answering_call(pool):
    response = Gateway(pool, ScriptedClient(pool)).answer("hi", "gpt-4.1")
    usage = Usage(prompt_tokens=1000, completion_tokens=100)
    assert response.usage == usage
    assert response.answer_cost_usd == pytest.approx(pool.cost("gpt-4.1", usage))
    assert response.cost_usd == response.answer_cost_usd  # no router: nothing paid to decide


# -- the HTTP server answers through the same Gateway --------------------------------------


def post(app: Any, body: dict[str, Any]) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            return await http.post(
                "/v1/chat/completions",
                content=json.dumps(body).encode(),
                headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
            )

    return asyncio.run(go())


def test_server_answers_through_the_gateway_call(pool, monkeypatch):
    seen: list[dict[str, Any]] = []
    shared = Gateway.acomplete

    async def spy(self: Gateway, model: str, messages: Any, **kwargs: Any) -> Any:
        seen.append({"model": model, **kwargs})
        return await shared(self, model, messages, **kwargs)

    monkeypatch.setattr(Gateway, "acomplete", spy)
    client = ScriptedClient(pool, down())
    config = ServerConfig(token=TOKEN, retries=1, retry_backoff_s=0.0)
    app = create_app(config, client=client, routers={}, pool=pool)
    body = {
        "model": "o4-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.3,
        "max_tokens": 50,
        "top_p": 0.5,  # a sampling control o4-mini rejects: dropped by the pool's rule
        "seed": 3,
    }
    reply = post(app, body)
    assert reply.status_code == 200, reply.text
    asked = {"temperature": 0.3, "max_output_tokens": 50, "extra": {"top_p": 0.5, "seed": 3}}
    assert seen == [{"model": "o4-mini", **asked}]
    assert len(client.calls) == 2  # the 503 retried by the shared policy (server: retries=1)
    sent = client.calls[-1]
    assert sent.temperature is None and sent.max_completion_tokens == 50
    assert dict(sent.extra) == {"seed": 3}
    routerlab = reply.json()["routerlab"]
    usage = Usage(prompt_tokens=1000, completion_tokens=100)
    assert routerlab["upstream_cost_usd"] == pytest.approx(pool.cost("o4-mini", usage))
    assert float(reply.headers[HEADER + "cost-usd"]) == pytest.approx(routerlab["cost_usd"])


# -- decisions under a knob and context windows --------------------------------------------

SCORES = {"gpt-4.1-nano": 0.5, "gpt-4.1": 0.3, "o4-mini": 0.2}


def test_fit_decision_keeps_a_decision_that_fits(pool):
    decision = Decision(model="gpt-4.1-nano", router="r", confidence=0.5, scores=SCORES)
    assert fit_decision(decision, pool, pool.names) is decision
    assert fit_decision(decision, pool) is decision


def test_fit_decision_applies_a_knob_to_the_scores(pool):
    decision = Decision(model="gpt-4.1-nano", router="r", confidence=0.5, scores=SCORES)
    # P(not cheapest) = 0.5 >= 0.4: the argmax (the cheapest, here) stays; at 0 too
    assert fit_decision(decision, pool, knob=0.4).model == "gpt-4.1-nano"
    leaning = Decision(model="gpt-4.1", router="r", scores={**SCORES, "gpt-4.1": 0.6})
    assert fit_decision(leaning, pool, knob=1.0).model == "gpt-4.1-nano"  # 1: always cheapest
    with pytest.raises(KnobNotApplicable, match="cost knob"):
        fit_decision(Decision(model="gpt-4.1", router="judge"), pool, knob=0.5)


def test_fit_decision_replaces_a_model_outside_the_windows(pool):
    allowed = ["gpt-4.1", "o4-mini"]
    named = fit_decision(Decision(model="gpt-4.1-nano", router="judge"), pool, allowed)
    assert named.model == "o4-mini"  # no scores: the strongest allowed model
    assert named.details["context_window_replaced"] == "gpt-4.1-nano"
    scored = Decision(model="gpt-4.1-nano", router="r", scores=SCORES)
    replaced = fit_decision(scored, pool, allowed)
    assert replaced.model == "gpt-4.1" and replaced.confidence == 0.3
    # the router's own cost threshold decides among the allowed models: o4-mini is the cheapest
    # allowed one and the mass on the others (gpt-4.1: 0.3) is below 0.5, so o4-mini
    own = Decision(model="gpt-4.1-nano", router="r", scores=SCORES, details={"cost_threshold": 0.5})
    assert fit_decision(own, pool, allowed).model == "o4-mini"


def test_routing_is_derived_from_the_decision():
    decision = Decision(
        model="gpt-4.1", router="r", confidence=0.7, scores=SCORES, latency_s=0.002, cost_usd=0.01
    )
    routing = Routing(decision, router="r", cache_hit=False, knob=0.3)
    fields = routing.fields()
    assert (fields["model"], fields["confidence"], fields["scores"]) == ("gpt-4.1", 0.7, SCORES)
    assert fields["router_latency_ms"] == 2.0 and fields["router_cost_usd"] == 0.01
    assert fields["cost_threshold"] == 0.3 and fields["fallback"] is False
    passthrough = Routing(Decision(model="gpt-4.1-nano", router="none"))
    assert passthrough.headers()[HEADER + "router"] == "none"
    assert HEADER + "cache" not in passthrough.headers()
