"""N-model frontier scoring on tiny hand-computed three-model tables (issue 11, item 3).

Table ``T`` (models A cheap, B middle, C expensive; USD per prompt 0.001 / 0.003 / 0.010, i.e.
1 / 3 / 10 per 1k prompts on every row):

    row  A  B  C
    r0   1  1  1
    r1   0  1  1
    r2   0  0  1
    r3   0  0  1

Quality A 0.25, B 0.5, C 1.0. Hull slopes A->B 0.125, B->C 0.5/7: concave, so all three are on it.
"""

from __future__ import annotations

import numpy as np
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation.frontier import (
    Frontier,
    area_vs_hull,
    bootstrap_frontier,
    choice_points,
    cost_to_best_share,
    curve_metrics,
    fixed_mix_hull,
    hull_models,
    oracle_choices,
    percentile_interval,
    quality_at_cheapest_cost,
    random_choices,
    resample_weights,
    single_points,
    upper_envelope,
)

A, B, C = 0, 1, 2


def table() -> tuple[np.ndarray, np.ndarray]:
    outcomes = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 1]], dtype=float)
    costs = np.tile([0.001, 0.003, 0.010], (4, 1))
    return outcomes, costs


def metrics_of(choices: list[list[int]]) -> dict[str, float]:
    q, c = table()
    kq, kc = choice_points(q, c, np.array(choices))
    sq, sc = single_points(q, c)
    return curve_metrics(kq, kc, sq, sc)


def test_single_points_and_costs_per_1k() -> None:
    quality, cost = single_points(*table())
    assert quality.tolist() == [0.25, 0.5, 1.0]
    assert cost == pytest.approx([1.0, 3.0, 10.0])


def test_fixed_mix_hull_keeps_all_three_and_is_flat_beyond_the_best() -> None:
    hull = fixed_mix_hull(*table())
    assert hull.cost == pytest.approx([1.0, 3.0, 10.0])
    assert hull.quality.tolist() == [0.25, 0.5, 1.0]
    # a 50/50 mix of A and B costs 2 and scores 0.375; more budget than C's buys nothing more
    assert hull.at(2.0) == pytest.approx(0.375)
    assert hull.at(12.0) == pytest.approx(1.0)
    assert np.isnan(hull.at(0.5))  # nothing runs below the cheapest model's cost
    assert hull_models(*table()) == [A, B, C]


def test_a_dominated_model_is_not_on_the_hull() -> None:
    q, c = table()
    # C' right only on r0 and r2: quality 0.5 at cost 10 vs B's 0.5 at 3 -> dominated
    q[:, C] = [1, 0, 1, 0]
    assert hull_models(q, c) == [A, B]
    hull = fixed_mix_hull(q, c)
    assert hull.at(10.0) == pytest.approx(0.5)
    # the best single model is B (tie with C broken to the cheaper one): reaching it costs 3
    env = upper_envelope(np.array([1.0, 3.0]), np.array([0.25, 0.5]))
    sq, sc = single_points(q, c)
    assert cost_to_best_share(env, sq, sc) == pytest.approx(1.0)


def test_a_point_inside_the_hull_is_dropped_from_an_envelope() -> None:
    # (2, 0.3) lies below the segment (1, 0.25)-(3, 0.5), whose height at 2 is 0.375
    env = upper_envelope(np.array([3.0, 2.0, 1.0, 1.0]), np.array([0.5, 0.3, 0.25, 0.1]))
    assert env.cost.tolist() == [1.0, 3.0]
    assert env.quality.tolist() == [0.25, 0.5]
    # an equally good but pricier point never extends a frontier
    env2 = upper_envelope(np.array([1.0, 3.0, 5.0]), np.array([0.25, 0.5, 0.5]))
    assert env2.cost.tolist() == [1.0, 3.0]


def test_oracle_picks_the_cheapest_correct_model() -> None:
    q, c = table()
    assert oracle_choices(q, c).tolist() == [A, B, C, C]
    oq, oc = choice_points(q, c, oracle_choices(q, c))
    assert oq.tolist() == [1.0]
    assert oc == pytest.approx([6.0])  # (1 + 3 + 10 + 10) / 4


def test_oracle_ties_go_to_the_cheaper_model() -> None:
    q = np.array([[0, 1, 1], [0, 0, 0], [1, 1, 0]], dtype=float)
    # row 0: B and C both right and cost the same on that row -> B has the lower mean cost
    c = np.array([[0.001, 0.005, 0.005], [0.002, 0.004, 0.009], [0.001, 0.003, 0.01]])
    assert oracle_choices(q, c).tolist() == [B, A, A]
    # per-row cost decides before mean cost: C is cheaper than B on this row
    c2 = c.copy()
    c2[0] = [0.001, 0.006, 0.002]
    assert oracle_choices(q, c2)[0] == C


def test_policy_curve_metrics_by_hand() -> None:
    # knob 0 all A; knob 1 the oracle's picks; knob 2 all C -> points (1, .25), (6, 1), (10, 1)
    m = metrics_of([[A] * 4, [A, B, C, C], [C] * 4])
    assert m["quality_at_cheapest_cost"] == pytest.approx(0.25)
    assert m["cost_to_best_share"] == pytest.approx(0.6)  # reaches C's 1.0 at 6 of C's 10
    # E integrates to 7.125 on [1, 10], H to 6.0: 100 * 1.125 / 9
    assert m["area_vs_hull"] == pytest.approx(12.5)


def test_a_router_that_never_calls_the_most_expensive_model() -> None:
    # all A; A on r0 and B elsewhere (2.5, .5); all B (3, .5)
    m = metrics_of([[A] * 4, [A, B, B, B], [B] * 4])
    assert m["quality_at_cheapest_cost"] == pytest.approx(0.25)
    assert np.isnan(m["cost_to_best_share"])  # never reaches C's quality: not reached
    # E integrates to 0.5625 + 3.75 = 4.3125, H to 6.0
    assert m["area_vs_hull"] == pytest.approx(100 * (4.3125 - 6.0) / 9)


def test_a_curve_that_starts_above_the_cheapest_cost() -> None:
    # all B (3, .5) and all C (10, 1): the router cannot run on A's budget
    m = metrics_of([[B] * 4, [C] * 4])
    assert np.isnan(m["quality_at_cheapest_cost"])
    assert m["cost_to_best_share"] == pytest.approx(1.0)
    # below 3 the budget buys A alone (0.25): 0.5 on [1, 3]; equal to the hull above
    assert m["area_vs_hull"] == pytest.approx(100 * (0.5 + 5.25 - 6.0) / 9)


def test_the_fixed_models_themselves_score_zero_area() -> None:
    m = metrics_of([[A] * 4, [B] * 4, [C] * 4])
    assert m["area_vs_hull"] == pytest.approx(0.0)
    assert m["cost_to_best_share"] == pytest.approx(1.0)


def test_metrics_are_in_the_units_given() -> None:
    env = Frontier(np.array([1.0, 6.0]), np.array([0.25, 1.0]))
    hull = Frontier(np.array([1.0, 3.0, 10.0]), np.array([0.25, 0.5, 1.0]))
    sq, sc = np.array([0.25, 0.5, 1.0]), np.array([1.0, 3.0, 10.0])
    assert quality_at_cheapest_cost(env, sc) == pytest.approx(0.25)
    assert area_vs_hull(env, hull, sc) == pytest.approx(12.5)
    # scaling every cost by 1000 changes nothing
    env_k = Frontier(env.cost * 1000, env.quality)
    hull_k = Frontier(hull.cost * 1000, hull.quality)
    assert area_vs_hull(env_k, hull_k, sc * 1000) == pytest.approx(12.5)
    assert cost_to_best_share(env_k, sq, sc * 1000) == pytest.approx(0.6)


def test_choices_are_validated() -> None:
    q, c = table()
    with pytest.raises(ConfigError, match="model indices in"):
        choice_points(q, c, np.array([0, 1, 3, 0]))
    with pytest.raises(ConfigError, match="shape"):
        choice_points(q, c, np.array([0, 1]))
    with pytest.raises(ConfigError, match="costs must have"):
        choice_points(q, c[:, :2], np.array([0, 1, 1, 0]))


def test_random_router_traces_the_hull_in_expectation() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    q = (rng.random((n, 3)) < [0.3, 0.6, 0.9]).astype(float)
    c = np.tile([0.001, 0.003, 0.010], (n, 1))
    knobs = np.linspace(0, 1, 11)
    ch = random_choices(q, c, knobs, seed=3)
    assert (ch[0] == A).all() and (ch[-1] == C).all()
    kq, kc = choice_points(q, c, ch)
    hull = fixed_mix_hull(q, c)
    assert kc == pytest.approx(1 + knobs * 9, abs=0.3)  # the knob targets cost linearly
    assert np.abs(kq - hull.at(kc)).max() < 0.03
    sq, sc = single_points(q, c)
    assert abs(curve_metrics(kq, kc, sq, sc)["area_vs_hull"]) < 1.5
    # monotone per row: a row never moves back to a cheaper model as the knob grows
    assert (np.diff(c[np.arange(n)[None, :], ch], axis=0) >= 0).all()


def test_resample_weights_are_counts_of_n_draws() -> None:
    chunks = list(resample_weights(7, 5, seed=0, chunk=2))
    assert [len(w) for w in chunks] == [2, 2, 1]
    w = np.concatenate(chunks)
    assert (w.sum(axis=1) == 7).all() and (w >= 0).all()


def test_bootstrap_matches_reindexing_the_rows() -> None:
    q, c = table()
    sweep = np.array([[A] * 4, [A, B, C, C], [C] * 4])
    draws = bootstrap_frontier(q, c, {"r": sweep}, n_boot=6, seed=5, chunk=4)
    weights = np.concatenate(list(resample_weights(4, 6, seed=5, chunk=4)))
    for b, w in enumerate(weights):
        idx = np.repeat(np.arange(4), w.astype(int))
        qi, ci = q[idx], c[idx]
        sq, sc = single_points(qi, ci)
        kq, kc = choice_points(qi, ci, sweep[:, idx])
        assert draws.single_quality[b] == pytest.approx(sq)
        assert draws.curves["r"]["cost"][b] == pytest.approx(kc)
        want = curve_metrics(kq, kc, sq, sc)
        for key, value in want.items():
            got = draws.curves["r"][key][b]
            assert (np.isnan(got) and np.isnan(value)) or got == pytest.approx(value)
        oq, _ = choice_points(qi, ci, oracle_choices(qi, ci))
        assert draws.oracle_quality[b] == pytest.approx(oq[0])


def _noisy_table(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    difficulty = rng.random(n)
    q = (difficulty[:, None] < [0.4, 0.7, 0.9]).astype(float)
    q = np.where(rng.random((n, 3)) < 0.1, 1 - q, q)
    c = np.tile([0.001, 0.003, 0.010], (n, 1))
    # a router that sees a noisy difficulty: A below the knob t, B up to t + 0.3, C above
    seen = difficulty[None, :] + rng.normal(0, 0.15, n)[None, :]
    t = np.linspace(-0.5, 1.5, 21)[:, None]
    sweep = np.where(seen < t, A, np.where(seen < t + 0.3, B, C))
    return q, c, sweep.astype(int)


def test_bootstrap_interval_contains_the_estimate_and_shrinks_with_n() -> None:
    widths = []
    for n in (200, 3200):
        q, c, sweep = _noisy_table(n, seed=0)
        kq, kc = choice_points(q, c, sweep)
        sq, sc = single_points(q, c)
        point = curve_metrics(kq, kc, sq, sc)
        draws = bootstrap_frontier(q, c, {"r": sweep}, n_boot=300, seed=1)
        lo, hi = percentile_interval(draws.curves["r"]["area_vs_hull"])
        assert lo <= point["area_vs_hull"] <= hi
        qlo, qhi = percentile_interval(draws.single_quality[:, C])
        assert qlo <= sq[C] <= qhi
        widths.append(hi - lo)
    assert widths[1] < widths[0] / 2  # 16x the rows: about a quarter of the width


def test_percentile_interval_ranks_not_reached_as_unbounded() -> None:
    draws = np.r_[np.linspace(0.5, 0.9, 90), np.full(10, np.nan)]
    lo, hi = percentile_interval(draws, nan_means="high")
    assert lo == draws[2]  # the "lower" 2.5 % draw of 100: index floor(0.025 * 99)
    assert np.isnan(hi)  # 10 % not reached: the upper end is unbounded
    lo_d, hi_d = percentile_interval(draws, nan_means="drop")
    assert lo_d == draws[2] and hi_d == draws[87]  # 90 draws: floor(.025*89), ceil(.975*89)
    lo_l, _ = percentile_interval(draws, nan_means="low")
    assert np.isnan(lo_l)
    with pytest.raises(ConfigError):
        percentile_interval(draws, nan_means="sometimes")


def test_the_all_cheapest_knob_is_at_the_cheapest_cost_despite_rounding() -> None:
    # seed 0: the all-A knob's mean cost comes out 1.1e-16 above A's own mean (another order
    # of summation); without the slack in Frontier.at the metric would be NaN
    rng = np.random.default_rng(0)
    n = 5001
    q = (rng.random((n, 3)) < [0.3, 0.6, 0.9]).astype(float)
    c = rng.random((n, 3)) * [1e-4, 3e-3, 1e-2] + [1e-5, 1e-4, 1e-3]
    sweep = np.array([np.zeros(n, int), np.where(q[:, 0] == 1, 0, 2), np.full(n, 2)])
    kq, kc = choice_points(q, c, sweep)
    sq, sc = single_points(q, c)
    m = curve_metrics(kq, kc, sq, sc)
    assert m["quality_at_cheapest_cost"] == pytest.approx(sq[0])
    draws = bootstrap_frontier(q, c, {"r": sweep}, n_boot=50, seed=0)
    assert not np.isnan(draws.curves["r"]["quality_at_cheapest_cost"]).any()
