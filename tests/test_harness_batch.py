"""Batch mode of the MMLU harness and the judges, round trip against the loopback server:
submit, restart, find the submitted batch, collect, and compare with the synchronous run."""

from __future__ import annotations

import json
import math
import secrets

import openai
import pandas as pd
import pytest

from routerlab.batch_api import BatchJob, read_batch_lines
from routerlab.harness import format_question, mmlu_gateway, run_harness
from routerlab.harness_batch import DONE, PENDING, arun_decisions_batch, arun_harness_batch
from routerlab.llm.openai_client import OpenAIClient
from routerlab.routers import make_router
from routerlab.testing.fake_completions import FAIL_MARKER
from routerlab.testing.fake_openai import FakeOpenAIServer

KEY = f"sk-test-{secrets.token_hex(8)}"
QUESTIONS = [
    ("marketing", "Which of these is a marketing channel?", ["TV", "Soil", "Rain", "Rock"], 0),
    (
        "machine_learning",
        "What does SGD stand for?",
        ["a", "b", "stochastic gradient descent", "d"],
        2,
    ),
    ("marketing", f"{FAIL_MARKER}: this one fails upstream", ["w", "x", "y", "z"], 1),
    (
        "machine_learning",
        "Which loss suits classification?",
        ["MSE", "L1", "Huber", "cross-entropy"],
        3,
    ),
]
COMPARED = ["qid", "router_model", "router_answer", "router_letter", "router_correct",
            "fixed_model", "fixed_answer", "fixed_letter", "fixed_correct", "router_fallback",
            "router_prompt_tokens", "router_completion_tokens", "fixed_prompt_tokens",
            "fixed_completion_tokens"]  # fmt: skip


@pytest.fixture(scope="module")
def server():
    with FakeOpenAIServer(max_lifetime_s=300) as srv:
        yield srv


@pytest.fixture
def questions() -> pd.DataFrame:
    rows = []
    for i, (subject, question, choices, answer) in enumerate(QUESTIONS):
        rows.append(
            {
                "qid": f"{subject}/dev/{i}",
                "subject": subject,
                "gold": "ABCD"[answer],
                "prompt": format_question(subject, question, choices),
            }
        )
    return pd.DataFrame(rows)


def _gateway(pool, server, style="compact"):
    client = OpenAIClient(pool, base_url=server.base_url, api_key=KEY)
    return mmlu_gateway(pool, client, make_router(style, pool, client=client))


def _sdk(server) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


async def test_batch_run_resumes_and_matches_the_synchronous_run(pool, server, questions, tmp_path):
    gateway = _gateway(pool, server)
    sync = run_harness(gateway, questions, fixed_model="gpt-4.1", progress=False)
    state = tmp_path / "compact.batch.json"
    server.state.batch_polls = 2  # each batch reads "completed" from its 2nd retrieve on
    creates = server.stats["batches.create"]

    # first run: submits the decide stage, gives up waiting at once, keeps the batch id
    first = await arun_harness_batch(_sdk(server), gateway, questions, state, timeout_s=0, poll_s=0)
    assert first.status == PENDING and first.result is None
    assert server.stats["batches.create"] == creates + 1
    saved = json.loads(state.read_text())["stages"]["decide"]
    assert saved["job"]["batch_id"] == first.jobs["decide"].batch_id
    assert saved["ids"][: len(questions)] == [f"judge:{q}" for q in questions["qid"]]

    # "restart": new client and gateway objects, same state file -> polls, never resubmits decide
    lines: list[str] = []
    again = await arun_harness_batch(
        _sdk(server),
        _gateway(pool, server),
        questions,
        state,
        poll_s=0,
        on_progress=lambda job: lines.append(job.progress_line()),
    )
    assert again.status == DONE
    assert server.stats["batches.create"] == creates + 2  # decide once, answer once
    assert {j.status for j in again.jobs.values()} == {"completed"}
    assert any("in_progress" in line for line in lines) and any(
        "completed" in line for line in lines
    )

    batch = again.result.table
    table = sync.table
    assert list(batch.columns) == list(table.columns)
    # errors stay per question, in the same places
    assert list(batch["router_error"].notna()) == list(table["router_error"].notna())
    assert batch["router_error"].notna().sum() == 1
    good = table["router_error"].isna()
    pd.testing.assert_frame_equal(batch.loc[good, COMPARED], table.loc[good, COMPARED],
                                  check_dtype=False)  # fmt: skip
    # a failed routed answer keeps its decision in Batch mode (the synchronous path drops it)
    bad = batch[~good].iloc[0]
    assert bad["router_fallback"] and "batch error" in bad["router_fallback_reason"]
    # costs are the Batch price: half
    assert list(batch["fixed_error"].notna()) == [FAIL_MARKER in p for p in questions["prompt"]]
    ok = batch["fixed_error"].isna()
    assert (batch.loc[ok, "fixed_cost_usd"] > 0).all()
    for col in ("router_cost_usd", "fixed_cost_usd", "router_router_cost_usd"):
        expected = table.loc[good, col].to_numpy() * pool.batch_discount
        assert batch.loc[good, col].to_numpy() == pytest.approx(expected)
    assert batch["router_total_latency_s"].map(math.isnan).all()  # Batch replies carry no latency
    assert again.result.backend == f"openai-compatible {server.base_url} (batch)"
    summary = again.result.summary()
    assert list(summary["errors"]) == list(sync.summary()["errors"])

    # a third run collects from what it kept: no new batch, no new download
    downloads = server.stats["files.content"]
    third = await arun_harness_batch(_sdk(server), gateway, questions, state, poll_s=0)
    assert third.status == DONE and server.stats["batches.create"] == creates + 2
    assert server.stats["files.content"] == downloads
    pd.testing.assert_frame_equal(third.result.table, batch)


async def test_batch_bodies_are_the_synchronous_requests(pool, server, questions, tmp_path):
    """The Batch lines carry exactly the bodies the SDK sent on the synchronous path."""
    server.state.batch_polls = 0
    gateway = _gateway(pool, server, "verbose")
    state = tmp_path / "verbose.batch.json"
    run = await arun_harness_batch(_sdk(server), gateway, questions.iloc[:1], state, poll_s=0)
    assert run.status == DONE
    bodies = [json.loads(x)["body"] for x in (tmp_path / "verbose.decide.requests.jsonl").open()]
    judge, fixed = bodies
    assert judge["model"] == gateway.router.judge_model
    assert judge["response_format"]["type"] == "json_schema"
    assert judge["response_format"]["json_schema"]["strict"] is True
    assert judge["temperature"] == 0.7 and fixed["temperature"] == 0.2
    assert fixed["model"] == "gpt-4.1" and fixed["max_tokens"] == 16
    answer = [json.loads(x)["body"] for x in (tmp_path / "verbose.answer.requests.jsonl").open()]
    routed_model = run.result.table["router_model"].iloc[0]
    assert answer[0]["model"] == routed_model
    if pool.get(routed_model).reasoning:
        assert "temperature" not in answer[0] and answer[0]["max_completion_tokens"] == 4096


async def test_a_changed_question_set_is_refused_not_resubmitted(pool, server, questions, tmp_path):
    server.state.batch_polls = 5
    gateway = _gateway(pool, server)
    state = tmp_path / "run.batch.json"
    await arun_harness_batch(_sdk(server), gateway, questions, state, timeout_s=0, poll_s=0)
    creates = server.stats["batches.create"]
    with pytest.raises(Exception, match="holds a 'decide' batch for other requests"):
        await arun_harness_batch(_sdk(server), gateway, questions.iloc[:2], state, timeout_s=0)
    assert server.stats["batches.create"] == creates


async def test_judge_decisions_in_batch_match_the_synchronous_judge(pool, server, tmp_path):
    server.state.batch_polls = 0
    client = OpenAIClient(pool, base_url=server.base_url, api_key=KEY)
    router = make_router("verbose", pool, client=client)
    prompts = ["Write a sonnet about tea", "Prove that sqrt(2) is irrational",
               f"{FAIL_MARKER} please", "Write a sonnet about tea"]  # fmt: skip
    run = await arun_decisions_batch(_sdk(server), router, prompts, tmp_path / "d.batch.json")
    assert run.status == DONE
    table = run.result
    assert list(table["prompt"]) == list(dict.fromkeys(prompts))  # asked once per prompt
    for row in table.itertuples():
        sync = await router.aroute(row.prompt)
        assert (row.model, row.fallback) == (sync.model, sync.fallback)
        if sync.confidence is None:  # a fallback has none; the table holds NaN
            assert pd.isna(row.confidence)
        else:
            assert row.confidence == pytest.approx(sync.confidence)
        assert row.cost_usd == pytest.approx(sync.cost_usd * pool.batch_discount)
    failed = table[table["prompt"].str.contains(FAIL_MARKER)]
    assert failed["fallback"].all() and failed["fallback_reason"].str.contains("batch error").all()


def test_unreadable_and_failed_lines_are_errors_not_crashes():
    text = "\n".join(
        [
            '{"custom_id": "a", "response": {"status_code": 200, "body": {"choices": []}}}',
            '{"custom_id": "b", "response": {"status_code": 429, "body": {"error": '
            '{"message": "slow down"}}}}',
            '{"custom_id": "c", "error": {"code": "expired", "message": "not run"}}',
            "{not json",
        ]
    )
    lines = {line.custom_id: line for line in read_batch_lines(text)}
    assert lines["a"].error is None and lines["a"].body == {"choices": []}
    assert lines["b"].error == "http 429: slow down" and lines["b"].body is None
    assert lines["c"].error == "expired: not run"
    assert lines["<line 4>"].error.startswith("unreadable output line")


def test_progress_line_names_status_and_counts():
    job = BatchJob("batch_1", "file_1", status="in_progress", completed=3, failed=1, total=10)
    assert job.progress_line() == "batch batch_1: in_progress, 3/10 done, 1 failed"


async def test_batch_lines_are_the_bodies_the_synchronous_run_sent(
    pool, server, questions, tmp_path
):
    """Compared on the wire: every body the synchronous harness posted is a Batch line body."""
    server.state.batch_polls = 0
    for style in ("verbose", "compact"):
        gateway = _gateway(pool, server, style)
        server.state.chat_bodies.clear()
        run_harness(gateway, questions, fixed_model="gpt-4.1", progress=False)
        sent = server.state.chat_bodies
        # a failed judge call falls back and the fallback's answer is asked too; all are compared
        state = tmp_path / f"{style}.batch.json"
        run = await arun_harness_batch(_sdk(server), gateway, questions, state, poll_s=0)
        assert run.status == DONE
        lines = [
            json.loads(x)["body"]
            for stage in ("decide", "answer")
            for x in (tmp_path / f"{style}.{stage}.requests.jsonl").open()
        ]
        # the SDK's parse() also sends "stream": false, the API default; nothing else differs
        assert all(b.pop("stream", False) is False for b in sent)
        key = lambda body: json.dumps(body, sort_keys=True)  # noqa: E731
        assert len(sent) == 3 * len(questions)  # judge, routed and fixed answer per question
        assert sorted(map(key, lines)) == sorted(map(key, sent))


async def test_a_local_router_decides_here_and_only_answers_go_in_batches(
    pool, server, questions, tmp_path
):
    server.state.batch_polls = 0
    client = OpenAIClient(pool, base_url=server.base_url, api_key=KEY)
    gateway = mmlu_gateway(pool, client, make_router("length", pool))
    sync = run_harness(gateway, questions, progress=False)
    run = await arun_harness_batch(_sdk(server), gateway, questions, tmp_path / "l.batch.json")
    assert run.status == DONE
    decide = (tmp_path / "l.decide.requests.jsonl").read_text().splitlines()
    assert [json.loads(x)["custom_id"] for x in decide] == [f"fixed:{q}" for q in questions["qid"]]
    table = run.result.table
    assert list(table["router_model"]) == list(
        sync.table["router_model"].fillna(table["router_model"])
    )
    assert (table["router_router_cost_usd"] == 0).all()  # a local router costs nothing
