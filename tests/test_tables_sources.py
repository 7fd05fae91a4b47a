"""The mirror's multi-model tables are registered by name (issue 11 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zeroeval_support import needs_llmrouter, needs_zeroeval

from routerlab.cli import main
from routerlab.sources.zeroeval import OPENAI_TRIO, ZEROEVAL_PRICES
from routerlab.tables import load_table, table_names, table_prices
from routerlab.tables.sources import fixed_split


def test_registered_without_reading_the_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERLAB_DATA_MIRROR", "/nonexistent")
    assert {"zeroeval-crux", "zeroeval-math-l5", "llmrouter", "llmrouter-train",
            "llmrouter-test"} <= set(table_names())  # fmt: skip
    assert table_prices("zeroeval-crux") == ZEROEVAL_PRICES


@needs_zeroeval
@pytest.mark.parametrize(("name", "rows"), [("zeroeval-crux", 800), ("zeroeval-math-l5", 721)])
def test_zeroeval_tables(name: str, rows: int) -> None:
    table = load_table(name)
    assert len(table) == rows and len(table.models) == 17
    assert {"task", "reference"} <= set(table.metadata_columns)
    for m in OPENAI_TRIO:
        assert table.extra(m, "output_tokens") is not None
    assert fixed_split(table) is None
    trio = load_table(name, models=list(OPENAI_TRIO))
    assert trio.models == OPENAI_TRIO


@needs_llmrouter
def test_llmrouter_table_has_its_fixed_split() -> None:
    table = load_table("llmrouter")
    assert len(table.models) == 9
    train, test = fixed_split(table)
    assert (len(train), len(test)) == (5403, 355)
    prices = table_prices("llmrouter")
    assert prices is not None and set(table.models) <= set(prices)
    test = load_table("llmrouter-test")
    assert len(test) == 355 and test.models == table.models
    assert test.frame["id"].tolist() == table.frame["id"].iloc[5403:].tolist()


@needs_zeroeval
def test_eval_on_a_registered_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "zeroeval-math-l5", "--models", ",".join(OPENAI_TRIO), "--router",
                 "outcome-knn", "--bootstrap", "0", "--json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["table"] == "zeroeval-math-l5"
    names = [r["router"] for r in out["routers"]]
    assert names[:3] == [f"always:{m}" for m in OPENAI_TRIO]
    assert {"oracle", "random", "outcome-knn"} <= set(names)
    assert any(
        n.startswith("reasoning: o1-mini-2024-09-12 billed output = 4x") for n in out["notes"]
    )
    assert {r["n"] for r in out["routers"]} == {360}
