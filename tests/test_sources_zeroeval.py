"""zeroeval_frame: the table built from ZeroEval's reply files (mirror and hand-made files)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from zeroeval_support import mirror_path, needs_zeroeval

from routerlab.sources.zeroeval import (
    OPEN_TRIO,
    OPENAI_TRIO,
    ZEROEVAL_MODELS,
    ZEROEVAL_PRICES,
    zeroeval_frame,
)


def _tokenizer_available() -> bool:
    from routerlab.tokens import TokenizerUnavailableError, get_encoding

    try:
        get_encoding("o200k_base")
    except TokenizerUnavailableError:
        return False
    return True


def _write(folder: Path, model: str, records: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{model}.json").write_text(json.dumps(records), encoding="utf-8")


def _record(i: int, answer: str, reply: str) -> dict[str, object]:
    return {
        "id": f"crux-test-#{i}",
        "question": f"q{i}",
        "answer": answer,
        "output": [reply],
        "generator": "x",
    }


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if not _tokenizer_available():
        pytest.skip("no o200k encoding offline (needs the mirror's tiktoken_cache or bpe-openai)")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "zeroeval" / "crux"
    _write(
        folder, "a", [_record(0, "8.5", '{"answer": "8.50"}'), _record(1, "'x'", '{"answer": "y"}')]
    )
    _write(
        folder,
        "b",
        [
            _record(0, "8.5", '{"answer": "8.5"}'),
            _record(1, "'x'", '```json\n{"answer": "\'x\'"}\n```'),
        ],
    )
    return tmp_path


def test_tiny_frame_columns_grades_and_tokens(tiny: Path) -> None:
    from routerlab.tokens import count_tokens

    value = zeroeval_frame("crux", mirror=tiny)
    assert list(value.columns[:4]) == ["id", "prompt", "task", "reference"]
    assert value["a"].tolist() == [True, False] and value["b"].tolist() == [True, True]
    published = zeroeval_frame("crux", mirror=tiny, grading="published")
    assert published["a"].tolist() == [False, False]  # 8.50 is not the string 8.5
    assert value["a|input_tokens"].tolist() == [count_tokens("q0"), count_tokens("q1")]
    assert value["b|output_tokens"].iloc[1] == count_tokens('```json\n{"answer": "\'x\'"}\n```')
    with_overhead = zeroeval_frame("crux", mirror=tiny, prompt_overhead_tokens=100)
    assert (with_overhead["a|input_tokens"] - value["a|input_tokens"]).tolist() == [100, 100]
    # a second process-level call is served from the caches and gives the same frame
    assert zeroeval_frame("crux", mirror=tiny).equals(value)


def test_models_must_share_ids(tiny: Path) -> None:
    folder = tiny / "zeroeval" / "crux"
    _write(folder, "c", [_record(0, "8.5", "{}"), _record(2, "'x'", "{}")])
    with pytest.raises(ValueError, match="same ids"):
        zeroeval_frame("crux", mirror=tiny)
    assert list(zeroeval_frame("crux", models=["a", "b"], mirror=tiny).columns[4:6]) == ["a", "b"]


def test_bad_arguments_are_named(tiny: Path) -> None:
    with pytest.raises(ValueError, match="allowed: crux, math-l5"):
        zeroeval_frame("gsm", mirror=tiny)
    with pytest.raises(ValueError, match="allowed: value, published"):
        zeroeval_frame("crux", mirror=tiny, grading="loose")
    with pytest.raises(ValueError, match="available: a, b"):
        zeroeval_frame("crux", models=["a", "zz"], mirror=tiny)
    with pytest.raises(FileNotFoundError, match="zeroeval-math-l5"):
        zeroeval_frame("math-l5", mirror=tiny)


def test_prices_and_trios_cover_the_models() -> None:
    assert set(ZEROEVAL_PRICES) == set(ZEROEVAL_MODELS)
    assert set(OPENAI_TRIO) | set(OPEN_TRIO) <= set(ZEROEVAL_MODELS)
    cheap, strong, reasoning = (ZEROEVAL_PRICES[m] for m in OPENAI_TRIO)
    assert cheap.output < strong.output < reasoning.output


@needs_zeroeval
@pytest.mark.parametrize(("task", "n"), [("crux", 800), ("math-l5", 721)])
def test_mirror_frames(task: str, n: int) -> None:
    frame = zeroeval_frame(task, mirror=mirror_path())
    models = [m for m in ZEROEVAL_MODELS]
    assert len(frame) == n and frame["id"].is_unique
    assert set(frame["task"]) == {task}
    for model in models:
        assert frame[model].dtype == bool
        assert frame[f"{model}|input_tokens"].min() > 0
        assert frame[f"{model}|output_tokens"].min() >= 0
    # every model's input is the same question; replies differ in length between models
    inputs = frame[[f"{m}|input_tokens" for m in models]].to_numpy()
    assert (inputs == inputs[:, :1]).all()
    outputs = frame[[f"{m}|output_tokens" for m in models]].mean().to_numpy()
    assert len(np.unique(outputs)) > 1
    trio = zeroeval_frame(task, models=OPENAI_TRIO, mirror=mirror_path())
    assert list(trio.columns[4:7]) == list(OPENAI_TRIO)
    assert trio[list(OPENAI_TRIO)].equals(frame[list(OPENAI_TRIO)])


@needs_zeroeval
def test_accuracy_vs_published_table() -> None:
    from routerlab.sources.zeroeval import accuracy_vs_published

    table = accuracy_vs_published("crux", mirror_path())
    assert len(table) == 17 and table["model"].is_unique
    assert (table["published_rule"] == table["published"]).all()
    assert (
        table["value_minus_published"] - (table["value"] - table["published"])
    ).abs().max() < 1e-9
