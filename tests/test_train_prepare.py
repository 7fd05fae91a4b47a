"""Data preparation for the classifier router: cleaning, split facts on the mirror, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.splits import shared_queries
from routerlab.training.baselines import majority_baseline, tfidf_logreg_baseline
from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import class_weights, prepare_data

LABELS = ("gpt-4.1-nano", "gpt-4.1", "o4-mini")


def make_labeled(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Synthetic labeled prompts: label 0 short questions, 1 writing tasks, 2 proofs.

    Each prompt draws its own words, so no two are near-duplicates and the grouped split keeps
    every row (its own tests build duplicates on purpose).
    """
    rng = np.random.default_rng(seed)
    words = [
        "rivers",
        "stars",
        "bread",
        "chess",
        "trains",
        "music",
        "glass",
        "birds",
        "maple",
        "copper",
        "violin",
        "desert",
        "harbor",
        "lantern",
        "orchid",
        "quartz",
        "tundra",
        "falcon",
        "garnet",
        "meadow",
        "nickel",
        "pepper",
        "saddle",
        "thimble",
        "walnut",
        "yarrow",
        "zephyr",
        "basalt",
        "cobalt",
        "dahlia",
        "ember",
        "fjord",
        "gravel",
        "heron",
        "ivory",
        "juniper",
        "kelp",
        "lilac",
    ]
    rows = []
    for i in range(n):
        a, b, c = (str(w) for w in rng.choice(words, size=3, replace=False))
        k = i % 3
        text = [
            f"what is {a} {i}?",
            f"write a long detailed essay about {a}, {b} and {c} with examples",
            f"prove step by step the theorem relating {a} to {b} and derive the {c} bound",
        ][k]
        rows.append({"user_query": text, "label": LABELS[k]})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def labeled(mirror):
    from routerlab.data import load_labeled_prompts

    return load_labeled_prompts()


def test_study_split_reproduces_the_study_validation_set(labeled, pool):
    data = prepare_data(labeled, pool, split_mode="study")
    assert data.dropped_empty == 37
    assert len(data.train) + len(data.val) == 8142
    assert len(data.val) == 1629
    counts = data.val["label"].value_counts().to_dict()
    assert counts == {"gpt-4.1-nano": 957, "gpt-4.1": 436, "o4-mini": 236}
    # validation rows whose exact query also occurs in training (the study's leak) ...
    assert int(data.val["user_query"].isin(set(data.train["user_query"])).sum()) == 314
    # ... and more once case, Unicode and punctuation are normalised
    assert data.overlap() > 314


def test_grouped_split_on_the_mirror_shares_no_query_between_sides(labeled, pool):
    data = prepare_data(labeled, pool, split_mode="grouped")
    report = data.split_report
    assert data.test is not None and report is not None
    assert data.dropped_empty == 37
    assert report.rows_in == 8142
    # the 25 normalised queries with conflicting labels: resolved by majority or dropped on ties
    assert report.conflicting_groups == 25
    assert report.conflicts_resolved + report.conflicts_dropped == 25
    assert report.rows_kept == report.unique_queries - report.conflicts_dropped
    sizes = (len(data.train), len(data.val), len(data.test))
    assert sum(sizes) == report.rows_kept
    assert sizes[1] / sum(sizes) == pytest.approx(0.1, abs=0.02)
    assert shared_queries(data.train, data.val, data.test) == 0
    assert data.overlap("val") == 0 and data.overlap("test") == 0


def test_the_study_split_fails_the_same_check(labeled, pool):
    """The check above can fail: the leaky study split shares hundreds of queries."""
    data = prepare_data(labeled, pool, split_mode="study")
    assert shared_queries(data.train, data.val) > 314


def test_label_ids_follow_pool_order_and_weights_come_from_training_only(labeled, pool):
    data = prepare_data(labeled, pool, split_mode="study")
    assert data.labels == tuple(pool.names)
    for i, name in enumerate(pool.names):
        assert (data.train.loc[data.train["label"] == name, "label_id"] == i).all()
    counts = np.bincount(data.train["label_id"], minlength=3)
    expected = len(data.train) / (3 * counts)
    assert np.allclose(data.class_weights, expected)
    # the rarest class weighs most
    assert int(np.argmax(data.class_weights)) == int(np.argmin(counts))


def test_cleaning_drops_empty_rows_and_rejects_unknown_labels():
    frame = make_labeled(30)
    frame.loc[0, "label"] = ""
    frame.loc[1, "user_query"] = "   "
    data = prepare_data(frame, LABELS, sample_size=None)
    assert data.dropped_empty == 2
    assert data.test is not None
    assert len(data.train) + len(data.val) + len(data.test) == 28
    frame.loc[2, "label"] = "gpt-5"
    with pytest.raises(ConfigError, match="gpt-5"):
        prepare_data(frame, LABELS)


def test_bad_split_mode_names_the_choices():
    with pytest.raises(ConfigError, match="grouped, study"):
        prepare_data(make_labeled(30), LABELS, split_mode="random")


def test_sample_size_keeps_a_stratified_sample():
    data = prepare_data(make_labeled(90), LABELS, sample_size=45, split_mode="study")
    assert len(data.train) + len(data.val) == 45
    assert set(data.val["label_id"]) == {0, 1, 2}
    grouped = prepare_data(make_labeled(300), LABELS, sample_size=150)
    assert grouped.test is not None
    assert len(grouped.train) + len(grouped.val) + len(grouped.test) == 150
    assert set(grouped.test["label_id"]) == {0, 1, 2}


def test_class_weights_give_absent_class_weight_one():
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    assert weights[2] == 1.0
    assert weights[1] > weights[0]


def test_metrics_and_baselines_on_separable_data():
    data = prepare_data(make_labeled(120), LABELS)
    majority = majority_baseline(data)
    assert majority.metrics["accuracy"] < 0.5  # balanced synthetic classes
    tfidf = tfidf_logreg_baseline(data)
    assert tfidf.metrics["accuracy"] > 0.9  # the classes differ by their words
    # scored on the untouched test side, with an interval around the point
    assert data.test is not None and len(tfidf.pred) == len(data.test)
    interval = tfidf.intervals["macro_f1"]
    assert interval.low <= tfidf.metrics["macro_f1"] <= interval.high
    perfect = classification_metrics([0, 1, 2, 2], [0, 1, 2, 2], LABELS)
    assert perfect["macro_f1"] == 1.0 and perfect["f1_o4-mini"] == 1.0
    wrong = classification_metrics([0, 1, 2], [1, 2, 0], LABELS)
    assert wrong["accuracy"] == 0.0
