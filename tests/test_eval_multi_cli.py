"""``routerlab eval`` on an unseen hand-made multi-model CSV (issue 11, "What must hold")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.cli import main
from routerlab.evaluation.multi_run import run_multi, split_rows
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable, read_outcome_csv

MODELS = ("tiny", "mid", "huge")
# USD per 1M input, output tokens; every row of a model has the same token counts, so each
# model's cost per prompt is the same on every row and can be computed by hand.
PRICES = {"tiny": (0.1, 0.4), "mid": (1.0, 4.0), "huge": (10.0, 40.0)}
TOKENS = {"tiny": (100, 50), "mid": (100, 80), "huge": (100, 200)}
TOPICS = ["sum the list", "reverse the string", "prove the bound", "integrate the curve"]


def cost_per_1k(model: str) -> float:
    (p_in, p_out), (t_in, t_out) = PRICES[model], TOKENS[model]
    return (t_in * p_in + t_out * p_out) / 1e6 * 1000


def write_table(folder: Path, n: int = 32) -> Path:
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        hard = topic in ("prove the bound", "integrate the curve")
        row = {
            "id": f"q{i:03d}",
            "prompt": f"{topic} number {i}",
            "reference": str(i * 7),
            # the tiny model solves the easy topics only, mid a bit more, huge nearly all
            "tiny": not hard,
            "mid": (not hard) or i % 3 == 0,
            "huge": i % 8 != 5,
        }
        for m in MODELS:
            row[f"{m}|input_tokens"], row[f"{m}|output_tokens"] = TOKENS[m]
        rows.append(row)
    file = folder / "three_models.csv"
    pd.DataFrame(rows).to_csv(file, index=False)
    return file


def price_args() -> list[str]:
    out = []
    for m, (p_in, p_out) in PRICES.items():
        out += ["--price", f"{m}={p_in},{p_out}"]
    return out


def test_json_has_every_record_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_table(tmp_path)
    argv = ["eval", str(file), "--models", ",".join(MODELS), *price_args(), "--json"]
    assert main([*argv, "--bootstrap", "100"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"table", "notes", "routers"}
    assert isinstance(out["notes"], list) and all(isinstance(n, str) for n in out["notes"])
    records = {r["router"]: r for r in out["routers"]}
    singles = {f"always:{m}" for m in MODELS}
    assert set(records) == singles | {"oracle", "random", "outcome-knn", "outcome-logistic"}

    # held-out rows: the default half, the same for every router
    table = read_outcome_csv(file)
    _, held, _ = split_rows(table, seed=0)
    assert {r["n"] for r in records.values()} == {len(held)} == {16}
    frame = pd.read_csv(file)
    for m in MODELS:
        rec = records[f"always:{m}"]
        assert rec["kind"] == "point"
        assert rec["quality"] == pytest.approx(frame[m].to_numpy(dtype=float)[held].mean())
        assert rec["cost_usd_per_1k"] == pytest.approx(cost_per_1k(m))
        assert "area_vs_hull" not in rec
    # the oracle: per row the cheapest model that is right (huge when none is)
    right = frame[list(MODELS)].to_numpy(dtype=bool)[held]
    first = np.where(right.any(axis=1), right.argmax(axis=1), 2)
    assert records["oracle"]["quality"] == pytest.approx(right.any(axis=1).mean())
    expected_cost = np.mean([cost_per_1k(MODELS[j]) for j in first])
    assert records["oracle"]["cost_usd_per_1k"] == pytest.approx(expected_cost)

    point_keys = {"router", "kind", "quality", "quality_ci", "cost_usd_per_1k",
                  "cost_usd_per_1k_ci", "n"}  # fmt: skip
    curve_keys = point_keys | {
        "knob",
        "quality_at_cheapest_cost",
        "quality_at_cheapest_cost_ci",
        "cost_to_best_share",
        "cost_to_best_share_ci",
        "area_vs_hull",
        "area_vs_hull_ci",
    }
    for name, rec in records.items():
        curve = name in ("random", "outcome-knn", "outcome-logistic")
        assert rec["kind"] == ("curve" if curve else "point")
        assert set(rec) == (curve_keys if curve else point_keys), name
        lo, hi = rec["quality_ci"]
        assert lo <= rec["quality"] <= hi
        lo, hi = rec["cost_usd_per_1k_ci"]
        assert lo <= rec["cost_usd_per_1k"] + 1e-12 and rec["cost_usd_per_1k"] <= hi + 1e-12
        if curve:
            for key in ("quality_at_cheapest_cost", "cost_to_best_share", "area_vs_hull"):
                value, ci = rec[key], rec[f"{key}_ci"]
                assert len(ci) == 2
                assert value is None or isinstance(value, float)
            assert isinstance(rec["area_vs_hull"], float)
            # every curve can spend as little as the cheapest model: all-cheapest is a knob value
            assert rec["quality_at_cheapest_cost"] == pytest.approx(
                records["always:tiny"]["quality"]
            )


def test_text_output_lists_every_router(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_table(tmp_path)
    assert main(["eval", str(file), "--models", ",".join(MODELS), *price_args(),
                 "--bootstrap", "50"]) == 0  # fmt: skip
    captured = capsys.readouterr()
    for name in ("always:tiny", "always:mid", "always:huge", "oracle", "random", "outcome-knn"):
        assert name in captured.out
    assert "area vs hull" in captured.out
    assert "note: cost: tiny, mid, huge from recorded input tokens" in captured.err
    assert "note: rows: random split (seed 0), train 16 / held-out 16" in captured.err


def test_budget_points_are_calibrated_on_training_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_table(tmp_path)
    budget = cost_per_1k("mid")
    assert main(["eval", str(file), *price_args(), "--budget", str(budget), "--json",
                 "--bootstrap", "0"]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["budget"]["usd_per_1k"] == pytest.approx(budget)
    points = {p["router"]: p for p in out["budget"]["routers"]}
    assert set(points) == {"random", "outcome-knn", "outcome-logistic"}
    for p in points.values():
        assert p["met"] is True
        assert p["train_cost_usd_per_1k"] <= budget + 1e-9  # chosen within budget on training
        assert 0.0 <= p["quality"] <= 1.0
    assert all(r["quality_ci"] == [None, None] for r in out["routers"])  # --bootstrap 0


def test_missing_price_names_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_table(tmp_path)
    assert main(["eval", str(file), "--price", "tiny=0.1,0.4", "--price", "mid=1,4"]) == 2
    err = capsys.readouterr().err
    assert "no cost for model 'huge'" in err and "--price MODEL=IN,OUT" in err


def test_two_model_options_refused_on_two_model_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_table(tmp_path)
    code = main(["eval", str(file), "--models", "tiny,huge", *price_args(), "--budget", "1"])
    assert code == 2
    assert "--budget apply to N-model tables" in capsys.readouterr().err


def test_fixed_split_column_is_honoured() -> None:
    frame = pd.DataFrame(
        {
            "prompt": [f"p{i} {'word ' * (i % 5)}" for i in range(12)],
            "split": ["train"] * 8 + ["test"] * 4,
            "a": [1, 0] * 6,
            "b": [1, 1, 0] * 4,
            "c": [1] * 12,
        }
    )
    table = OutcomeTable.from_frame(frame, models=["a", "b", "c"], metadata=["split"], name="fx")
    train, held, note = split_rows(table, held_out_fraction=0.25, seed=3)
    assert train.tolist() == list(range(8)) and held.tolist() == [8, 9, 10, 11]
    assert "fixed split" in note
    prices = {m: ModelPrice(1.0, 1.0) for m in "abc"}
    run = run_multi(table, routers=[], prices=prices, n_boot=0)
    assert run.evaluation.n == 4
    assert run.held_out_rows.tolist() == [8, 9, 10, 11]


def test_pool_decisions_scored_through_a_tier_map(tmp_path: Path) -> None:
    from routerlab.tiers import TierMap

    file = write_table(tmp_path)
    table = read_outcome_csv(file)
    # a recorded judge: pool model names for every prompt (cheap for even rows, strong else)
    decisions = pd.DataFrame(
        {
            "id": table.frame["id"],
            "model": ["gpt-4.1-nano" if i % 2 == 0 else "o4-mini" for i in range(len(table))],
            "router": "judge",
        }
    )
    path = tmp_path / "judge.csv"
    decisions.to_csv(path, index=False)
    tiers = TierMap.of({"gpt-4.1-nano": "tiny", "gpt-4.1": "mid", "o4-mini": "huge"})
    prices = {m: ModelPrice(*PRICES[m]) for m in MODELS}
    run = run_multi(table, routers=[], prices=prices, n_boot=0, tiers=tiers, decisions=[path])
    judge = run.evaluation.result("judge")
    held = run.held_out_rows
    picked = np.where(held % 2 == 0, 0, 2)
    q = table.matrix(list(MODELS))[held, picked]
    assert judge.kind == "point"
    assert judge.quality == pytest.approx(q.mean())
    assert judge.cost_usd_per_1k == pytest.approx(np.mean([cost_per_1k(MODELS[j]) for j in picked]))
    assert any(n.startswith("tier map") for n in run.all_notes())
    with pytest.raises(Exception, match="tier map"):
        run_multi(table, routers=[], prices=prices, n_boot=0, decisions=[path])


def test_train_router_saves_a_loadable_router(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from routerlab.learning import OutcomeRouter

    file = write_table(tmp_path)
    out = tmp_path / "router"
    budget = cost_per_1k("mid")
    argv = ["train-router", str(file), "--learner", "knn", "--out", str(out), *price_args(),
            "--budget", str(budget), "--json"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["models"] == list(MODELS)
    assert summary["train_rows"] == 16 and summary["held_out_rows"] == 16
    assert 0.0 <= summary["held_out_quality"] <= 1.0
    assert any("calibrated on out-of-fold" in n for n in summary["notes"])
    loaded = OutcomeRouter.load(out)
    assert loaded.models == MODELS
    assert loaded.lam == pytest.approx(summary["lam"])
    picks = loaded.choose_names(["sum the list number 99", "prove the bound number 98"])
    assert set(picks) <= set(MODELS)
    # a larger lam (cost weighs more) never picks a more expensive mix for the same prompts
    prompts = [f"{t} number {i}" for i, t in enumerate(TOPICS * 3)]
    cheap = loaded.choose(prompts, lam=1e6)
    assert (cheap == 0).all()


def test_train_router_needs_prices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = write_table(tmp_path)
    code = main(["train-router", str(file), "--out", str(tmp_path / "r"), "--price",
                 "tiny=0.1,0.4"])  # fmt: skip
    assert code == 2
    assert "no price for ['mid', 'huge']" in capsys.readouterr().err


def test_pool_scoring_router_scored_through_a_tier_map(tmp_path: Path) -> None:
    """A study router (scores pool models) gets a curve on the table's stand-in models."""
    from routerlab.pool import load_pool
    from routerlab.routers.base import ScoringRouter
    from routerlab.tiers import TierMap

    class Keyword(ScoringRouter):
        name = "keyword"

        def score_batch(self, prompts, metadata=None):  # type: ignore[no-untyped-def]
            hard = np.array([("prove" in p) or ("integrate" in p) for p in prompts], dtype=float)
            # columns in pool order (nano, 4.1, o4-mini): hard prompts to the reasoning model
            return np.column_stack([1 - hard, np.zeros_like(hard), hard])

    pool = load_pool()
    router = Keyword(pool)
    assert router.models[0] == "gpt-4.1-nano" and router.models[-1] == "o4-mini"
    table = read_outcome_csv(write_table(tmp_path))
    tiers = TierMap.of({"gpt-4.1-nano": "tiny", "gpt-4.1": "mid", "o4-mini": "huge"})
    prices = {m: ModelPrice(*PRICES[m]) for m in MODELS}
    run = run_multi(
        table, routers=[], prices=prices, n_boot=0, tiers=tiers, scoring_routers={"kw": router}
    )
    result = run.evaluation.result("kw")
    assert result.kind == "curve"
    held = run.held_out_rows
    prompts = [table.prompts[i] for i in held]
    hard = np.array([("prove" in p) or ("integrate" in p) for p in prompts])
    picked = np.where(hard, 2, 0)
    # at knob 0 the argmax is followed: easy -> tiny, hard -> huge
    at_zero = result.points[result.points["knob"] == 0.0].iloc[0]
    q = table.matrix(list(MODELS))[held, picked]
    assert at_zero["quality"] == pytest.approx(q.mean())
    # at knob 1 every prompt goes to the cheapest pool model's stand-in
    at_one = result.points[result.points["knob"] == 1.0].iloc[0]
    assert at_one["cost_usd_per_1k"] == pytest.approx(cost_per_1k("tiny"))
    assert any(n.startswith("tier map") for n in run.all_notes())


def test_classifier_without_a_model_is_skipped_with_a_note(tmp_path: Path) -> None:
    from routerlab.tiers import TierMap

    table = read_outcome_csv(write_table(tmp_path))
    tiers = TierMap.of({"gpt-4.1-nano": "tiny", "gpt-4.1": "mid", "o4-mini": "huge"})
    prices = {m: ModelPrice(*PRICES[m]) for m in MODELS}
    run = run_multi(
        table,
        routers=["classifier"],
        prices=prices,
        n_boot=0,
        tiers=tiers,
        classifier_dir=tmp_path / "absent",
    )
    assert any(n.startswith("classifier skipped: no trained classifier") for n in run.notes)
    assert "classifier" not in {r.name for r in run.evaluation.results}


def test_a_saved_router_is_scored_by_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_table(tmp_path)
    out = tmp_path / "kept"
    assert main(["train-router", str(file), "--out", str(out), *price_args(), "--json"]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert main(["eval", str(file), *price_args(), "--router", "outcome-knn", "--router-dir",
                 str(out), "--bootstrap", "0", "--json"]) == 0  # fmt: skip
    records = {r["router"]: r for r in json.loads(capsys.readouterr().out)["routers"]}
    rec = records["saved:kept"]
    assert rec["kind"] == "curve"
    assert rec["knob"] == pytest.approx(saved["lam"])  # its default knob is the saved lam
    # same rows (seed 0, half held out) as when it was trained: its saved figures come back
    assert rec["quality"] == pytest.approx(saved["held_out_quality"])
    assert rec["cost_usd_per_1k"] == pytest.approx(saved["held_out_cost_usd_per_1k"])


def test_cv_router_names_the_learner_cv_chose(tmp_path: Path) -> None:
    from routerlab.evaluation.multi_run import OUTCOME_ROUTERS

    table = read_outcome_csv(write_table(tmp_path))
    prices = {m: ModelPrice(*PRICES[m]) for m in MODELS}
    run = run_multi(table, routers=["outcome-cv"], prices=prices, n_boot=0, budget=1.0)
    fitted = run.trained["outcome-cv"]
    assert fitted.learner.startswith("cv:") and fitted.oof is not None
    assert fitted.oof.shape == (len(run.train_rows), 3)
    chosen = fitted.learner.removeprefix("cv:")
    assert any(n == f"outcome-cv: cross-validation inside the training rows chose {chosen}"
               for n in run.notes)  # fmt: skip
    assert run.evaluation.result("outcome-cv").kind == "curve"
    assert "outcome-cv" in {b.router for b in run.budget}
    assert OUTCOME_ROUTERS["outcome-cv"][0] == "cv"


def test_train_router_cv_saves_what_cv_chose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json as _json

    file = write_table(tmp_path)
    out = tmp_path / "cv"
    argv = ["train-router", str(file), "--learner", "cv", "--out", str(out), *price_args(),
            "--target-quality", "0.7", "--json"]  # fmt: skip
    assert main(argv) == 0
    summary = _json.loads(capsys.readouterr().out)
    chosen = [n for n in summary["notes"] if n.startswith("cross-validation inside")]
    assert len(chosen) == 1
    meta = _json.loads((out / "meta.json").read_text())
    assert meta["info"]["learner"] == "cv:" + chosen[0].rsplit(" ", 1)[-1]
