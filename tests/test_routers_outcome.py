"""The registered ``outcome`` router: a saved OutcomeRouter served on the pool (tier map, knob,
errors) and through the HTTP server (``router-outcome[-knob]``)."""

from __future__ import annotations

import asyncio
import re

import httpx
import numpy as np
import pytest

from routerlab.errors import ConfigError
from routerlab.gateway import Gateway
from routerlab.learning import LogisticPerModel, TfidfFeaturizer, train_outcome_router
from routerlab.routers.base import make_router
from routerlab.server import ServerConfig, create_app
from routerlab.testing import ScriptedChatClient
from routerlab.tiers import DEFAULT_TIERS

MINI, FOUR_O, O1 = DEFAULT_TIERS["gpt-4.1-nano"], DEFAULT_TIERS["gpt-4.1"], DEFAULT_TIERS["o4-mini"]
TOPICS = ["colour", "fruit", "animal", "city", "planet", "flower", "river", "metal"]
EASY = [f"name a {t} please, a short answer" for t in TOPICS] * 3
HARD = [f"prove the olympiad inequality for {t} step by step rigorously" for t in TOPICS] * 3
TOKEN = "t0k3n-outcome"


def table() -> tuple[list[str], np.ndarray]:
    """Easy prompts: the cheap and strong models are right, the reasoning one half the time;
    hard prompts: only the reasoning model is right."""
    n = len(EASY)
    easy = np.column_stack([np.ones(n), np.ones(n), np.arange(n) % 2])
    hard = np.column_stack([np.zeros(n), np.zeros(n), np.ones(n)])
    return EASY + HARD, np.vstack([easy, hard]).astype(float)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    texts, Y = table()
    # USD per 1M tokens (input, output); the reasoning model bills ten times the output tokens
    prices = [(0.15, 0.6), (2.5, 10.0), (3.0, 12.0)]
    output_tokens = np.tile([100.0, 100.0, 1000.0], (len(texts), 1))
    router = train_outcome_router(
        texts,
        Y,
        (MINI, FOUR_O, O1),
        prices,
        output_tokens,
        candidates={"tfidf": lambda: LogisticPerModel(TfidfFeaturizer(), c=10.0)},
        folds=3,
        target_budget=8.0,  # room for the reasoning model on the hard half only
    )
    folder = tmp_path_factory.mktemp("outcome") / "router"
    router.save(folder)
    return folder


def test_loads_through_the_tier_map_in_pool_order(pool, saved):
    router = make_router("outcome", pool, model_dir=saved)
    assert router.models == ("gpt-4.1-nano", "gpt-4.1", "o4-mini")
    scores = router.score_batch(EASY[:1] + HARD[:1])
    assert scores.shape == (2, 3)
    assert scores[1, 2] > scores[1, 0] and scores[0, 0] > scores[0, 2]
    decision = router.route(HARD[0])
    assert decision.details["tier_map"].startswith("tier map")
    assert decision.details["calibration"] == {"target": "budget", "target_value": 8.0}
    assert decision.details["lam"] == pytest.approx(router.saved.lam)


def test_default_knob_is_the_saved_lam_and_routes_easy_cheap_hard_to_reasoning(pool, saved):
    router = make_router("outcome", pool, model_dir=saved)
    assert 0.0 <= router.knob <= 1.0
    assert router.knob * router.lam_max == pytest.approx(router.saved.lam)
    assert router.route(EASY[0]).model == "gpt-4.1-nano"
    assert router.route(HARD[0]).model == "o4-mini"


def test_knob_zero_follows_the_best_prediction_and_one_is_always_cheapest(pool, saved):
    best = make_router("outcome", pool, model_dir=saved, cost_threshold=0.0)
    cheap = make_router("outcome", pool, model_dir=saved, cost_threshold=1.0)
    prompts = EASY[:4] + HARD[:4]
    for d in best.route_batch(prompts):
        assert d.scores is not None
        top = max(d.scores.values())
        # ties (equal predictions) go to the cheaper model
        assert d.model == next(m for m in best.models if d.scores[m] == top)
    assert {d.model for d in cheap.route_batch(prompts)} == {"gpt-4.1-nano"}
    # the one-decision policy the gateway re-applies agrees with the batched one
    for d in best.route_batch(prompts):
        assert d.scores is not None
        assert cheap.choose_for(d.scores, 0.0) == d.model
        assert best.choose_for(d.scores, 1.0) == "gpt-4.1-nano"
        assert best.choose_for(d.scores, 0.0, allowed={"gpt-4.1-nano", "gpt-4.1"}) != "o4-mini"


def test_strong_scores_are_the_knob_where_it_stops_escalating(pool, saved):
    router = make_router("outcome", pool, model_dir=saved)
    scores = router.score_batch(EASY[:4] + HARD[:4])
    switch = router.strong_scores(scores)
    for knob in router.knob_grid():
        escalates = router.choose(scores, float(knob)) != 0
        assert np.array_equal(escalates[switch != knob], (switch > knob)[switch != knob])


def test_errors_name_the_folder_and_the_unmapped_models(pool, saved, tmp_path):
    with pytest.raises(ConfigError, match="model_dir"):
        make_router("outcome", pool)
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path / "nowhere"))):
        make_router("outcome", pool, model_dir=tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=re.escape("meta.json")):
        make_router("outcome", pool, model_dir=tmp_path / "empty")
    only_two = {"gpt-4.1-nano": MINI, "gpt-4.1": FOUR_O}
    with pytest.raises(ConfigError, match=r"o1-mini-2024-09-12.*pool: gpt-4.1-nano"):
        make_router("outcome", pool, model_dir=saved, tiers=only_two)
    with pytest.raises(ConfigError, match="cost_threshold"):
        make_router("outcome", pool, model_dir=saved, cost_threshold=1.5)


def test_the_gateway_keeps_the_routers_own_policy(pool, saved):
    router = make_router("outcome", pool, model_dir=saved)
    gateway = Gateway(pool, ScriptedChatClient("done", pool=pool), router)
    assert gateway.route(HARD[1]).model == "o4-mini"
    assert gateway.route(EASY[1]).model == "gpt-4.1-nano"


def test_the_server_serves_it_with_the_knob(pool, saved):
    client = ScriptedChatClient("done", pool=pool)
    config = ServerConfig(
        token=TOKEN, routers=("outcome",), router_options={"outcome": {"model_dir": str(saved)}}
    )
    app = create_app(config, client=client, pool=pool)

    asked = [
        ("router-outcome", HARD[2]),
        ("router-outcome", EASY[2]),
        ("router-outcome-1", HARD[2]),
        ("router-outcome-0", HARD[3]),
        ("router-outcome-0", EASY[3]),
    ]

    async def ask_all() -> list[str]:
        # one event loop for every request: the server's micro-batcher lives on it
        transport = httpx.ASGITransport(app=app)
        answered = []
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            for model, prompt in asked:
                body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
                headers = {"authorization": f"Bearer {TOKEN}"}
                reply = await http.post("/v1/chat/completions", json=body, headers=headers)
                assert reply.status_code == 200, reply.text
                answered.append(reply.json()["model"])
                assert answered[-1] == client.calls[-1].model
        return answered

    # default knob: the saved lam; 1: always the cheapest; 0: the best prediction (the easy
    # prompt's cheap and strong models tie, and ties go to the cheaper)
    assert asyncio.run(ask_all()) == [
        "o4-mini",
        "gpt-4.1-nano",
        "gpt-4.1-nano",
        "o4-mini",
        "gpt-4.1-nano",
    ]


def test_a_threshold_routers_one_decision_policy_is_choose_model(pool):
    from routerlab.routers.base import choose_model

    router = make_router("length", pool)
    rng = np.random.default_rng(0)
    for _ in range(50):
        row = rng.dirichlet(np.ones(len(pool.names)))
        scores = dict(zip(pool.names, row.tolist(), strict=True))
        for knob in (0.0, 0.3, 0.7, 1.0):
            assert router.choose_for(scores, knob) == choose_model(scores, pool, knob)
            allowed = set(pool.names[:2])
            assert router.choose_for(scores, knob, allowed) == choose_model(
                scores, pool, knob, allowed
            )
