"""N-model outcome tables: metadata kept apart from models, per-model cost columns (RouterBench
``|`` names and legacy ``::`` names), errors that name the column and what is allowed, and the
table registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.prices import ModelPrice
from routerlab.tables import (
    ROUTELLM_MMLU,
    ROUTELLM_PRICES,
    OutcomeTable,
    load_table,
    read_outcome_csv,
    register_table,
    table_names,
    table_prices,
    unregister_table,
    write_outcome_table,
)

# A hand-made three-model table with text metadata and per-model token counts.
CSV = """id,prompt,category,reference,nano,big,reasoner,nano|input_tokens,nano|output_tokens,big|input_tokens,big|output_tokens,reasoner|cost_usd
007,What is 2+2?,math,4,True,True,True,5,1,5,2,0.01
008,Reverse 'ab',code,'ba',False,True,True,6,3,6,3,0.02
009,Is 8.50 == 8.5?,code,8.50,False,False,True,7,1,7,1,0.03
"""


@pytest.fixture
def three(tmp_path: Path) -> OutcomeTable:
    file = tmp_path / "three.csv"
    file.write_text(CSV, encoding="utf-8")
    return read_outcome_csv(file)


@pytest.fixture
def registry() -> Iterator[None]:
    """Restore the registry: tables a test registers are removed afterwards."""
    before = set(table_names())
    yield
    for name in set(table_names()) - before:
        unregister_table(name)


def test_three_models_with_metadata_and_costs(three: OutcomeTable) -> None:
    assert three.models == ("nano", "big", "reasoner")
    assert "category" in three.metadata_columns and "reference" in three.metadata_columns
    assert three.meta("category").tolist() == ["math", "code", "code"]
    # text read as text: the reference keeps its spelling, the id its leading zeros
    assert three.meta("reference").tolist() == ["4", "'ba'", "8.50"]
    assert three.frame["id"].tolist() == ["007", "008", "009"]
    assert three.matrix().tolist() == [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    assert three.extra("nano", "input_tokens").tolist() == [5, 6, 7]
    assert three.extra("big", "output_tokens").tolist() == [2, 3, 1]
    assert three.extra("reasoner", "cost_usd").tolist() == [0.01, 0.02, 0.03]
    assert three.extra("reasoner", "input_tokens") is None  # not recorded
    assert three.extra("nano", "prompt_tokens").tolist() == [5, 6, 7]  # legacy alias
    with pytest.raises(ConfigError, match=r"unknown per-model column kind 'tokens'.*cost_usd"):
        three.extra("nano", "tokens")
    with pytest.raises(ConfigError, match=r"'nope' is not a metadata column.*category"):
        three.meta("nope")
    with pytest.raises(ConfigError, match=r"unknown model 'gpt'.*nano, big, reasoner"):
        three.outcomes("gpt")


def test_subset_and_select_keep_metadata_and_costs(three: OutcomeTable) -> None:
    two = three.select_models(["reasoner", "nano"])
    assert two.models == ("reasoner", "nano")
    assert two.meta("category").tolist() == ["math", "code", "code"]
    assert two.extra("nano", "output_tokens").tolist() == [1, 3, 1]
    assert two.extra("reasoner", "cost_usd") is not None
    assert not any(c.startswith("big") for c in two.frame.columns)
    rows = three.subset([2, 0])
    assert rows.frame["id"].tolist() == ["009", "007"]
    assert rows.meta("reference").tolist() == ["8.50", "4"]
    assert rows.extra("reasoner", "cost_usd").tolist() == [0.03, 0.01]
    # two-model behaviour is unchanged on a selection: the more accurate model is strong
    assert two.strong_weak() == ("reasoner", "nano")


def test_round_trip_writes_routerbench_names(three: OutcomeTable, tmp_path: Path) -> None:
    back = read_outcome_csv(write_outcome_table(three, tmp_path / "back.csv"))
    assert back.models == three.models
    assert "nano|input_tokens" in back.frame.columns
    assert back.meta("category").tolist() == three.meta("category").tolist()
    np.testing.assert_array_equal(back.matrix(), three.matrix())


def test_legacy_columns_are_read_and_mapped() -> None:
    frame = pd.DataFrame(
        {
            "prompt": ["a", "b"],
            "m": [True, False],
            "w": [0.0, 1.0],
            "m::cost_usd": [0.1, 0.2],
            "m::prompt_tokens": [10, 20],
            "m::completion_tokens": [1, 2],
            "w::latency_s": [0.5, 0.7],
        }
    )
    table = OutcomeTable.from_frame(frame)
    assert table.models == ("m", "w")
    assert table.extra("m", "input_tokens").tolist() == [10, 20]
    assert table.extra("m", "output_tokens").tolist() == [1, 2]
    assert table.extra("m", "cost_usd").tolist() == [0.1, 0.2]
    assert table.extra("w", "latency_s").tolist() == [0.5, 0.7]
    assert "m|input_tokens" in table.frame.columns and "m::prompt_tokens" not in table.frame


def test_text_and_wide_numeric_columns_become_metadata_not_models() -> None:
    frame = pd.DataFrame(
        {
            "prompt": ["a", "b", "c"],
            "topic": ["x", "y", "z"],  # not a known metadata name, but text: metadata
            "difficulty": [1, 3, 5],  # numeric outside [0, 1]: metadata unless named as a model
            "small": [1, 0, 0],
            "large": [1, 1, 0],
            "huge": [0.5, 1.0, 0.25],
        }
    )
    table = OutcomeTable.from_frame(frame)
    assert table.models == ("small", "large", "huge")
    assert {"topic", "difficulty"} <= set(table.metadata_columns)
    assert any("difficulty" in n and "topic" in n for n in table.notes)
    scored = OutcomeTable.from_frame(frame, ["difficulty", "small"])  # named: a numeric score
    assert scored.outcomes("difficulty").tolist() == [1.0, 3.0, 5.0]
    assert "large" in scored.metadata_columns  # not chosen: kept, not dropped


@pytest.mark.parametrize(
    ("frame", "models", "message"),
    [
        # a known metadata name is never a model, even when asked for
        (
            {"prompt": ["a"], "category": ["x"], "m": [1]},
            ["category", "m"],
            r"column 'category' .* is metadata column, not a model's outcome.*\['m'\]",
        ),
        ({"prompt": ["a"], "m": [1]}, ["z"], r"lacks model column 'z'.*\['m'\]"),
        ({"prompt": ["a"], "m": ["maybe"]}, ["m"], r"'m' .* boolean \(True/False\) or numeric"),
        ({"prompt": ["a", "b"], "m": [1, None]}, ["m"], r"'m' .* 1 empty cells"),
        ({"prompt": ["a"], "m": [1], "m|cost_usd": ["cheap"]}, None, r"'m\|cost_usd' .* numeric"),
        ({"prompt": ["a"], "m": [1], "x|cost_usd": [0.1]}, None, r"'x\|cost_usd' .*names 'x'"),
        ({"prompt": ["a"], "m": [1]}, ["m", "m"], r"listed twice"),
        ({"prompt": ["a"], "category": ["x"]}, None, r"no model columns.*\['category'\]"),
        ({"prompt": ["a"], "note": ["maybe"]}, None, r"not outcome-like: 'note' has values"),
        ({"question": ["a"], "m": [1]}, None, r"no 'prompt' column"),
    ],
)
def test_bad_inputs_name_the_column_and_what_is_allowed(
    frame: dict[str, list[object]], models: list[str] | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        OutcomeTable.from_frame(pd.DataFrame(frame), models)


def test_unknown_per_model_kinds_are_noted_not_taken() -> None:
    frame = pd.DataFrame({"prompt": ["a"], "m": [1], "m|model_response": ["hi"]})
    table = OutcomeTable.from_frame(frame)
    assert table.models == ("m",)
    assert any("m|model_response" in n for n in table.notes)
    assert "m|model_response" not in table.frame.columns


def test_registry_round_trip(registry: None, tmp_path: Path) -> None:
    def toy(rows: int = 2) -> OutcomeTable:
        frame = pd.DataFrame(
            {"prompt": [f"p{i}" for i in range(rows)], "cheap": [1, 0] * (rows // 2), "big": 1}
        )
        return OutcomeTable.from_frame(frame, name="toy")

    prices = {"cheap": ModelPrice(0.1, 0.4), "big": ModelPrice(2.0, 8.0)}
    register_table("toy", toy, prices=prices)
    assert "toy" in table_names() and ROUTELLM_MMLU in table_names()
    assert len(load_table("toy")) == 2 and len(load_table("toy", rows=4)) == 4
    assert table_prices("toy") == prices
    assert table_prices(ROUTELLM_MMLU) == ROUTELLM_PRICES
    with pytest.raises(ConfigError, match="already registered"):
        register_table("toy", toy)
    register_table("toy", toy, replace=True)  # prices dropped with the new entry
    assert table_prices("toy") is None
    # a path is read as a CSV; its prices are unknown (None)
    file = tmp_path / "t.csv"
    file.write_text("prompt,a,b\nq,1,0\n", encoding="utf-8")
    assert load_table(file).models == ("a", "b")
    assert load_table(str(file), models=["b"]).models == ("b",)
    assert table_prices(str(file)) is None
    with pytest.raises(ConfigError, match="must be ModelPrice"):
        register_table("bad", toy, prices={"cheap": (0.1, 0.4)})  # type: ignore[dict-item]


def test_models_narrow_any_registered_table(registry: None) -> None:
    frame = pd.DataFrame({"prompt": ["a", "b"], "x": [1, 0], "y": [0, 1], "z": [1, 1]})
    asked: list[object] = []

    def plain() -> OutcomeTable:
        return OutcomeTable.from_frame(frame)

    def narrowing(models: list[str] | None = None) -> OutcomeTable:
        asked.append(models)
        return OutcomeTable.from_frame(frame, models)

    register_table("plain", plain)
    register_table("narrowing", narrowing)
    assert load_table("plain", models=["z", "x"]).models == ("z", "x")
    assert load_table("narrowing", models=["y", "z"]).models == ("y", "z")
    assert asked == [["y", "z"]]  # the loader that takes models was given them
    with pytest.raises(ConfigError, match=r"unknown model 'w'.*x, y, z"):
        load_table("plain", models=["w"])


def test_unknown_table_lists_the_registered_ones(registry: None) -> None:
    with pytest.raises(DatasetNotFoundError, match=rf"'nope\.csv'.*{ROUTELLM_MMLU}"):
        load_table("nope.csv")
    with pytest.raises(ConfigError, match=rf"unknown outcome table 'nope'.*{ROUTELLM_MMLU}"):
        table_prices("nope")


def test_the_registry_docstring_example_runs(registry: None) -> None:
    import textwrap

    from routerlab.tables import registry as module

    doc = module.__doc__ or ""
    example = textwrap.dedent(doc.split("Example (a test runs it)::", 1)[1])
    scope: dict[str, object] = {"pd": pd}
    exec(example, scope)  # the module's own documented example
    table = scope["table"]
    assert isinstance(table, OutcomeTable) and table.models == ("cheap", "big")
    assert table_prices("toy") == {"cheap": ModelPrice(0.1, 0.4), "big": ModelPrice(2, 8)}


def test_costs_module_still_exports_the_routellm_prices() -> None:
    from routerlab.evaluation import costs

    assert costs.ROUTELLM_PRICES is ROUTELLM_PRICES
    assert costs.ModelPrice is ModelPrice
