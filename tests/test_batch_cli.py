"""``routerlab batch harness|judge`` against the loopback server: a first call submits and exits
(``--wait-s 0``), the same command again collects; outputs are the synchronous run's files."""

from __future__ import annotations

import os
import secrets

import pandas as pd
import pytest

from routerlab.cli import main
from routerlab.testing.fake_openai import FakeOpenAIServer


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(max_lifetime_s=300) as srv:
        yield srv


@pytest.fixture
def key(monkeypatch):
    value = f"sk-test-{secrets.token_hex(8)}"
    monkeypatch.setenv("OPENAI_API_KEY", value)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return value


def test_batch_harness_submits_then_collects(server, key, tmp_path, capsys, mirror):
    server.state.batch_polls = 2
    args = ["batch", "harness", str(tmp_path), "--name", "b", "--base-url", server.base_url,
            "--subjects", "marketing", "--sample-size", "2", "--poll", "0"]  # fmt: skip
    creates = server.stats["batches.create"]
    assert main([*args, "--wait-s", "0"]) == 0
    first = capsys.readouterr()
    assert "run the same command again to collect" in first.out
    assert server.stats["batches.create"] == creates + 1
    assert (tmp_path / "b.batch.json").is_file() and not (tmp_path / "b_questions.csv").exists()
    assert main(args) == 0
    second = capsys.readouterr()
    assert server.stats["batches.create"] == creates + 2  # decide (resumed) + answer
    assert "completed" in second.err  # the progress lines
    table = pd.read_csv(tmp_path / "b_questions.csv")
    assert len(table) == 2 and table["router_error"].isna().all()
    summary = pd.read_csv(tmp_path / "b_summary.csv")
    assert summary["note"].str.contains("(batch)", regex=False).all()
    assert key not in first.out + first.err + second.out + second.err


def test_batch_judge_writes_a_decision_file(server, key, tmp_path, capsys):
    server.state.batch_polls = 0
    prompts = tmp_path / "prompts.csv"
    pd.DataFrame({"user_query": ["hello there", "prove Fermat's last theorem"]}).to_csv(
        prompts, index=False
    )
    out = tmp_path / "decisions.csv"
    code = main(["batch", "judge", str(prompts), str(out), "--base-url", server.base_url,
                 "--poll", "0"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    frame = pd.read_csv(out)
    assert list(frame["prompt"]) == ["hello there", "prove Fermat's last theorem"]
    assert {"prompt", "model", "router", "fallback", "cost_usd"} <= set(frame.columns)
    assert not frame["fallback"].any()
    assert "saved 2 decisions" in capsys.readouterr().out


def test_batch_needs_a_key_or_a_server(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    prompts = tmp_path / "p.csv"
    prompts.write_text("user_query\nhi\n", encoding="utf-8")
    assert main(["batch", "judge", str(prompts), str(tmp_path / "o.csv")]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert "OPENAI_API_KEY" not in os.environ


def test_bad_paths_end_before_anything_is_submitted(server, key, tmp_path, capsys):
    creates = server.stats["batches.create"]
    binary = tmp_path / "prompts.csv"
    binary.write_bytes(b"user_query\n\x00\x01\x02")
    args = ["--base-url", server.base_url, "--poll", "0"]
    assert main(["batch", "judge", str(binary), str(tmp_path / "o.csv"), *args]) == 2
    assert "prompts.csv" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text("user_query\nhi\n", encoding="utf-8")
    assert main(["batch", "judge", str(good), str(tmp_path), *args]) == 2  # a folder
    assert "folder" in capsys.readouterr().err
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    assert main(["batch", "harness", str(afile), *args]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert server.stats["batches.create"] == creates
