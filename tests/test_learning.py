"""Outcome learners, the cost-aware policy, calibration and save/load (routerlab.learning)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from routerlab.errors import ConfigError
from routerlab.learning import (
    CostModel,
    Ensemble,
    FactorModel,
    IRTModel,
    KNNPerModel,
    LengthFeaturizer,
    LogisticPerModel,
    OutcomeRouter,
    TfidfFeaturizer,
    calibrate,
    choose,
    cross_val_predict,
    lam_grid,
    make_featurizer,
    operating_point,
    select,
    sweep,
)


def _synthetic(n: int = 120, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Prompts with the word 'hard' are failed by the cheap model and passed by the strong one;
    a third 'aux' model fails them too (shared difficulty)."""
    rng = np.random.default_rng(seed)
    texts, Y, aux = [], [], []
    for i in range(n):
        hard = i % 2 == 0
        filler = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"], size=4))
        texts.append(f"{'hard puzzle' if hard else 'easy sum'} {filler} {i}")
        Y.append([0.0 if hard else 1.0, 1.0])
        aux.append([0.0 if hard else 1.0])
    return texts, np.array(Y), np.array(aux)


def _tfidf() -> TfidfFeaturizer:
    return TfidfFeaturizer("word", max_features=200)


LEARNERS = {
    "logistic": lambda: LogisticPerModel(_tfidf(), c=10.0),
    "logistic-sparse": lambda: LogisticPerModel(make_featurizer("tfidf"), c=10.0),
    "knn": lambda: KNNPerModel(_tfidf(), k=5, tau=0.1, alpha=0.5),
    "factor": lambda: FactorModel(_tfidf(), rank=2, epochs=200, lr=0.05),
    "irt": lambda: IRTModel(_tfidf(), epochs=200, lr=0.05, l2=1e-3),
    "ensemble": lambda: Ensemble([LogisticPerModel(_tfidf(), c=10.0), KNNPerModel(_tfidf(), k=5)]),
}


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_learners_separate_hard_from_easy_prompts(name: str) -> None:
    texts, Y, aux = _synthetic()
    learner = LEARNERS[name]().fit(texts[:80], Y[:80], aux=aux[:80])
    pred = learner.predict(texts[80:])
    assert pred.shape == (40, 2)
    assert ((pred >= 0) & (pred <= 1)).all()
    hard = np.array([t.startswith("hard") for t in texts[80:]])
    # the cheap model is predicted to fail the hard prompts and pass the easy ones
    assert pred[hard, 0].mean() < 0.5 < pred[~hard, 0].mean()


def test_logistic_handles_constant_and_missing_and_soft_outcomes() -> None:
    texts, Y, _ = _synthetic(40)
    Y = Y.copy()
    Y[::7, 0] = np.nan
    Y[1::4, 0] = 0.5  # soft score
    pred = LogisticPerModel(_tfidf(), c=1.0).fit(texts, Y).predict(texts)
    assert np.allclose(pred[:, 1], pred[0, 1])  # model 1 is always right: a constant
    assert pred[0, 1] > 0.99


def test_outcomes_are_checked() -> None:
    texts, Y, _ = _synthetic(10)
    with pytest.raises(ConfigError, match="shape"):
        LogisticPerModel(_tfidf()).fit(texts, Y[:5])
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        LogisticPerModel(_tfidf()).fit(texts, Y * 2)
    with pytest.raises(ConfigError, match="not fitted"):
        KNNPerModel(_tfidf()).predict(["x"])
    with pytest.raises(ConfigError, match="aux"):
        FactorModel(_tfidf(), epochs=1).fit(texts, Y, aux=np.zeros((3, 1)))
    with pytest.raises(ConfigError, match="unknown feature"):
        make_featurizer("bert")


def test_choose_by_hand() -> None:
    pred = np.array([[0.5, 0.9, 0.95], [0.9, 0.9, 0.9], [0.1, 0.2, 0.8]])
    costs = np.array([1.0, 10.0, 20.0])
    assert choose(pred, costs, 0.0).tolist() == [2, 0, 2]  # tie on row 1 goes to the cheapest
    # lam 0.01: row 0 values 0.49, 0.80, 0.75 -> model 1; row 2: 0.09, 0.10, 0.60 -> model 2
    assert choose(pred, costs, 0.01).tolist() == [1, 0, 2]
    assert choose(pred, costs, 1.0).tolist() == [0, 0, 0]
    per_prompt = np.array([[1.0, 10.0, 20.0], [1.0, 10.0, 20.0], [1.0, 50.0, 0.5]])
    assert choose(pred, per_prompt, 0.01).tolist() == [1, 0, 2]
    with pytest.raises(ConfigError, match="lam"):
        choose(pred, costs, -1.0)
    with pytest.raises(ConfigError, match="costs"):
        choose(pred, costs[:2], 0.0)


def test_sweep_runs_from_best_prediction_to_cheapest() -> None:
    rng = np.random.default_rng(1)
    pred = rng.uniform(size=(50, 3))
    costs = np.array([1.0, 5.0, 9.0])
    lams = lam_grid(pred, costs, points=30)
    choices = sweep(pred, costs, lams)
    assert choices.shape == (len(lams), 50)
    assert (choices[0] == pred.argmax(axis=1)).all()
    assert (choices[-1] == 0).all()
    spent = costs[choices].mean(axis=1)
    assert (np.diff(spent) <= 1e-12).all()  # a larger lam never spends more


def test_calibrate_for_budget_and_quality() -> None:
    # Two models; the strong one (cost 10) is right everywhere, the cheap one (cost 1) on even rows.
    n = 100
    outcomes = np.column_stack([np.arange(n) % 2 == 0, np.ones(n)]).astype(float)
    pred = np.clip(outcomes + 0.05, 0, 1) * 0.9  # a good ranking, not calibrated
    costs = np.array([1.0, 10.0])
    realised = np.tile(costs, (n, 1))
    cal = calibrate(pred, costs, target_budget=5.5, outcomes=outcomes, realised_costs=realised)
    assert cal.met and cal.expected.cost_usd_per_1k <= 5.5
    assert cal.expected.quality == 1.0  # send the odd rows up: cost 5.5, everything right
    cal_q = calibrate(pred, costs, target_quality=0.5, outcomes=outcomes, realised_costs=realised)
    assert cal_q.met and cal_q.expected.cost_usd_per_1k == 1.0  # all-cheap already gives 0.5
    cal_low = calibrate(pred, costs, target_budget=0.5, outcomes=outcomes, realised_costs=realised)
    assert not cal_low.met and cal_low.expected.cost_usd_per_1k == 1.0
    point = operating_point(cal.lam, pred, costs, outcomes, realised)
    assert point.shares == (0.5, 0.5)
    with pytest.raises(ConfigError, match="exactly one"):
        calibrate(pred, costs)


def test_cross_val_predict_and_select_see_training_rows_only() -> None:
    texts, Y, _aux = _synthetic(60)
    oof = cross_val_predict(LEARNERS["logistic"], texts, Y, folds=3)
    assert oof.shape == Y.shape and np.isfinite(oof).all()
    picked = select({"logistic": LEARNERS["logistic"], "knn": LEARNERS["knn"]}, texts, Y, folds=3)
    assert picked.name in ("logistic", "knn")
    assert set(picked.scores) == {"logistic", "knn"}


def test_cost_model_uses_prompt_tokens_and_prices() -> None:
    texts = ["short", "a much longer prompt " * 20]
    out = np.array([[10.0, 100.0], [30.0, 300.0]])
    model = CostModel([(1.0, 2.0), (3.0, 4.0)]).fit(texts, out)
    costs = model.predict(texts)
    from routerlab.tokens import count_tokens

    tin = count_tokens(texts[1])
    assert costs[1, 0] == pytest.approx((tin * 1.0 + 20.0 * 2.0) / 1e6 * 1000)
    assert costs[1, 1] == pytest.approx((tin * 3.0 + 200.0 * 4.0) / 1e6 * 1000)
    ridge = CostModel([(1.0, 2.0), (3.0, 4.0)], mode="ridge", featurizer=LengthFeaturizer())
    assert ridge.fit(texts, out).predict(texts).shape == (2, 2)
    with pytest.raises(ConfigError, match="mode"):
        CostModel([(1.0, 1.0)], mode="oracle")


def test_outcome_router_saves_and_loads(tmp_path) -> None:
    texts, Y, aux = _synthetic(60)
    predictor = IRTModel(_tfidf(), epochs=100, lr=0.05).fit(texts, Y, aux=aux)
    costs = CostModel([(0.15, 0.6), (3.0, 12.0)]).fit(texts, np.full((60, 2), 100.0))
    router = OutcomeRouter(("cheap", "strong"), predictor, costs, lam=0.5, features="tfidf")
    folder = router.save(tmp_path / "router")
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["models"] == ["cheap", "strong"]
    assert meta["prices"]["strong"] == {"input": 3.0, "output": 12.0}
    assert meta["learner"] == "irt" and meta["lam"] == 0.5
    loaded = OutcomeRouter.load(folder)
    probe = ["hard puzzle alpha", "easy sum beta"]
    assert np.allclose(loaded.predict(probe), router.predict(probe))
    assert loaded.choose_names(probe, lam=0.0) == router.choose_names(probe, lam=0.0)
    assert loaded.choose_names(probe, lam=0.0) == ["strong", "strong"]  # quality only
    # at the saved lam (0.5 per USD/1k; strong ~1.2 USD/1k dearer) only the hard prompt goes up
    assert loaded.choose_names(probe) == ["strong", "cheap"]
    with pytest.raises(ConfigError, match="not a saved outcome router"):
        OutcomeRouter.load(tmp_path)
    with pytest.raises(ConfigError, match="prices"):
        OutcomeRouter(("a", "b", "c"), predictor, costs)


def test_train_outcome_router_selects_calibrates_and_saves(tmp_path) -> None:
    from routerlab.learning import train_outcome_router

    texts, Y, aux = _synthetic(60)
    router = train_outcome_router(
        texts,
        Y,
        ("cheap", "strong"),
        [(0.15, 0.6), (3.0, 12.0)],
        np.full((60, 2), 100.0),
        aux=aux,
        candidates={"logistic": LEARNERS["logistic"], "knn": LEARNERS["knn"]},
        folds=3,
        target_quality=0.95,
    )
    assert router.info["chosen"] in ("logistic", "knn")
    cal = router.info["calibration"]
    assert cal["target"] == "quality" and cal["met_on_training_rows"]
    assert cal["oof_quality"] >= 0.95
    # half the prompts are hard: a router meeting 95 % must send them up and keep easy ones down
    names = router.choose_names(["hard puzzle alpha 1", "easy sum beta 2"])
    assert names == ["strong", "cheap"]
    loaded = OutcomeRouter.load(router.save(tmp_path / "r"))
    assert loaded.info["calibration"] == cal and loaded.lam == router.lam
    with pytest.raises(ConfigError, match="outcome columns"):
        train_outcome_router(texts, Y, ("a",), [(1.0, 1.0)], np.ones((60, 1)))


def test_knn_takes_the_sparse_tfidf_featurizer() -> None:
    # make_featurizer("tfidf") alone returns a sparse matrix; the kNN densifies it for its norms
    from routerlab.learning import KNNPerModel, make_featurizer

    texts = [f"prove item {i}" if i % 2 else f"name thing {i}" for i in range(40)]
    Y = np.array([[float(i % 2 == 0), 1.0] for i in range(40)])
    pred = (
        KNNPerModel(make_featurizer("tfidf"))
        .fit(texts, Y)
        .predict(["prove item 99", "name thing 98"])
    )
    assert pred.shape == (2, 2)
    assert pred[0, 0] < pred[1, 0]  # the cheap model fails "prove" prompts in training
