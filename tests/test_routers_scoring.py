"""The scoring-router base: one vectorised policy that agrees with the single-request form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation.scoring import policy_curve
from routerlab.routers.base import (
    Decision,
    ScoringRouter,
    choose_model,
    make_router,
    register_router,
    registry_restored,
    router_names,
)
from routerlab.tables import OutcomeTable


def reference_choose(scores: dict[str, float], pool, cost_threshold: float = 0.0) -> str:
    """The policy as ``choose_model`` implemented it, one request at a time, before the
    vectorised rule existed: kept here as the specification both forms must reproduce."""
    cheapest = min(pool.models, key=lambda m: (m.input + m.output, m.order)).name
    if cost_threshold >= 1.0:
        return cheapest
    order = {name: i for i, name in enumerate(pool.names)}
    best = max(scores, key=lambda m: (scores[m], -order[m]))
    if best == cheapest or cost_threshold <= 0.0:
        return best
    escalate = sum(p for m, p in scores.items() if m != cheapest)
    return best if escalate >= cost_threshold else cheapest


class Given(ScoringRouter):
    """Returns the scores it was given (a test double for the policy)."""

    name = "given"

    def __init__(self, pool, scores: np.ndarray, **kwargs: Any) -> None:
        super().__init__(pool, **kwargs)
        self.given = scores

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        return self.given[: len(prompts)]


def random_scores(n: int, m: int, seed: int) -> np.ndarray:
    """Probability rows; a third are rounded to one decimal so that ties are common."""
    rng = np.random.default_rng(seed)
    raw = rng.random((n, m))
    raw[: n // 3] = np.round(raw[: n // 3], 1)
    raw[n // 3 : n // 2, 1] = raw[n // 3 : n // 2, 2]  # exact ties between two models
    raw[n // 2 : n // 2 + 5] = 0.0  # all-zero rows: every model tied
    total = raw.sum(axis=1, keepdims=True)
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), raw)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_choose_matches_the_single_request_rule_on_random_scores(pool, seed):
    scores = random_scores(400, len(pool.names), seed)
    router = Given(pool, scores)
    # the knob values include the ends and the exact escalation masses of some rows
    cheapest = pool.names.index(pool.cheapest.name)
    masses = [float(sum(row[j] for j in range(len(row)) if j != cheapest)) for row in scores[:5]]
    knobs = [0.0, 0.1, 0.25, 0.5, 0.8, 0.99, 1.0, *masses]
    sweep = router.choose_sweep(scores, knobs)
    assert sweep.shape == (len(knobs), len(scores))
    for k, knob in enumerate(knobs):
        picked = router.choose(scores, knob)
        np.testing.assert_array_equal(picked, sweep[k])
        for row, j in zip(scores, picked, strict=True):
            named = dict(zip(pool.names, row.tolist(), strict=True))
            expected = reference_choose(named, pool, knob)
            assert pool.names[j] == expected
            assert choose_model(named, pool, knob) == expected


def test_ties_go_to_the_earlier_pool_model_in_both_forms(pool):
    tie = np.array([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45], [0.0, 0.0, 0.0]])
    picked = Given(pool, tie).choose(tie)
    assert [pool.names[j] for j in picked] == [pool.names[0], pool.names[1], pool.names[0]]


def test_the_knob_is_checked_once_at_construction(pool):
    with pytest.raises(ConfigError, match=r"cost_threshold must be in \[0, 1\]"):
        Given(pool, np.zeros((1, 3)), cost_threshold=1.5)
    router = Given(pool, np.zeros((1, 3)), cost_threshold=0.3)
    assert router.knob == router.cost_threshold == 0.3
    with pytest.raises(ConfigError, match="cost_threshold"):
        router.choose(np.zeros((1, 3)), knob=-0.1)  # an explicit knob is checked per call
    with pytest.raises(ConfigError, match=r"scores must be \(n_prompts, 3\)"):
        router.choose(np.zeros((2, 2)))


def test_route_batch_and_strong_scores_agree_with_decisions(pool):
    scores = random_scores(50, 3, 7)
    router = Given(pool, scores, cost_threshold=0.4)
    decisions = router.route_batch([f"prompt {i}" for i in range(50)])
    expected = [reference_choose(dict(zip(pool.names, r, strict=True)), pool, 0.4) for r in scores]
    assert [d.model for d in decisions] == expected
    assert all(d.details["cost_threshold"] == 0.4 for d in decisions)
    strong = router.strong_scores(scores)
    assert strong.tolist() == [d.strong_score(pool) for d in decisions]  # bit for bit
    assert router.knob_grid()[0] == 0.0 and router.knob_grid()[-1] == 1.0
    assert isinstance(router.route("one prompt"), Decision)


def test_policy_curve_matches_the_rule_per_prompt_and_threshold(pool):
    n = 60
    scores = random_scores(n, 3, 3)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"prompt": [f"p{i}" for i in range(n)]})
    for name in pool.names:
        frame[name] = rng.random(n) < 0.6
    table = OutcomeTable.from_frame(frame)
    thresholds = [0.0, 0.3, 0.6, 1.0]
    curve = policy_curve(table, scores, pool, thresholds)
    matrix = table.matrix(pool.names)
    for t, row in zip(thresholds, curve.itertuples(), strict=True):
        picked = [reference_choose(dict(zip(pool.names, r, strict=True)), pool, t) for r in scores]
        cols = [pool.names.index(m) for m in picked]
        assert row.accuracy == pytest.approx(matrix[np.arange(n), cols].mean())
        assert row.escalated_share == pytest.approx(
            np.mean([m != pool.cheapest.name for m in picked])
        )
    with pytest.raises(ConfigError, match="cost_threshold"):
        policy_curve(table, scores, pool, [0.5, 2.0])


def test_choose_model_falls_back_to_an_unscored_cheapest(pool):
    others = [m for m in pool.names if m != pool.cheapest.name]
    scores = {others[0]: 0.3, others[1]: 0.2}
    assert choose_model(scores, pool, 0.0) == others[0]
    assert choose_model(scores, pool, 0.5) == others[0]  # mass 0.5 >= 0.5
    assert choose_model(scores, pool, 0.6) == pool.cheapest.name
    assert choose_model(scores, pool, 1.0) == pool.cheapest.name


def test_random_router_strong_scores_are_the_seeds_uniform_draws(pool):
    router = make_router("random", pool, seed=4)
    scores = router.score_batch(["a"] * 200)
    assert scores.shape == (200, len(pool.names))
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    expected = np.random.default_rng(4).random(200)
    assert router.strong_scores(scores).tolist() == expected.tolist()


def test_length_router_unit_is_a_constructor_argument(pool):
    prompts = ["short", "a much longer prompt " * 20, "mid length prompt here"]
    chars = make_router("length", pool, unit="chars")
    tokens = make_router("length", pool)
    assert tokens.unit == "tokens"
    lengths = np.array([len(p) for p in prompts], dtype=float)
    np.testing.assert_allclose(
        chars.strong_scores(chars.score_batch(prompts)), lengths / (lengths + 200)
    )
    assert chars.route(prompts[1]).model == chars.strong
    assert chars.route(prompts[0]).model == pool.cheapest.name
    with pytest.raises(ConfigError, match="unknown length unit"):
        make_router("length", pool, unit="bytes")


def test_a_router_that_reads_metadata_cannot_route_requests(pool):
    class Reader(Given):
        reads = ("subject",)

    with pytest.raises(ConfigError, match="reads subject"):
        Reader(pool, np.zeros((1, 3))).route("what is 2+2?")


def test_registry_restored_removes_what_a_block_registered(pool):
    before = router_names()
    with registry_restored():

        @register_router("_test_scoring_temp")
        class Temp(Given):
            pass

        assert "_test_scoring_temp" in router_names()
    assert router_names() == before


def test_builtin_scoring_routers_are_registered_and_trainable_where_expected():
    from routerlab.routers.base import router_factory

    for name in ("random", "length", "classifier", "indomain-text", "indomain-subject", "indomain"):
        assert issubclass(router_factory(name), ScoringRouter)  # type: ignore[arg-type]
    assert router_factory("indomain-subject").reads == ("subject",)  # type: ignore[attr-defined]
    trainable = {n for n in router_names() if getattr(router_factory(n), "trainable", None)}
    assert {"indomain-text", "indomain-subject", "indomain"} <= {
        n
        for n in trainable
        if router_factory(n).trainable()  # type: ignore[attr-defined]
    }
    assert not router_factory("length").trainable()  # type: ignore[attr-defined]
