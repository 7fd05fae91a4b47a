"""Budget guard and cached reruns, on the harness and the labeler, against fake upstreams."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from routerlab.budget import BudgetExceeded, SpendCap, resolve_max_cost
from routerlab.budget_estimates import estimate_harness_cost, estimate_label_cost
from routerlab.errors import ConfigError
from routerlab.harness import load_questions, mmlu_gateway, run_harness
from routerlab.llm.cache import CachingClient, ResponseCache
from routerlab.llm.request import LLMRequest
from routerlab.routers.judge import CompactJudgeRouter
from routerlab.testing import ScriptedChatClient
from routerlab.usage import Usage

FIXTURES = Path(__file__).parent / "fixtures" / "labeling"
sys.path.insert(0, str(FIXTURES))
from fake_judge import FakeJudge  # noqa: E402


def paid_upstream(
    pool: Any, gold: dict[str, str], usage: Usage | None = None
) -> ScriptedChatClient:
    """A paid live backend: the judge picks by subject, answers are the gold letter.

    ``usage`` is what every call reports, so a test can make calls dearer than estimated.
    """

    def reply(request: LLMRequest) -> str | dict[str, str]:
        prompt = request.messages[-1]["content"]
        if request.response_format is not None:
            return {"model": "gpt-4.1-nano" if "marketing" in prompt else "o4-mini"}
        return f"{gold[prompt]}."

    return ScriptedChatClient(reply, pool=pool, backend="openai", usage=usage or Usage(100, 2))


@pytest.fixture
def questions(mirror):
    return load_questions(sample_size=3)


@pytest.fixture
def gold(questions):
    return dict(zip(questions["prompt"], questions["gold"], strict=True))


def gateway(pool, client):
    return mmlu_gateway(pool, client, CompactJudgeRouter(pool, client, temperature=0))


def test_resolve_max_cost(monkeypatch):
    monkeypatch.delenv("MAX_COST_USD", raising=False)
    assert resolve_max_cost(None) is None and resolve_max_cost(2.5) == 2.5
    assert resolve_max_cost(0) is None  # 0: no cap
    monkeypatch.setenv("MAX_COST_USD", "1.25")
    assert resolve_max_cost(None) == 1.25 and resolve_max_cost(3.0) == 3.0
    monkeypatch.setenv("MAX_COST_USD", "lots")
    with pytest.raises(ConfigError, match="MAX_COST_USD"):
        resolve_max_cost(None)
    with pytest.raises(ConfigError, match=">= 0"):
        resolve_max_cost(-1.0)


def test_spend_cap_reserves_and_settles():
    cap = SpendCap(1.0)
    assert cap.reserve(0.6) and not cap.reserve(0.6) and cap.exhausted
    cap = SpendCap(1.0)
    assert cap.reserve(0.5)
    cap.settle(0.5, 1.2)  # dearer than reserved: nothing more starts
    assert cap.exhausted and cap.spent == pytest.approx(1.2)


def test_harness_estimate_counts_real_prompts(pool, gold, questions):
    est = estimate_harness_cost(gateway(pool, paid_upstream(pool, gold)), questions)
    table = est.table.set_index("component")
    assert list(table.index) == ["judge", "routed answer (dearest model)", "fixed answer"]
    assert (table["calls"] == len(questions)).all()
    assert table.loc["judge", "model"] == "gpt-4.1-nano"
    # the routed answer's ceiling is o4-mini's 4,096 reasoning-token cap
    assert table.loc["routed answer (dearest model)", "model"] == "o4-mini"
    assert table.loc["routed answer (dearest model)", "output_tokens"] == 4096 * len(questions)
    assert est.total_usd == pytest.approx(sum(est.per_question_usd.values()))
    # longer prompts cost more: the counts are of the actual text
    longer = questions.assign(prompt=questions["prompt"] + " Think about it carefully." * 20)
    assert estimate_harness_cost(gateway(pool, paid_upstream(pool, gold)), longer).total_usd > (
        est.total_usd
    )
    text = est.describe()
    assert "assumption" in text and f"${est.total_usd:.4f}" in text


def test_harness_refuses_a_run_estimated_above_the_cap(pool, gold, questions, capsys):
    client = paid_upstream(pool, gold)
    gw = gateway(pool, client)
    estimate = estimate_harness_cost(gw, questions, temperature=0).total_usd
    with pytest.raises(BudgetExceeded, match="above the cap"):
        run_harness(gw, questions, max_cost_usd=estimate / 2, progress=False, temperature=0)
    assert len(client.calls) == 0
    assert "estimated cost of the MMLU harness" in capsys.readouterr().out


def test_harness_reads_the_cap_from_the_environment(pool, gold, questions, monkeypatch):
    monkeypatch.setenv("MAX_COST_USD", "0.000001")
    client = paid_upstream(pool, gold)
    with pytest.raises(BudgetExceeded):
        run_harness(gateway(pool, client), questions, progress=False)
    assert len(client.calls) == 0


def test_a_stand_in_is_not_refused(pool, gold, questions, capsys):
    client = paid_upstream(pool, gold)
    client.stand_in = True
    result = run_harness(gateway(pool, client), questions, max_cost_usd=1e-9, progress=False)
    assert len(result.table) == len(questions) and result.stopped == "complete"
    out = capsys.readouterr().out
    assert "nothing is paid" in out and "would cost" in out
    assert len(out.strip().splitlines()) == 1  # the offline notebooks' output stays short


def test_a_live_run_prints_its_estimate_without_a_cap(pool, gold, questions, capsys, monkeypatch):
    monkeypatch.delenv("MAX_COST_USD", raising=False)
    gw = gateway(pool, paid_upstream(pool, gold))
    estimate = estimate_harness_cost(gw, questions)
    result = run_harness(gw, questions, progress=False)
    assert result.stopped == "complete" and len(result.table) == len(questions)
    out = capsys.readouterr().out
    assert "estimated cost of the MMLU harness" in out and f"${estimate.total_usd:.4f}" in out


def test_harness_stops_at_the_cap_and_resumes(pool, gold, questions, tmp_path):
    ckpt = tmp_path / "run.jsonl"
    # every call reports 50,000 prompt tokens: far dearer than the estimate
    client = paid_upstream(pool, gold, usage=Usage(50_000, 2))
    gw = gateway(pool, client)
    cap = estimate_harness_cost(gw, questions).total_usd * 1.01  # passes the pre-run guard
    first = run_harness(
        gw, questions, max_cost_usd=cap, checkpoint=ckpt, concurrency=1, progress=False
    )
    assert first.stopped == "budget" and first.partial
    assert 0 < len(first.table) < len(questions)
    assert "partial" in first.summary()["note"].iloc[0]
    done = [json.loads(line)["qid"] for line in ckpt.read_text().splitlines()]
    assert sorted(done) == sorted(first.table["qid"])
    calls_before = len(client.calls)
    rest = run_harness(gw, questions, checkpoint=ckpt, concurrency=1, progress=False)
    assert rest.stopped == "complete" and list(rest.table["qid"]) == list(questions["qid"])
    missing = len(questions) - len(first.table)
    assert len(client.calls) - calls_before == 3 * missing  # judge + routed + fixed, missing only


def test_second_identical_harness_run_is_served_from_the_cache(pool, gold, questions, tmp_path):
    upstream = paid_upstream(pool, gold)
    client = CachingClient(upstream, ResponseCache(tmp_path / "c.sqlite3"))
    first = run_harness(gateway(pool, client), questions, temperature=0, progress=False)
    calls = len(upstream.calls)
    assert calls == 3 * len(questions) and not first.table["router_cached"].any()
    second_client = CachingClient(upstream, ResponseCache(tmp_path / "c.sqlite3"))
    second = run_harness(gateway(pool, second_client), questions, temperature=0, progress=False)
    assert len(upstream.calls) == calls  # 0 upstream calls
    t1, t2 = first.table, second.table
    assert (
        t2["router_cached"].all() and t2["fixed_cached"].all() and t2["router_judge_cached"].all()
    )
    same = [c for c in t1.columns if not c.endswith(("latency_s", "cost_usd", "cached"))]
    pd.testing.assert_frame_equal(t1[same], t2[same])
    assert (t2["router_cost_usd"] == 0).all() and (t2["fixed_cost_usd"] == 0).all()
    assert list(t2["router_list_cost_usd"]) == pytest.approx(list(t1["router_cost_usd"]))
    s1, s2 = first.summary(), second.summary()
    assert list(s2["list_cost_usd"]) == pytest.approx(list(s1["total_cost_usd"]))
    assert list(s2["cached_answers"]) == [len(questions)] * 2
    assert second.cache is not None and second.cache["hits"] == 3 * len(questions)
    second.save(tmp_path, "run")
    meta = json.loads((tmp_path / "run_meta.json").read_text())
    assert meta["cache"]["hits"] == 3 * len(questions) and meta["stopped"] == "complete"


def test_sampled_harness_answers_still_go_upstream(pool, gold, questions, tmp_path):
    upstream = paid_upstream(pool, gold)
    for _ in range(2):
        client = CachingClient(upstream, ResponseCache(tmp_path / "c.sqlite3"))
        run_harness(gateway(pool, client), questions, temperature=0.2, progress=False)
    # Rerun: the judge (temperature 0) comes from the cache; every answer asked at 0.2 is asked
    # again, o4-mini's included (it is sent no temperature, but the caller asked for sampling).
    n = len(questions)
    assert len(upstream.calls) == 3 * n + 2 * n


# -- labeling ----------------------------------------------------------------------------------

PROMPTS = [f"prompt number {i}: what is {i} + {i}?" for i in range(12)]


def test_label_estimate_skips_what_is_done(pool):
    from routerlab.labeling.checkpoint import prompt_key
    from routerlab.labeling.labeler import LabelConfig

    cfg = LabelConfig()
    full = estimate_label_cost([*PROMPTS, PROMPTS[0]], pool, cfg)  # duplicates counted once
    assert full.calls == len(PROMPTS)
    part = estimate_label_cost(PROMPTS, pool, cfg, skip={prompt_key(p) for p in PROMPTS[:4]})
    assert part.calls == 8 and part.total_usd < full.total_usd
    assert "64 tokens per call" in full.describe()


def test_second_identical_labeling_run_is_served_from_the_cache(pool, tmp_path):
    from routerlab.labeling.labeler import LabelConfig, label_prompts

    judge = FakeJudge(pool)
    cfg = LabelConfig(temperature=0, retry_base_s=0)
    db = tmp_path / "c.sqlite3"
    first = label_prompts(PROMPTS, CachingClient(judge, ResponseCache(db)), tmp_path / "a.jsonl",
                          config=cfg, progress=False)  # fmt: skip
    n = sum(judge.per_prompt.values())
    second = label_prompts(PROMPTS, CachingClient(judge, ResponseCache(db)), tmp_path / "b.jsonl",
                           config=cfg, progress=False)  # fmt: skip
    assert sum(judge.per_prompt.values()) == n == len(PROMPTS)
    assert list(second.labels["label"]) == list(first.labels["label"])
    assert second.labels["cached"].all() and not first.labels["cached"].any()
    assert second.spent_usd == 0 and second.list_cost_usd == pytest.approx(first.spent_usd)
    summary = second.summary().iloc[0]
    assert summary["cache_hits"] == len(PROMPTS)


def _label_args(tmp_path, *extra):
    out = tmp_path / "labels.csv"
    return ["label", str(FIXTURES / "prompts.csv"), str(out), "--profile", "offline",
            "--no-progress", *extra]  # fmt: skip


def test_label_cli_refuses_above_max_cost(pool, tmp_path, monkeypatch, capsys):
    import routerlab.cli.label as label_cli
    from routerlab.cli import main

    judges: list[FakeJudge] = []
    monkeypatch.setattr(label_cli, "_make_client", lambda p, pool: judges.append(FakeJudge(pool))
                        or judges[-1])  # fmt: skip
    assert main(_label_args(tmp_path, "--max-cost", "0.000001")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "above the cap" in err[0]
    assert not judges[0].per_prompt and not (tmp_path / "labels.csv").exists()
    monkeypatch.setenv("MAX_COST_USD", "0.000001")
    assert main(_label_args(tmp_path)) == 2
    monkeypatch.setenv("MAX_COST_USD", "5")
    assert main(_label_args(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "estimated cost of labeling 4 prompt(s) with gpt-4.1" in out


def test_label_cli_budget_alias_stops_and_resumes(pool, tmp_path, monkeypatch, capsys):
    """--budget is the same cap as --max-cost; a run that reaches it stops, a rerun resumes."""
    import routerlab.cli.label as label_cli
    from routerlab.cli import main
    from routerlab.labeling.checkpoint import read_records
    from routerlab.labeling.io import checkpoint_for

    # calls cost $0.01 each, far above the ~$0.0014 reserved: the cap is passed after one call
    monkeypatch.setattr(label_cli, "_make_client", lambda p, pool: FakeJudge(pool, cost=0.01))
    args = _label_args(tmp_path, "--concurrency", "1")
    assert main([*args, "--budget", "0.011"]) == 0
    ck = checkpoint_for(tmp_path / "labels.csv")
    first = [r["key"] for r in read_records(ck) if r["status"] == "ok"]
    assert 0 < len(first) < 4
    assert "run again to resume" in capsys.readouterr().out
    assert main(args) == 0
    assert len({r["key"] for r in read_records(ck) if r["status"] == "ok"}) == 4


@pytest.mark.parametrize("notebook", ["01", "02", "03"])
def test_live_param_sets_state_the_estimators_figure(mirror, notebook):
    """The cost in each [live] set's comment is what the estimator computes for that set."""
    import re

    from routerlab.budget_estimates import estimate_notebook_cost
    from routerlab.notebooks import load_params, notebook_paths

    path = notebook_paths(only=[notebook])[0]
    text = (path.parent / "params" / f"{path.stem}.toml").read_text()
    live = text[text.index("[live]") :]
    stated = float(re.search(r"Estimated cost: (?:at most )?\$([0-9.]+)", live).group(1))
    estimate = estimate_notebook_cost(notebook, "live")
    assert round(estimate.total_usd, 2) == stated
    assert load_params(path, "live")["MAX_COST_USD"] >= estimate.total_usd  # the set can run
    with pytest.raises(ConfigError, match="only 01, 02 and 03"):
        estimate_notebook_cost("05", "ci")


def test_guard_labeling_counts_only_what_is_left(pool, tmp_path, capsys):
    from routerlab.budget_estimates import guard_labeling
    from routerlab.labeling.labeler import LabelConfig, label_prompts

    ck = tmp_path / "ck.jsonl"
    cfg = LabelConfig(retry_base_s=0, budget_usd=1.0)
    full = guard_labeling(PROMPTS, pool, cfg, checkpoint_path=ck)
    label_prompts(PROMPTS[:5], FakeJudge(pool), ck, config=cfg, progress=False)
    rest = guard_labeling(PROMPTS, pool, cfg, checkpoint_path=ck)
    assert rest.calls == len(PROMPTS) - 5 and rest.total_usd < full.total_usd
    with pytest.raises(BudgetExceeded):
        guard_labeling(PROMPTS, pool, cfg, checkpoint_path=ck, max_cost=rest.total_usd / 2)
    # a stand-in is told what it would cost, not refused
    guard_labeling(PROMPTS, pool, cfg, max_cost=1e-9, stand_in=True)
    assert "nothing is paid" in capsys.readouterr().out


def test_notebooks_cli_passes_the_cap_and_no_cache_to_the_kernels(monkeypatch):
    """The kernels inherit the environment: --max-cost and --no-cache are put there."""
    import routerlab.notebooks as nb
    from routerlab.cli import main

    seen: dict[str, Any] = {}

    def fake_run_all(**kwargs: Any) -> list[Any]:
        seen.update(kwargs, cap=os.environ.get("MAX_COST_USD"),
                    no_cache=os.environ.get("ROUTERLAB_NO_CACHE"))  # fmt: skip
        return []

    monkeypatch.setattr(nb, "run_all", fake_run_all)
    monkeypatch.delenv("ROUTERLAB_NO_CACHE", raising=False)
    args = ["notebooks", "--profile", "live", "--params", "live", "--only", "01"]
    main([*args, "--max-cost", "3.5", "--no-cache"])
    assert seen["param_set"] == "live" and seen["cap"] == "3.5" and seen["no_cache"] == "1"
    assert seen["overrides"] == {"MAX_COST_USD": 3.5}
    assert main([*args, "--max-cost", "-1"]) == 2


def test_max_cost_reaches_the_kernels_as_a_parameter_over_the_param_set(monkeypatch, tmp_path):
    """01-03 pass MAX_COST_USD explicitly, so --max-cost must be that parameter, over [live]'s
    own value; notebooks that do not declare it do not get it (papermill would warn)."""
    import papermill

    import routerlab.notebooks as nb

    sent: dict[str, dict[str, Any]] = {}

    def fake_execute(src: str, out: str, *, parameters: dict[str, Any], **kwargs: Any) -> None:
        sent[Path(src).stem] = dict(parameters)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    assert nb.load_params(nb.notebook_paths(only=["01"])[0], "live")["MAX_COST_USD"] != 3.5
    runs = nb.run_all(profile="live", param_set="live", only=["01", "03", "05"],
                      output_dir=tmp_path, overrides={"MAX_COST_USD": 3.5})  # fmt: skip
    assert all(r.ok for r in runs)
    assert sent["01_judge_router"]["MAX_COST_USD"] == 3.5
    assert sent["03_labeling"]["MAX_COST_USD"] == 3.5
    assert "MAX_COST_USD" not in sent["05_evaluation"]
    # without the flag, the parameter set's own value is what the kernel gets
    nb.run_all(profile="live", param_set="live", only=["01"], output_dir=tmp_path)
    own = nb.load_params(nb.notebook_paths(only=["01"])[0], "live")["MAX_COST_USD"]
    assert sent["01_judge_router"]["MAX_COST_USD"] == own


def test_qids_do_not_depend_on_the_other_subjects_or_the_sample(mirror):
    both = load_questions(["marketing", "machine_learning"], "dev", 3).set_index("qid")
    alone = load_questions(["machine_learning"], "dev", None).set_index("qid")
    shared = both.index.intersection(alone.index)
    assert len(shared) == 3 and all(q.startswith("machine_learning/dev/") for q in shared)
    assert (both.loc[shared, "prompt"] == alone.loc[shared, "prompt"]).all()


def test_checkpoint_path_changes_with_each_setting(tmp_path):
    from routerlab.harness import checkpoint_path

    base = dict(backend="openai", router="verbose", fixed_model="gpt-4.1", temperature=0.2,
                subjects=["marketing"], split="dev", sample_size=5)  # fmt: skip
    first = checkpoint_path(tmp_path, "01_verbose", **base)
    assert first == checkpoint_path(tmp_path, "01_verbose", **base)
    assert first.parent == tmp_path and first.name.startswith("checkpoint_01_verbose_")
    changes = dict(backend="vllm", router="compact", fixed_model="o4-mini", temperature=0.0,
                   subjects=["marketing", "anatomy"], split="test", sample_size=None)  # fmt: skip
    names = {checkpoint_path(tmp_path, "01_verbose", **(base | {k: v})) for k, v in changes.items()}
    assert first not in names and len(names) == len(changes)


def test_batch_price_is_the_pools_discount_of_the_list_estimate(pool, gold, questions):
    from routerlab.budget_estimates import at_batch_price, estimate_judge_cost

    est = estimate_harness_cost(gateway(pool, paid_upstream(pool, gold)), questions)
    batch = at_batch_price(est, pool)
    assert batch.total_usd == pytest.approx(est.total_usd * pool.batch_discount)
    assert batch.calls == est.calls and "Batch" in batch.describe()
    router = CompactJudgeRouter(pool, paid_upstream(pool, gold), temperature=0)
    judge = estimate_judge_cost(router, questions["prompt"], pool)
    # the harness's judge row counts the same prompts the same way
    assert judge.total_usd == pytest.approx(
        est.table.set_index("component").loc["judge", "cost_usd"]
    )
