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
    assert server.stats["batches.create"] > creates  # submitted this time
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


def test_batch_harness_prints_its_estimate_and_refuses_above_the_cap(
    server, key, tmp_path, capsys, mirror, monkeypatch
):
    monkeypatch.delenv("MAX_COST_USD", raising=False)
    args = ["batch", "harness", str(tmp_path), "--name", "c", "--base-url", server.base_url,
            "--subjects", "marketing", "--sample-size", "2", "--poll", "0", "--wait-s", "0"]  # fmt: skip
    creates, uploads = server.stats["batches.create"], server.stats.get("files.create", 0)
    assert main([*args, "--max-cost", "0.000001"]) == 2
    out = capsys.readouterr()
    assert "through the Batch API" in out.out and "Batch price" in out.out
    error = [line for line in out.err.splitlines() if "error" in line]
    assert len(error) == 1 and "above the cap" in error[0]
    assert server.stats["batches.create"] == creates
    assert server.stats.get("files.create", 0) == uploads
    assert not (tmp_path / "c.batch.json").exists()
    # under the cap (here from the environment) it is submitted, the estimate printed first
    monkeypatch.setenv("MAX_COST_USD", "100")
    assert main(args) == 0
    assert "estimated cost of the MMLU harness" in capsys.readouterr().out
    assert server.stats["batches.create"] > creates  # submitted this time


def test_batch_judge_refuses_above_the_cap_from_the_environment(
    server, key, tmp_path, capsys, monkeypatch
):
    prompts = tmp_path / "prompts.csv"
    pd.DataFrame({"user_query": ["hello there", "write a sonnet"]}).to_csv(prompts, index=False)
    out = tmp_path / "decisions.csv"
    monkeypatch.setenv("MAX_COST_USD", "0.0000001")
    creates = server.stats["batches.create"]
    code = main(["batch", "judge", str(prompts), str(out), "--base-url", server.base_url,
                 "--poll", "0"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2 and "above the cap" in captured.err
    assert "2 compact judge decision(s) through the Batch API" in captured.out
    assert server.stats["batches.create"] == creates and not out.exists()
