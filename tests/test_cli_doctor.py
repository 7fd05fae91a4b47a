from __future__ import annotations

import pytest

from routerlab.cli import main


def test_doctor_offline_reports_every_dataset(mirror, capsys):
    assert main(["doctor", "--profile", "offline", "--no-model"]) == 0
    out = capsys.readouterr().out
    for name in ("mmlu/dev", "mmlu/test", "arena_labeled", "routellm_mmlu", "tiktoken_cache"):
        assert f"dataset {name}" in out
    assert "token counting" in out and "o200k_base" in out
    assert "gpt-4.1-nano" in out and "all checks passed" in out


def test_doctor_fails_and_says_why_without_mirror(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ROUTERLAB_DATA_MIRROR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("ROUTERLAB_DATA_CACHE", str(tmp_path / "cache"))
    assert main(["doctor", "--profile", "offline", "--no-model"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] dataset arena_labeled" in out and "check(s) failed" in out


def test_doctor_needs_a_profile(monkeypatch, capsys):
    monkeypatch.delenv("ROUTERLAB_PROFILE", raising=False)
    assert main(["doctor"]) == 2
    assert "no profile chosen" in capsys.readouterr().err


@pytest.mark.slow
def test_doctor_loads_local_model(mirror, local_client, capsys):
    # local_client (conftest) has loaded the model in this process, so this is quick
    assert main(["doctor", "--profile", "offline"]) == 0
    assert "[OK  ] local model" in capsys.readouterr().out
