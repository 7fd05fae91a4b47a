"""The live MMLU harness on a scripted client: format, extraction, table, summary, resume."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from routerlab.errors import ConfigError
from routerlab.gateway import Gateway
from routerlab.harness import (
    STAND_IN_NOTE,
    extract_choice,
    format_question,
    load_questions,
    run_harness,
)
from routerlab.llm.base import ChatClient, ChatResult
from routerlab.routers.judge import CompactJudgeRouter
from routerlab.usage import Usage


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        ("B", "B"), ("b", "B"), ("B.", "B"), (" (c) ", "C"), ("d)", "D"), ("The answer is B", "B"),
        ("the answer is b.", "B"), ("Answer: C", "C"), ("A. Geodemographics", "A"),
        ("I think it's option d", "D"), ("**B**", "B"), ("Correct: B because ...", "B"),
    ],
)  # fmt: skip
def test_extract_choice_reads_common_forms(text, letter):
    assert extract_choice(text) == letter


@pytest.mark.parametrize("text", ["", "   ", None, "E", "Paris", "A or B", "It depends."])
def test_extract_choice_unparseable(text):
    assert extract_choice(text) is None


def test_format_question_follows_the_study():
    text = format_question("machine_learning", " What is overfitting? ", ["w", "x", "y", "z"])
    lines = text.splitlines()
    assert lines[0] == "The following are questions (with answers) about machine learning."
    assert lines[2] == "What is overfitting?"
    assert lines[3:7] == ["A. w", "B. x", "C. y", "D. z"]
    assert lines[-1] == "Answer with only the letter (A, B, C, or D):"
    with pytest.raises(ValueError, match="4 choices"):
        format_question("x", "q", ["a"])


def test_load_questions_defaults_are_the_studys(mirror):
    q = load_questions()
    assert list(q["subject"].unique()) == ["marketing", "machine_learning"]
    assert len(q) == 10  # 5 dev questions per subject
    assert q["qid"].is_unique and set(q["gold"]) <= set("ABCD")
    assert (
        load_questions(["astronomy"], "test", sample_size=3)["subject"].tolist()
        == ["astronomy"] * 3
    )
    with pytest.raises(ConfigError, match="sample_size"):
        load_questions(sample_size=0)


class MMLUClient(ChatClient):
    """Judge picks by subject; answers: gold on marketing via nano, mixed replies elsewhere."""

    backend = "scripted"
    stand_in = True

    def __init__(self, pool, gold: dict[str, str], delay: float = 0.0) -> None:
        super().__init__(pool)
        self.gold = gold
        self.delay = delay
        self.active = self.peak = 0

    async def _acomplete(self, model, messages, **kwargs: Any) -> ChatResult[Any]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(self.delay)
        self.active -= 1
        prompt = messages[-1]["content"]
        if kwargs.get("response_format") is not None:
            pick = "gpt-4.1-nano" if "marketing" in prompt else "o4-mini"
            text = json.dumps({"model": pick})
            parsed = kwargs["response_format"].model_validate_json(text)
        else:
            gold = self.gold[prompt]
            text = {"gpt-4.1-nano": f"The answer is {gold.lower()}", "o4-mini": "Hmm, unsure",
                    "gpt-4.1": f"{gold}."}[model]  # fmt: skip
            parsed = None
        usage = Usage(100, 2)
        cost = self.pool.cost(model, usage)
        return ChatResult(text, model, self.backend, usage, 0.01, cost, parsed, stand_in=True)


@pytest.fixture
def questions(mirror):
    return load_questions(sample_size=3)


def test_harness_table_and_summary(pool, questions):
    client = MMLUClient(pool, dict(zip(questions["prompt"], questions["gold"], strict=True)))
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    result = run_harness(gw, questions, concurrency=3, progress=False)
    t = result.table
    assert list(t["qid"]) == list(questions["qid"]) and len(t) == 6
    assert t.loc[t["subject"] == "marketing", "router_correct"].all()
    assert t.loc[t["subject"] == "machine_learning", "router_letter"].isna().all()
    assert t["fixed_correct"].all()
    summary = result.summary().set_index("approach")
    router_row = summary.loc["router (compact)"]
    assert router_row["accuracy"] == pytest.approx(0.5) and router_row["unparseable"] == 3
    assert summary.loc["fixed (gpt-4.1)", "accuracy"] == 1.0
    expected_cost = t["router_cost_usd"].sum()
    assert router_row["total_cost_usd"] == pytest.approx(expected_cost)
    assert router_row["cost_per_question_usd"] == pytest.approx(expected_cost / 6)
    usage = result.usage().set_index(["approach", "model"])
    assert usage.loc[("router", "gpt-4.1-nano"), "share_pct"] == pytest.approx(50.0)
    assert usage.loc[("router", "o4-mini"), "share_pct"] == pytest.approx(50.0)
    assert usage.loc[("fixed", "gpt-4.1"), "share_pct"] == pytest.approx(100.0)
    assert result.stand_in and (summary["note"] == STAND_IN_NOTE).all()


def test_harness_bounds_concurrency(pool, questions):
    client = MMLUClient(
        pool, dict(zip(questions["prompt"], questions["gold"], strict=True)), delay=0.05
    )
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    run_harness(gw, questions, concurrency=2, progress=False)
    assert client.peak == 2  # calls within a question are sequential, two questions at once


def test_harness_errors_count_as_wrong(pool, questions):
    gold = dict(zip(questions["prompt"], questions["gold"], strict=True))
    client = MMLUClient(pool, gold)
    first = questions["prompt"].iloc[0]
    client.gold = {k: v for k, v in gold.items() if k != first}  # KeyError for the first question
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    result = run_harness(gw, questions, concurrency=2, progress=False)
    row = result.table.iloc[0]
    assert row["router_error"] and row["fixed_error"] and not row["fixed_correct"]
    summary = result.summary().set_index("approach")
    assert summary.loc["fixed (gpt-4.1)", "errors"] == 1
    assert summary.loc["fixed (gpt-4.1)", "accuracy"] == pytest.approx(5 / 6)


def test_harness_resumes_from_checkpoint(pool, questions, tmp_path):
    gold = dict(zip(questions["prompt"], questions["gold"], strict=True))
    ckpt = tmp_path / "run.jsonl"
    client = MMLUClient(pool, gold)
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    run_harness(gw, questions.iloc[:4], concurrency=2, progress=False, checkpoint=ckpt)
    with ckpt.open("a") as handle:
        handle.write('{"qid": "cut sho')  # a line cut by a kill is ignored
    calls = []
    original = client._acomplete

    async def counting(model, messages, **kwargs):
        calls.append(model)
        return await original(model, messages, **kwargs)

    client._acomplete = counting  # type: ignore[method-assign]
    result = run_harness(gw, questions, concurrency=2, progress=False, checkpoint=ckpt)
    assert len(result.table) == 6 and list(result.table["qid"]) == list(questions["qid"])
    assert len(calls) == 2 * 3  # only the 2 missing questions: judge + answer + fixed each
    lines = [json.loads(x) for x in ckpt.read_text().splitlines() if re.match(r"^\{.*\}$", x)]
    assert len({x["qid"] for x in lines}) == 6


def test_harness_checkpoint_is_the_labeling_checkpoint(pool, questions, tmp_path):
    from routerlab.labeling.checkpoint import Checkpoint, CheckpointLockedError, read_records

    gold = dict(zip(questions["prompt"], questions["gold"], strict=True))
    ckpt = tmp_path / "run.jsonl"
    client = MMLUClient(pool, gold)
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    with Checkpoint.open(ckpt), pytest.raises(CheckpointLockedError, match="another process"):
        run_harness(gw, questions, progress=False, checkpoint=ckpt)  # a second writer is refused
    first = run_harness(gw, questions.iloc[:2], progress=False, checkpoint=ckpt)
    records = read_records(ckpt)
    assert sorted(r["key"] for r in records) == sorted(first.table["qid"])  # keyed by question
    assert {r["status"] for r in records} == {"ok"}
    again = run_harness(gw, questions.iloc[:2], progress=False, checkpoint=ckpt)
    assert "key" not in again.table.columns and "status" not in again.table.columns
    assert again.table.equals(first.table)
    assert len(read_records(ckpt)) == 2  # nothing was asked twice


def test_harness_validates_arguments(pool, questions):
    client = MMLUClient(pool, {})
    with pytest.raises(ConfigError, match="router"):
        run_harness(Gateway(pool, client), questions)
    gw = Gateway(pool, client, CompactJudgeRouter(pool, client))
    with pytest.raises(ConfigError, match="unknown model"):
        run_harness(gw, questions, fixed_model="gpt-9")
    with pytest.raises(ConfigError, match="concurrency"):
        run_harness(gw, questions, concurrency=0)


def test_save_load_describe_and_plots(pool, questions, tmp_path):
    from matplotlib.figure import Figure

    from routerlab.harness import HarnessResult, describe_result, mmlu_gateway
    from routerlab.plots.judge import latency_figure, usage_accuracy_figure

    client = MMLUClient(pool, dict(zip(questions["prompt"], questions["gold"], strict=True)))
    gw = mmlu_gateway(pool, client, CompactJudgeRouter(pool, client))
    assert gw.max_output_tokens == 16 and gw.reasoning_max_output_tokens == 16  # stand-in
    result = run_harness(gw, questions, progress=False)
    result.save(tmp_path, "run")
    again = HarnessResult.load(tmp_path, "run")
    assert again.summary().drop(columns="note").equals(result.summary().drop(columns="note"))
    text = describe_result(again)
    assert "scored 50%" in text and "100%" in text and "3 router" in text
    assert STAND_IN_NOTE in text and "too few to rank" in text
    for fig in (usage_accuracy_figure([result, again]), latency_figure(result)):
        assert isinstance(fig, Figure)
        assert STAND_IN_NOTE in (
            fig._suptitle.get_text() if fig._suptitle else fig.axes[0].get_title()
        )


def test_judge_figures_keep_each_runs_own_fixed_baseline(pool, questions):
    from dataclasses import replace

    from routerlab.harness import mmlu_gateway
    from routerlab.plots.judge import latency_figure, usage_accuracy_figure

    client = MMLUClient(pool, dict(zip(questions["prompt"], questions["gold"], strict=True)))
    compact = run_harness(
        mmlu_gateway(pool, client, CompactJudgeRouter(pool, client)), questions, progress=False
    )
    # a second run whose fixed-model answers differ (as the verbose run's did: 20 % vs 30 %)
    flipped = compact.table.assign(fixed_correct=~compact.table["fixed_correct"].astype(bool))
    verbose = replace(compact, table=flipped, router="verbose")
    fig = usage_accuracy_figure([verbose, compact])
    right = fig.axes[1]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    fixed = [label for label in labels if label.startswith("fixed")]
    assert fixed == [
        f"fixed ({compact.fixed_model}), verbose run",
        f"fixed ({compact.fixed_model}), compact run",
    ]
    widths = {label: bar.get_width() for label, bar in zip(labels, right.patches, strict=False)}
    assert widths[fixed[1]] == 100 * compact.table["fixed_correct"].mean()
    assert widths[fixed[0]] == 100 * flipped["fixed_correct"].mean()
    lat = latency_figure([verbose, compact])
    ticks = [t.get_text() for t in lat.axes[0].get_yticklabels()]
    assert sum(t.startswith("fixed") for t in ticks) == 2 and all("(n=" in t for t in ticks)
