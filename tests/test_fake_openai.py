"""The loopback server the live tests use answers like OpenAI: structured outputs that validate
against the request's schema, streams, errors in OpenAI's shape, Files and Batches."""

from __future__ import annotations

import io
import json

import httpx
import openai
import pytest
from openai.lib._parsing._completions import type_to_response_format_param

from routerlab.labeling.schema import label_schema
from routerlab.schemas import compact_schema, verbose_schema
from routerlab.testing.fake_completions import FAIL_MARKER, instance_for
from routerlab.testing.fake_openai import FakeOpenAIServer


@pytest.fixture(scope="module")
def sdk():
    with FakeOpenAIServer(max_lifetime_s=120) as server:
        yield openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0), server


@pytest.mark.parametrize("make", [verbose_schema, compact_schema, label_schema])
def test_structured_replies_validate_against_the_requested_schema(pool, sdk, make):
    client, _ = sdk
    schema = make(pool)
    reply = client.chat.completions.parse(
        model="gpt-4.1", messages=[{"role": "user", "content": "x"}], response_format=schema
    )
    assert isinstance(reply.choices[0].message.parsed, schema)
    # the instance is built from the JSON schema alone, the way the server sees it
    sent = type_to_response_format_param(schema)["json_schema"]["schema"]
    schema.model_validate(instance_for(sent))


def test_instance_for_covers_anyof_arrays_and_bounds():
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "exclusiveMinimum": 3},
            "tags": {"type": "array", "items": {"type": "string", "minLength": 6}, "minItems": 2},
            "maybe": {"anyOf": [{"type": "null"}, {"type": "number", "minimum": 2}]},
            "c": {"const": "fixed"},
        },
    }
    assert instance_for(schema) == {
        "n": 4,
        "tags": ["fakexx", "fakexx"],
        "maybe": 2.0,
        "c": "fixed",
    }


def test_plain_streamed_and_failing_calls(sdk):
    client, server = sdk
    messages = [{"role": "user", "content": "Which letter?"}]
    plain = client.chat.completions.create(model="gpt-4.1", messages=messages)
    again = client.chat.completions.create(model="gpt-4.1", messages=messages)
    assert plain.choices[0].message.content == again.choices[0].message.content  # deterministic
    assert plain.choices[0].message.content.startswith("Answer: ")
    stream = client.chat.completions.create(
        model="gpt-4.1", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content and chunks[-1].usage is not None
    assert server.stats["chat.completions.stream"] >= 1
    with pytest.raises(openai.BadRequestError, match=FAIL_MARKER):
        client.chat.completions.create(
            model="gpt-4.1", messages=[{"role": "user", "content": FAIL_MARKER}]
        )
    bare = httpx.post(f"{server.base_url}/chat/completions", json={"model": "gpt-4.1",
                      "messages": messages})  # fmt: skip
    assert bare.status_code == 401 and bare.json()["error"]["code"] == "invalid_api_key"


def test_files_and_a_batch_with_one_failing_line(sdk):
    client, server = sdk
    server.state.batch_polls = 0
    lines = [
        {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4.1", "messages": [{"role": "user", "content": text}]}}
        for cid, text in (("a", "q1"), ("b", FAIL_MARKER), ("c", "q3"))
    ]  # fmt: skip
    data = "".join(json.dumps(x) + "\n" for x in lines).encode()
    uploaded = client.files.create(file=("in.jsonl", io.BytesIO(data)), purpose="batch")
    assert client.files.content(uploaded.id).content == data
    batch = client.batches.create(
        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = client.batches.retrieve(batch.id)
    assert batch.status == "completed"
    assert (batch.request_counts.total, batch.request_counts.failed) == (3, 1)
    out = [json.loads(x) for x in client.files.content(batch.output_file_id).text.splitlines()]
    err = [json.loads(x) for x in client.files.content(batch.error_file_id).text.splitlines()]
    assert [x["custom_id"] for x in out] == ["a", "c"] and [x["custom_id"] for x in err] == ["b"]
    assert err[0]["response"]["status_code"] == 400


def test_unknown_files_and_batches_are_404_not_found(sdk):
    _, server = sdk
    auth = {"Authorization": "Bearer sk-test"}
    for path in ("files/file-none", "files/file-none/content", "batches/batch_none"):
        reply = httpx.get(f"{server.base_url}/{path}", headers=auth)
        assert reply.status_code == 404, path
        assert reply.json()["error"]["code"] == "not_found", path
    reply = httpx.post(
        f"{server.base_url}/batches",
        json={"input_file_id": "file-none", "endpoint": "/v1/chat/completions"},
        headers=auth,
    )
    assert reply.status_code == 404 and "no file file-none" in reply.json()["error"]["message"]
