import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import ValidationError

from routerlab.labeling.prompt import STUDY_EXAMPLES, build_messages, render_system_prompt
from routerlab.labeling.schema import label_schema, response_format_param
from routerlab.pool import load_pool
from routerlab.testing import make_pool


@pytest.fixture
def pool():
    return load_pool()


def test_schema_allows_exactly_the_pool(pool):
    schema = label_schema(pool)
    assert schema.model_validate({"label": "o4-mini"}).label == "o4-mini"
    with pytest.raises(ValidationError):
        schema.model_validate({"label": "gpt-5"})
    enum = schema.model_json_schema()["properties"]["label"]["enum"]
    assert enum == pool.names


def test_schema_follows_another_pool(pool):
    small = make_pool(["gpt-4.1-nano", "my-model"])
    schema = label_schema(small)
    assert schema.model_json_schema()["properties"]["label"]["enum"] == ["gpt-4.1-nano", "my-model"]
    text = render_system_prompt(small)
    assert "my-model" in text and "o4-mini" not in text
    # examples for models outside the pool are left out
    assert "fox, chicken" not in text and "List 5 colors" in text


def test_response_format_is_the_sdk_one(pool):
    fmt = response_format_param(pool)
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["schema"] == to_strict_json_schema(label_schema(pool))


def test_prompt_lists_models_prices_and_all_study_examples(pool):
    text = render_system_prompt(pool)
    for name in pool.names:
        assert name in text
    assert f"${pool['gpt-4.1'].input:g} input" in text
    for query, _model in STUDY_EXAMPLES:
        assert query in text
    messages = build_messages("Hi there", pool)
    assert (
        messages[0]["role"] == "system"
        and "<prompt>\nHi there\n</prompt>" in messages[1]["content"]
    )
