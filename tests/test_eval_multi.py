"""The N-model evaluation run and its JSON records (issue 11, "What must hold")."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation.multi import Sweep, evaluate_multi

MODELS = ("A", "B", "C")
A, B, C = 0, 1, 2


def table(repeat: int = 1) -> tuple[np.ndarray, np.ndarray]:
    # the hand-computed table of test_eval_frontier: quality .25 / .5 / 1, cost 1 / 3 / 10 per 1k
    outcomes = np.array([[1, 1, 1], [0, 1, 1], [0, 0, 1], [0, 0, 1]], dtype=float)
    costs = np.tile([0.001, 0.003, 0.010], (4, 1))
    return np.tile(outcomes, (repeat, 1)), np.tile(costs, (repeat, 1))


def routers(repeat: int = 1) -> dict[str, object]:
    knobs = np.array([0.0, 0.5, 1.0])
    smart = np.tile(np.array([[A] * 4, [A, B, C, C], [C] * 4]), (1, repeat))
    frugal = np.tile(np.array([[A] * 4, [A, B, B, B], [B] * 4]), (1, repeat))
    return {
        "smart": Sweep(knobs, smart, default=0.5),
        "frugal": (knobs, frugal),  # default: the middle knob
        "decider": np.tile([A, B, C, A], repeat),
    }


def test_records_hold_every_router_with_the_issue_fields() -> None:
    q, c = table(repeat=25)
    ev = evaluate_multi(q, c, MODELS, routers(repeat=25), n_boot=200, seed=0)
    recs = {r["router"]: r for r in ev.records()}
    assert list(recs) == [
        "always:A",
        "always:B",
        "always:C",
        "oracle",
        "random",
        "smart",
        "frugal",
        "decider",
    ]
    assert all(r["n"] == 100 for r in recs.values())
    assert recs["always:B"]["kind"] == "point"
    assert recs["always:B"]["quality"] == pytest.approx(0.5)
    assert recs["always:B"]["cost_usd_per_1k"] == pytest.approx(3.0)
    assert recs["oracle"]["quality"] == 1.0
    assert recs["oracle"]["cost_usd_per_1k"] == pytest.approx(6.0)
    assert "area_vs_hull" not in recs["decider"]
    assert recs["decider"]["quality"] == pytest.approx(0.75)  # A r0 ok, B r1 ok, C r2 ok, A r3 no

    smart = recs["smart"]
    assert smart["kind"] == "curve" and smart["knob"] == 0.5
    assert smart["quality"] == 1.0 and smart["cost_usd_per_1k"] == pytest.approx(6.0)
    assert smart["quality_at_cheapest_cost"] == pytest.approx(0.25)
    assert smart["cost_to_best_share"] == pytest.approx(0.6)
    assert smart["area_vs_hull"] == pytest.approx(12.5)
    for key in ("quality", "cost_usd_per_1k", "quality_at_cheapest_cost", "area_vs_hull"):
        lo, hi = smart[f"{key}_ci"]
        assert lo <= smart[key] <= hi

    frugal = recs["frugal"]
    assert frugal["knob"] == 0.5 and frugal["quality"] == pytest.approx(0.5)
    assert frugal["cost_to_best_share"] is None  # never reaches C: not reached
    assert frugal["cost_to_best_share_ci"] == [None, None]

    rnd = recs["random"]
    assert rnd["kind"] == "curve" and rnd["knob"] == 0.5
    # halfway in cost between A (1) and C (10), give or take the coin flips
    assert rnd["cost_usd_per_1k"] == pytest.approx(5.5, abs=0.6)


def test_to_json_is_strict_json_with_table_and_notes() -> None:
    q, c = table(repeat=5)
    ev = evaluate_multi(q, c, MODELS, routers(repeat=5), n_boot=50, seed=1, notes=["cost: x"])
    doc = ev.to_json("tiny", notes=["reasoning: C billed output = 4x visible (assumed)"])
    assert set(doc) == {"table", "notes", "routers"}
    assert doc["table"] == "tiny"
    assert doc["notes"][0].startswith("reasoning:") and "cost: x" in doc["notes"]
    text = json.dumps(doc, allow_nan=False)  # NaN would fail here: not-reached is null
    assert json.loads(text)["routers"][0]["router"] == "always:A"


def test_rows_select_the_held_out_prompts() -> None:
    q, c = table(repeat=2)
    held = [4, 5, 6, 7]  # the second copy
    ev = evaluate_multi(q, c, MODELS, {"d": np.array([A, B, C, C])}, rows=held, n_boot=0)
    rec = {r["router"]: r for r in ev.records()}["d"]
    assert rec["n"] == 4 and rec["quality"] == 1.0
    assert rec["quality_ci"] == [None, None]  # no bootstrap asked
    with pytest.raises(ConfigError, match="shape"):
        evaluate_multi(q, c, MODELS, {"d": np.zeros(8, dtype=int)}, rows=held, n_boot=0)


def test_names_and_shapes_are_checked() -> None:
    q, c = table()
    with pytest.raises(ConfigError, match="reserved"):
        evaluate_multi(q, c, MODELS, {"oracle": np.zeros(4, dtype=int)}, n_boot=0)
    with pytest.raises(ConfigError, match="2 model names for 3"):
        evaluate_multi(q, c, ("A", "B"), {}, n_boot=0)
    with pytest.raises(ConfigError, match=r"'bad'.*knob values"):
        evaluate_multi(q, c, MODELS, {"bad": (np.array([0.0]), np.zeros((2, 4), int))}, n_boot=0)


def test_best_knob_within_a_budget() -> None:
    q, c = table()
    ev = evaluate_multi(q, c, MODELS, routers(), n_boot=0)
    within = ev.at_budget(6.0).set_index("router")
    assert within.loc["smart", "quality"] == 1.0 and within.loc["smart", "knob"] == 0.5
    assert within.loc["frugal", "quality"] == 0.5
    assert ev.at_budget(0.5).empty  # nothing runs that cheaply


def test_frame_spreads_intervals_into_columns() -> None:
    q, c = table(repeat=10)
    ev = evaluate_multi(q, c, MODELS, routers(repeat=10), n_boot=30)
    frame = ev.frame().set_index("router")
    assert {"area_vs_hull", "area_vs_hull_lo", "area_vs_hull_hi"} <= set(frame.columns)
    assert frame.loc["smart", "area_vs_hull"] == pytest.approx(12.5)


def test_frontier_plot_draws_every_router_and_the_cost_assumption() -> None:
    from routerlab.plots.frontier import frontier_plot

    q, c = table(repeat=10)
    ev = evaluate_multi(q, c, MODELS, routers(repeat=10), n_boot=30)
    reasoning = "reasoning: C billed output = 4x visible (assumed)"
    fig = frontier_plot(ev, title="tiny", notes=["cost: A, B, C from recorded cost_usd", reasoning])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "fixed-mix hull"
    assert any(label.startswith("smart: +12.5 pts vs hull") for label in labels)
    assert any(label.startswith("oracle: 1.000") for label in labels)
    assert sum(label.startswith(("A:", "B:", "C:")) for label in labels) == 3
    texts = [t.get_text() for t in fig.texts]
    assert any(reasoning in t for t in texts)
    assert "n = 40" in ax.get_title()


def test_a_policy_in_its_own_model_order_becomes_a_sweep() -> None:
    from routerlab.evaluation.multi import model_indices, sweep_from_policy

    # the router scores (C, A) in that order: P(correct) per row
    scores = np.array([[0.9, 0.8], [0.9, 0.2], [0.9, 0.1], [0.9, 0.1]])

    def choose(s: np.ndarray, knob: float) -> np.ndarray:
        # A (index 1 here) when its probability is at least the knob, else C (index 0)
        return np.where(s[:, 1] >= knob, 1, 0)

    sweep = sweep_from_policy(
        choose, scores, [0.0, 0.5, 1.01], router_models=("C", "A"), models=MODELS, default=0.5
    )
    assert sweep.choices.tolist() == [[A] * 4, [A, C, C, C], [C] * 4]
    q, c = table()
    rec = {r["router"]: r for r in evaluate_multi(q, c, MODELS, {"p": sweep}, n_boot=0).records()}
    assert rec["p"]["quality"] == 1.0 and rec["p"]["cost_usd_per_1k"] == pytest.approx(7.75)
    assert model_indices(["C", "A", "B"], MODELS).tolist() == [C, A, B]
    with pytest.raises(ConfigError, match=r"\['Z'\]"):
        model_indices(["A", "Z"], MODELS)
