"""Plot functions return Figures for a tiny evaluation (nothing shown or saved)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.evaluation.costs import ModelPrice
from routerlab.evaluation.run import run_evaluation
from routerlab.evaluation.study import per_subject
from routerlab.plots import evaluation as plots
from routerlab.testing import make_outcome_table


def test_every_plot_returns_a_figure() -> None:
    table = make_outcome_table(
        120, ("weak", "strong"), seed=0, accuracy=[0.5, 0.8], subjects=("a", "b", "c")
    )
    prices = {"weak": ModelPrice(0.2, 0.2), "strong": ModelPrice(20.0, 20.0)}
    evaluation = run_evaluation(
        table,
        ["always-weak", "always-strong", "random", "length", "indomain", "oracle"],
        train_rows=40,
        indomain_features=["subject", "length"],
        random_seeds=[0, 1],
        prices=prices,
    )
    assert evaluation.pair.strong_cost is not None
    figures = [
        plots.quality_vs_share(evaluation),
        plots.quality_vs_cost(evaluation),
        plots.usage_bars(evaluation),
        plots.subject_view(per_subject(evaluation, "indomain")),
        plots.policy_curves(
            {"r": pd.DataFrame({"cost_per_prompt": [1.0, 2.0], "accuracy": [0.5, 0.7]})}
        ),
    ]
    assert all(isinstance(f, Figure) for f in figures)
    lines = figures[0].axes[0].get_lines()
    line_labels = [line.get_label() for line in lines]
    assert any(label.startswith("oracle") for label in line_labels)
    # the random diagonal is drawn on top of every curve, in its own colour
    diagonal = next(line for line in lines if line.get_label().startswith("random in expectation"))
    assert diagonal.get_zorder() > max(line.get_zorder() for line in lines if line is not diagonal)
    # it runs from always-weak to always-strong: share 0 -> 1, and mean weak -> strong cost
    pair = evaluation.pair
    assert list(diagonal.get_xdata()) == [0.0, 1.0]
    assert list(diagonal.get_ydata()) == [pair.q_weak, pair.q_strong]
    cost_diagonal = next(
        line
        for line in figures[1].axes[0].get_lines()
        if line.get_label().startswith("random in expectation")
    )
    assert pair.weak_cost is not None
    assert np.allclose(
        cost_diagonal.get_xdata(), [1000 * pair.weak_cost.mean(), 1000 * pair.strong_cost.mean()]
    )
    assert list(cost_diagonal.get_ydata()) == [pair.q_weak, pair.q_strong]
    # one colour per router: always-weak (a marker) and random (a curve) differ
    from matplotlib.colors import to_hex

    from routerlab.plots.palette import router_colour

    random_line = next(line for line in lines if line.get_label().startswith("random:"))
    assert to_hex(random_line.get_color()) == router_colour("random")
    weak_marker = next(
        c for c in figures[0].axes[0].collections if c.get_label().startswith("always-weak")
    )
    assert to_hex(weak_marker.get_facecolor()[0]) == router_colour("always-weak")
    assert router_colour("always-weak") != router_colour("random")
    # usage: share axes stay within [0, 1]; deciding and curve routers in separate panels
    usage_axes = figures[2].axes
    assert len(usage_axes) == 2 and all(ax.get_xlim() == (0.0, 1.0) for ax in usage_axes)
    titles = [ax.get_title(loc="left") for ax in usage_axes]
    assert "decide" in titles[0] and "curve" in titles[1]


def test_save_per_subject_picks_a_learned_router(tmp_path):
    from types import SimpleNamespace

    from routerlab.evaluation.study import best_learned_router, save_per_subject

    def fake(*names):
        return SimpleNamespace(results=[SimpleNamespace(name=n) for n in names])

    assert best_learned_router(fake("random", "length", "indomain")) == "indomain"
    assert best_learned_router(fake("random", "length")) == "length"
    assert best_learned_router(fake("random", "always-weak")) is None

    table = make_outcome_table(120, ("weak", "strong"), seed=3, subjects=("a", "b", "c"))
    prices = {"weak": ModelPrice(0.2, 0.2), "strong": ModelPrice(20.0, 20.0)}

    def evaluate(routers):
        return run_evaluation(
            table, routers, train_rows=40, indomain_features=["subject", "length"],
            random_seeds=[0], prices=prices,
        )  # fmt: skip

    learned = evaluate(["always-weak", "random", "length", "indomain"])
    figure, subjects = save_per_subject(learned, tmp_path / "out")
    assert isinstance(figure, Figure) and subjects is not None
    assert set(subjects["router"]) == {"indomain"}  # preferred over length
    assert sorted(subjects["subject"]) == ["a", "b", "c"]
    assert subjects["n"].sum() == len(learned.test_table.frame)
    saved = pd.read_csv(tmp_path / "out" / "per_subject.csv")
    assert saved["subject"].tolist() == subjects["subject"].tolist()
    assert (tmp_path / "out" / "per_subject.png").stat().st_size > 0

    none = evaluate(["always-weak", "random"])
    assert save_per_subject(none, tmp_path / "none") == (None, None)
    assert not (tmp_path / "none").exists()
