"""``routerlab route``: decision-only with baselines, a full judged run on a stub API, errors."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest

import routerlab.llm
from routerlab.cli import main
from routerlab.llm.base import ClientSettings
from routerlab.llm.openai_client import OpenAIClient

FIXTURES = Path(__file__).parent / "fixtures" / "judge"


def test_decision_only_with_a_baseline(capsys):
    assert main(["route", "hello " * 300, "--router", "length", "--decision-only", "--json",
                 "--profile", "offline"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["decision"]["model"] == "gpt-4.1" and out["decision"]["router"] == "length"
    assert "answer" not in out


@pytest.fixture
def stub_api(monkeypatch):
    bodies: list[dict] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        bodies.append(body)
        content = json.dumps({"model": "o4-mini"}) if "response_format" in body else "Paris."
        return httpx2.Response(200, json={
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55},
        })  # fmt: skip

    def fake_make_client(profile, *, base_url=None, pool=None, **_):
        assert profile.value == "live" and base_url == "http://stub.test/v1"
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
        return OpenAIClient(pool, base_url=base_url, settings=ClientSettings(max_retries=0),
                            http_client=http)  # fmt: skip

    monkeypatch.setattr(routerlab.llm, "make_client", fake_make_client)
    return bodies


def test_full_route_prints_decision_and_answer(stub_api, capsys):
    code = main(["route", "Capital of France?", "--temperature", "0.5", "--file",
                 str(FIXTURES / "notes.txt"), "--profile", "live", "--base-url",
                 "http://stub.test/v1"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "router: compact   model: o4-mini" in out and out.rstrip().endswith("Paris.")
    answer_body = stub_api[-1]
    assert answer_body["model"] == "o4-mini" and "temperature" not in answer_body
    assert "notes.txt" in json.dumps(answer_body["messages"])


def test_json_output_records_costs(stub_api, capsys):
    assert main(["route", "hi", "--router", "verbose", "--json", "--profile", "live",
                 "--base-url", "http://stub.test/v1"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    # the stub's reply lacks the verbose schema's fields: the judge falls back, the call goes on
    assert out["fallback"] and "schema" in out["fallback_reason"]
    assert out["model"] == "gpt-4.1" and out["answer"] == "Paris."
    assert out["answer_cost_usd"] > 0 and out["router_cost_usd"] == 0


def test_user_errors_exit_2(capsys):
    assert main(["route", "x", "--router", "nope", "--decision-only", "--profile", "offline"]) == 2
    assert "unknown router 'nope'" in capsys.readouterr().err
    assert main(["route", "x", "--file", "a.docx", "--router", "fixed", "--decision-only",
                 "--profile", "offline"]) == 2  # fmt: skip
    assert "unsupported file" in capsys.readouterr().err
    assert main(["route", "x", "--temperature", "3", "--profile", "offline"]) == 2
    assert "temperature" in capsys.readouterr().err
