from __future__ import annotations

import pytest

from routerlab.errors import ConfigError, UnknownModelError
from routerlab.routers.base import Decision, Router, choose_model, make_router, register_router

SCORES = {"gpt-4.1-nano": 0.2, "gpt-4.1": 0.5, "o4-mini": 0.3}


def test_knob_ends(pool):
    assert choose_model(SCORES, pool, 0.0) == "gpt-4.1"  # follows the classifier
    assert choose_model(SCORES, pool, 1.0) == "gpt-4.1-nano"  # always the cheapest


def test_knob_middle_uses_mass_on_non_cheapest(pool):
    assert choose_model(SCORES, pool, 0.8) == "gpt-4.1"  # 0.8 on non-cheapest >= 0.8
    assert choose_model(SCORES, pool, 0.81) == "gpt-4.1-nano"


def test_ties_go_to_cheaper_model(pool):
    tie = {"gpt-4.1-nano": 0.4, "gpt-4.1": 0.4, "o4-mini": 0.2}
    assert choose_model(tie, pool) == "gpt-4.1-nano"
    tie2 = {"gpt-4.1-nano": 0.1, "gpt-4.1": 0.45, "o4-mini": 0.45}
    assert choose_model(tie2, pool) == "gpt-4.1"


def test_bad_knob_and_unknown_model(pool):
    with pytest.raises(ConfigError, match=r"cost_threshold must be in \[0, 1\]"):
        choose_model(SCORES, pool, 1.5)
    with pytest.raises(UnknownModelError):
        choose_model({"gpt-5": 1.0}, pool)


def test_strong_score(pool):
    decision = Decision(model="gpt-4.1", router="x", scores=SCORES)
    assert decision.strong_score(pool) == pytest.approx(0.8)
    assert Decision(model="gpt-4.1", router="x").strong_score(pool) is None


def test_registry_and_timing(pool):
    @register_router("_test_fixed")
    class Fixed(Router):
        name = "_test_fixed"

        def __init__(self, pool, model="gpt-4.1"):
            super().__init__(pool)
            self.model = model

        def _decide(self, request):
            return Decision(model=self.model, router=self.name)

    router = make_router("_test_fixed", pool, model="o4-mini")
    decisions = router.route_batch(["a", "b"])
    assert [d.model for d in decisions] == ["o4-mini", "o4-mini"]
    assert all(d.latency_s > 0 for d in decisions)
    with pytest.raises(ConfigError, match=r"unknown router 'nope'; available: .*_test_fixed"):
        make_router("nope", pool)
