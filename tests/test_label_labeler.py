import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from routerlab.labeling.checkpoint import (
    Checkpoint,
    CheckpointLockedError,
    prompt_key,
    read_records,
)
from routerlab.labeling.labeler import LabelConfig, alabel_prompts, label_prompts
from routerlab.pool import load_pool

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "labeling"))
from fake_judge import Crash, FakeJudge, expected_label

PROMPTS = [f"prompt number {i}: what is {i} + {i}?" for i in range(30)]
FAST = LabelConfig(retry_base_s=0.0, concurrency=4)


@pytest.fixture
def pool():
    return load_pool()


def ok_counts(path):
    return Counter(r["key"] for r in read_records(path) if r["status"] == "ok")


def test_labels_everything_once_with_duplicates(pool, tmp_path):
    judge = FakeJudge(pool)
    prompts = [*PROMPTS[:5], PROMPTS[0], "  " + PROMPTS[1] + "\n"]
    run = label_prompts(prompts, judge, tmp_path / "ck.jsonl", config=FAST, progress=False)
    assert run.n_unique == 5 and run.n_labeled == 5 and run.stopped == "complete"
    assert list(run.labels["label"]) == [expected_label(pool.names, p.strip()) for p in prompts]
    assert max(judge.per_prompt.values()) == 1
    assert run.spent_usd == pytest.approx(5 * 0.001)


def test_crash_part_way_then_resume_labels_each_prompt_exactly_once(pool, tmp_path):
    ck = tmp_path / "ck.jsonl"
    with pytest.raises(Crash):
        label_prompts(PROMPTS, FakeJudge(pool, crash_after=11), ck, config=FAST, progress=False)
    first = ok_counts(ck)
    assert 0 < len(first) <= 11
    second_judge = FakeJudge(pool)
    run = label_prompts(PROMPTS, second_judge, ck, config=FAST, progress=False)
    assert run.n_already_done == len(first)
    assert run.n_labeled == len(PROMPTS) - len(first)
    assert not set(second_judge.per_prompt) & {r["prompt"] for r in read_records(ck)[: len(first)]}
    counts = ok_counts(ck)
    assert set(counts) == {prompt_key(p) for p in PROMPTS}
    assert set(counts.values()) == {1}
    # a third run has nothing to do
    third = FakeJudge(pool)
    again = label_prompts(PROMPTS, third, ck, config=FAST, progress=False)
    assert again.n_labeled == 0 and not third.per_prompt and (again.labels["status"] == "ok").all()


def test_torn_last_line_is_cut_and_other_lines_kept(pool, tmp_path):
    ck = tmp_path / "ck.jsonl"
    label_prompts(PROMPTS[:6], FakeJudge(pool), ck, config=FAST, progress=False)
    whole = ck.read_bytes()
    lines = whole.splitlines(keepends=True)
    torn_prompt = json.loads(lines[-1])["prompt"]
    ck.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # killed while writing line 6
    with Checkpoint.open(ck) as checkpoint:
        assert checkpoint.torn_bytes == 40 and len(checkpoint.done) == 5
    judge = FakeJudge(pool)
    label_prompts(PROMPTS[:6], judge, ck, config=FAST, progress=False)
    assert list(judge.per_prompt) == [torn_prompt]
    counts = ok_counts(ck)
    assert len(counts) == 6 and set(counts.values()) == {1}
    assert all(raw.endswith(b"\n") for raw in ck.read_bytes().splitlines(keepends=True))


def test_retries_then_records_failures_and_retries_them_on_resume(pool, tmp_path):
    ck = tmp_path / "ck.jsonl"
    judge = FakeJudge(pool, flaky={PROMPTS[0]}, invalid={PROMPTS[1]})
    run = label_prompts(
        PROMPTS[:3], judge, ck, config=LabelConfig(retry_base_s=0, max_attempts=2), progress=False
    )
    assert judge.per_prompt[PROMPTS[0]] == 2  # one 429, then success
    assert judge.per_prompt[PROMPTS[1]] == 2  # invalid twice: recorded as failed
    assert run.n_labeled == 2 and run.n_failed == 1
    assert "invalid output" in run.errors[0]
    statuses = run.labels.set_index("user_query")["status"]
    assert statuses[PROMPTS[1]] == "error"
    fixed = FakeJudge(pool)
    rerun = label_prompts(PROMPTS[:3], fixed, ck, config=FAST, progress=False)
    assert list(fixed.per_prompt) == [PROMPTS[1]] and rerun.n_labeled == 1
    assert set(ok_counts(ck).values()) == {1}
    # with retry_failed=False a failed prompt is left alone
    ck2 = tmp_path / "ck2.jsonl"
    label_prompts(PROMPTS[:2], FakeJudge(pool, invalid={PROMPTS[1]}), ck2, config=LabelConfig(
        retry_base_s=0, max_attempts=1), progress=False)  # fmt: skip
    none = FakeJudge(pool)
    label_prompts(PROMPTS[:2], none, ck2, config=LabelConfig(retry_failed=False), progress=False)
    assert not none.per_prompt


def test_budget_stops_cleanly_and_resume_continues(pool, tmp_path):
    ck = tmp_path / "ck.jsonl"
    # each call reserves an upper estimate (~$0.0014 for gpt-4.1), but costs $0.001 here
    cfg = LabelConfig(retry_base_s=0, concurrency=1, budget_usd=0.006)
    run = label_prompts(PROMPTS[:20], FakeJudge(pool), ck, config=cfg, progress=False)
    assert run.stopped == "budget"
    assert 0 < run.n_labeled < 20
    assert run.spent_usd <= 0.006
    assert (run.labels["status"] == "pending").sum() == 20 - run.n_labeled
    rest = label_prompts(PROMPTS[:20], FakeJudge(pool), ck, config=FAST, progress=False)
    assert rest.n_labeled == 20 - run.n_labeled and rest.stopped == "complete"
    assert len(ok_counts(ck)) == 20


def test_one_retry_policy_transient_and_invalid_answers_only(pool, tmp_path):
    """Retried: what routerlab.retry calls transient, and answers that are no label; a 400 or a
    refusal is recorded at once (it would fail again), a 401 stops the run."""
    from routerlab.errors import LLMError

    down, bad, refused, garbled = PROMPTS[:4]
    errors = {
        down: [LLMError("down", kind="api_error", status=503)],
        bad: [LLMError("bad request", kind="bad_request", status=400)],
        refused: [LLMError("no", kind="refusal")],
        garbled: [LLMError("off schema", kind="invalid_output")],
    }
    judge = FakeJudge(pool, errors=errors)
    cfg = LabelConfig(retry_base_s=0, max_attempts=3)
    run = label_prompts(PROMPTS[:4], judge, tmp_path / "ck.jsonl", config=cfg, progress=False)
    assert (judge.per_prompt[down], judge.per_prompt[garbled]) == (2, 2)  # retried, then labeled
    assert (judge.per_prompt[bad], judge.per_prompt[refused]) == (1, 1)  # not worth another attempt
    assert run.n_labeled == 2 and run.n_failed == 2
    assert sorted(e.split(": ", 1)[1].split(":")[0] for e in run.errors) == [
        "bad_request",
        "refusal",
    ]
    records = {r["prompt"]: r for r in read_records(tmp_path / "ck.jsonl")}
    assert records[down]["attempts"] == 2 and records[bad]["attempts"] == 1
    fatal = FakeJudge(pool, errors={PROMPTS[5]: [LLMError("no key", kind="auth", status=401)]})
    with pytest.raises(LLMError, match="no key"):
        label_prompts(PROMPTS[5:6], fatal, tmp_path / "f.jsonl", config=cfg, progress=False)


async def test_reasoning_judge_gets_no_temperature(pool, tmp_path):
    judge = FakeJudge(pool)
    await alabel_prompts(
        PROMPTS[:1], judge, tmp_path / "ck.jsonl", config=LabelConfig(judge="o4-mini"),
        progress=False,
    )  # fmt: skip
    assert judge.kwargs[0]["temperature"] is None
    assert judge.kwargs[0]["max_completion_tokens"] and judge.kwargs[0]["max_tokens"] is None
    other = FakeJudge(pool)
    await alabel_prompts(PROMPTS[:1], other, tmp_path / "b.jsonl", progress=False)
    assert other.kwargs[0]["temperature"] == 0.2


def test_checkpoint_lock_and_double_success_refused(tmp_path):
    ck = tmp_path / "ck.jsonl"
    with Checkpoint.open(ck) as first:
        with pytest.raises(CheckpointLockedError):
            Checkpoint.open(ck)
        first.append({"key": "k", "status": "ok", "label": "gpt-4.1"})
        with pytest.raises(Exception, match="already labeled"):
            first.append({"key": "k", "status": "ok", "label": "o4-mini"})
    with Checkpoint.open(ck) as again:
        assert again.done == {"k"}


def test_bad_config():
    with pytest.raises(ValueError, match="concurrency"):
        LabelConfig(concurrency=0)
    with pytest.raises(ValueError, match="budget"):
        LabelConfig(budget_usd=-1)
