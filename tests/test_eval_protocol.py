"""Honest-evaluation machinery on hand-made data: RouteLLM's 10-bin grid, CV selection that never
reads held-out rows, the few-shot prefix in the cost, the shared palette, dropping matched rows."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation import indomain
from routerlab.evaluation.costs import ModelPrice, cost_arrays
from routerlab.evaluation.decontam import rows_with_questions
from routerlab.evaluation.fewshot import few_shot_prefix, prefix_tokens_per_row
from routerlab.evaluation.indomain import InDomainRouter, fit_selected, select_by_cv, split_rows
from routerlab.evaluation.run import run_evaluation
from routerlab.evaluation.scoring import (
    PairOutcomes,
    curve_metrics,
    qcut_curve,
    qcut_thresholds,
)
from routerlab.plots.palette import ROUTER_COLOURS, router_colour
from routerlab.tables import OutcomeTable


def pair_of(strong: list[int], weak: list[int]) -> PairOutcomes:
    return PairOutcomes("s", "w", np.array(strong, float), np.array(weak, float))


# ----------------------------------------------------------------------------- 10-bin grid


def test_qcut_grid_on_a_hand_computed_example() -> None:
    # 4 prompts, 2 bins: edges at min 1, median 2.5, max 4.
    pair = pair_of(strong=[1, 1, 0, 1], weak=[0, 1, 0, 0])  # q_weak 0.25, q_strong 0.75
    scores = np.array([1.0, 2.0, 3.0, 4.0])
    assert qcut_thresholds(scores, 2).tolist() == [1.0, 2.5, 4.0]
    curve = qcut_curve(pair, scores, bins=2)
    # max edge: score > 4 -> nobody strong; 2.5: prompts 3, 4 strong; min edge: everyone
    assert curve["strong_share"].tolist() == [0.0, 0.5, 1.0]
    assert curve["quality"].tolist() == [0.25, 0.5, 0.75]
    assert curve["pgr"].tolist() == [0.0, 0.5, 1.0]
    # trapezoid: (0 + 0.5) / 2 * 0.5 + (0.5 + 1) / 2 * 0.5
    assert curve_metrics(curve)["apgr"] == pytest.approx(0.5)


def test_qcut_thresholds_match_pandas_qcut_bin_edges() -> None:
    scores = np.random.default_rng(3).random(997)
    _, edges = pd.qcut(scores, 10, retbins=True)
    assert np.allclose(qcut_thresholds(scores, 10), edges)
    assert len(qcut_thresholds(scores)) == 11


def test_qcut_grid_is_coarser_than_the_full_grid() -> None:
    rng = np.random.default_rng(0)
    strong, weak = (rng.random(500) < 0.8).astype(int), (rng.random(500) < 0.6).astype(int)
    pair = pair_of(strong.tolist(), weak.tolist())
    curve = qcut_curve(pair, rng.random(500))
    assert len(curve) == 11 and curve["strong_share"].iloc[0] == 0.0
    assert curve["strong_share"].iloc[-1] == 1.0


# ----------------------------------------------------------------------------- CV selection


def make_table(n: int = 300, seed: int = 0) -> OutcomeTable:
    rng = np.random.default_rng(seed)
    hard = rng.random(n) < 0.4
    prompts = [
        f"{'compute the integral of' if h else 'name the capital of'} item {i}"
        for i, h in enumerate(hard)
    ]
    weak = np.where(hard, rng.random(n) < 0.2, rng.random(n) < 0.9)
    strong = np.where(hard, rng.random(n) < 0.9, rng.random(n) < 0.9)
    frame = pd.DataFrame(
        {
            "id": [f"row{i}" for i in range(n)],
            "prompt": prompts,
            "subject": np.where(hard, "math", "geo"),
            "weak": weak,
            "strong": strong,
        }
    )
    return OutcomeTable.from_frame(frame)


def test_selection_refuses_held_out_rows() -> None:
    table = make_table()
    train, test = split_rows(len(table), 150, seed=0)
    with pytest.raises(ConfigError, match="also held-out rows"):
        select_by_cv(
            table,
            np.r_[train, test[:3]],
            "strong",
            "weak",
            candidates=[("length",)],
            held_out_rows=test,
        )


def test_selection_and_fit_only_ever_see_training_rows(monkeypatch) -> None:
    table = make_table()
    train, test = split_rows(len(table), 150, seed=1)
    id_of = dict(zip(table.prompts, table.frame["id"], strict=True))  # prompts are unique
    train_ids = set(table.frame["id"].iloc[train])
    seen: list[set[str]] = []
    original_features = InDomainRouter._features_of

    def spy(self, prompts, subjects):  # every feature matrix built in selection and fitting
        seen.append({id_of[p] for p in prompts})
        return original_features(self, prompts, subjects)

    monkeypatch.setattr(InDomainRouter, "_features_of", spy)
    router, selection = fit_selected(
        table, train, "strong", "weak", variant=indomain.WITH_SUBJECT, folds=3, held_out_rows=test
    )
    assert seen and all(ids <= train_ids for ids in seen)
    assert selection.features in indomain.VARIANTS[indomain.WITH_SUBJECT]
    assert len(selection.candidates) == 3 * len(indomain.C_GRID)
    # only afterwards are held-out rows scored
    seen.clear()
    router.strong_scores(table.subset(test))
    assert seen[0] == set(table.frame["id"].iloc[test])


def test_text_only_variant_never_reads_the_subject() -> None:
    for features in indomain.VARIANTS[indomain.TEXT_ONLY]:
        assert "subject" not in features
    assert all("subject" in f for f in indomain.VARIANTS[indomain.WITH_SUBJECT])


def test_run_evaluation_names_the_variants_and_what_they_read() -> None:
    table = make_table(400)
    ev = run_evaluation(
        table,
        ["random", "indomain-text", "indomain-subject"],
        train_rows=200,
        cv_folds=3,
        random_seeds=range(3),
        bootstrap=20,
    )
    m = ev.metrics().set_index("router")
    assert m.loc["indomain-subject", "reads"] == "MMLU subject"
    assert m.loc["indomain-text", "reads"] == "prompt text"
    assert "gateway never sees" in m.loc["indomain-subject", "label"]
    assert m.loc["random", "apgr_min"] <= m.loc["random", "apgr"] <= m.loc["random", "apgr_max"]
    assert any("CV inside its 200 training rows" in note for note in ev.notes)


@pytest.mark.parametrize(
    ("features", "reads"), [(("subject", "length"), "MMLU subject"), (("length",), "prompt text")]
)
def test_fixed_feature_indomain_reads_what_its_features_read(
    features: tuple[str, ...], reads: str
) -> None:
    """``indomain`` with the subject feature reads benchmark metadata: the metrics table, the
    published comparison and the conclusions must not present it as a prompt-only router."""
    from routerlab.evaluation.comparisons import published_comparison
    from routerlab.evaluation.study import conclusions

    ev = run_evaluation(
        make_table(400),
        ["random", "indomain"],
        train_rows=200,
        cv_folds=3,
        random_seeds=range(3),
        indomain_features=features,
    )
    assert ev.metrics().set_index("router").loc["indomain", "reads"] == reads
    rows = published_comparison(ev)
    verdicts = rows[rows["router"].str.startswith("in-domain, fixed")]["comparable"]
    assert len(verdicts) == 2
    comparable = [v.startswith("comparable") for v in verdicts]
    text = conclusions(ev)
    if reads == "MMLU subject":
        assert not any(comparable)
        assert "reads the MMLU subject" in text
    else:
        assert any(comparable)
        assert "reads the MMLU subject" not in text


# ----------------------------------------------------------------------------- few-shot cost


def test_few_shot_prefix_text_and_cost() -> None:
    dev = pd.DataFrame(
        {
            "subject": ["astronomy", "astronomy"],
            "question": ["Is the Sun a star?", "Is the Moon a planet?"],
            "choices": [["Yes", "No", "Maybe", "Never"], ["Yes", "No", "Maybe", "Never"]],
            "answer": [0, 1],
        }
    )
    prefix = few_shot_prefix("astronomy", dev, k=2)
    assert prefix == (
        "The following are multiple choice questions (with answers) about astronomy.\n\n"
        "Is the Sun a star?\nA. Yes\nB. No\nC. Maybe\nD. Never\nAnswer: A\n\n"
        "Is the Moon a planet?\nA. Yes\nB. No\nC. Maybe\nD. Never\nAnswer: B\n\n"
    )
    with pytest.raises(ConfigError, match="3 few-shot examples needed"):
        few_shot_prefix("astronomy", dev, k=3)
    # recorded token counts, so only the prefix is estimated: 10 + 30 input tokens, 1 output
    table = OutcomeTable.from_frame(
        pd.DataFrame(
            {
                "prompt": ["q1", "q2"],
                "subject": ["astronomy", "astronomy"],
                "m": [True, False],
                "m::prompt_tokens": [10, 20],
            }
        )
    )
    price = {"m": ModelPrice(1_000_000.0, 1_000_000.0)}  # one dollar a token
    assert cost_arrays(table, price)["m"].tolist() == [11.0, 21.0]  # recorded counts win


def test_prefix_tokens_are_added_to_estimated_input() -> None:
    table = OutcomeTable.from_frame(
        pd.DataFrame({"prompt": ["hello", "hello"], "subject": ["a", "b"], "m": [1, 0]})
    )
    price = {"m": ModelPrice(1_000_000.0, 0.0)}
    try:
        bare = cost_arrays(table, price)["m"]
        prefixes = {"a": "hello", "b": "hello hello hello"}
        extra = prefix_tokens_per_row(table, prefixes)
    except Exception as exc:  # tokenizer files absent on this machine
        pytest.skip(f"o200k tokenizer unavailable: {exc}")
    with_prefix = cost_arrays(table, price, prefix_tokens=extra)["m"]
    assert extra[1] > extra[0] > 0
    assert np.allclose(with_prefix - bare, extra)
    with pytest.raises(ConfigError, match="no few-shot prefix"):
        prefix_tokens_per_row(table, {"a": "x"})
    with pytest.raises(ConfigError, match="one count per row"):
        cost_arrays(table, price, prefix_tokens=np.array([1.0]))


# ----------------------------------------------------------------------------- palette


def test_palette_is_distinct_and_stable_across_processes() -> None:
    colours = list(ROUTER_COLOURS.values())
    assert len(set(colours)) == len(colours)
    assert router_colour("always-weak") != router_colour("random")
    assert router_colour("router (compact)") == router_colour("compact")
    assert router_colour("fixed (gpt-4.1), compact run") == router_colour("fixed")
    code = "from routerlab.plots.palette import router_colour; print(router_colour('my-router'))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outs == {router_colour("my-router")}


# ----------------------------------------------------------------------------- decontamination


def test_rows_with_matched_questions_leave_the_held_out_set() -> None:
    prompts = [f"Question {i} about the sky?\nA. a\nB. b\nC. c\nD. d\nAnswer:" for i in range(60)]
    rng = np.random.default_rng(0)
    table = OutcomeTable.from_frame(
        pd.DataFrame(
            {"prompt": prompts, "strong": rng.random(60) < 0.8, "weak": rng.random(60) < 0.5}
        )
    )
    _, test = split_rows(60, 10, 0)
    k = int(test[0])  # a held-out row
    rows = rows_with_questions(table, [f"question {k} about the SKY", "not in the table"])
    assert rows.tolist() == [k]
    ev = run_evaluation(table, ["always-weak"], train_rows=10, exclude_rows=rows, bootstrap=0)
    assert k not in ev.test_rows and len(ev.test_rows) == len(test) - 1
    assert ev.pair.n == len(test) - 1
    assert any(note.startswith("dropped 1 held-out rows") for note in ev.notes)


def test_classifier_is_compared_with_routellm_without_in_domain_data() -> None:
    from routerlab.evaluation.comparisons import published_comparison
    from routerlab.evaluation.published import PUBLISHED, PUBLISHED_NO_INDOMAIN
    from routerlab.evaluation.study import conclusions

    table = make_table(300)
    prompts = table.frame["prompt"]
    hard = {p: float("integral" in p) for p in prompts}
    ev = run_evaluation(
        table,
        ["random"],
        train_rows=100,
        random_seeds=range(2),
        bootstrap=20,
        scorers={"classifier": lambda ps: np.array([hard[p] for p in ps])},
    )
    rows = published_comparison(ev)
    refs = rows[rows["comparable"].str.startswith("reference")].set_index("apgr")
    assert set(refs.index) == {PUBLISHED["apgr"], PUBLISHED_NO_INDOMAIN["apgr"]}
    assert "classifier" in refs.loc[PUBLISHED_NO_INDOMAIN["apgr"], "comparable"]
    verdict = rows[(rows["router"] == "classifier") & (rows["grid"] == "qcut10")]["comparable"]
    assert f"{PUBLISHED_NO_INDOMAIN['apgr']:.3f}" in verdict.iloc[0]
    assert f"{PUBLISHED_NO_INDOMAIN['apgr']:.3f}" in conclusions(ev)
