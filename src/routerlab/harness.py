"""The study's live MMLU test: a router vs one fixed model on the same questions.

Each question is sent twice — through the router (judge call, then the chosen model) and straight
to the fixed model (default ``gpt-4.1``) — with at most ``concurrency`` questions in flight. The
result holds a per-question table and summaries: accuracy of each approach (unparseable answers
count as wrong and are counted), model usage, mean and p90 latency per model, total and
per-question cost. Optionally resumable: finished questions are appended to a checkpoint
(:mod:`routerlab.labeling.checkpoint`: one fsynced JSON line per question, a torn last line cut on
open, an exclusive lock against a second writer), keyed by the question id.

The questions come from :mod:`.harness_questions`, the result type and its findings from
:mod:`.harness_result`, outcome tables from harness rows from :mod:`.harness_outcomes`; the names
notebooks use are re-exported here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from routerlab.asyncutil import run_sync
from routerlab.budget import SpendCap, estimate_harness_cost, guard, resolve_max_cost
from routerlab.errors import ConfigError
from routerlab.gateway import Gateway, RoutedResponse
from routerlab.harness_outcomes import harness_records, merge_outcomes, outcomes_from_results
from routerlab.harness_questions import (
    LETTERS,
    MMLU_MAX_TOKENS,
    MMLU_REASONING_MAX_TOKENS,
    STUDY_SUBJECTS,
    extract_choice,
    format_question,
    load_questions,
)
from routerlab.harness_result import (
    STAND_IN_NOTE,
    HarnessResult,
    compare_results,
    describe_result,
    load_saved,
)
from routerlab.labeling.checkpoint import OK, Checkpoint
from routerlab.llm.base import ChatClient
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.base import Router

# the harness's public names, wherever they are defined (notebooks import them from here)
__all__ = [
    "LETTERS",
    "MMLU_MAX_TOKENS",
    "MMLU_REASONING_MAX_TOKENS",
    "STAND_IN_NOTE",
    "STUDY_SUBJECTS",
    "HarnessResult",
    "arun_harness",
    "checkpoint_path",
    "compare_results",
    "describe_result",
    "extract_choice",
    "format_question",
    "harness_records",
    "load_questions",
    "load_saved",
    "merge_outcomes",
    "mmlu_gateway",
    "outcomes_from_results",
    "question_record",
    "question_table",
    "run_harness",
]


def mmlu_gateway(pool: Pool, client: ChatClient, router: Router) -> Gateway:
    """A gateway with answer caps fit for letter answers (reasoning models get room to think;
    a local stand-in, which does not think, gets the small cap)."""
    reasoning = MMLU_MAX_TOKENS if client.stand_in else MMLU_REASONING_MAX_TOKENS
    return Gateway(
        pool,
        client,
        router,
        max_output_tokens=MMLU_MAX_TOKENS,
        reasoning_max_output_tokens=reasoning,
    )


def _list_cost(response: RoutedResponse) -> float:
    judge = response.decision.details if response.decision is not None else {}
    router = float(judge.get("judge_list_cost_usd", response.router_cost_usd))
    answer = response.answer_list_cost_usd
    return router + (response.answer_cost_usd if answer is None else float(answer))


def _record(prefix: str, response: RoutedResponse, gold: str) -> dict[str, Any]:
    letter = extract_choice(response.answer) if response.ok else None
    judge = response.decision.details if response.decision is not None else {}
    return {
        f"{prefix}_model": response.model or None,
        f"{prefix}_answer": response.answer,
        f"{prefix}_letter": letter,
        f"{prefix}_correct": letter == gold,
        f"{prefix}_error": response.error,
        f"{prefix}_cost_usd": response.cost_usd,  # paid: a cache hit is 0
        f"{prefix}_list_cost_usd": _list_cost(response),  # at list price, hits included
        f"{prefix}_cached": response.cached,  # the answer came from the response cache
        f"{prefix}_judge_cached": bool(judge.get("judge_cached", False)),
        f"{prefix}_router_cost_usd": response.router_cost_usd,
        f"{prefix}_router_latency_s": response.router_latency_s,
        f"{prefix}_model_latency_s": response.model_latency_s,
        f"{prefix}_total_latency_s": response.total_latency_s,
        f"{prefix}_prompt_tokens": response.usage.prompt_tokens,
        f"{prefix}_completion_tokens": response.usage.completion_tokens,
        f"{prefix}_reasoning_tokens": response.usage.reasoning_tokens,
        f"{prefix}_cached_tokens": response.usage.cached_tokens,
    }


def question_record(row: Any, routed: RoutedResponse, fixed: RoutedResponse) -> dict[str, Any]:
    """One row of the per-question table (``row`` has ``qid``, ``subject``, ``gold``); the
    synchronous and the Batch harness both build their rows here."""
    record = {"qid": row.qid, "subject": row.subject, "gold": row.gold}
    record |= _record("router", routed, row.gold)
    record |= _record("fixed", fixed, row.gold)
    record["router_fallback"] = routed.fallback
    record["router_fallback_reason"] = routed.fallback_reason
    record["stand_in"] = routed.stand_in or fixed.stand_in
    record["backend"] = routed.backend or fixed.backend
    return record


def question_table(records: Sequence[dict[str, Any]], questions: pd.DataFrame) -> pd.DataFrame:
    """Records of ``questions`` as a table in the questions' order (others dropped)."""
    order = {qid: i for i, qid in enumerate(questions["qid"])}
    table = pd.DataFrame(list(records))
    if table.empty:  # stopped before the first question: keep the columns callers select
        return pd.DataFrame(columns=["qid", "subject", "gold", "stand_in", "backend"])
    table = table[table["qid"].isin(order)].sort_values("qid", key=lambda s: s.map(order))
    return table.reset_index(drop=True)


async def arun_harness(
    router_gateway: Gateway,
    questions: pd.DataFrame,
    *,
    fixed_model: str = "gpt-4.1",
    temperature: float = 0.2,
    concurrency: int = 4,
    checkpoint: str | Path | None = None,
    progress: bool = True,
    max_cost_usd: float | None = None,
) -> HarnessResult:
    """Run every question through the router and through ``fixed_model``.

    The estimate (:func:`routerlab.budget.estimate_harness_cost`) of the questions left is
    printed before every run (a local stand-in gets one line: what the calls would cost live).
    ``max_cost_usd`` (else ``$MAX_COST_USD``; None or 0: no cap) caps what a live run pays: a run
    whose estimate is above the cap is refused with :class:`~routerlab.budget.BudgetExceeded`. While it runs, each question reserves its
    estimate, and no question starts once paid plus reserved would pass the cap: the run then
    returns the finished questions with ``stopped="budget"``; with ``checkpoint`` a rerun
    resumes where it stopped.

    ``router_gateway`` must hold the router. Failures of one question (after the judge's own
    fallback) are recorded in its ``*_error`` columns and count as wrong. With ``checkpoint``,
    finished questions are appended as JSON lines and skipped when the run is started again.
    """
    if router_gateway.router is None:
        raise ConfigError("the harness needs a Gateway built with a router")
    router_gateway.pool.get(fixed_model)
    if concurrency < 1:
        raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
    store = Checkpoint.open(checkpoint) if checkpoint is not None else None
    try:
        return await _run_questions(
            router_gateway,
            questions,
            store,
            fixed_model=fixed_model,
            temperature=temperature,
            concurrency=concurrency,
            progress=progress,
            max_cost_usd=max_cost_usd,
        )
    finally:
        if store is not None:
            store.close()


async def _run_questions(
    router_gateway: Gateway,
    questions: pd.DataFrame,
    store: Checkpoint | None,
    *,
    fixed_model: str,
    temperature: float,
    concurrency: int,
    progress: bool,
    max_cost_usd: float | None,
) -> HarnessResult:
    assert router_gateway.router is not None  # checked by arun_harness
    done = _finished(store)
    todo = questions[~questions["qid"].isin(done)]
    cap = resolve_max_cost(max_cost_usd)
    spend = SpendCap(None)
    reserve: dict[str, float] = {}
    client = router_gateway.client
    if client is None:
        raise ConfigError("the harness answers questions: give the gateway a client")
    if len(todo):
        # the estimate is printed before every run; only a live run with a cap can be refused
        estimate = estimate_harness_cost(
            router_gateway, todo, fixed_model=fixed_model, temperature=temperature
        )
        if client.stand_in:  # one line: the offline notebooks' output stays short
            print(
                f"offline stand-in: nothing is paid; these {estimate.calls} calls would cost "
                f"about ${estimate.total_usd:.4f} live (a ceiling)"
            )
        else:
            guard(estimate, cap)
            spend = SpendCap(cap)
            reserve = estimate.per_question_usd
    gate = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(todo), disable=not progress, desc="MMLU questions")
    meta: dict[str, Any] = {"stand_in": False, "backend": ""}

    async def one(row: Any) -> dict[str, Any] | None:
        request = RouteRequest(prompt=row.prompt, temperature=temperature)
        async with gate:
            held = reserve.get(row.qid, 0.0)
            if spend.exhausted or not spend.reserve(held):
                return None  # over the cap: not asked, left for a rerun
            routed = await router_gateway.asafe(request)
            fixed = await router_gateway.asafe(request, fixed_model)
            spend.settle(held, routed.cost_usd + fixed.cost_usd)
        record = question_record(row, routed, fixed)
        for r in (routed, fixed):
            if r.ok:
                meta["stand_in"] = meta["stand_in"] or r.stand_in
                meta["backend"] = meta["backend"] or r.backend
        if store is not None:  # synchronous: no other question interleaves with the write
            store.append({"key": row.qid, "status": OK, **record})
        bar.update(1)
        return record

    try:
        fresh = await asyncio.gather(*(one(row) for row in todo.itertuples(index=False)))
    finally:
        bar.close()
    table = question_table(list(done.values()) + [r for r in fresh if r is not None], questions)
    if not meta["backend"] and len(table):
        meta["stand_in"] = bool(table["stand_in"].any())
        meta["backend"] = str(table["backend"].iloc[0])
    return HarnessResult(
        table=table,
        router=router_gateway.router.name,
        fixed_model=fixed_model,
        stand_in=bool(meta["stand_in"]),
        backend=str(meta["backend"]),
        stopped="budget" if spend.exhausted and len(table) < len(questions) else "complete",
        cache=client.cache_stats(),
    )


def checkpoint_path(
    folder: str | Path,
    run_name: str,
    *,
    backend: str,
    router: str,
    fixed_model: str,
    temperature: float = 0.2,
    subjects: Sequence[str],
    split: str,
    sample_size: int | None,
) -> Path:
    """``<folder>/checkpoint_<run_name>_<hash>.jsonl``, the hash of the settings that shape the
    answers: a run resumes only answers given under the same backend, router, fixed model,
    temperature and questions (a changed setting starts a new file instead of reusing stale
    answers)."""
    settings = {
        "format": 2,  # lines keyed for routerlab.labeling.checkpoint (v1 files are not resumed)
        "backend": backend,
        "router": router,
        "fixed_model": fixed_model,
        "temperature": float(temperature),
        "subjects": list(subjects),
        "split": split,
        "sample_size": sample_size,
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    return Path(folder) / f"checkpoint_{run_name}_{digest}.jsonl"


def run_harness(router_gateway: Gateway, questions: pd.DataFrame, **kwargs: Any) -> HarnessResult:
    """Sync wrapper of :func:`arun_harness` (works inside Jupyter's running loop)."""
    return run_sync(arun_harness(router_gateway, questions, **kwargs))


def _finished(store: Checkpoint | None) -> dict[str, dict[str, Any]]:
    """Finished questions by qid, as question records (the checkpoint's own fields dropped)."""
    if store is None:
        return {}
    return {
        key: {k: v for k, v in record.items() if k not in ("key", "status")}
        for key, record in store.records.items()
        if record.get("status") == OK
    }
