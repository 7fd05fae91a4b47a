from __future__ import annotations

import pytest

from routerlab.errors import ConfigError
from routerlab.profiles import PROFILE_ENV, Profile, resolve_profile
from routerlab.request import RouteRequest


def test_profile_explicit_and_from_env(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    assert resolve_profile("offline") is Profile.OFFLINE
    assert resolve_profile(" LIVE ") is Profile.LIVE
    monkeypatch.setenv(PROFILE_ENV, "offline")
    assert resolve_profile() is Profile.OFFLINE


def test_profile_is_never_guessed(monkeypatch):
    monkeypatch.delenv(PROFILE_ENV, raising=False)
    with pytest.raises(ConfigError, match=r"no profile chosen.*allowed: live, offline"):
        resolve_profile()
    with pytest.raises(ConfigError, match="unknown profile 'cloud'; allowed: live, offline"):
        resolve_profile("cloud")


@pytest.mark.parametrize("prompt", ["", "   \n\t"])
def test_empty_prompt_rejected(prompt):
    with pytest.raises(ConfigError, match="prompt is empty"):
        RouteRequest(prompt=prompt)


@pytest.mark.parametrize("temperature", [-0.1, 2.01, "hot"])
def test_temperature_outside_range_rejected(temperature):
    with pytest.raises(ConfigError, match=r"temperature must be .*\[0.0, 2.0\]"):
        RouteRequest(prompt="hi", temperature=temperature)


def test_request_keeps_files_as_paths():
    req = RouteRequest(prompt="describe", temperature=2.0, files=["a.png"])
    assert req.files[0].name == "a.png" and req.temperature == 2.0
