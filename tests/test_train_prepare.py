"""Data preparation for the classifier router: cleaning, split facts on the mirror, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.training.baselines import majority_baseline, tfidf_logreg_baseline
from routerlab.training.metrics import classification_metrics
from routerlab.training.prepare import class_weights, prepare_data

LABELS = ("gpt-4.1-nano", "gpt-4.1", "o4-mini")


def make_labeled(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Synthetic labeled prompts: label 0 short questions, 1 writing tasks, 2 proofs."""
    rng = np.random.default_rng(seed)
    topics = ["rivers", "stars", "bread", "chess", "trains", "music", "glass", "birds"]
    rows = []
    for i in range(n):
        topic = topics[int(rng.integers(len(topics)))]
        k = i % 3
        text = [
            f"what is {topic}?",
            f"write a long detailed essay about {topic} with examples number {i}",
            f"prove step by step the theorem about {topic} and derive the bound {i}",
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
    assert data.overlap() == 314  # validation rows whose query also occurs in training


def test_dedup_split_has_no_query_on_both_sides(labeled, pool):
    data = prepare_data(labeled, pool, split_mode="dedup")
    assert data.dropped_duplicates == 1190
    assert len(data.val) == 1391
    assert data.overlap() == 0
    assert not set(data.train["user_query"]) & set(data.val["user_query"])


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
    assert len(data.train) + len(data.val) == 28
    frame.loc[2, "label"] = "gpt-5"
    with pytest.raises(ConfigError, match="gpt-5"):
        prepare_data(frame, LABELS)


def test_bad_split_mode_names_the_choices():
    with pytest.raises(ConfigError, match="study, dedup"):
        prepare_data(make_labeled(30), LABELS, split_mode="random")


def test_sample_size_keeps_a_stratified_sample():
    data = prepare_data(make_labeled(90), LABELS, sample_size=45)
    assert len(data.train) + len(data.val) == 45
    assert set(data.val["label_id"]) == {0, 1, 2}


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
    perfect = classification_metrics([0, 1, 2, 2], [0, 1, 2, 2], LABELS)
    assert perfect["macro_f1"] == 1.0 and perfect["f1_o4-mini"] == 1.0
    wrong = classification_metrics([0, 1, 2], [1, 2, 0], LABELS)
    assert wrong["accuracy"] == 0.0
