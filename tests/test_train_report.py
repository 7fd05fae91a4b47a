"""Results tables and figures of the classifier: measured and reported kept apart, honest labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_train_prepare import LABELS, make_labeled

from routerlab.plots.training import (
    plot_model_comparison,
    plot_reported_comparison,
    plot_training_curves,
)
from routerlab.training.prepare import prepare_data
from routerlab.training.report import (
    REPORTED_STATUS,
    check_claims,
    conclusions,
    reported_results,
    results_frame,
)
from routerlab.training.workflow import baseline_rows


def test_reported_numbers_are_labeled_and_carry_no_training_time():
    reported = reported_results()
    assert (reported["status"] == REPORTED_STATUS).all()
    assert "train_seconds" not in reported.columns
    assert set(reported["split"]) == {
        "study split (leaky)",
        "dedup split (exact-duplicate removal only)",
    }


def test_measured_rows_are_scored_on_test_with_intervals():
    data = prepare_data(make_labeled(150), LABELS)
    _, rows = baseline_rows(data)
    table = results_frame(rows)
    assert data.test is not None
    assert (table["eval_side"] == "test").all() and (table["eval_rows"] == len(data.test)).all()
    assert (table["split"] == "grouped split (honest)").all()
    assert (table["accuracy_low"] <= table["accuracy"]).all()
    assert (table["macro_f1"] <= table["macro_f1_high"]).all()
    assert table["train_seconds"].notna().all()
    study = results_frame(
        baseline_rows(prepare_data(make_labeled(150), LABELS, split_mode="study"))[1]
    )
    assert (study["split"] == "study split (leaky)").all() and (
        study["eval_side"] == "validation"
    ).all()
    # the closing text quotes the table's numbers and compares with the leaky split
    fake = table.assign(model=["majority", "finetuned_x"])
    text = conclusions(
        fake, "finetuned_x", study.assign(model=["majority", "tfidf_logreg"]), full_run=True
    )
    assert f"{fake.loc[1, 'macro_f1']:.4f}" in text and "not comparable" not in text
    claims = check_claims(fake, full_run=False, finetuned="finetuned_x")
    assert claims == {"fine-tuned model scored": True, "interval holds the point": True}


def test_figures_mark_the_selected_epoch_and_draw_no_reference_lines():
    history = pd.DataFrame(
        {
            "epoch": [0.5, 1.0, 1.0, 1.5, 2.0, 2.0],
            "loss": [1.1, 1.0, np.nan, 0.9, 0.8, np.nan],
            "eval_loss": [np.nan, np.nan, 0.95, np.nan, np.nan, 0.97],
            "eval_macro_f1": [np.nan, np.nan, 0.6, np.nan, np.nan, 0.55],
            "eval_accuracy": [np.nan, np.nan, 0.7, np.nan, np.nan, 0.68],
        }
    )
    fig = plot_training_curves(history, selected_epoch=1.0)
    for ax in fig.axes:
        marks = [line for line in ax.get_lines() if "selected epoch 1" in line.get_label()]
        assert len(marks) == 1 and list(marks[0].get_xdata()) == [1.0, 1.0]
    reported = reported_results()
    fig = plot_reported_comparison(reported[reported["split"] == "study split (leaky)"])
    (ax,) = fig.axes
    assert not ax.get_lines() and not ax.collections  # bars only: no line for a label to hide under
    assert "reported, not measured here" in ax.get_title()
    measured = pd.DataFrame(
        [
            {
                "model": "m",
                "accuracy": 0.7,
                "accuracy_low": 0.6,
                "accuracy_high": 0.8,
                "macro_f1": 0.6,
                "macro_f1_low": 0.5,
                "macro_f1_high": 0.7,
            }
        ]
    )
    (ax,) = plot_model_comparison(measured).axes
    labels = [t for t in ax.texts if t.get_text() == "0.700"]
    assert labels and labels[0].get_position()[1] > 0.8  # above the interval, not under it


def test_model_comparisons_use_the_shared_palette_and_draw_measured_intervals() -> None:
    from matplotlib.colors import to_hex

    from routerlab.plots.palette import ROUTER_COLOURS

    def row(model: str, **extra: float) -> dict:
        return {"model": model, "split": "s", "accuracy": 0.7, "macro_f1": 0.6, **extra}

    measured = pd.DataFrame([row("majority"), row("tfidf_logreg"), row("finetuned_MiniLM")])
    (ax,) = plot_model_comparison(measured).axes
    colours = {to_hex(p.get_facecolor()) for p in ax.patches}
    expected = {ROUTER_COLOURS[k] for k in ("majority", "tfidf_logreg", "classifier")}
    assert colours == expected
    reported = reported_results()
    study = reported[reported["split"] == "study split (leaky)"]
    tfidf = pd.DataFrame([row("tfidf_logreg", accuracy_low=0.6, accuracy_high=0.8)])
    (ax,) = plot_reported_comparison(study, tfidf).axes
    assert ax.collections  # the measured bar's interval is drawn
    faces = [to_hex(p.get_facecolor()) for p in ax.patches]
    assert ROUTER_COLOURS["tfidf_logreg"] in faces and ROUTER_COLOURS["classifier"] in faces
