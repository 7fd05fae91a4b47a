"""Known values on the mirror's RouteLLM MMLU table (fixed held-out rows and seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from routerlab.evaluation.costs import ROUTELLM_PRICES
from routerlab.evaluation.indomain import MAX_TRAIN_ROWS, split_rows
from routerlab.evaluation.run import run_evaluation
from routerlab.evaluation.study import check_claims, conclusions, per_subject
from routerlab.tables import load_routellm_mmlu


@pytest.fixture(scope="module")
def evaluation():
    table = load_routellm_mmlu()
    routers = [
        "always-weak",
        "always-strong",
        "random",
        "length",
        "indomain-text",
        "indomain-subject",
        "oracle",
    ]
    prices = ROUTELLM_PRICES
    # few bootstrap resamples and CV folds: the known values below do not depend on them
    return run_evaluation(
        table, routers, random_seeds=range(10), prices=prices, bootstrap=30, cv_folds=3
    )


def metric(evaluation, router: str, name: str) -> float:
    m = evaluation.metrics().set_index("router")
    return float(m.loc[router, name])


def test_split_is_fixed_and_disjoint() -> None:
    train, test = split_rows(14_037, seed=0)
    again, _ = split_rows(14_037, seed=0)
    assert len(train) == MAX_TRAIN_ROWS and len(test) == 14_037 - MAX_TRAIN_ROWS
    assert np.array_equal(train, again)
    assert not set(train) & set(test)


def test_random_router(evaluation) -> None:
    assert metric(evaluation, "random", "apgr") == pytest.approx(0.50, abs=0.02)
    assert metric(evaluation, "random", "cpt50") == pytest.approx(0.50, abs=0.02)


def test_length_router(evaluation) -> None:
    assert metric(evaluation, "length", "apgr") == pytest.approx(0.58, abs=0.02)
    # RouteLLM's 10-bin grid reads the same curve at 11 points: a little lower here
    assert metric(evaluation, "length", "apgr_qcut10") == pytest.approx(0.5765, abs=0.002)
    assert metric(evaluation, "random", "apgr_qcut10") == pytest.approx(0.50, abs=0.02)


def test_headlines_carry_intervals(evaluation) -> None:
    m = evaluation.metrics().set_index("router")
    for router in ("length", "indomain-text", "indomain-subject", "oracle"):
        assert m.loc[router, "apgr_lo"] <= m.loc[router, "apgr"] <= m.loc[router, "apgr_hi"]
    for router in ("always-weak", "always-strong"):
        assert (
            m.loc[router, "accuracy_lo"] < m.loc[router, "accuracy"] < m.loc[router, "accuracy_hi"]
        )


def test_five_shot_cost_includes_the_prefix(evaluation) -> None:
    from routerlab.evaluation.run import table_costs

    test_table = evaluation.test_table
    few, note = table_costs(test_table, ROUTELLM_PRICES, "few-shot")
    bare, _ = table_costs(test_table, ROUTELLM_PRICES, "question")
    strong = evaluation.pair.strong
    # the 5-shot prefix (~2,000 characters) is several times the question (~400)
    assert few[strong].mean() > 3 * bare[strong].mean()
    assert "5-shot" in note and np.allclose(evaluation.pair.strong_cost, few[strong])


def test_single_models_on_held_out_rows(evaluation) -> None:
    pair = evaluation.pair
    assert metric(evaluation, "always-weak", "accuracy") == pytest.approx(pair.q_weak)
    assert metric(evaluation, "always-strong", "accuracy") == pytest.approx(pair.q_strong)
    assert 0.67 < pair.q_weak < 0.69 and 0.80 < pair.q_strong < 0.81


def test_indomain_beats_length_and_oracle_beats_all(evaluation) -> None:
    for name in ("indomain-text", "indomain-subject"):
        assert metric(evaluation, name, "apgr") > metric(evaluation, "length", "apgr")
        assert metric(evaluation, name, "cpt50") < metric(evaluation, "length", "cpt50")
    assert all(check_claims(evaluation).values())
    text = conclusions(evaluation)
    assert f"{metric(evaluation, 'indomain-subject', 'apgr'):.3f}" in text
    assert "beats the best published" not in text and "above the best published" not in text


def test_per_subject_view(evaluation) -> None:
    view = per_subject(evaluation, "indomain-text")
    assert view["n"].sum() == evaluation.pair.n
    assert view["subject"].nunique() == 57
    # the router's overall strong share at the operating point is the share it was read at
    share = (view["strong_share"] * view["n"]).sum() / view["n"].sum()
    assert share == pytest.approx(evaluation.operating_share, abs=1e-3)
