"""Plot functions return Figures for a tiny evaluation (nothing shown or saved)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from routerlab.evaluation.costs import ModelPrice
from routerlab.evaluation.run import run_evaluation
from routerlab.evaluation.study import per_subject
from routerlab.plots import evaluation as plots
from routerlab.tables import OutcomeTable


def test_every_plot_returns_a_figure() -> None:
    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame(
        {
            "prompt": [f"prompt {i} " + "y" * int(rng.integers(50)) for i in range(n)],
            "subject": rng.choice(["a", "b", "c"], n),
            "weak": rng.random(n) < 0.5,
            "strong": rng.random(n) < 0.8,
        }
    )
    table = OutcomeTable.from_frame(frame)
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

    from routerlab.evaluation.study import best_learned_router

    def fake(*names):
        return SimpleNamespace(results=[SimpleNamespace(name=n) for n in names])

    assert best_learned_router(fake("random", "length", "indomain")) == "indomain"
    assert best_learned_router(fake("random", "length")) == "length"
    assert best_learned_router(fake("random", "always-weak")) is None
