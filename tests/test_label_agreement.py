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
