import matplotlib
import pytest
from sklearn.metrics import cohen_kappa_score

from routerlab.labeling.agreement import agreement, cohen_kappa
from routerlab.plots.labeling import plot_cleaning, plot_confusion, plot_distributions

matplotlib.use("Agg")

A = ["n", "n", "n", "g", "g", "o", "o", "n", "g", "n"]
B = ["n", "g", "n", "g", "o", "o", "n", "n", "g", "n"]


def test_kappa_matches_sklearn():
    assert cohen_kappa(A, B) == pytest.approx(cohen_kappa_score(A, B))
    assert cohen_kappa(["x"] * 4, ["x"] * 4) == 0.0


def test_agreement_report():
    res = agreement(A, B, labels=["n", "g", "o"], name_a="study", name_b="new")
    assert res.n == 10
    assert res.accuracy == pytest.approx(0.7)
    assert res.majority_accuracy == pytest.approx(0.5)
    assert res.confusion.loc["n", "g"] == 1 and res.confusion.loc["o", "n"] == 1
    assert int(res.confusion.to_numpy().sum()) == 10
    dist = res.distribution.set_index("label")
    assert dist.loc["n", "study_count"] == 5 and dist.loc["n", "new_count"] == 5
    assert dist.loc["o", "new_count"] == 2


def test_pairs_with_an_empty_label_are_left_out():
    res = agreement(["a", "", "b"], ["a", "b", ""])
    assert res.n == 1 and res.accuracy == 1.0
    with pytest.raises(ValueError, match="length"):
        agreement(["a"], ["a", "b"])


def test_figures():
    import pandas as pd

    res = agreement(A, B)
    assert plot_confusion(res, note="stand-in").axes
    assert plot_distributions(res).axes
    report = pd.DataFrame(
        {"step": ["input", "empty"], "removed": [0, 2], "remaining": [5, 3], "note": ["", ""]}
    )
    assert plot_cleaning(report).axes


def test_agreement_conclusion_is_written_from_numbers(tmp_path):
    import pandas as pd

    from routerlab.labeling import pipeline

    labeled = pd.DataFrame(
        {
            pipeline.STUDY_LABEL: ["a", "a", "a", "b"],
            "label": ["a", "a", "a", "a"],
        }
    )
    agree = pipeline.compare_with_study(labeled, ["a", "b"], "stand-in")
    text = pipeline.agreement_conclusion(agree, stand_in=True)
    assert "**75.0%**" in text and "no better than always answering" in text
    assert "offline stand-in" in text
    better = pipeline.compare_with_study(
        labeled.assign(label=["a", "a", "a", "b"]), ["a", "b"], "j"
    )
    assert "25.0% above the majority baseline" in pipeline.agreement_conclusion(
        better, stand_in=False
    )
    figures = pipeline.save_agreement(agree, tmp_path, note="n")
    assert [f.name for f in figures] == ["confusion.png", "distribution.png"]
    assert (tmp_path / "agreement.csv").is_file()
    no_ref = labeled.drop(columns=[pipeline.STUDY_LABEL])
    assert pipeline.compare_with_study(no_ref, ["a", "b"], "j") is None
    assert pipeline.save_agreement(None, tmp_path) == []
    assert "no reference labels" in pipeline.agreement_conclusion(None, stand_in=False)
