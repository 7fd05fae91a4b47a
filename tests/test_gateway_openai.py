"""Gateway and judge routers through the real ``openai`` SDK against a stub transport.

The stub records every request body, so the tests check what would go over the wire: no
temperature for reasoning models, image/PDF parts in the API's shape, the judge's
``response_format`` built from the Pydantic schema; and the faults: 429 retried, invalid JSON or an
unknown model from the judge falls back with the reason recorded, a poisoned batch completes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from routerlab.gateway import Gateway
from routerlab.llm.base import ClientSettings
from routerlab.llm.openai_client import OpenAIClient
from routerlab.request import RouteRequest
from routerlab.routers import make_router

FIXTURES = Path(__file__).parent / "fixtures" / "judge"


def completion(content: str, model: str = "m", usage: dict[str, Any] | None = None) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content},
             "finish_reason": "stop"}
        ],
        "usage": usage or {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }  # fmt: skip


class Stub:
    """An OpenAI-compatible endpoint: records bodies, answers from a function of the body."""

    def __init__(self, answer):
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        out = self.answer(body, len(self.bodies))
        if isinstance(out, httpx2.Response):
            return out
        return httpx2.Response(200, json=completion(out, body["model"]))

    def client(self, pool, retries: int = 2) -> OpenAIClient:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(self.handler))
        return OpenAIClient(
            pool,
            base_url="http://stub.test/v1",
            api_key="test",
            settings=ClientSettings(timeout_s=5, max_retries=retries),
            http_client=http,
        )

    def judge_bodies(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if "response_format" in b]

    def answer_bodies(self) -> list[dict[str, Any]]:
        return [b for b in self.bodies if "response_format" not in b]


def judge_says(model: str):
    """Compact judge replies ``model``; answering models reply 'ok from <model>'."""

    def answer(body, _n):
        if "response_format" in body:
            return json.dumps({"model": model})
        return f"ok from {body['model']}"

    return answer


def test_reasoning_model_gets_no_temperature(pool):
    stub = Stub(judge_says("o4-mini"))
    gw = Gateway(pool, stub.client(pool), make_router("compact", pool, client=stub.client(pool)),
                 max_output_tokens=64, reasoning_max_output_tokens=2000)  # fmt: skip
    resp = gw.route(RouteRequest("Plan a proof that sqrt(2) is irrational.", temperature=0.9))
    assert resp.model == "o4-mini" and resp.answer == "ok from o4-mini"
    (body,) = stub.answer_bodies()
    assert body["model"] == "o4-mini"
    assert "temperature" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 2000
    assert body["messages"] == [
        {"role": "user", "content": "Plan a proof that sqrt(2) is irrational."}
    ]


def test_general_model_keeps_temperature_and_max_tokens(pool):
    stub = Stub(judge_says("gpt-4.1"))
    gw = Gateway(pool, stub.client(pool), max_output_tokens=64)
    gw.answer(RouteRequest("hi", temperature=0.3), "gpt-4.1")
    (body,) = stub.bodies
    assert body["temperature"] == 0.3 and body["max_tokens"] == 64
    assert "max_completion_tokens" not in body


def test_judge_response_format_is_the_pydantic_schema(pool):
    stub = Stub(judge_says("gpt-4.1-nano"))
    router = make_router("compact", pool, client=stub.client(pool))
    decision = router.route(RouteRequest("What is 2+2?"))
    assert decision.model == "gpt-4.1-nano" and not decision.fallback
    (body,) = stub.judge_bodies()
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "CompactDecision" and fmt["json_schema"]["strict"] is True
    props = fmt["json_schema"]["schema"]["properties"]
    assert props["model"]["enum"] == pool.names
    assert body["model"] == "gpt-4.1-nano" and body["temperature"] == 0.2
    assert body["messages"][0]["role"] == "system" and "o4-mini" in body["messages"][0]["content"]
    assert decision.cost_usd == pytest.approx(pool.cost("gpt-4.1-nano", _usage(100, 10)))


def test_verbose_judge_schema_and_analysis(pool):
    verdict = {
        "analysis": {"task_type": "coding", "complexity_score": 3, "domain": "software",
                     "performance_needs": "quality", "estimated_tokens": 900, "creativity": "medium"},
        "routing_decision": {"model": "gpt-4.1", "confidence": 0.8, "reasoning": "code"},
    }  # fmt: skip
    stub = Stub(lambda body, n: json.dumps(verdict))
    decision = make_router("verbose", pool, client=stub.client(pool)).route("Write a parser")
    assert decision.model == "gpt-4.1" and decision.confidence == 0.8
    assert decision.details["analysis"]["complexity_score"] == 3
    schema = stub.bodies[0]["response_format"]["json_schema"]
    assert schema["name"] == "VerboseVerdict"
    assert set(schema["schema"]["properties"]) == {"analysis", "routing_decision"}


def test_image_and_pdf_parts_are_shaped_as_the_api_expects(pool):
    stub = Stub(judge_says("gpt-4.1"))
    gw = Gateway(pool, stub.client(pool), make_router("compact", pool, client=stub.client(pool)))
    files = (FIXTURES / "dot.png", FIXTURES / "page.pdf", FIXTURES / "notes.txt")
    resp = gw.route(RouteRequest("Summarise these.", files=files))
    assert resp.ok and resp.model == "gpt-4.1"
    judge = stub.judge_bodies()[0]["messages"][0]["content"]
    assert "attached files: image, pdf, text" in judge
    (body,) = stub.answer_bodies()
    text, image, pdf, inlined = body["messages"][0]["content"]
    assert text == {"type": "text", "text": "Summarise these."}
    png64 = base64.b64encode((FIXTURES / "dot.png").read_bytes()).decode()
    assert image == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png64}"}}
    pdf64 = base64.b64encode((FIXTURES / "page.pdf").read_bytes()).decode()
    assert pdf == {
        "type": "file",
        "file": {"filename": "page.pdf", "file_data": f"data:application/pdf;base64,{pdf64}"},
    }
    assert inlined["type"] == "text" and "notes.txt" in inlined["text"]
    assert "revenue up 4%" in inlined["text"]


def test_pdf_upload_mode_sends_file_id(pool):
    stub = Stub(judge_says("gpt-4.1"))
    uploaded: list[str] = []

    async def uploader(path: Path) -> str:
        uploaded.append(path.name)
        return "file-abc123"

    gw = Gateway(pool, stub.client(pool), pdf_mode="upload", uploader=uploader)
    gw.answer(RouteRequest("Read it.", files=(FIXTURES / "page.pdf",)), "gpt-4.1")
    part = stub.bodies[0]["messages"][0]["content"][1]
    assert part == {"type": "file", "file": {"file_id": "file-abc123"}}
    assert uploaded == ["page.pdf"]


def test_429_then_success_is_retried(pool):
    def answer(body, n):
        if n == 1:
            return httpx2.Response(429, json={"error": {"message": "slow down"}},
                                   headers={"retry-after-ms": "1"})  # fmt: skip
        return "B"

    stub = Stub(answer)
    resp = Gateway(pool, stub.client(pool, retries=2)).answer("Q?", "gpt-4.1")
    assert resp.answer == "B" and len(stub.bodies) == 2


def test_judge_429_after_retries_falls_back(pool):
    stub = Stub(lambda body, n: httpx2.Response(429, json={"error": {"message": "no"}},
                                                headers={"retry-after-ms": "1"}))  # fmt: skip
    decision = make_router("compact", pool, client=stub.client(pool, retries=1)).route("hi")
    assert decision.fallback and decision.model == "gpt-4.1"
    assert "rate_limit" in decision.fallback_reason and len(stub.bodies) == 2


def test_invalid_json_from_judge_falls_back_with_reason(pool):
    stub = Stub(lambda body, n: "gpt-4.1-nano please" if "response_format" in body else "fine")
    router = make_router("compact", pool, client=stub.client(pool), fallback_model="o4-mini")
    resp = Gateway(pool, stub.client(pool), router).route("hello there")
    assert resp.fallback and resp.model == "o4-mini" and resp.answer == "fine"
    assert "invalid JSON" in resp.fallback_reason
    assert stub.answer_bodies()[0]["model"] == "o4-mini"


def test_unknown_model_from_judge_falls_back_with_reason(pool):
    stub = Stub(judge_says("gpt-5-ultra"))
    resp = Gateway(
        pool, stub.client(pool), make_router("compact", pool, client=stub.client(pool))
    ).route("hi")
    assert resp.fallback and resp.model == "gpt-4.1"
    assert "unknown model 'gpt-5-ultra'" in resp.fallback_reason
    assert "gpt-4.1-nano, gpt-4.1, o4-mini" in resp.fallback_reason


def test_batch_of_20_with_3_poisoned_items_returns_20(pool):
    def answer(body, n):
        if "response_format" in body:
            user = body["messages"][-1]["content"]
            return "not json" if "poison-judge" in user else json.dumps({"model": "gpt-4.1-nano"})
        if "poison-answer" in json.dumps(body["messages"]):
            return httpx2.Response(400, json={"error": {"message": "bad request"}})
        return "A"

    stub = Stub(answer)
    gw = Gateway(pool, stub.client(pool), make_router("compact", pool, client=stub.client(pool)))
    requests: list[Any] = [RouteRequest(f"question {i}") for i in range(20)]
    requests[3] = RouteRequest("poison-judge")  # judge fails: fallback, still answered
    requests[9] = RouteRequest("poison-answer")  # the answering call fails: recorded error
    requests[15] = RouteRequest("see file", files=(FIXTURES / "missing.pdf",))  # no call at all
    results = gw.batch(requests, concurrency=5)
    assert len(results) == 20
    assert results[3].ok and results[3].fallback
    assert not results[9].ok and "bad_request" in results[9].error
    assert not results[15].ok and "file not found" in results[15].error
    assert sum(r.ok for r in results) == 18
    assert all(r.answer == "A" for i, r in enumerate(results) if i not in (3, 9, 15))


def test_response_records_latency_tokens_and_cost_split(pool):
    usage = {"prompt_tokens": 200, "completion_tokens": 50, "total_tokens": 250,
             "prompt_tokens_details": {"cached_tokens": 100},
             "completion_tokens_details": {"reasoning_tokens": 30}}  # fmt: skip

    def answer(body, n):
        content = json.dumps({"model": "o4-mini"}) if "response_format" in body else "42"
        return httpx2.Response(200, json=completion(content, body["model"], usage))

    stub = Stub(answer)
    gw = Gateway(pool, stub.client(pool), make_router("compact", pool, client=stub.client(pool)))
    resp = gw.route("hard one")
    assert resp.usage.reasoning_tokens == 30 and resp.usage.cached_tokens == 100
    assert resp.router_cost_usd == pytest.approx(
        pool.cost("gpt-4.1-nano", _usage(200, 50, 100, 30))
    )
    assert resp.answer_cost_usd == pytest.approx(pool.cost("o4-mini", _usage(200, 50, 100, 30)))
    assert resp.cost_usd == pytest.approx(resp.router_cost_usd + resp.answer_cost_usd)
    assert resp.total_latency_s >= resp.router_latency_s + resp.model_latency_s > 0
    record = resp.to_dict()
    assert record["decision"]["router"] == "compact" and record["reasoning_tokens"] == 30


def _usage(p: int, c: int, cached: int = 0, reasoning: int = 0):
    from routerlab.usage import Usage

    return Usage(p, c, cached, reasoning)
