from pathlib import Path

import pandas as pd
import pytest

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.labeling.cleaning import (
    STUDY_SCRIPTS,
    CleaningConfig,
    clean_prompts,
    dominant_script,
    strip_symbols,
)
from routerlab.labeling.conversations import parse_conversations

FIXTURES = Path(__file__).parent / "fixtures" / "labeling"


@pytest.fixture(scope="module")
def labeled():
    from routerlab.data import load_labeled_prompts

    try:
        return load_labeled_prompts()
    except DatasetNotFoundError:
        pytest.skip("data mirror not available (set ROUTERLAB_DATA_MIRROR)")


def test_mirror_counts_reproduce(labeled):
    result = clean_prompts(labeled)
    report = result.report.set_index("step")
    assert report.loc["input", "remaining"] == 8179
    assert result.count("empty_label") == 37
    assert report.loc["empty_label", "remaining"] == 8142
    assert result.count("duplicate") == 1190
    assert len(result.frame) == 8142 - 1190 - result.count("over_long") - result.count("script")
    assert result.count("script") == 0  # default keeps every script
    assert set(result.dropped["dropped_by"]) <= {"empty_label", "duplicate"}


def test_script_filter_is_explicit_and_counted(labeled):
    kept_all = clean_prompts(labeled)
    latin = clean_prompts(labeled, CleaningConfig(allowed_scripts=STUDY_SCRIPTS))
    removed = latin.count("script")
    assert removed > 0
    assert len(latin.frame) == len(kept_all.frame) - removed
    assert (latin.frame["user_query"].map(dominant_script).isin({"Latin", "none"})).all()


def test_hub_fixture_steps():
    conv = parse_conversations(pd.read_json(FIXTURES / "hub_conversations.jsonl", lines=True))
    result = clean_prompts(conv, CleaningConfig(max_tokens=12, allowed_scripts={"latin"}))
    counts = {s: result.count(s) for s in result.report["step"][1:]}
    assert counts == {
        "empty": 0,
        "whitespace_only": 1,  # c005
        "duplicate": 1,  # c006 repeats c001
        "over_long": 2,  # c002 and c008 exceed 12 tokens
        "moderation": 1,  # c003 flagged for violence (c007 is harassment: kept by default)
        "script": 1,  # c004 is Cyrillic
    }
    assert list(result.frame["conversation_id"]) == ["c001", "c007"]
    strict = clean_prompts(
        conv, CleaningConfig(max_tokens=None, moderation_categories=("*",), drop_toxic=True)
    )
    assert strict.count("moderation") == 2


def test_scripts_and_symbols():
    assert dominant_script("Привет, как дела? ok") == "Cyrillic"
    assert dominant_script("富士山の高さ") == "Han"
    assert dominant_script("12 + 3 = ?") == "none"
    assert strip_symbols("hi 😀  there ✨!") == "hi there !"


def test_bad_config_names_the_problem():
    with pytest.raises(ConfigError, match="max_tokens"):
        CleaningConfig(max_tokens=0)
    with pytest.raises(ConfigError, match="user_query"):
        clean_prompts(pd.DataFrame({"text": ["a"]}))
