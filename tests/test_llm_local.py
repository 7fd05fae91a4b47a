"""LocalClient: the real SmolLM2-135M stand-in (slow tests load it once per session)."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.local import LocalClient, _text_of, default_model_path

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


class Pick(BaseModel):
    model: Literal["gpt-4.1-nano", "gpt-4.1", "o4-mini"]


def test_model_file_is_found_without_importing_the_package() -> None:
    path = default_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000


def test_missing_model_file_is_a_clear_error(pool, tmp_path) -> None:
    with pytest.raises(ConfigError, match="local model file not found"):
        LocalClient(pool, model_path=tmp_path / "none.gguf")


def test_threads_setting_is_validated(pool, monkeypatch) -> None:
    monkeypatch.setenv("ROUTERLAB_LOCAL_THREADS", "1")
    assert LocalClient(pool).threads == 1
    assert LocalClient(pool, threads=3).threads == 3  # the argument wins over the variable
    monkeypatch.setenv("ROUTERLAB_LOCAL_THREADS", "many")
    with pytest.raises(ConfigError, match="ROUTERLAB_LOCAL_THREADS"):
        LocalClient(pool)


def test_multimodal_content_is_flattened_to_text() -> None:
    content = [
        {"type": "text", "text": "Describe this."},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
    ]
    text = _text_of(content)
    assert text.startswith("Describe this.") and "image_url omitted" in text
    assert "base64" not in text


@pytest.mark.slow
async def test_plain_completion(local_client, pool) -> None:
    result = await local_client.acomplete("gpt-4.1", QUESTION, temperature=0, max_tokens=8)
    assert result.text.strip()
    assert result.stand_in is True and "offline stand-in" in result.backend
    assert result.usage.prompt_tokens > 10 and 0 < result.usage.completion_tokens <= 8
    assert result.cost_usd == pytest.approx(pool.cost("gpt-4.1", result.usage))
    assert result.finish_reason in {"stop", "length"}
    again = await local_client.acomplete("gpt-4.1", QUESTION, temperature=0, max_tokens=8)
    assert again.text == result.text  # greedy at temperature 0


@pytest.mark.slow
async def test_structured_decision(local_client) -> None:
    messages = [
        {"role": "system", "content": "Pick the cheapest model that can answer well."},
        {"role": "user", "content": "What is 2 + 2?"},
    ]
    result = await local_client.acomplete(
        "gpt-4.1-nano", messages, temperature=0, max_tokens=32, response_format=Pick
    )
    assert isinstance(result.parsed, Pick)
    assert Pick.model_validate_json(result.text) == result.parsed
    assert result.usage.completion_tokens > 0 and result.stand_in


@pytest.mark.slow
async def test_structured_output_cut_by_the_token_cap_is_invalid(local_client) -> None:
    # Two tokens cannot hold a complete JSON object: both attempts fail validation.
    with pytest.raises(LLMError) as info:
        await local_client.acomplete("gpt-4.1-nano", QUESTION, max_tokens=2, response_format=Pick)
    assert info.value.kind == "invalid_output" and "after one retry" in str(info.value)
