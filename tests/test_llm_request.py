"""LLMRequest: validated, immutable, one key for recorder and replayer, the keyword form intact."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import BaseModel

from routerlab.errors import ConfigError, UnknownModelError
from routerlab.llm.cache import cache_key
from routerlab.llm.request import FIELDS, LLMRequest, as_request, request_key
from routerlab.testing import ScriptedChatClient

USER = [{"role": "user", "content": "Name a prime number."}]


class Pick(BaseModel):
    model: str


def test_fields_are_the_request_parameters():
    assert FIELDS == (
        "model", "messages", "temperature", "max_tokens", "max_completion_tokens",
        "response_format", "extra",
    )  # fmt: skip


def test_request_is_frozen_and_copies_what_it_is_given():
    messages = [dict(USER[0])]
    extra = {"seed": 7}
    request = LLMRequest("gpt-4.1", messages, temperature=0, extra=extra)
    messages[0]["content"] = "changed"
    messages.append({"role": "user", "content": "more"})
    extra["seed"] = 8
    assert request.messages == (USER[0],) and request.extra == {"seed": 7}
    assert request.temperature == 0.0 and isinstance(request.temperature, float)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.model = "o4-mini"  # type: ignore[misc]
    with pytest.raises(TypeError):
        request.extra["seed"] = 9  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": ""}, "model must be a non-empty"),
        ({"messages": []}, "messages is empty"),
        ({"messages": "hi"}, "messages must be a list"),
        ({"messages": [{"content": "no role"}]}, r"messages\[0\] must be a mapping with a 'role'"),
        ({"temperature": 3}, r"temperature must be in \[0.0, 2.0\]"),
        ({"max_tokens": 0}, "max_tokens must be an integer >= 1"),
        ({"max_completion_tokens": True}, "max_completion_tokens must be an integer"),
        ({"response_format": dict}, "response_format must be a Pydantic model class"),
        ({"extra": {"temperature": 0}}, "extra repeats the request field"),
    ],
)
def test_invalid_requests_name_what_is_wrong(kwargs, message):
    fields = {"model": "gpt-4.1", "messages": USER} | kwargs
    with pytest.raises(ConfigError, match=message):
        LLMRequest(**fields)


def test_create_rejects_unknown_arguments_and_lists_the_allowed():
    with pytest.raises(
        ConfigError, match=r"unexpected request argument.*top_p.*allowed: temperature"
    ):
        LLMRequest.create("gpt-4.1", USER, top_p=0.5)
    assert LLMRequest.create("gpt-4.1", USER, extra=None).extra == {}


def test_params_round_trip_and_equal_requests_share_key_and_hash():
    request = LLMRequest("gpt-4.1", USER, temperature=0.5, max_tokens=9, extra={"seed": 1})
    again = LLMRequest.create(request.model, request.messages, **request.params())
    assert again == request and hash(again) == hash(request) and again.key() == request.key()
    assert request.message_list() == USER and request.message_list() is not request.messages


def test_key_covers_every_field_and_cache_key_adds_the_backend():
    base = LLMRequest("gpt-4.1", USER, temperature=0)
    variants = [
        dataclasses.replace(base, model="o4-mini"),
        dataclasses.replace(base, messages=({"role": "user", "content": "other"},)),
        dataclasses.replace(base, temperature=0.5),
        dataclasses.replace(base, max_tokens=5),
        dataclasses.replace(base, max_completion_tokens=5),
        dataclasses.replace(base, response_format=Pick),
        dataclasses.replace(base, extra={"seed": 1}),
    ]
    keys = {base.key(), *(v.key() for v in variants)}
    assert len(keys) == 1 + len(variants)
    # the keyword form gives the same keys as the object
    assert request_key(base) == request_key("gpt-4.1", USER, temperature=0) == base.key()
    assert cache_key("openai", base) == cache_key("openai", "gpt-4.1", USER, temperature=0.0)
    assert cache_key("openai", base) != cache_key("replay f", base) != base.key()
    with pytest.raises(ConfigError, match="LLMRequest alone"):
        as_request(base, USER)


async def test_every_call_form_reaches_the_backend_as_one_request(pool):
    client = ScriptedChatClient("ok", pool=pool)
    await client.acomplete("gpt-4.1", USER, temperature=0, max_tokens=3, cacheable=True)
    request = LLMRequest("o4-mini", USER, max_completion_tokens=40)
    await client.asend(request)
    deltas = [d async for d in client.astream("gpt-4.1-nano", USER, extra={"seed": 2})]
    assert deltas == ["ok"]
    assert client.calls[0] == LLMRequest("gpt-4.1", USER, temperature=0, max_tokens=3)
    assert client.calls[1] is request
    assert client.calls[2].extra == {"seed": 2}
    assert client.cacheable == [True, None, None]
    with pytest.raises(UnknownModelError):
        await client.acomplete("nope", USER)
    with pytest.raises(ConfigError, match="unexpected request argument"):
        client.complete("gpt-4.1", USER, temprature=0)
    assert len(client.calls) == 3  # invalid requests never reach the backend
