"""Recorder appends calls of any client to JSONL; ReplayClient serves them back by request hash."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

import pytest
from pydantic import BaseModel

import routerlab.llm.replay as replay_mod
from routerlab.errors import ConfigError, LLMError
from routerlab.llm.replay import Recorder, ReplayClient, request_key
from routerlab.llm.request import LLMRequest
from routerlab.testing import ScriptedChatClient
from routerlab.usage import Usage

USER = [{"role": "user", "content": "Name a prime number."}]


class Choice(BaseModel):
    model: Literal["gpt-4.1-nano", "gpt-4.1", "o4-mini"]


def scripted_client(pool, delay: float = 0.0) -> ScriptedChatClient:
    """Answers with a text derived from the request, so different requests get different texts."""

    def reply(request: LLMRequest) -> str | Choice:
        if request.response_format is not None:
            return Choice(model="gpt-4.1")
        return f"answer to {request.messages[-1]['content']} ({request.model})"

    usage = Usage(prompt_tokens=40, completion_tokens=7, cached_tokens=2)
    return ScriptedChatClient(
        reply, pool=pool, backend="fake", usage=usage, latency_s=1.5, delay_s=delay
    )


async def test_record_then_replay_same_text_usage_and_cost(
    pool, tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "rec" / "calls.jsonl"
    fake = scripted_client(pool)
    recorder = Recorder(fake, path)
    live = await recorder.acomplete("gpt-4.1", USER, temperature=0, max_tokens=20)
    live_struct = await recorder.acomplete("gpt-4.1-nano", USER, response_format=Choice)
    assert len(fake.calls) == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["key"] == request_key("gpt-4.1", USER, temperature=0, max_tokens=20)
    assert first["backend"] == "fake" and first["usage"]["cached_tokens"] == 2

    replay = ReplayClient(pool, path)
    # the replay's own clock: two readings 0.25 s apart (no wall-clock timing in the test)
    clock = iter([10.0, 10.25])
    monkeypatch.setattr(replay_mod, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    again = await replay.acomplete("gpt-4.1", USER, temperature=0.0, max_tokens=20)
    monkeypatch.undo()
    assert again.text == live.text
    assert again.usage == live.usage and again.cost_usd == pytest.approx(live.cost_usd)
    assert again.backend == f"replay {path}"
    assert again.latency_s == 0.25  # the replay's own latency, not the recorded 1.5 s
    assert again.raw is not None and again.raw["recorded_latency_s"] == 1.5
    struct = await replay.acomplete("gpt-4.1-nano", USER, response_format=Choice)
    assert isinstance(struct.parsed, Choice) and struct.parsed == live_struct.parsed


async def test_replay_miss_names_key_and_file(pool, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    await Recorder(scripted_client(pool), path).acomplete("gpt-4.1", USER, temperature=0)
    replay = ReplayClient(pool, path)
    other = [{"role": "user", "content": "Name an even number."}]
    for kwargs in (
        {"messages": other, "temperature": 0},  # other prompt
        {"messages": USER, "temperature": 1.0},  # other temperature
        {"messages": USER, "temperature": 0, "max_tokens": 5},  # other limit
        {"messages": USER, "temperature": 0, "response_format": Choice},  # other schema
    ):
        with pytest.raises(LLMError) as info:
            await replay.acomplete("gpt-4.1", **kwargs)
        assert info.value.kind == "replay_miss"
        key = request_key("gpt-4.1", **kwargs)
        assert key[:16] in str(info.value) and str(path) in str(info.value)


def test_key_changes_with_schema_and_is_canonical() -> None:
    class Other(BaseModel):
        model: str

    base = request_key("gpt-4.1", USER, temperature=0)
    assert base == request_key("gpt-4.1", [dict(reversed(USER[0].items()))], temperature=0.0)
    assert base != request_key("gpt-4.1", USER, temperature=0, response_format=Choice)
    assert request_key("gpt-4.1", USER, response_format=Choice) != request_key(
        "gpt-4.1", USER, response_format=Other
    )
    assert len(base) == 64


async def test_recorder_appends_and_concurrent_lines_are_whole(pool, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text('{"key": "earlier", "text": "kept"}\n', encoding="utf-8")
    recorder = Recorder(scripted_client(pool, delay=0.01), path)
    prompts = [[{"role": "user", "content": f"question {i} " + "x" * 5000}] for i in range(20)]
    await asyncio.gather(*(recorder.acomplete("gpt-4.1-nano", p) for p in prompts))

    # and from threads, as run_sync does inside Jupyter
    def worker(i: int) -> None:
        recorder.complete("gpt-4.1", [{"role": "user", "content": f"thread {i} " + "y" * 5000}])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"key": "earlier", "text": "kept"}'  # never rewritten
    records = [json.loads(line) for line in lines[1:]]  # every line parses: written whole
    assert len(records) == 28 and len({r["key"] for r in records}) == 28
    replay = ReplayClient(pool, path)
    assert len(replay) == 29
    result = await replay.acomplete("gpt-4.1-nano", prompts[3])
    assert result.text.startswith("answer to question 3 ")


async def test_failed_calls_are_not_recorded(pool, tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    recorder = Recorder(scripted_client(pool), path)
    with pytest.raises(ConfigError):
        await recorder.acomplete("gpt-4.1", [])
    assert not path.exists()


def test_replay_file_errors(pool, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="replay file not found"):
        ReplayClient(pool, tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.jsonl:1"):
        ReplayClient(pool, bad)
