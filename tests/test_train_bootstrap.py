"""The bootstrap helper: seeded, intervals around the point, sklearn's metrics on each draw."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from routerlab.errors import ConfigError
from routerlab.training.bootstrap import _metric, bootstrap_intervals

LABELS = ("a", "b", "c")


def noisy(n: int, accuracy: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, 3, n)
    pred = np.where(rng.random(n) < accuracy, gold, rng.integers(0, 3, n))
    return gold, pred


def test_same_seed_same_interval_and_other_seed_differs():
    gold, pred = noisy(300, 0.7)
    first = bootstrap_intervals(gold, pred, LABELS, seed=3)
    assert bootstrap_intervals(gold, pred, LABELS, seed=3) == first
    assert bootstrap_intervals(gold, pred, LABELS, seed=4) != first


def test_interval_holds_the_point_and_narrows_with_more_rows():
    small = bootstrap_intervals(*noisy(100, 0.7), LABELS)
    large = bootstrap_intervals(*noisy(4000, 0.7), LABELS)
    for found in (small, large):
        for interval in found.values():
            assert interval.low <= interval.value <= interval.high
    width = {
        name: found["accuracy"].high - found["accuracy"].low
        for name, found in (("small", small), ("large", large))
    }
    assert width["large"] < width["small"] / 3  # ~ 1 / sqrt(n): sqrt(40) = 6.3
    assert large["accuracy"].low < 0.8 < 0.75 + 0.1


def test_perfect_predictions_have_a_degenerate_interval():
    gold = np.array([0, 1, 2] * 20)
    found = bootstrap_intervals(gold, gold, LABELS)
    assert (found["accuracy"].low, found["accuracy"].high) == (1.0, 1.0)
    assert found["macro_f1"].value == 1.0


@pytest.mark.parametrize("average", ["macro", "weighted"])
def test_fast_f1_equals_sklearn(average: str):
    for seed in range(5):
        gold, pred = noisy(50, 0.5, seed)
        pred[:5] = 0  # includes classes never predicted, where zero_division matters
        expected = f1_score(gold, pred, labels=[0, 1, 2], average=average, zero_division=0)
        assert _metric(f"{average}_f1", gold, pred, 3) == pytest.approx(expected)


def test_bad_arguments_are_named():
    gold, pred = noisy(20, 0.5)
    with pytest.raises(ConfigError, match="equal-length"):
        bootstrap_intervals(gold, pred[:-1], LABELS)
    with pytest.raises(ConfigError, match="n_resamples"):
        bootstrap_intervals(gold, pred, LABELS, n_resamples=10)
    with pytest.raises(ConfigError, match="allowed"):
        bootstrap_intervals(gold, pred, LABELS, metrics=("auc",))
