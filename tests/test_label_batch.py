import json
from types import SimpleNamespace

import pytest

from routerlab.labeling.batch import (
    ENDPOINT,
    arun_batch,
    build_batch_requests,
    parse_batch_output,
    write_batch_files,
)
from routerlab.labeling.checkpoint import Checkpoint, prompt_key, read_records
from routerlab.labeling.labeler import LabelConfig
from routerlab.labeling.schema import response_format_param
from routerlab.pool import load_pool
from routerlab.usage import Usage

PROMPTS = ["What is 2+2?", "Write a haiku about rain", "Plan a 3-city trip", "What is 2+2?"]


@pytest.fixture
def pool():
    return load_pool()


def _output_line(request, label, *, usage=(120, 6)):
    body = {
        "id": "chatcmpl-x",
        "object": "chat.completion",
        "model": request["body"]["model"],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": json.dumps({"label": label})},
            }
        ],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }
    return {
        "id": f"batch_req_{request['custom_id'][:6]}",
        "custom_id": request["custom_id"],
        "response": {"status_code": 200, "request_id": "r", "body": body},
        "error": None,
    }


def test_requests_have_the_live_call_shape(pool, tmp_path):
    requests = build_batch_requests(PROMPTS, pool, LabelConfig())
    assert len(requests) == 3  # the repeated prompt is asked once
    first = requests[0]
    assert first["custom_id"] == prompt_key(PROMPTS[0])
    assert first["method"] == "POST" and first["url"] == ENDPOINT
    body = first["body"]
    assert body["model"] == "gpt-4.1" and body["temperature"] == 0.2
    assert body["response_format"] == response_format_param(pool)
    assert body["messages"][1]["content"].endswith(f"<prompt>\n{PROMPTS[0]}\n</prompt>")
    reasoning = build_batch_requests(PROMPTS[:1], pool, LabelConfig(judge="o4-mini"))[0]["body"]
    assert "temperature" not in reasoning and reasoning["max_completion_tokens"] > 0
    paths = write_batch_files(requests, tmp_path / "req.jsonl", max_requests=2)
    assert [p.name for p in paths] == ["req.jsonl", "req.1.jsonl"]
    lines = [json.loads(x) for p in paths for x in p.read_text().splitlines()]
    assert lines == requests


def test_round_trip_outputs_and_error_lines_by_custom_id(pool, tmp_path):
    requests = build_batch_requests(PROMPTS, pool, LabelConfig())
    by_key = {r["custom_id"]: r["body"]["messages"][1]["content"] for r in requests}
    prompts = {prompt_key(p): p for p in PROMPTS}
    ok = _output_line(requests[2], "o4-mini")
    bad_label = _output_line(requests[1], "gpt-99")
    error = {
        "id": "batch_req_e",
        "custom_id": requests[0]["custom_id"],
        "response": None,
        "error": {"code": "rate_limit_exceeded", "message": "too many tokens"},
    }
    stray = _output_line({"custom_id": "not-ours", "body": {"model": "gpt-4.1"}}, "gpt-4.1")
    output = tmp_path / "out.jsonl"
    # outputs come back in any order
    output.write_text("\n".join(json.dumps(x) for x in [ok, error, bad_label, stray]) + "\n")
    ck = tmp_path / "ck.jsonl"
    with Checkpoint.open(ck) as checkpoint:
        result = parse_batch_output(output, checkpoint, pool, prompts, judge="gpt-4.1")
    assert (result.ok, result.errors, result.unknown_ids) == (1, 2, 1)
    expected_cost = 2 * pool.cost("gpt-4.1", Usage(120, 6), batch=True)
    assert result.cost_usd == pytest.approx(expected_cost)
    assert pool.cost("gpt-4.1", Usage(120, 6), batch=True) == pytest.approx(
        pool.cost("gpt-4.1", Usage(120, 6)) / 2
    )
    records = {r["key"]: r for r in read_records(ck)}
    assert records[requests[2]["custom_id"]]["label"] == "o4-mini"
    assert records[requests[2]["custom_id"]]["source"] == "batch"
    assert records[requests[0]["custom_id"]]["status"] == "error"
    assert "rate_limit_exceeded" in records[requests[0]["custom_id"]]["error"]
    assert "invalid output" in records[requests[1]["custom_id"]]["error"]
    assert set(by_key) == {r["custom_id"] for r in requests}
    # parsing the same file again writes no duplicate success
    with Checkpoint.open(ck) as checkpoint:
        again = parse_batch_output(output, checkpoint, pool, prompts, judge="gpt-4.1")
        assert again.skipped_done == 1
        assert build_batch_requests(PROMPTS, pool, skip=checkpoint.done) == [
            r for r in requests if r["custom_id"] != requests[2]["custom_id"]
        ]
    assert sum(r["status"] == "ok" for r in read_records(ck)) == 1


class FakeOpenAI:
    """The slice of ``openai.AsyncOpenAI`` the batch path uses, answering like the API."""

    def __init__(self, pool, polls_before_done=2):
        self.uploaded = b""
        self.polls = 0
        self.polls_before_done = polls_before_done
        self.created = 0
        outer = self

        class Files:
            async def create(self, file, purpose):
                assert purpose == "batch"
                outer.uploaded = file.read()
                return SimpleNamespace(id="file-in")

            async def content(self, file_id):
                requests = [json.loads(x) for x in outer.uploaded.decode().splitlines()]
                if file_id == "file-out":
                    lines = [_output_line(r, "gpt-4.1-nano") for r in requests[1:]]
                else:
                    lines = [{"custom_id": requests[0]["custom_id"], "response": None,
                              "error": {"code": "server_error", "message": "boom"}}]  # fmt: skip
                return SimpleNamespace(text="\n".join(json.dumps(x) for x in lines))

        class Batches:
            async def create(self, input_file_id, endpoint, completion_window):
                assert (input_file_id, endpoint) == ("file-in", ENDPOINT)
                outer.created += 1
                return SimpleNamespace(id="batch-1", status="validating")

            async def retrieve(self, batch_id):
                outer.polls += 1
                done = outer.polls > outer.polls_before_done
                return SimpleNamespace(
                    id=batch_id,
                    status="completed" if done else "in_progress",
                    output_file_id="file-out" if done else None,
                    error_file_id="file-err" if done else None,
                )

        self.files = Files()
        self.batches = Batches()


async def test_live_submit_poll_download_resume(pool, tmp_path):
    ck = tmp_path / "ck.jsonl"
    sdk = FakeOpenAI(pool, polls_before_done=3)
    job, result = await arun_batch(sdk, PROMPTS, ck, pool, poll_s=0, timeout_s=0)
    assert result is None and job.status == "in_progress"  # gave up waiting; job saved
    assert (tmp_path / "ck.jsonl.batch.json").exists()
    job, result = await arun_batch(sdk, PROMPTS, ck, pool, poll_s=0)
    assert sdk.created == 1  # resumed the saved job, no second submission
    assert job.status == "completed" and result is not None
    assert (result.ok, result.errors) == (2, 1)
    assert not (tmp_path / "ck.jsonl.batch.json").exists()
    with Checkpoint.open(ck) as checkpoint:
        assert len(checkpoint.done) == 2 and len(checkpoint.failed) == 1
    # a second batch covers only the failed prompt
    sdk2 = FakeOpenAI(pool, polls_before_done=0)
    _, result2 = await arun_batch(sdk2, PROMPTS, ck, pool, poll_s=0)
    assert result2 is not None and (result2.ok, result2.errors) == (0, 1)
    assert len(sdk2.uploaded.decode().splitlines()) == 1


async def test_live_structured_call_sends_the_batch_body(pool, tmp_path):
    """The real OpenAI client, through the SDK, sends what a Batch request body holds."""
    import httpx2

    from routerlab.labeling.labeler import alabel_prompts
    from routerlab.llm.base import ClientSettings
    from routerlab.llm.openai_client import OpenAIClient

    sent = []

    def handler(request):
        sent.append(json.loads(request.content))
        line = _output_line({"custom_id": "x", "body": {"model": "gpt-4.1"}}, "o4-mini")
        return httpx2.Response(200, json=line["response"]["body"])

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    client = OpenAIClient(
        pool, api_key="sk-test", settings=ClientSettings(max_retries=0), http_client=http
    )
    run = await alabel_prompts(PROMPTS[:1], client, tmp_path / "ck.jsonl", progress=False)
    assert list(run.labels["label"]) == ["o4-mini"]
    assert run.spent_usd == pytest.approx(pool.cost("gpt-4.1", Usage(120, 6)))
    batch_body = build_batch_requests(PROMPTS[:1], pool)[0]["body"]
    for field in ("model", "messages", "response_format", "temperature", "max_tokens"):
        assert sent[0][field] == batch_body[field], field
