from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.labeling.conversations import (
    ConversationParseError,
    first_user_turn,
    parse_conversations,
    parse_messages,
)
from routerlab.labeling.io import read_prompts

FIXTURES = Path(__file__).parent / "fixtures" / "labeling"


def test_hub_structure_first_user_turn_and_metadata():
    frame = pd.read_json(FIXTURES / "hub_conversations.jsonl", lines=True)
    out = parse_conversations(frame)
    assert list(out["conversation_id"][:3]) == ["c001", "c002", "c003"]
    # system message skipped, first *user* turn kept whole (newline included), later turns ignored
    assert out.loc[1, "user_query"] == (
        "Write a Python function that merges two sorted lists.\nKeep it O(n)."
    )
    assert out.loc[3, "language"] == "Russian"
    assert out.loc[2, "moderation_flagged"] is True or out.loc[2, "moderation_flagged"]
    assert out.loc[2, "moderation_categories"] == "violence"
    assert out.loc[6, "moderation_categories"] == "harassment"
    assert list(out["toxic_flagged"]) == [False, False, True, False, False, False, True, False]


def test_numpy_arrays_as_parquet_gives_them(tmp_path):
    frame = pd.read_json(FIXTURES / "hub_conversations.jsonl", lines=True)
    path = tmp_path / "conv.parquet"
    frame.to_parquet(path)
    back = pd.read_parquet(path)
    assert isinstance(back["conversation_a"].iloc[0], np.ndarray)
    out = parse_conversations(back)
    assert out.loc[0, "user_query"] == "What is the capital of France?"
    assert bool(out.loc[2, "moderation_flagged"])
    assert out.loc[2, "moderation_categories"] == "violence"


def test_study_stringified_form_is_read_literally():
    frame = pd.read_csv(FIXTURES / "study_stringified.csv", dtype=str)
    out = parse_conversations(frame)  # falls back to conversation_a_str
    assert list(out["conversation_id"]) == ["s001", "s002", "s003", "s004"]
    assert out.loc[0, "user_query"] == "What's the weather like on Mars?"
    assert out.loc[1, "user_query"] == 'He said "hi" and left.\nWhy?'
    # a message-like string inside the content must not be taken as a message
    assert out.loc[2, "user_query"] == "Sorry, it's {'content': 'x', 'role': 'user'} inside"
    assert out.loc[3, "user_query"] == ""  # no user turn


def test_json_string_and_bad_values():
    assert first_user_turn('[{"role": "user", "content": "hi"}]') == "hi"
    with pytest.raises(ConversationParseError, match="cannot read"):
        parse_messages("[{'role': 'user', 'content': 'unterminated}]")
    with pytest.raises(ConversationParseError, match="role"):
        parse_messages([{"text": "no role"}])
    with pytest.raises(ConversationParseError, match="list"):
        parse_messages(42)


def test_read_prompts_accepts_prompt_column_and_conversations():
    prompts = read_prompts(FIXTURES / "prompts.csv")
    assert "user_query" in prompts.columns and "source" in prompts.columns
    assert prompts.loc[1, "user_query"] == "Prove that sqrt(2) is irrational"
    conv = read_prompts(FIXTURES / "hub_conversations.jsonl")
    assert conv.loc[0, "user_query"] == "What is the capital of France?"


def test_read_prompts_names_missing_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nhello\n")
    with pytest.raises(ValueError, match="user_query or prompt"):
        read_prompts(bad)
