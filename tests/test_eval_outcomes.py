"""Outcome tables: CSV shape checks, live-result pivoting, merging, and the mirror's RouteLLM table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.harness_outcomes import harness_records, merge_outcomes, outcomes_from_results
from routerlab.tables import (
    ROUTELLM_STRONG,
    ROUTELLM_WEAK,
    OutcomeTable,
    load_routellm_mmlu,
    read_outcome_csv,
    routellm_prompt,
    write_outcome_table,
)


def test_csv_with_string_booleans_and_scores(tmp_path: Path) -> None:
    file = tmp_path / "t.csv"
    file.write_text("prompt,m1,m2\nhello,True,0.5\nworld,False,1.0\n", encoding="utf-8")
    table = read_outcome_csv(file)
    assert table.models == ("m1", "m2")
    assert table.outcomes("m1").tolist() == [1.0, 0.0]
    assert table.accuracy()["m2"] == pytest.approx(0.75)
    assert len(set(table.frame["id"])) == 2  # ids derived from prompt text


def test_round_trip_keeps_extras(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"prompt": ["a", "b"], "m": [True, False], "m::cost_usd": [0.1, 0.2], "subject": ["x", "y"]}
    )
    table = OutcomeTable.from_frame(frame)
    back = read_outcome_csv(write_outcome_table(table, tmp_path / "o.csv"))
    assert back.models == ("m",)
    assert back.extra("m", "cost_usd").tolist() == [0.1, 0.2]
    assert back.frame["subject"].tolist() == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("question,m\nq,True\n", "no 'prompt' column"),
        ("prompt,subject\nq,x\n", "no model columns"),
        ("prompt,m\nq,maybe\n", "boolean .* or numeric"),
    ],
)
def test_bad_tables_name_what_is_missing(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_outcome_csv(file)


def test_strong_weak_resolution() -> None:
    frame = pd.DataFrame({"prompt": ["a", "b"], "w": [1, 0], "s": [1, 1]})
    table = OutcomeTable.from_frame(frame)
    assert table.strong_weak() == ("s", "w")
    assert table.strong_weak("w", "s") == ("w", "s")
    with pytest.raises(ConfigError, match="unknown model 'z'"):
        table.strong_weak("z")


def test_live_records_pivot_and_merge() -> None:
    records = [
        {"prompt": "p1", "model": "nano", "correct": True, "cost_usd": 0.001},
        {"prompt": "p1", "model": "big", "correct": True, "cost_usd": 0.01},
        {"prompt": "p2", "model": "nano", "correct": False, "cost_usd": 0.001},
        {"prompt": "p2", "model": "big", "correct": True, "cost_usd": 0.02},
        {"prompt": "p3", "model": "nano", "correct": True, "cost_usd": 0.001},  # big missing
    ]
    table = outcomes_from_results(records)
    assert sorted(table.prompts) == ["p1", "p2"]
    assert any("dropped 1" in n for n in table.notes)
    assert table.extra("big", "cost_usd") is not None
    with pytest.raises(ConfigError, match="lack an outcome"):
        outcomes_from_results(records, drop_incomplete=False)
    rerun = outcomes_from_results(
        [
            {"prompt": "p2", "model": "nano", "correct": True},
            {"prompt": "p2", "model": "big", "correct": False},
            {"prompt": "p4", "model": "nano", "correct": False},
            {"prompt": "p4", "model": "big", "correct": True},
        ]
    )
    merged = merge_outcomes(table, rerun)
    assert sorted(merged.prompts) == ["p1", "p2", "p4"]
    row = merged.frame.set_index("prompt").loc["p2"]
    assert (row["nano"], row["big"]) == (1.0, 0.0)  # the rerun replaced the old outcome


def test_harness_records_turn_into_a_table() -> None:
    questions = pd.DataFrame({"qid": ["q1", "q2"], "prompt": ["P1", "P2"]})
    harness = pd.DataFrame(
        {
            "qid": ["q1", "q2"],
            "subject": ["s", "s"],
            "gold": ["A", "B"],
            "router_model": ["gpt-4.1", "gpt-4.1"],
            "router_correct": [True, False],
            "router_error": [None, None],
            "router_cost_usd": [0.01, 0.02],
            "fixed_model": ["gpt-4.1-nano", "gpt-4.1-nano"],
            "fixed_correct": [False, False],
            "fixed_error": [None, "timeout"],
            "fixed_cost_usd": [0.001, 0.0],
            "router_prompt_tokens": [120, 130],
            "router_completion_tokens": [3, 4],
            "fixed_prompt_tokens": [100, 110],
            "fixed_completion_tokens": [1, 2],
        }
    )
    records = harness_records(harness, questions)
    assert len(records) == 3  # the errored call observed nothing
    table = outcomes_from_results(records)
    assert table.prompts == ["P1"]
    assert set(table.models) == {"gpt-4.1", "gpt-4.1-nano"}
    # the harness writes RouterBench's per-model names
    assert {"gpt-4.1|cost_usd", "gpt-4.1|input_tokens", "gpt-4.1-nano|output_tokens"} <= set(
        table.frame.columns
    )
    assert table.extra("gpt-4.1", "input_tokens").tolist() == [120.0]
    assert table.extra("gpt-4.1-nano", "output_tokens").tolist() == [1.0]
    assert table.meta("answer").tolist() == ["A"] and table.meta("subject").tolist() == ["s"]


def test_routellm_prompt_format() -> None:
    assert routellm_prompt("Q?", ["w", "x", "y", "z"]) == "Q?\nA. w\nB. x\nC. y\nD. z\nAnswer:"


def test_mirror_routellm_table() -> None:
    table = load_routellm_mmlu()
    assert len(table) == 14_037  # 14,042 minus 5 contaminated
    assert set(table.models) == {ROUTELLM_STRONG, ROUTELLM_WEAK}
    acc = table.accuracy()
    assert round(100 * acc[ROUTELLM_WEAK], 2) == 68.09
    assert round(100 * acc[ROUTELLM_STRONG], 2) == 80.59
    assert table.strong_weak() == (ROUTELLM_STRONG, ROUTELLM_WEAK)
    assert (table.frame["answer"] != "").all()  # every prompt joined its gold answer
    assert table.frame["subject"].nunique() == 57
    assert np.isin(table.frame["answer"], list("ABCD")).all()
    assert table.frame["id"].is_unique  # MMLU repeats some question texts; ids do not
