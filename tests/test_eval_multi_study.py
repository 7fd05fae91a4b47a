"""Notebook 06's computations on a hand-made three-model table (conclusions from the numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.evaluation.multi_run import run_multi
from routerlab.evaluation.multi_study import (
    budget_table,
    conclusions,
    file_stem,
    metric_table,
    ranking_table,
    reasoning_sensitivity,
    save_runs,
    single_costs_table,
)
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable

MODELS = ("cheap", "strong", "o1-mini")
PRICES = {
    "cheap": ModelPrice(0.1, 0.4),
    "strong": ModelPrice(2.0, 8.0),
    "o1-mini": ModelPrice(3, 12),
}


def table(n: int = 40) -> OutcomeTable:
    rng = np.random.default_rng(1)
    words = ["add", "sort", "prove", "bound", "sum", "limit"]
    rows = []
    for i in range(n):
        w = words[i % len(words)]
        hard = w in ("prove", "bound", "limit")
        rows.append(
            {
                "prompt": f"{w} item {i}",
                "cheap": not hard,
                "strong": (not hard) or bool(rng.random() < 0.4),
                "o1-mini": bool(rng.random() < 0.9),
                "cheap|output_tokens": 50,
                "strong|output_tokens": 60,
                "o1-mini|output_tokens": 100,
            }
        )
    return OutcomeTable.from_frame(pd.DataFrame(rows), models=list(MODELS), name="hand")


def test_sensitivity_costs_follow_the_multiplier_and_conclusions_cite_numbers(
    tmp_path: Path,
) -> None:
    t = table()
    run = run_multi(t, routers=["outcome-knn"], prices=PRICES, n_boot=50, budget_share=0.5)
    frame = reasoning_sensitivity(
        run, t, PRICES, [1.0, 4.0], reasoning_models=("o1-mini",), seed=0
    ).assign(table="hand")
    alone = single_costs_table(frame)
    o1 = alone.loc[("hand", "always:o1-mini")]
    cheap = alone.loc[("hand", "always:cheap")]
    assert cheap[1.0] == pytest.approx(cheap[4.0])  # not a reasoning model: unchanged
    # o1-mini's output part is 100 tokens x $12/1M; four times that at 4x
    assert o1[4.0] - o1[1.0] == pytest.approx(3 * 100 * 12 / 1e6 * 1000, rel=1e-6)
    ranks = ranking_table(frame)
    assert set(ranks.index.get_level_values("router")) == {"random", "outcome-knn"}
    assert sorted(ranks[1.0].tolist()) == [1, 2]

    runs = {"hand table": run}
    text = conclusions(runs, frame)
    ev = run.evaluation
    best = int(np.argmax(ev.single_quality))
    assert f"{ev.single_quality[best]:.1%}" in text
    assert f"{ev.result('oracle').quality:.1%}" in text
    knn = ev.result("outcome-knn")
    rnd = ev.result("random")
    # the learned router with the largest area is named (random is not a learned router)
    assert "`outcome-knn`" in text
    assert f"{knn.metrics['area_vs_hull']:+.2f} points" in text
    assert "Across reasoning assumptions (1x, 4x visible output)" in text
    assert np.isfinite(rnd.metrics["area_vs_hull"])

    paths = save_runs(runs, tmp_path)
    assert file_stem("CRUXEval · OpenAI trio") == "cruxeval_openai_trio"
    saved = pd.read_csv(paths["hand table"]["metrics"])
    assert set(saved["router"]) == {r.name for r in ev.results}
    assert paths["hand table"]["budget"].is_file()
    budgets = budget_table(runs)
    assert set(budgets["router"]) == {"random", "outcome-knn"}
    assert (budgets["budget_usd_per_1k"] == run.budget_usd_per_1k).all()
    shown = metric_table(runs)
    assert (shown["router"] == "outcome-knn").sum() == 1
    assert "[" in shown.loc[shown["router"] == "outcome-knn", "area vs hull (points)"].iloc[0]


def test_budget_share_is_a_share_of_the_best_models_training_cost() -> None:
    t = table()
    run = run_multi(t, routers=[], prices=PRICES, n_boot=0, budget_share=0.25)
    from routerlab.evaluation.costs import DEFAULT_REASONING, cost_matrix

    # the run's costs use the default reasoning assumption (o1-mini billed 4x its output)
    costs, _ = cost_matrix(t, list(MODELS), PRICES, reasoning=DEFAULT_REASONING)
    q = t.matrix(list(MODELS))[run.train_rows].mean(axis=0)
    c = costs[run.train_rows].mean(axis=0) * 1000
    best = max(range(3), key=lambda j: (q[j], -c[j]))
    assert run.budget_usd_per_1k == pytest.approx(0.25 * c[best])
    assert any(n.startswith(f"budget = 0.25 x {MODELS[best]}") for n in run.notes)


def test_conclusions_compare_with_random_and_the_best_models_cost() -> None:
    t = table()
    run = run_multi(t, routers=["outcome-knn"], prices=PRICES, n_boot=50)
    ev = run.evaluation
    text = conclusions({"hand": run})
    rnd = ev.result("random")
    assert f"scores {rnd.metrics['area_vs_hull']:+.2f} points" in text
    knn = ev.result("outcome-knn")
    best = int(np.argmax(ev.single_quality))
    assert knn.envelope is not None
    at_best = float(knn.envelope.at(float(ev.single_cost[best])))
    assert f"at the best model's cost it scores {at_best:.1%}" in text
    lo = knn.intervals["area_vs_hull"][0]
    hi_random = rnd.intervals["area_vs_hull"][1]
    assert ("lies above random's" in text) == (lo > hi_random)
