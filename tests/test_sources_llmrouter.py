"""llmrouter_frame: LLMRouter's 9-model score table (mirror and hand-made files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from zeroeval_support import mirror_path, needs_llmrouter

from routerlab.evaluation.costs import ModelPrice
from routerlab.sources.llmrouter import llmrouter_frame, llmrouter_models, llmrouter_prices


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "llmrouter"
    folder.mkdir()
    candidates = {
        "m1": {"size": "7B", "input_price": 0.2, "output_price": 0.3},
        "m2": {"size": "70B", "input_price": 0.9, "output_price": 0.9},
        "m3": {"size": "9B", "input_price": 0.1, "output_price": 0.1},
    }
    (folder / "llm_candidates.json").write_text(json.dumps(candidates))
    records = [
        {"question": "q0", "scores": {"m2": 1.0, "m1": 0.0}, "cluster_id": 0},
        {"question": "q1", "scores": "{'m1': 0.5, 'm2': 1}", "cluster_id": 3},
    ]
    (folder / "train.json").write_text(json.dumps(records))
    (folder / "test.json").write_text(
        json.dumps([*records[:1], {"question": "q", "scores": {"m1": 1}}])
    )
    return tmp_path


def test_tiny_frame_reads_literal_string_scores(tiny: Path) -> None:
    frame = llmrouter_frame("train", mirror=tiny)
    assert list(frame.columns) == ["id", "prompt", "m1", "m2"]  # candidates order, scored only
    assert frame["id"].tolist() == ["train-0", "train-1"]
    assert frame["m1"].tolist() == [0.0, 0.5] and frame["m2"].tolist() == [1.0, 1.0]
    assert llmrouter_prices(tiny)["m1"] == ModelPrice(0.2, 0.3)
    assert llmrouter_models("train", tiny) == ["m1", "m2"]


def test_inconsistent_scores_and_bad_split_are_named(tiny: Path) -> None:
    with pytest.raises(ValueError, match="record 1: scores for"):
        llmrouter_frame("test", mirror=tiny)
    with pytest.raises(ValueError, match="allowed: train, test"):
        llmrouter_frame("dev", mirror=tiny)


@needs_llmrouter
def test_mirror_train_scores() -> None:
    """The mirror README's fact: mean score per model from about 0.18 (llama3-chatqa-1.5-8b) to
    about 0.62 (llama-3.1-nemotron-51b-instruct) on train."""
    train = llmrouter_frame("train", mirror=mirror_path())
    test = llmrouter_frame("test", mirror=mirror_path())
    assert len(train) == 5403 and len(test) == 355
    models = llmrouter_models("train", mirror_path())
    assert len(models) == 9 and list(test.columns[2:]) == models
    means = train[models].mean()
    assert means.idxmin() == "llama3-chatqa-1.5-8b" and abs(means.min() - 0.18) < 0.01
    assert means.idxmax() == "llama-3.1-nemotron-51b-instruct" and abs(means.max() - 0.62) < 0.01
    assert ((train[models] >= 0) & (train[models] <= 1)).all().all()
    prices = llmrouter_prices(mirror_path())
    assert set(models) <= set(prices)
    from routerlab.sources import llmrouter

    assert (
        llmrouter_prices() == llmrouter.LLMROUTER_PRICES
    )  # lazily read from $ROUTERLAB_DATA_MIRROR
