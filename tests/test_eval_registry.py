"""Any registered router is evaluated through the registry: a router defined in this file, with
no other file touched, is scored by ``routerlab eval``; trainable ones train on training rows."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from routerlab.cli import main
from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.base import (
    Decision,
    Router,
    ScoringRouter,
    register_router,
    registry_restored,
)

HARD_WORDS = ("prove", "integral", "derive")


class KeywordRouter(ScoringRouter):
    """Prompts with a hard word go to the strongest model: the whole router is this class."""

    name = "test-keyword"

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        hard = np.array([any(w in p.lower() for w in HARD_WORDS) for p in prompts], dtype=float)
        scores = np.zeros((len(prompts), len(self.models)))
        scores[:, 0] = 1.0 - 0.9 * hard  # models are the pool's, cheapest first
        scores[:, -1] = 0.9 * hard
        return scores


class SeenRows(ScoringRouter):
    """Trainable: remembers the rows it was trained on; scores by the training share of strong
    wins per first word (so it needs training to score at all)."""

    name = "test-seen-rows"
    trained_on: ClassVar[list[np.ndarray]] = []

    def fit_table(self, table: Any, rows: np.ndarray, **kwargs: Any) -> SeenRows:
        SeenRows.trained_on.append(np.asarray(rows))
        strong, weak = kwargs["strong"], kwargs["weak"]
        sub = table.subset(rows)
        gain = sub.outcomes(strong) - sub.outcomes(weak)
        firsts = [p.split()[0] for p in sub.prompts]
        self.by_word = {w: float(np.mean([g for f, g in zip(firsts, gain, strict=True) if f == w]))
                        for w in set(firsts)}  # fmt: skip
        self.models = (weak, strong)
        return self

    def score_batch(
        self, prompts: Sequence[str], metadata: Mapping[str, Sequence[Any]] | None = None
    ) -> np.ndarray:
        gain = np.array([self.by_word.get(p.split()[0], 0.0) for p in prompts])
        return np.column_stack([(1 - gain) / 2, (1 + gain) / 2])


class AlwaysStrongest(Router):
    """Decides without scores: a point, not a curve."""

    name = "test-decider"

    def _decide(self, request: RouteRequest) -> Decision:
        return Decision(model=self.pool.names[-1], router=self.name)


@pytest.fixture
def test_routers() -> Iterator[None]:
    """Register this file's routers; the registry is restored afterwards."""
    with registry_restored():
        register_router(KeywordRouter.name)(KeywordRouter)
        register_router(SeenRows.name)(SeenRows)
        register_router(AlwaysStrongest.name)(AlwaysStrongest)
        SeenRows.trained_on.clear()
        yield


def write_table(folder: Path, n: int = 60) -> Path:
    """Hand-made outcomes: the weak model fails exactly the prompts with a hard word."""
    rows = ["id,prompt,subject,small,big"]
    for i in range(n):
        hard = i % 3 == 0
        verb = HARD_WORDS[(i // 3) % len(HARD_WORDS)] if hard else "name"
        prompt = f"{verb} item {i}: {'the statement' if hard else 'the capital'} number {i}"
        rows.append(f"q{i},{prompt},s{i % 2},{not hard},True")
    file = folder / "keyword_table.csv"
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return file


def run_eval(table: Path, *routers: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    args = ["eval", str(table), "--train-rows", "20", "--bootstrap", "20", "--json"]
    for name in routers:
        args += ["--router", name]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    return {r["router"]: r for r in out["routers"]} | {"_notes": out["notes"]}


def test_a_keyword_router_defined_here_is_evaluated_by_routerlab_eval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_routers: None
) -> None:
    table = write_table(tmp_path)
    records = run_eval(table, "test-keyword", "random", "oracle", "always-weak", capsys=capsys)
    keyword = records["test-keyword"]
    assert keyword["kind"] == "curve" and keyword["reads"] == "prompt text"
    assert keyword["n"] == 40  # 60 rows, 20 trained on by trainable routers, 40 held out
    # it sends exactly the prompts the weak model fails to the strong model: the oracle's curve
    assert keyword["apgr"] == pytest.approx(records["oracle"]["apgr"])
    assert keyword["cpt80"] == pytest.approx(records["oracle"]["cpt80"])
    assert keyword["apgr"] > records["random"]["apgr"]


def test_trainable_router_trains_on_training_rows_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_routers: None
) -> None:
    table = write_table(tmp_path)
    records = run_eval(table, "test-seen-rows", capsys=capsys)
    assert len(SeenRows.trained_on) == 1
    rows = SeenRows.trained_on[0]
    assert len(rows) == 20 and records["test-seen-rows"]["n"] == 40
    from routerlab.evaluation.indomain import split_rows

    train, test = split_rows(60, 20, 0)
    np.testing.assert_array_equal(rows, train)
    assert not set(rows.tolist()) & set(test.tolist())
    # first words separate the outcomes, so the trained router beats the diagonal
    assert records["test-seen-rows"]["apgr"] > 0.6


def test_a_deciding_router_is_a_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_routers: None
) -> None:
    records = run_eval(write_table(tmp_path), "test-decider", capsys=capsys)
    decider = records["test-decider"]
    assert decider["kind"] == "point" and decider["apgr"] is None
    assert decider["strong_share"] == 1.0  # the pool's strongest is not its cheapest


def test_unknown_router_names_the_registered_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_routers: None
) -> None:
    assert main(["eval", str(write_table(tmp_path)), "--router", "nope", "--train-rows", "20"]) == 2
    err = capsys.readouterr().err
    assert "unknown routers ['nope']" in err and "test-keyword" in err and "oracle" in err


def test_run_evaluation_refuses_unknown_names() -> None:
    from routerlab.evaluation.run import run_evaluation
    from routerlab.testing import make_outcome_table

    with pytest.raises(ConfigError, match="unknown routers"):
        run_evaluation(make_outcome_table(10, ("a", "b")), ["nope"], train_rows=2)


def test_classifier_without_a_model_dir_is_skipped_with_a_note(pool: Pool) -> None:
    from routerlab.evaluation.run import run_evaluation
    from routerlab.testing import make_outcome_table

    evaluation = run_evaluation(
        make_outcome_table(30, ("a", "b"), seed=0, accuracy=[0.3, 0.8]),
        ["classifier", "length"],
        train_rows=5,
        bootstrap=0,
        pool=pool,
        router_options={"classifier": {"model_dir": "/nonexistent/classifier"}},
    )
    assert [r.name for r in evaluation.results] == ["length"]
    assert "classifier: skipped (no trained model dir)" in evaluation.notes


def imported_modules(module: str) -> set[str]:
    """Every routerlab module a module imports, at the top or inside functions."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("routerlab")}


def test_the_evaluation_run_and_the_figures_do_not_import_each_other() -> None:
    for module in ("routerlab.evaluation.run", "routerlab.evaluation.results"):
        assert not [m for m in imported_modules(module) if m.startswith("routerlab.plots")]
    figures = imported_modules("routerlab.plots.evaluation")
    assert "routerlab.evaluation.results" in figures
    assert not figures & {"routerlab.evaluation.run", "routerlab.evaluation.study"}
    assert "routerlab.routers" not in imported_modules("routerlab.routers.base")


def test_a_router_that_cannot_be_built_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], test_routers: None
) -> None:
    table = str(write_table(tmp_path))
    # a judge needs a chat client or a profile: its own message names them
    assert main(["eval", table, "--router", "compact", "--train-rows", "20"]) == 2
    assert "judge routers need client" in capsys.readouterr().err

    @register_router("test-needs-arg")
    class NeedsArg(KeywordRouter):
        def __init__(self, pool: Pool, required: str) -> None:
            super().__init__(pool)

    assert main(["eval", table, "--router", "test-needs-arg", "--train-rows", "20"]) == 2
    err = capsys.readouterr().err
    assert "router 'test-needs-arg' cannot be built" in err and "--decisions" in err


def test_registry_fixture_leaves_no_test_router_behind() -> None:  # runs last in this file
    from routerlab.routers.base import router_names

    assert not [n for n in router_names() if n.startswith("test-")]


def test_a_small_two_model_table_works_with_the_defaults(tmp_path: Path, capsys) -> None:
    # issue 11: a 72-row table used to stop at "train_rows=1500 leaves no held-out rows"
    rng = np.random.default_rng(3)
    words = ["prove", "name", "list", "derive"]
    frame = {
        "id": [f"q{i}" for i in range(72)],
        "prompt": [f"{words[i % 4]} item {i}" for i in range(72)],
        "category": ["math" if i % 2 else "facts" for i in range(72)],  # text: metadata
        "big": rng.random(72) < 0.8,
        "small": rng.random(72) < 0.5,
    }
    import pandas as pd

    pd.DataFrame(frame).to_csv(tmp_path / "small.csv", index=False)
    assert main(["eval", str(tmp_path / "small.csv"), "--router", "indomain-text", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (
        "training rows: 36 (half of this 72-row table; at most 1500 on larger ones)" in out["notes"]
    )
    assert "strong = big, weak = small" in out["notes"]  # `category` is metadata, not a model
    [record] = out["routers"]
    assert record["router"] == "indomain-text" and record["n"] == 36
