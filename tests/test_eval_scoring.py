"""Scoring on tiny hand-computed tables (two and three models), ties included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation.results import evaluate_decisions, evaluate_scores
from routerlab.evaluation.scoring import (
    PairOutcomes,
    cpt,
    curve_metrics,
    oracle_choices,
    policy_curve,
    score_choices,
    threshold_curve,
)
from routerlab.pool import ModelSpec, Pool
from routerlab.tables import OutcomeTable


def two_model_table() -> OutcomeTable:
    # strong right on 3 of 4, weak on 2 of 4: q_strong 0.75, q_weak 0.5, gap 0.25
    frame = pd.DataFrame({"prompt": ["p0", "p1", "p2", "p3"], "S": [1, 1, 0, 1], "W": [0, 1, 1, 0]})
    return OutcomeTable.from_frame(frame)


def test_curve_points_with_a_tie_group() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    assert (pair.strong, pair.weak) == ("S", "W")  # the more accurate model is the strong one
    curve = threshold_curve(pair, [0.9, 0.5, 0.5, 0.1])
    # p1 and p2 tie at 0.5 and cross the threshold together: no point at share 0.5
    assert curve["strong_share"].tolist() == [0.0, 0.25, 0.75, 1.0]
    assert curve["quality"].tolist() == [0.5, 0.75, 0.5, 0.75]
    assert curve["pgr"].tolist() == [0.0, 1.0, 0.0, 1.0]
    m = curve_metrics(curve)
    assert m["apgr"] == pytest.approx(0.5)  # 0.125 + 0.25 + 0.125
    assert m["auc"] == pytest.approx(0.625)
    assert m["cpt50"] == pytest.approx(0.125)  # halfway between (0, 0) and (0.25, 1)
    assert m["cpt80"] == pytest.approx(0.2)


def test_ties_do_not_depend_on_row_order() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    a = threshold_curve(pair, [0.9, 0.5, 0.5, 0.1])
    flipped = OutcomeTable.from_frame(two_model_table().frame.iloc[[0, 2, 1, 3]])
    b = threshold_curve(PairOutcomes.from_table(flipped), [0.9, 0.5, 0.5, 0.1])
    pd.testing.assert_frame_equal(a, b)


def test_all_tied_scores_give_the_diagonal() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    curve = threshold_curve(pair, [3.0, 3.0, 3.0, 3.0])
    assert curve["strong_share"].tolist() == [0.0, 1.0]
    m = curve_metrics(curve)
    assert m["apgr"] == pytest.approx(0.5)
    assert m["cpt50"] == pytest.approx(0.5)


def test_oracle_ordering_beats_reverse() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    gain = pair.strong_out - pair.weak_out  # [1, 0, -1, 1]
    best = curve_metrics(threshold_curve(pair, gain))
    worst = curve_metrics(threshold_curve(pair, -gain))
    # oracle points (share, quality): (0, .5) (.5, 1) (.75, 1) (1, .75) -> pgr 0, 2, 2, 1
    assert best["apgr"] == pytest.approx(0.5 * 1.0 + 0.25 * 2.0 + 0.25 * 1.5)
    assert best["cpt50"] == pytest.approx(0.125)
    assert worst["apgr"] < 0.5 < best["apgr"]


def test_router_that_calls_no_strong_model() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    result = evaluate_decisions("never", pair, np.zeros(4, dtype=bool))
    assert result.metrics["strong_share"] == 0.0
    assert result.metrics["accuracy"] == pytest.approx(0.5)
    assert result.metrics["pgr"] == pytest.approx(0.0)
    assert np.isnan(result.metrics["apgr"])
    everything = evaluate_decisions("always", pair, np.ones(4, dtype=bool))
    assert everything.metrics["pgr"] == pytest.approx(1.0)


def test_operating_point_of_a_curve_router() -> None:
    pair = PairOutcomes.from_table(
        two_model_table(), costs={"S": np.full(4, 10.0), "W": np.ones(4)}
    )
    result = evaluate_scores("r", pair, np.array([0.9, 0.5, 0.5, 0.1]), operating_share=0.25)
    assert result.metrics["accuracy"] == pytest.approx(0.75)
    assert result.metrics["cost_per_prompt"] == pytest.approx(1 + 9 * 0.25)


def test_cpt_never_reached_is_nan_and_equal_models_give_nan_pgr() -> None:
    curve = pd.DataFrame({"strong_share": [0.0, 1.0], "pgr": [0.0, 0.4]})
    assert np.isnan(cpt(curve, 0.5))
    frame = pd.DataFrame({"prompt": ["a", "b"], "S": [1, 0], "W": [0, 1]})
    pair = PairOutcomes.from_table(OutcomeTable.from_frame(frame), "S", "W")
    assert np.isnan(threshold_curve(pair, [1, 0])["pgr"]).all()


def test_bad_scores_are_rejected() -> None:
    pair = PairOutcomes.from_table(two_model_table())
    with pytest.raises(ConfigError, match="4 scores"):
        threshold_curve(pair, [1.0, 2.0])
    with pytest.raises(ConfigError, match="NaN"):
        threshold_curve(pair, [1.0, np.nan, 0.0, 0.0])


# ----------------------------------------------------------------------------- three models


def three_model_table() -> OutcomeTable:
    frame = pd.DataFrame(
        {
            "prompt": ["r0", "r1", "r2", "r3"],
            "a": [1, 0, 0, 0],
            "b": [1, 1, 0, 0],
            "c": [1, 1, 1, 0],
        }
    )
    return OutcomeTable.from_frame(frame)


def abc_pool() -> Pool:
    def spec(name: str, price: float, order: int) -> ModelSpec:
        return ModelSpec(name, price, price, price, 1000, name, order=order)

    return Pool((spec("a", 1.0, 0), spec("b", 2.0, 1), spec("c", 3.0, 2)))


COSTS = {"a": np.ones(4), "b": np.full(4, 2.0), "c": np.full(4, 3.0)}


def test_oracle_and_choices_on_three_models() -> None:
    table = three_model_table()
    picked = oracle_choices(table, ["a", "b", "c"])
    assert picked == ["a", "b", "c", "a"]  # nobody right on r3: the cheapest
    m = score_choices(table, picked, COSTS)
    assert m["accuracy"] == pytest.approx(0.75)
    assert (m["share:a"], m["share:b"], m["share:c"]) == (0.5, 0.25, 0.25)
    assert m["cost_total"] == pytest.approx(7.0)
    none_strong = score_choices(table, ["a"] * 4, COSTS)
    assert none_strong["accuracy"] == pytest.approx(0.25)
    assert none_strong["share:c"] == 0.0
    with pytest.raises(ConfigError, match="not in the table"):
        score_choices(table, ["a", "b", "z", "a"])


def test_policy_curve_sweeps_the_cost_threshold() -> None:
    probs = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6], [0.4, 0.35, 0.25]])
    curve = policy_curve(three_model_table(), probs, abc_pool(), [0.0, 0.75, 1.0], COSTS)
    assert curve["accuracy"].tolist() == pytest.approx([0.75, 0.5, 0.25])
    assert curve["cost_per_prompt"].tolist() == pytest.approx([1.75, 1.5, 1.0])
    assert curve["escalated_share"].tolist() == pytest.approx([0.5, 0.25, 0.0])


def test_policy_curve_argmax_tie_goes_to_cheaper_model() -> None:
    probs = np.array([[0.4, 0.4, 0.2]] * 4)
    curve = policy_curve(three_model_table(), probs, abc_pool(), [0.0])
    assert curve["share:a"].iloc[0] == 1.0


def test_ten_bin_headline_metrics_carry_their_own_bootstrap_interval() -> None:
    """apgr_qcut10, cpt50_qcut10 and cpt80 get 95 % intervals, resampled on their own grid."""
    from routerlab.evaluation.scoring import PairOutcomes, bootstrap_curve_metrics

    rng = np.random.default_rng(1)
    n = 400
    hard = rng.random(n) < 0.4
    weak = np.where(hard, rng.random(n) < 0.2, rng.random(n) < 0.9)
    strong = rng.random(n) < 0.9
    pair = PairOutcomes("s", "w", strong.astype(float), weak.astype(float))
    scores = hard + rng.normal(0, 0.5, n)
    m = evaluate_scores("r", pair, scores, bootstrap=50, seed=3).metrics
    for key in ("apgr_qcut10", "cpt50_qcut10", "cpt80"):
        assert np.isfinite(m[f"{key}_lo"]) and m[f"{key}_lo"] <= m[f"{key}_hi"], key
    qboot = bootstrap_curve_metrics(pair, scores, n_boot=50, seed=3, grid="qcut10")
    full = bootstrap_curve_metrics(pair, scores, n_boot=50, seed=3, grid="full")
    assert (m["apgr_qcut10_lo"], m["apgr_qcut10_hi"]) == (qboot["apgr_lo"], qboot["apgr_hi"])
    assert (m["apgr_lo"], m["apgr_hi"]) == (full["apgr_lo"], full["apgr_hi"])
    assert (m["apgr_qcut10_lo"], m["apgr_qcut10_hi"]) != (m["apgr_lo"], m["apgr_hi"])


def test_cheapest_router_is_named_only_when_intervals_separate() -> None:
    from routerlab.evaluation.study import _cheapest_sentence

    def r(cost: float, lo: float, hi: float) -> dict[str, float]:
        return {"cost_cpt50": cost, "cost_cpt50_lo": lo, "cost_cpt50_hi": hi}

    separated = {"a": r(1.0, 0.9, 1.1), "b": r(2.0, 1.8, 2.2)}
    assert "**a** is cheapest" in _cheapest_sentence(separated)
    overlapping = {"a": r(1.0, 0.9, 1.9), "b": r(2.0, 1.8, 2.2)}
    text = _cheapest_sentence(overlapping)
    assert "is cheapest" not in text and "no router is shown" in text
    no_interval = {"a": {"cost_cpt50": 1.0}, "b": {"cost_cpt50": 2.0}}
    assert "is cheapest" not in _cheapest_sentence(no_interval)
