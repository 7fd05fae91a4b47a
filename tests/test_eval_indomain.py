"""The in-domain router and the embedding cache, on small synthetic data (no encoder loaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation import embeddings
from routerlab.evaluation.indomain import HARM, NEED, SAME, InDomainRouter, gain_labels, split_rows
from routerlab.evaluation.scoring import PairOutcomes, curve_metrics, threshold_curve
from routerlab.tables import OutcomeTable


def make_table(n: int = 400, seed: int = 0) -> OutcomeTable:
    """Prompts mentioning 'integral' (subject math) need the strong model; others do not."""
    rng = np.random.default_rng(seed)
    hard = rng.random(n) < 0.4
    prompts = [
        f"{'compute the integral of' if h else 'name the capital of'} item {i} {rng.integers(1000)}"
        for i, h in enumerate(hard)
    ]
    weak = np.where(hard, rng.random(n) < 0.2, rng.random(n) < 0.9)
    strong = np.where(hard, rng.random(n) < 0.9, rng.random(n) < 0.9)
    return OutcomeTable.from_frame(
        pd.DataFrame(
            {
                "prompt": prompts,
                "subject": np.where(hard, "math", "geo"),
                "weak": weak,
                "strong": strong,
            }
        )
    )


def test_gain_labels() -> None:
    labels = gain_labels(np.array([1, 0, 1, 0]), np.array([0, 1, 1, 0]))
    assert labels.tolist() == [NEED, HARM, SAME, SAME]


@pytest.mark.parametrize("features", [("subject",), ("tfidf",), ("tfidf", "length")])
def test_learns_which_prompts_need_the_strong_model(features: tuple[str, ...]) -> None:
    table = make_table()
    train, test = split_rows(len(table), train_rows=150, seed=1)
    router = InDomainRouter(features=features).fit(table, train, "strong", "weak")
    held = table.subset(test)
    apgr = curve_metrics(threshold_curve(PairOutcomes.from_table(held), router.strong_scores(held)))
    assert apgr["apgr"] > 0.75  # random is 0.5; the signal here is strong


def test_training_rows_are_capped_and_checked() -> None:
    table = make_table(2000)
    with pytest.raises(ConfigError, match="at most 1500"):
        InDomainRouter(features=("subject",)).fit(table, np.arange(1600), "strong", "weak")
    with pytest.raises(ConfigError, match="train_rows"):
        split_rows(2000, train_rows=1501)
    with pytest.raises(ConfigError, match="unknown in-domain features"):
        InDomainRouter(features=("bert",))
    with pytest.raises(ConfigError, match="not trained"):
        InDomainRouter(features=("subject",)).strong_scores(table)


def test_held_out_fraction_subsamples_the_rest() -> None:
    train, test = split_rows(1000, train_rows=100, held_out_fraction=0.5)
    assert len(train) == 100 and len(test) == 450
    assert not set(train) & set(test)


def test_embedding_cache_encodes_each_prompt_once(tmp_path: Path, monkeypatch) -> None:
    calls: list[list[str]] = []

    def fake_encode(texts, model, batch_size, max_length, progress):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    monkeypatch.setattr(embeddings, "_encode", fake_encode)
    first = embeddings.embed(["a", "bb"], cache_dir=tmp_path)
    second = embeddings.embed(["bb", "ccc", "a"], cache_dir=tmp_path)
    assert calls == [["a", "bb"], ["ccc"]]  # only the new prompt is encoded
    assert second[0].tolist() == first[1].tolist()
    assert second[1].tolist() == [3.0, 1.0]
