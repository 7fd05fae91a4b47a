"""CRUXEval grading: the published string rule and value equality of literals."""

from __future__ import annotations

import json

import pytest
from zeroeval_support import format_table, mirror_path, needs_zeroeval

from routerlab.grading.crux import crux_correct, crux_published_correct, crux_value_correct


def _reply(answer: str) -> str:
    return "```json\n" + json.dumps({"reasoning": "r", "answer": answer}) + "\n```"


@pytest.mark.parametrize(
    ("answer", "reference"),
    [
        ("8.50", "8.5"),
        ("{'b': 2, 'a': 1}", "{'a': 1, 'b': 2}"),
        ('["a"]', "['a']"),
        ("[1,2]", "[1, 2]"),
        ("''", "''"),
    ],
)
def test_equal_literals_written_differently(answer: str, reference: str) -> None:
    assert crux_value_correct(_reply(answer), reference)
    assert not crux_published_correct(_reply(answer), reference)


def test_published_rule_strips_outer_quotes_and_never_credits_empty() -> None:
    assert crux_published_correct(_reply("abc"), "'abc'")
    assert crux_published_correct(_reply("'abc'"), "'abc'")
    assert not crux_published_correct(_reply("''"), "''")
    assert not crux_published_correct("no json here", "'abc'")


def test_value_rule_rejects_different_values_and_non_literals() -> None:
    assert not crux_value_correct(_reply("[1, 3]"), "[1, 2]")
    assert not crux_value_correct(_reply("f(3)"), "3")
    assert not crux_value_correct(_reply("'1'"), "1")  # a string is not the int
    assert not crux_value_correct("nothing", "3")


def test_value_rule_reads_unquoted_string_contents() -> None:
    assert crux_value_correct(_reply("816"), "'816'")
    assert crux_value_correct(_reply("  two spaces"), "'  two spaces'")
    assert crux_value_correct(_reply("a\\nb"), "'a\\nb'")  # escapes as written in the source
    assert crux_value_correct(_reply("'148: b'148''"), "\"148: b'148'\"")


def test_value_rule_takes_json_values() -> None:
    reply = '```json\n{"reasoning": "r", "answer": [1, 2, {"a": true}]}\n```'
    assert crux_value_correct(reply, "[1, 2, {'a': True}]")


def test_unknown_rule_is_named() -> None:
    with pytest.raises(ValueError, match="allowed: value, published"):
        crux_correct(_reply("1"), "1", rule="loose")  # type: ignore[arg-type]


@needs_zeroeval
def test_rules_against_published_summary() -> None:
    """The published rule gives ZeroEval's figure exactly (to its 2 decimals) for every model;
    value equality lands 2-4.6 points above it for every model (the mirror README's fact)."""
    from routerlab.sources.zeroeval import published_accuracy, zeroeval_frame, zeroeval_models

    published = published_accuracy("crux", mirror_path())
    models = zeroeval_models("crux", mirror_path())
    assert len(models) == 17
    by_rule = {
        g: zeroeval_frame("crux", mirror=mirror_path(), grading=g) for g in ("published", "value")
    }
    rows_pub, rows_val = [], []
    for model in models:
        ours_pub = float(f"{100 * by_rule['published'][model].mean():.2f}")
        ours_val = float(f"{100 * by_rule['value'][model].mean():.2f}")
        rows_pub.append((model, published[model], ours_pub))
        rows_val.append((model, published[model], ours_val))
    print("\n" + format_table(rows_pub, "pub-rule") + "\n\n" + format_table(rows_val, "value"))
    assert [r[2] for r in rows_pub] == [r[1] for r in rows_pub]
    for model, pub, val in rows_val:
        assert 2.0 - 1e-9 <= val - pub <= 4.6 + 1e-9, (model, pub, val)
