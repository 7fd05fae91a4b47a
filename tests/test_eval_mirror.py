"""Known values on the mirror's RouteLLM MMLU table (fixed held-out rows and seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from routerlab.evaluation.indomain import MAX_TRAIN_ROWS, split_rows
from routerlab.evaluation.report import check_claims, conclusions, per_subject, run_evaluation
from routerlab.outcomes import load_routellm_mmlu


@pytest.fixture(scope="module")
def evaluation():
    table = load_routellm_mmlu()
    routers = ["always-weak", "always-strong", "random", "length", "indomain", "oracle"]
    # subject features only: the fastest configuration (the default adds log length)
    return run_evaluation(table, routers, indomain_features=["subject"], random_seeds=range(10))


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


def test_single_models_on_held_out_rows(evaluation) -> None:
    pair = evaluation.pair
    assert metric(evaluation, "always-weak", "accuracy") == pytest.approx(pair.q_weak)
    assert metric(evaluation, "always-strong", "accuracy") == pytest.approx(pair.q_strong)
    assert 0.67 < pair.q_weak < 0.69 and 0.80 < pair.q_strong < 0.81


def test_indomain_beats_length_and_oracle_beats_all(evaluation) -> None:
    assert metric(evaluation, "indomain", "apgr") > metric(evaluation, "length", "apgr")
    assert metric(evaluation, "indomain", "cpt50") < metric(evaluation, "length", "cpt50")
    assert all(check_claims(evaluation).values())
    text = conclusions(evaluation)
    assert f"{metric(evaluation, 'indomain', 'apgr'):.3f}" in text


def test_per_subject_view(evaluation) -> None:
    view = per_subject(evaluation, "indomain")
    assert view["n"].sum() == evaluation.pair.n
    assert view["subject"].nunique() == 57
    # the router's overall strong share at the operating point is the share it was read at
    share = (view["strong_share"] * view["n"]).sum() / view["n"].sum()
    assert share == pytest.approx(evaluation.operating_share, abs=1e-3)
