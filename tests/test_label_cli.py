import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import routerlab.cli.label as label_cli
from routerlab.cli import main
from routerlab.labeling.checkpoint import prompt_key, read_records
from routerlab.labeling.io import checkpoint_for

FIXTURES = Path(__file__).parent / "fixtures" / "labeling"
sys.path.insert(0, str(FIXTURES))
from fake_judge import FakeJudge, expected_label  # noqa: E402

RUNNER = """
import sys
sys.path.insert(0, {fixtures!r})
from fake_judge import FakeJudge
import routerlab.cli.label as label_cli
label_cli._make_client = lambda profile, pool: FakeJudge(pool, delay_s={delay})
from routerlab.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def fake(monkeypatch):
    judges = []

    def make(profile, pool):
        judges.append(FakeJudge(pool))
        return judges[-1]

    monkeypatch.setattr(label_cli, "_make_client", make)
    return judges


def ok_counts(path):
    return Counter(r["key"] for r in read_records(path) if r["status"] == "ok")


def test_label_prompt_csv_and_resume(fake, tmp_path, capsys):
    out = tmp_path / "labels.csv"
    args = ["label", str(FIXTURES / "prompts.csv"), str(out), "--profile", "offline"]
    assert main([*args, "--limit", "3", "--no-progress"]) == 0
    first = pd.read_csv(out, keep_default_na=False)
    assert list(first.columns[:2]) == ["user_query", "source"] and "label" in first.columns
    assert len(first) == 3  # the empty prompt is skipped before --limit applies
    assert main([*args, "--no-progress"]) == 0
    full = pd.read_csv(out, keep_default_na=False)
    assert len(full) == 5  # every non-empty row, the repeated one included
    names = ["gpt-4.1-nano", "gpt-4.1", "o4-mini"]
    assert list(full["label"]) == [expected_label(names, q) for q in full["user_query"]]
    assert sum(fake[1].per_prompt.values()) == 1  # 4 distinct prompts: 3 done before, 1 now
    assert set(ok_counts(checkpoint_for(out)).values()) == {1}
    assert "wrote 5 labeled rows" in capsys.readouterr().out


def test_label_hub_conversations_with_cleaning(fake, tmp_path):
    out = tmp_path / "conv.csv"
    src = FIXTURES / "hub_conversations.jsonl"
    assert (
        main(["label", str(src), str(out), "--profile", "offline", "--clean", "--no-progress"]) == 0
    )
    labeled = pd.read_csv(out, keep_default_na=False)
    assert "c003" not in set(labeled["conversation_id"])  # violence-flagged: cleaned out
    assert {"c001", "c002"} <= set(labeled["conversation_id"])


def test_offline_batch_writes_requests_only(fake, tmp_path, capsys):
    out = tmp_path / "b.csv"
    assert main(["label", str(FIXTURES / "prompts.csv"), str(out), "--profile", "offline",
                 "--batch"]) == 0  # fmt: skip
    requests = checkpoint_for(out).with_name(checkpoint_for(out).name + ".requests.jsonl")
    assert len(requests.read_text().splitlines()) == 4
    assert not fake and not out.exists()
    assert "submit them with --profile live --batch" in capsys.readouterr().out


def test_user_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nhi\n")
    assert main(["label", str(bad), str(tmp_path / "o.csv"), "--profile", "offline"]) == 2
    assert "user_query or prompt" in capsys.readouterr().err
    src = str(FIXTURES / "prompts.csv")
    assert (
        main(["label", src, str(tmp_path / "o.csv"), "--profile", "offline", "--judge", "x"]) == 2
    )


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_exactly_once(fake, tmp_path):
    prompts = [f"question {i}: how many legs do {i} spiders have?" for i in range(40)]
    src = tmp_path / "in.csv"
    pd.DataFrame({"prompt": prompts}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    ck = checkpoint_for(out)
    script = tmp_path / "runner.py"
    script.write_text(RUNNER.format(fixtures=str(FIXTURES), delay=0.15))
    cmd = [sys.executable, str(script), "label", str(src), str(out), "--profile", "offline",
           "--concurrency", "2", "--no-progress"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if ck.exists() and len(ok_counts(ck)) >= 6:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = len(ok_counts(ck))
    assert 6 <= killed_at < 40 and not out.exists()
    assert main(["label", str(src), str(out), "--profile", "offline", "--no-progress"]) == 0
    assert sum(fake[0].per_prompt.values()) == 40 - killed_at
    counts = ok_counts(ck)
    assert set(counts) == {prompt_key(p) for p in prompts} and set(counts.values()) == {1}
    assert len(pd.read_csv(out)) == 40
