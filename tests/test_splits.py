"""The grouped split: normalisation, near-duplicate groups, conflicting labels, no shared query."""

from __future__ import annotations

import pandas as pd
import pytest
from test_train_prepare import LABELS, make_labeled

from routerlab.errors import ConfigError
from routerlab.splits import (
    collapse_exact_duplicates,
    grouped_split,
    near_duplicate_groups,
    normalise_text,
    shared_queries,
)

NANO, MID, O4 = LABELS

# Hand-made: spelled variants of one query, near-duplicates, and conflicting labels.
VARIANTS = [
    ("What is the capital of France?", NANO),
    ("what is the capital of france", NANO),
    ("WHAT  IS THE CAPITAL OF FRANCE ?!", MID),  # 2 nano vs 1 gpt-4.1: majority keeps nano
    ("Ｗｈａｔ is the capital of France…", NANO),  # full-width letters, NFKC folds them
    ("Translate 'good morning' into German.", NANO),
    ("translate good morning into german", O4),  # 1 vs 1: a tie, the query is dropped
]
NEAR_DUPS = [
    ("Write a detailed essay on the causes of the French Revolution and its legacy", MID),
    ("Write a detailed essay on the causes of the French Revolution and on its legacy", MID),
    ("Write a detailed essay about the causes of the French Revolution and its legacy", O4),
    ("Prove that there are infinitely many prime numbers congruent to 3 mod 4", O4),
    ("Prove that there are infinitely many prime numbers congruent to 3 modulo 4", O4),
]


def fixture_frame() -> pd.DataFrame:
    rows = [{"user_query": q, "label": label} for q, label in VARIANTS + NEAR_DUPS]
    return pd.concat([pd.DataFrame(rows), make_labeled(90)], ignore_index=True)


def test_normalise_text_folds_case_unicode_punctuation_and_spaces():
    assert normalise_text("  Hello,   WORLD!! ") == "hello world"
    assert normalise_text("Ｗｈａｔ？") == "what"  # NFKC: full-width forms
    assert normalise_text("ﬁne\tSTRASSE") == normalise_text("fine straße")  # ligature, casefold
    assert normalise_text("a—b") == "a b"  # dashes are punctuation
    assert normalise_text("x = 2 + 2") == "x = 2 + 2"  # symbols (Sm) are kept: they carry meaning


def test_exact_duplicates_collapse_with_majority_and_ties_dropped():
    frame = pd.DataFrame([{"user_query": q, "label": label} for q, label in VARIANTS])
    kept, stats = collapse_exact_duplicates(frame, LABELS)
    assert stats == {
        "exact_duplicate_rows": 4,
        "unique_queries": 2,
        "conflicting_groups": 2,
        "conflicts_resolved": 1,
        "conflicts_dropped": 1,
    }
    assert kept["label"].tolist() == [NANO]
    assert kept["copies"].tolist() == [4]


def test_near_duplicates_share_a_group_and_distinct_queries_do_not():
    texts = [normalise_text(q) for q, _ in NEAR_DUPS] + ["what is the weather like today"]
    groups = near_duplicate_groups(texts)
    assert len(set(groups[:3])) == 1 and len(set(groups[3:5])) == 1
    assert len({groups[0], groups[3], groups[5]}) == 3
    # a stricter threshold separates what 0.9 joins
    assert len(set(near_duplicate_groups(texts, threshold=1.0))) == len(texts)
    with pytest.raises(ConfigError, match="threshold"):
        near_duplicate_groups(texts, threshold=0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 42])
def test_grouped_split_shares_no_query_between_sides(seed: int):
    train, val, test, report = grouped_split(fixture_frame(), LABELS, seed=seed)
    sides = (train, val, test)
    assert shared_queries(*sides) == 0
    norms = [set(side["norm_query"]) for side in sides]
    assert not (norms[0] & norms[1] or norms[0] & norms[2] or norms[1] & norms[2])
    for q, _ in NEAR_DUPS[:3]:  # the essay near-duplicates travel together
        assert sum(normalise_text(q) in n for n in norms) == 1
    assert sum(len(s) for s in sides) == report.rows_kept == 90 + 1 + 5
    assert report.conflicting_groups == 2
    assert (report.conflicts_resolved, report.conflicts_dropped) == (1, 1)
    assert report.near_dup_groups == 2 and report.near_dup_rows == 5
    assert report.near_dup_mixed_label_groups == 1  # the essays carry gpt-4.1 and o4-mini
    for side in sides:
        assert set(side["label_id"]) == {0, 1, 2}  # stratified: every class on every side


def test_shared_queries_detects_a_leak():
    train, val, test, _ = grouped_split(fixture_frame(), LABELS)
    leaked = pd.concat([val, train.head(3)], ignore_index=True)
    assert shared_queries(train, leaked, test) >= 6  # each leaked row counts on both sides
    variant = test.head(1).assign(user_query=lambda f: f["user_query"].str.upper() + " !!")
    assert shared_queries(train, pd.concat([val, variant]), test) == 2


def test_fractions_are_checked():
    with pytest.raises(ConfigError, match="fractions"):
        grouped_split(fixture_frame(), LABELS, fractions=(0.8, 0.2, 0.0))
