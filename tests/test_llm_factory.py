"""make_client picks the backend from the profile and never builds a network client at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from routerlab.errors import ConfigError
from routerlab.llm import make_client
from routerlab.llm.local import LocalClient
from routerlab.llm.openai_client import OpenAIClient
from routerlab.llm.replay import Recorder, ReplayClient


@pytest.fixture(autouse=True)
def _no_openai_env(monkeypatch) -> None:
    """The developer's own OpenAI settings must not change what these tests see."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_import_is_light() -> None:
    code = (
        "import sys, routerlab.llm as m; m.make_client; "
        "heavy = [n for n in ('torch', 'transformers', 'outlines', 'openai') if n in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_live_uses_openai(pool, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    client = make_client("live", pool=pool)
    assert isinstance(client, OpenAIClient) and client.backend == "openai"
    compatible = make_client("live", base_url="http://localhost:8000/v1", pool=pool)
    assert compatible.backend == "openai-compatible http://localhost:8000/v1"


def test_live_without_key_or_base_url(pool, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"OPENAI_API_KEY.*base_url"):
        make_client("live", pool=pool)
    assert isinstance(
        make_client("live", base_url="http://127.0.0.1:1/v1", pool=pool), OpenAIClient
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:2/v1")
    from_env = make_client("live", pool=pool)
    assert from_env.backend == "openai-compatible http://127.0.0.1:2/v1"


def test_offline_defaults_to_local_without_loading(pool) -> None:
    client = make_client("offline", pool=pool)
    assert isinstance(client, LocalClient) and client.stand_in
    assert "offline stand-in" in client.backend


def test_replay_and_record(pool, tmp_path: Path) -> None:
    recording = tmp_path / "calls.jsonl"
    recording.write_text("", encoding="utf-8")
    replay = make_client("offline", backend="replay", replay_path=recording, pool=pool)
    assert isinstance(replay, ReplayClient)
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda r: httpx2.Response(500)))
    recorded = make_client(
        "live", api_key="sk-x", record_path=tmp_path / "out.jsonl", pool=pool, http_client=http
    )
    assert isinstance(recorded, Recorder) and isinstance(recorded.inner, OpenAIClient)
    with pytest.raises(ConfigError, match="replay_path"):
        make_client("offline", backend="replay", pool=pool)


@pytest.mark.parametrize(
    ("profile", "kwargs", "message"),
    [
        ("offline", {"backend": "vllm"}, r"unknown backend 'vllm'; choices: openai.*local.*replay"),
        ("offline", {"backend": "openai"}, r"not available in the offline profile"),
        ("live", {"backend": "local", "api_key": "k"}, r"not available in the live profile"),
        ("offline", {"base_url": "http://x/v1"}, r"base_url"),
        ("cloud", {}, r"unknown profile 'cloud'"),
    ],
)
def test_bad_choices(pool, profile: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_client(profile, pool=pool, **kwargs)


def test_profile_is_never_guessed(pool, monkeypatch) -> None:
    monkeypatch.delenv("ROUTERLAB_PROFILE", raising=False)
    with pytest.raises(ConfigError, match="no profile chosen"):
        make_client(None, pool=pool)
    monkeypatch.setenv("ROUTERLAB_PROFILE", "offline")
    assert isinstance(make_client(None, pool=pool), LocalClient)
