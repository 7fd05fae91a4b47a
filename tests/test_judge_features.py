"""Prompt features, judge schemas and judge prompts rendered from the pool."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from routerlab.errors import ConfigError
from routerlab.features import (
    attachment_kind,
    creativity_level,
    prompt_features,
    prompt_tokens,
    structure_flags,
)
from routerlab.pool import Pool
from routerlab.prompts import (
    compact_judge_prompt,
    judge_messages,
    judge_prompt_token_counts,
    verbose_judge_prompt,
)
from routerlab.request import RouteRequest
from routerlab.schemas import compact_schema, routing_decision_schema, verbose_schema
from routerlab.testing import make_pool


def odd_pool() -> Pool:
    """A pool with names that appear nowhere in the code: prompts must come from the pool."""
    return make_pool(
        ["tiny-x", "big-y", "think-z"],
        [(0.05, 0.2), (3.0, 12.0), (1.5, 6.0)],
        reasoning={"think-z"},
        vision={"big-y"},
        pdf={"think-z"},
        descriptions={
            "tiny-x": "Tiny and quick.", "big-y": "Big generalist.", "think-z": "Careful thinker."
        },
    )  # fmt: skip


def test_token_count_is_o200k():
    assert prompt_tokens("hello world") == 2
    assert prompt_tokens("") == 0


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.PNG", "image"), ("b.jpeg", "image"), ("c.webp", "image"), ("d.gif", "image"),
        ("e.pdf", "pdf"), ("f.txt", "text"), ("g.md", "text"), ("h.csv", "text"),
        ("i.json", "text"), ("j.py", "text"), ("k.docx", "unsupported"), ("l", "unsupported"),
        ("m.exe", "unsupported"),
    ],
)  # fmt: skip
def test_attachment_kind(name, kind):
    assert attachment_kind(name) == kind


@pytest.mark.parametrize(
    ("t", "level"), [(0.0, "low"), (0.39, "low"), (0.4, "medium"), (0.99, "medium"), (1.0, "high"), (2.0, "high")]
)  # fmt: skip
def test_creativity_bands(t, level):
    assert creativity_level(t) == level


def test_creativity_rejects_out_of_range():
    with pytest.raises(ConfigError, match=r"\[0.0, 2.0\]"):
        creativity_level(2.5)


def test_structure_flags_detect_each_kind():
    assert structure_flags("<task>sum</task> this").xml_tags
    assert not structure_flags("is 3 < 4 and 5 > 2?").xml_tags  # comparisons are not tags
    assert structure_flags("fix:\n```python\nx=1\n```").code_fence
    assert structure_flags('parse {"a": [1, 2]} please').json
    assert not structure_flags("a set {} is empty").json
    assert structure_flags("Do this:\n1. read\n2. plan\n3. write").numbered_steps
    assert not structure_flags("1. only one step").numbered_steps
    plain = structure_flags("What is the capital of France?")
    assert not plain.any and plain.names() == []


def test_prompt_features_of_request(tmp_path):
    req = RouteRequest("<doc>hi</doc>", temperature=1.2, files=(tmp_path / "x.pdf",))
    feats = prompt_features(req)
    assert feats.has_files and feats.file_kinds == ("pdf",)
    assert feats.creativity == "high" and feats.structure.xml_tags
    assert feats.to_dict()["structure_xml_tags"] is True


def test_decision_schema_admits_only_pool_models():
    pool = odd_pool()
    schema = routing_decision_schema(pool)
    assert schema(model="big-y", confidence=0.5, reasoning="r").model == "big-y"
    with pytest.raises(ValidationError):
        schema(model="gpt-4.1", confidence=0.5, reasoning="r")
    with pytest.raises(ValidationError):
        schema(model="big-y", confidence=1.5, reasoning="r")
    enum = compact_schema(pool).model_json_schema()["properties"]["model"]["enum"]
    assert enum == ["tiny-x", "big-y", "think-z"]


def test_verbose_schema_bounds():
    schema = verbose_schema(odd_pool())
    good = {
        "analysis": {"task_type": "qa", "complexity_score": 2, "domain": "geo",
                     "performance_needs": "speed", "estimated_tokens": 5, "creativity": "low"},
        "routing_decision": {"model": "tiny-x", "confidence": 0.9, "reasoning": "easy"},
    }  # fmt: skip
    assert schema.model_validate(good).routing_decision.model == "tiny-x"
    bad = {**good, "analysis": {**good["analysis"], "complexity_score": 10}}
    with pytest.raises(ValidationError):
        schema.model_validate(bad)
    # the nested decision is narrowed to the pool too
    off_pool = {**good, "routing_decision": {**good["routing_decision"], "model": "gpt-4.1"}}
    with pytest.raises(ValidationError):
        schema.model_validate(off_pool)
    # one class per pool of names (cached), named and documented as the class it narrows
    assert verbose_schema(odd_pool()) is schema and schema.__name__ == "VerboseVerdict"
    assert compact_schema(make_pool()) is compact_schema(make_pool())


def test_prompts_are_rendered_from_pool_and_features():
    pool = odd_pool()
    feats = prompt_features(RouteRequest("```py\nx\n```", temperature=0.2))
    for text in (verbose_judge_prompt(pool, feats), compact_judge_prompt(pool, feats)):
        for spec in pool.models:
            assert spec.name in text and spec.description in text
        assert "$3 input / $12 output" in text
        assert f"{feats.tokens} tokens" in text and "temperature: 0.2" in text
        assert "code_fence" in text
        assert "gpt-4.1" not in text  # nothing of the default pool leaks in
    verbose = verbose_judge_prompt(pool, feats)
    assert verbose.count("Example ") == 3
    tiers = pool.tier_models()
    assert tiers == {"cheap": "tiny-x", "general": "big-y", "reasoning": "think-z"}
    assert '"model": "think-z"' in verbose


def test_judge_messages_and_unknown_style(pool):
    msgs = judge_messages("compact", pool, RouteRequest("hi"))
    assert [m["role"] for m in msgs] == ["system", "user"] and msgs[1]["content"] == "hi"
    with pytest.raises(ValueError, match="allowed: verbose, compact"):
        judge_messages("tiny", pool, RouteRequest("hi"))  # type: ignore[arg-type]


def test_compact_prompt_is_much_smaller(pool):
    counts = judge_prompt_token_counts(pool, "What is the capital of France?")
    by = counts.set_index("judge")
    assert (
        by.loc["compact", "system_prompt_tokens"] < 0.5 * by.loc["verbose", "system_prompt_tokens"]
    )
    assert by.loc["verbose", "relative"] == 1.0
