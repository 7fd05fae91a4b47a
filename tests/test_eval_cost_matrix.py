"""cost_matrix and the reasoning-token assumption on tiny hand-made tables (legacy ``::`` extras
through OutcomeTable, RouterBench ``|`` extras through a minimal table-like object)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from routerlab.errors import ConfigError
from routerlab.evaluation.costs import (
    DEFAULT_REASONING,
    ModelPrice,
    ReasoningAssumption,
    cost_arrays,
    cost_matrix,
)
from routerlab.tables import OutcomeTable
from routerlab.tokens import count_tokens

PRICES = {
    "cheap": ModelPrice(1.0, 2.0),
    "mid": ModelPrice(10.0, 20.0),
    "o1-mini": ModelPrice(3.0, 12.0),
}


def legacy_table() -> OutcomeTable:
    frame = pd.DataFrame(
        {
            "prompt": ["two words", "three words here"],
            "cheap": [True, False],
            "mid": [True, True],
            "o1-mini": [False, True],
            "cheap::cost_usd": [0.5, 0.25],  # recorded: used as is
            "mid::prompt_tokens": [100, 200],
            "mid::completion_tokens": [10, 20],
            "o1-mini::prompt_tokens": [1000, 2000],
            "o1-mini::completion_tokens": [100, 50],
        }
    )
    return OutcomeTable.from_frame(frame, ["cheap", "mid", "o1-mini"])


class PipeTable:
    """The RouterBench-named extras (``<model>|input_tokens``) of the N-model table type."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    @property
    def prompts(self) -> list[str]:
        return self.frame["prompt"].tolist()

    def __len__(self) -> int:
        return len(self.frame)

    def extra(self, model: str, what: str) -> np.ndarray | None:
        col = f"{model}|{what}"
        return self.frame[col].to_numpy(dtype=float) if col in self.frame.columns else None


def test_legacy_extras_recorded_cost_then_tokens() -> None:
    costs, notes = cost_matrix(legacy_table(), ["cheap", "mid", "o1-mini"], PRICES)
    assert costs[:, 0].tolist() == [0.5, 0.25]
    assert costs[:, 1] == pytest.approx([(100 * 10 + 10 * 20) / 1e6, (200 * 10 + 20 * 20) / 1e6])
    # no reasoning assumption: o1-mini priced on its visible text
    assert costs[:, 2] == pytest.approx([(1000 * 3 + 100 * 12) / 1e6, (2000 * 3 + 50 * 12) / 1e6])
    assert "cost: cheap from recorded cost_usd" in notes
    assert any(n.startswith("cost: mid, o1-mini from recorded input tokens") for n in notes)
    assert not any(n.startswith("reasoning") for n in notes)


def test_reasoning_tokens_are_priced_as_output_for_the_named_models_only() -> None:
    assumption = ReasoningAssumption(("o1-mini",), tokens_per_call=500, output_multiplier=3.0)
    costs, notes = cost_matrix(legacy_table(), ["mid", "o1-mini"], PRICES, reasoning=assumption)
    plain, _ = cost_matrix(legacy_table(), ["mid", "o1-mini"], PRICES)
    assert costs[:, 0] == pytest.approx(plain[:, 0])  # mid is not a reasoning model
    billed = np.array([100 * 3 + 500, 50 * 3 + 500])
    assert costs[:, 1] == pytest.approx((np.array([1000, 2000]) * 3 + billed * 12) / 1e6)
    assert notes[-1] == "reasoning: o1-mini billed output = 3x visible + 500 tokens/call (assumed)"


def test_a_recorded_cost_is_never_raised_by_the_assumption() -> None:
    frame = legacy_table().frame.copy()
    frame["o1-mini::cost_usd"] = [0.1, 0.2]
    table = OutcomeTable.from_frame(frame, ["cheap", "mid", "o1-mini"])
    costs, notes = cost_matrix(table, ["o1-mini"], PRICES, reasoning=DEFAULT_REASONING)
    assert costs[:, 0].tolist() == [0.1, 0.2]
    assert not any(n.startswith("reasoning") for n in notes)


def test_pipe_named_extras_and_the_prompt_token_fallback() -> None:
    frame = pd.DataFrame(
        {
            "prompt": ["What is 2 + 2?", "Name a prime."],
            "cheap|cost_usd": [0.001, 0.002],
            "mid|input_tokens": [7, 5],
            "mid|output_tokens": [3, 4],
            "o1-mini|output_tokens": [40, 60],  # input not recorded: o200k of the prompt
        }
    )
    costs, notes = cost_matrix(
        PipeTable(frame), ["cheap", "mid", "o1-mini"], PRICES, reasoning=DEFAULT_REASONING
    )
    assert costs[:, 0].tolist() == [0.001, 0.002]
    assert costs[:, 1] == pytest.approx([(7 * 10 + 3 * 20) / 1e6, (5 * 10 + 4 * 20) / 1e6])
    tokens = np.array([count_tokens(p) for p in frame["prompt"]], dtype=float)
    m = DEFAULT_REASONING.output_multiplier
    want = (tokens * 3 + np.array([40, 60]) * m * 12) / 1e6
    assert costs[:, 2] == pytest.approx(want)
    assert any("o200k prompt tokens + recorded output tokens" in n for n in notes)
    assert notes[-1].startswith("reasoning: o1-mini billed output")


def test_no_tokens_at_all_uses_prompt_tokens_and_the_default_output() -> None:
    frame = pd.DataFrame({"prompt": ["alpha beta", "gamma"]})
    costs, notes = cost_matrix(PipeTable(frame), ["mid"], PRICES, output_tokens=5)
    tokens = np.array([count_tokens(p) for p in frame["prompt"]], dtype=float)
    assert costs[:, 0] == pytest.approx((tokens * 10 + 5 * 20) / 1e6)
    assert notes == ["cost: mid from o200k prompt tokens + 5 output tokens/call x list price"]


def test_a_model_without_cost_or_price_is_named() -> None:
    with pytest.raises(ConfigError, match=r"'mid'.*--price"):
        cost_matrix(legacy_table(), ["mid"], {"cheap": PRICES["cheap"]})


def test_cost_arrays_is_unchanged_for_two_models() -> None:
    # the two-model path still reads the legacy names and agrees with cost_matrix
    table = legacy_table()
    old = cost_arrays(table, PRICES)
    new, _ = cost_matrix(table, ["cheap", "mid"], PRICES)
    assert old["cheap"] == pytest.approx(new[:, 0])
    assert old["mid"] == pytest.approx(new[:, 1])


def test_describe_is_one_short_line() -> None:
    assert ReasoningAssumption(("o1-mini",)).describe() == (
        "reasoning: o1-mini priced on visible text only (lower bound)"
    )
    line = DEFAULT_REASONING.describe(["o1-mini-2024-09-12", "gpt-4o"])
    assert line == "reasoning: o1-mini-2024-09-12 billed output = 4x visible (assumed)"
    with pytest.raises(ConfigError, match="output_multiplier"):
        ReasoningAssumption(("o1-mini",), output_multiplier=0.5)
    with pytest.raises(ConfigError, match="tokens_per_call"):
        ReasoningAssumption(("o1-mini",), tokens_per_call=-1)
