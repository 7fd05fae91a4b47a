from __future__ import annotations

import pytest

from routerlab.errors import ConfigError, UnknownModelError
from routerlab.pool import load_pool
from routerlab.usage import Usage


def test_pool_has_study_models_in_price_order(pool):
    assert pool.names == ["gpt-4.1-nano", "gpt-4.1", "o4-mini"]
    assert pool.cheapest.name == "gpt-4.1-nano"
    assert pool.price_date == "2025-06"
    assert "openai.com" in pool.price_source


@pytest.mark.parametrize(
    ("model", "prices"),
    [
        ("gpt-4.1", (2.00, 0.50, 8.00)),
        ("gpt-4.1-nano", (0.10, 0.025, 0.40)),
        ("o4-mini", (1.10, 0.275, 4.40)),
    ],
)
def test_prices_match_june_2025_list(pool, model, prices):
    spec = pool[model]
    assert (spec.input, spec.cached_input, spec.output) == prices


def test_capabilities(pool):
    assert pool["o4-mini"].reasoning and not pool["o4-mini"].temperature
    assert pool["gpt-4.1"].temperature and not pool["gpt-4.1"].reasoning
    assert all(pool[m].description for m in pool.names)


def test_cost_splits_cached_and_counts_reasoning_as_output(pool):
    usage = Usage(
        prompt_tokens=1_000_000,
        completion_tokens=500_000,
        cached_tokens=400_000,
        reasoning_tokens=300_000,
    )
    # o4-mini: 600k uncached * 1.10 + 400k cached * 0.275 + 500k output * 4.40 (per 1M)
    expected = 0.6 * 1.10 + 0.4 * 0.275 + 0.5 * 4.40
    assert pool.cost("o4-mini", usage) == pytest.approx(expected)
    assert pool.cost("o4-mini", usage, batch=True) == pytest.approx(expected / 2)


def test_unknown_model_lists_pool(pool):
    with pytest.raises(UnknownModelError) as err:
        pool.cost("gpt5", Usage())
    assert "gpt5" in str(err.value) and "gpt-4.1-nano, gpt-4.1, o4-mini" in str(err.value)


def test_extra_openai_compatible_model(tmp_path):
    file = tmp_path / "pool.toml"
    file.write_text(
        '[models."llama-3.1-8b"]\norder = 0\ninput = 0.05\ncached_input = 0.05\noutput = 0.08\n'
        'context_window = 131072\ndescription = "small open model"\n'
        '[models."big"]\norder = 1\ninput = 3\ncached_input = 1\noutput = 15\n'
        'context_window = 200000\ndescription = "big"\nreasoning = true\ntemperature = false\n'
    )
    custom = load_pool(file)
    assert custom.names == ["llama-3.1-8b", "big"]
    assert custom.cost("big", Usage(prompt_tokens=1000, completion_tokens=1000)) == pytest.approx(
        0.018
    )


def test_bad_pool_files_name_the_problem(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match="not found"):
        load_pool(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text('[models."x"]\ninput = 1\n')
    with pytest.raises(ConfigError, match="lacks cached_input, output, context_window"):
        load_pool(bad)


def test_usage_rejects_inconsistent_counts():
    with pytest.raises(ValueError, match="cached_tokens"):
        Usage(prompt_tokens=1, cached_tokens=2)
    assert Usage.from_openai(
        {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 3},
        }
    ) == Usage(10, 5, 4, 3)
    with pytest.raises(ValueError, match="reasoning_tokens must be >= 0, got -1"):
        Usage(completion_tokens=1, reasoning_tokens=-1)


def test_usage_sums_and_exports_every_count():
    total = Usage(10, 5, 4, 3) + Usage(1, 2, 0, 1)
    assert total == Usage(11, 7, 4, 4) and total.total_tokens == 18
    assert total.to_dict() == {
        "prompt_tokens": 11,
        "completion_tokens": 7,
        "cached_tokens": 4,
        "reasoning_tokens": 4,
    }


# -- capability rules: one place for the gateway, the server, the judges and the labeler ------


def test_call_params_follow_the_model_capabilities(pool):
    assert pool.call_params("o4-mini", 0.7, 100) == {"max_completion_tokens": 100}
    assert pool.call_params("gpt-4.1", 0.7, 100) == {"temperature": 0.7, "max_tokens": 100}
    assert pool.call_params("gpt-4.1-nano", None, None) == {}
    assert pool.call_params("gpt-4.1", 0, None) == {"temperature": 0}  # 0 is kept, not dropped
    with pytest.raises(UnknownModelError, match="pool has"):
        pool.call_params("gpt-5", 0.7, 100)


def test_call_params_drop_request_fields_the_model_rejects(pool):
    extra = {"top_p": 0.9, "logit_bias": {"1": 2}, "reasoning_effort": "low", "seed": 7}
    # reasoning models reject sampling controls; chat models reject reasoning_effort
    assert pool.call_params("o4-mini", None, None, extra) == {
        "extra": {"reasoning_effort": "low", "seed": 7}
    }
    assert pool.call_params("gpt-4.1", None, None, extra) == {
        "extra": {"top_p": 0.9, "logit_bias": {"1": 2}, "seed": 7}
    }
    # nothing left to forward: no empty "extra" keyword
    assert pool.call_params("gpt-4.1", None, None, {"reasoning_effort": "low"}) == {}


def test_reads_readers_and_output_cap(pool):
    vision = [m.name for m in pool.models if m.vision]
    assert pool.readers("image") == vision
    assert pool.readers("text") == pool.names  # text files are inlined: every model reads them
    assert pool["o4-mini"].output_cap(100, 4000) == 4000
    assert pool["gpt-4.1"].output_cap(100, 4000) == 100
    assert pool["o4-mini"].output_cap(100) == 100  # no reasoning cap given: the chat cap


def test_tier_models_come_from_prices_and_capabilities(pool, tmp_path):
    assert pool.tier_models() == {
        "cheap": "gpt-4.1-nano",
        "general": "gpt-4.1",
        "reasoning": "o4-mini",
    }
    lone = tmp_path / "lone.toml"
    lone.write_text(
        '[models."solo"]\ninput = 1.0\ncached_input = 0.5\noutput = 2.0\n'
        'context_window = 1000\ndescription = "the only model"\n'
    )
    assert set(load_pool(lone).tier_models().values()) == {"solo"}  # every tier falls back
