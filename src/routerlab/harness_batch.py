"""Batch API mode for the MMLU harness and the judge routers: half price, no rate limits.

A harness run in Batch mode has two stages, because the routed answer depends on the judge:

1. ``decide``: one judge request per question (``judge:<qid>``) and the fixed model's answer
   (``fixed:<qid>``);
2. ``answer``: the answer of the model each decision chose (``routed:<qid>``).

Every request body is built by the same code the synchronous path calls
(:meth:`JudgeRouter.call_args`, :meth:`Gateway.call_args`, the SDK's ``response_format`` for the
judge's schema), and the replies are read into the same :class:`~routerlab.harness.HarnessResult`
table (:func:`~routerlab.harness.question_record`), priced with ``pool.cost(..., batch=True)``.
Batch replies carry no latency, so the latency columns are NaN. A line that failed becomes that
question's error (a failed judge line falls back as the router would).

State lives in ``<name>.batch.json`` next to the outputs: the submitted batch of each stage, and
the ids it was built for. A restart polls the saved batch instead of submitting again; downloaded
output files are kept beside it, so collecting twice costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routerlab.batch_api import (
    BatchJob,
    BatchLine,
    adownload,
    apoll_batch,
    asubmit_batch,
    batch_request,
    read_batch_lines,
    write_batch_files,
)
from routerlab.errors import ConfigError, LLMError
from routerlab.gateway import Gateway, RoutedResponse
from routerlab.harness import HarnessResult, question_record, question_table
from routerlab.llm.base import ChatResult
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router
from routerlab.routers.judge import JudgeRouter

NAN = math.nan
PENDING = "pending"
DONE = "done"


def backend_label(openai_client: Any) -> str:
    """What answered, as the synchronous client names it, marked as a Batch run."""
    base = str(getattr(openai_client, "base_url", "") or "")
    if not base or "api.openai.com" in base:
        return "openai (batch)"
    return f"openai-compatible {base.rstrip('/')} (batch)"


# ----------------------------------------------------------------------------- stages


@dataclass
class BatchStages:
    """Submit-or-resume, poll and collect the Batch jobs of one run, state in ``state_path``."""

    openai_client: Any
    state_path: Path
    poll_s: float = 30.0
    timeout_s: float | None = None
    on_progress: Callable[[BatchJob], None] | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.state_path = Path(self.state_path)
        if self.state_path.is_file():
            try:
                self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"batch state file {self.state_path} is not valid JSON ({exc}); delete it to "
                    "submit anew (a batch already submitted is then paid again)"
                ) from None
        self.state.setdefault("stages", {})

    def _save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        tmp.write_text(json.dumps(self.state, indent=1), encoding="utf-8")
        tmp.replace(self.state_path)  # never a half-written state: it holds what was paid for

    def _file(self, stage: str, kind: str) -> Path:
        stem = self.state_path.name.removesuffix(".batch.json")
        return self.state_path.with_name(f"{stem}.{stage}.{kind}.jsonl")

    def job(self, stage: str) -> BatchJob | None:
        saved = self.state["stages"].get(stage, {}).get("job")
        return BatchJob.from_dict(saved) if saved else None

    async def arun(
        self, stage: str, requests: Sequence[Mapping[str, Any]]
    ) -> dict[str, BatchLine] | None:
        """Lines of ``stage`` by ``custom_id`` once its batch has ended, else None (pending)."""
        ids = [str(r["custom_id"]) for r in requests]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"stage {stage!r}: custom_id values must be unique")
        entry = self.state["stages"].get(stage)
        if entry is not None and entry.get("ids") != ids:
            raise ConfigError(
                f"{self.state_path} holds a {stage!r} batch for other requests ({len(entry['ids'])}"
                f" ids, now {len(ids)}); use another output name, or delete the state file to "
                "submit anew"
            )
        if not requests:
            return {}
        if entry is None:
            paths = write_batch_files(requests, self._file(stage, "requests"))
            if len(paths) > 1:
                raise ConfigError(
                    f"{len(requests)} requests need {len(paths)} batch files; run fewer "
                    "questions per output name (one batch per stage is tracked)"
                )
            job = await asubmit_batch(self.openai_client, paths[0])
            entry = {"ids": ids, "job": job.to_dict()}
            self.state["stages"][stage] = entry
            self._save()  # before anything else can fail: a restart must find this batch
        job = BatchJob.from_dict(entry["job"])
        if not job.done:
            job = await apoll_batch(
                self.openai_client,
                job,
                poll_s=self.poll_s,
                timeout_s=self.timeout_s,
                on_progress=self.on_progress,
            )
            entry["job"] = job.to_dict()
            self._save()
        if not job.done:
            return None
        lines: dict[str, BatchLine] = {}
        for kind, file_id in (("output", job.output_file_id), ("errors", job.error_file_id)):
            if not file_id:
                continue
            local = self._file(stage, kind)
            if not local.is_file():
                text = await adownload(self.openai_client, file_id)
                local.write_text(text, encoding="utf-8")
            lines |= {line.custom_id: line for line in read_batch_lines(local)}
        if job.status != "completed" and not lines:
            raise LLMError(
                f"batch {job.batch_id} ended {job.status!r} with no outputs", kind="batch"
            )
        return lines


def _missing(custom_id: str, job: BatchJob | None) -> BatchLine:
    where = f"batch {job.batch_id} ({job.status})" if job else "the batch"
    return BatchLine(custom_id, None, f"no output line for {custom_id} in {where}")


# ----------------------------------------------------------------------------- judge lines


def judge_request(router: JudgeRouter, request: RouteRequest, custom_id: str) -> dict[str, Any]:
    """The judge's Batch line: the body its synchronous structured call sends."""
    from openai.lib._parsing._completions import type_to_response_format_param

    messages, params = router.call_args(request)
    body = {
        "model": router.judge_model,
        "messages": messages,
        "response_format": type_to_response_format_param(router.schema),
        **params,
    }
    return batch_request(custom_id, body)


def chat_result(line: BatchLine, model: str, router_pool: Any, backend: str) -> ChatResult[Any]:
    """A successful line as the :class:`ChatResult` a synchronous call returns (Batch price)."""
    body = line.body or {}
    choices = body.get("choices") or [{}]
    message = choices[0].get("message") or {}
    usage = line.usage
    return ChatResult(
        text=message.get("content") or "",
        model=model,
        backend=backend,
        usage=usage,
        latency_s=NAN,
        cost_usd=router_pool.cost(model, usage, batch=True),
        finish_reason=choices[0].get("finish_reason"),
        raw=body,
    )


def judge_decision(router: JudgeRouter, line: BatchLine, backend: str) -> Decision:
    """The decision a judge line makes (a failed line falls back, as a failed call does)."""
    if line.error is not None:
        return router.failed(f"batch error: {line.error}", NAN)
    if not (line.body or {}).get("choices"):
        return router.failed("batch error: the response has no choices", NAN)
    return router.decide(chat_result(line, router.judge_model, router.pool, backend), NAN)


# ----------------------------------------------------------------------------- the harness


@dataclass
class BatchRun:
    """Where a Batch run stands: ``status`` is ``pending`` (run again later) or ``done``."""

    status: str
    jobs: dict[str, BatchJob]
    result: Any = None  # HarnessResult or a decisions DataFrame once done

    def describe(self) -> str:
        parts = [job.progress_line() for job in self.jobs.values()]
        return "; ".join(parts) or "no batch needed"


def _answer(
    line: BatchLine,
    model: str,
    router_name: str,
    decision: Decision | None,
    gateway: Gateway,
    backend: str,
) -> RoutedResponse:
    router_cost = decision.cost_usd if decision else 0.0
    common: dict[str, Any] = {
        "model": model,
        "router": router_name,
        "decision": decision,
        "router_latency_s": decision.latency_s if decision else 0.0,
        "model_latency_s": NAN,
        "total_latency_s": NAN,
        "router_cost_usd": router_cost,
        "fallback": decision.fallback if decision else False,
        "fallback_reason": decision.fallback_reason if decision else None,
        "backend": backend,
    }
    if line.error is not None or not (line.body or {}).get("choices"):
        error = line.error or "the response has no choices"
        return RoutedResponse(answer="", error=f"batch: {error}", **common)
    result = chat_result(line, model, gateway.pool, backend)
    return RoutedResponse(
        answer=result.text, usage=result.usage, answer_cost_usd=result.cost_usd, **common
    )


async def _decide_locally(router: Router, requests: Sequence[RouteRequest]) -> list[Decision]:
    # Routers other than the judges (classifier, baselines) call no API: they decide here.
    return [await router.aroute(r) for r in requests]


async def arun_harness_batch(
    openai_client: Any,
    router_gateway: Gateway,
    questions: pd.DataFrame,
    state_path: str | Path,
    *,
    fixed_model: str = "gpt-4.1",
    temperature: float = 0.2,
    poll_s: float = 30.0,
    timeout_s: float | None = None,
    on_progress: Callable[[BatchJob], None] | None = None,
) -> BatchRun:
    """The harness of :func:`~routerlab.harness.arun_harness` through the Batch API.

    Returns ``pending`` with the jobs when a batch has not ended within ``timeout_s`` (call again
    with the same ``state_path`` to resume), else ``done`` with the :class:`HarnessResult`.
    """
    router = router_gateway.router
    if router is None:
        raise ConfigError("the harness needs a Gateway built with a router")
    pool = router_gateway.pool
    pool.get(fixed_model)
    backend = backend_label(openai_client)
    stages = BatchStages(openai_client, Path(state_path), poll_s, timeout_s, on_progress)
    rows = list(questions.itertuples(index=False))
    requests = {
        row.qid: RouteRequest(prompt=str(row.prompt), temperature=temperature) for row in rows
    }

    first: list[dict[str, Any]] = []
    if isinstance(router, JudgeRouter):
        first += [judge_request(router, requests[r.qid], f"judge:{r.qid}") for r in rows]
    for r in rows:
        messages, params = await router_gateway.call_args(requests[r.qid], fixed_model)
        first.append(batch_request(f"fixed:{r.qid}", {"model": fixed_model, "messages": messages,
                                                        **params}))  # fmt: skip
    decided = await stages.arun("decide", first)
    if decided is None:
        return BatchRun(PENDING, _jobs(stages))

    if isinstance(router, JudgeRouter):
        decisions = {
            r.qid: judge_decision(
                router, decided.get(f"judge:{r.qid}") or _missing(f"judge:{r.qid}", None), backend
            )
            for r in rows
        }
    else:
        made = await _decide_locally(router, [requests[r.qid] for r in rows])
        decisions = {r.qid: d for r, d in zip(rows, made, strict=True)}

    second = []
    for r in rows:
        model = decisions[r.qid].model
        messages, params = await router_gateway.call_args(requests[r.qid], model)
        body = {"model": model, "messages": messages, **params}
        second.append(batch_request(f"routed:{r.qid}", body))
    answered = await stages.arun("answer", second)
    if answered is None:
        return BatchRun(PENDING, _jobs(stages))

    records = []
    for r in rows:
        d = decisions[r.qid]
        routed_line = answered.get(f"routed:{r.qid}") or _missing(f"routed:{r.qid}", None)
        fixed_line = decided.get(f"fixed:{r.qid}") or _missing(f"fixed:{r.qid}", None)
        routed = _answer(routed_line, d.model, d.router, d, router_gateway, backend)
        fixed = _answer(fixed_line, fixed_model, "fixed", None, router_gateway, backend)
        records.append(question_record(r, routed, fixed))
    result = HarnessResult(
        table=question_table(records, questions),
        router=router.name,
        fixed_model=fixed_model,
        stand_in=False,
        backend=backend,
    )
    return BatchRun(DONE, _jobs(stages), result)


def _jobs(stages: BatchStages) -> dict[str, BatchJob]:
    return {name: job for name in ("decide", "answer") if (job := stages.job(name)) is not None}


# ----------------------------------------------------------------------------- judges alone


async def arun_decisions_batch(
    openai_client: Any,
    router: JudgeRouter,
    prompts: Sequence[str],
    state_path: str | Path,
    *,
    poll_s: float = 30.0,
    timeout_s: float | None = None,
    on_progress: Callable[[BatchJob], None] | None = None,
) -> BatchRun:
    """Judge decisions for ``prompts`` through the Batch API, as a table with ``prompt``,
    ``model`` (what :func:`routerlab.evaluation.run.load_decisions` reads), ``router``,
    ``fallback``, ``fallback_reason``, ``confidence`` and ``cost_usd`` (Batch price)."""
    if not isinstance(router, JudgeRouter):
        raise ConfigError(f"Batch decisions need a judge router (verbose, compact), got {router!r}")
    backend = backend_label(openai_client)
    unique = list(dict.fromkeys(str(p) for p in prompts))
    # by content, so the same prompt keeps its id whatever the file's order
    ids = [f"judge:{hashlib.sha256(p.encode('utf-8')).hexdigest()[:32]}" for p in unique]
    requests = [
        judge_request(router, RouteRequest(prompt=p), cid)
        for p, cid in zip(unique, ids, strict=True)
    ]
    stages = BatchStages(openai_client, Path(state_path), poll_s, timeout_s, on_progress)
    lines = await stages.arun("judge", requests)
    jobs = {"judge": job} if (job := stages.job("judge")) is not None else {}
    if lines is None:
        return BatchRun(PENDING, jobs)
    rows = []
    for prompt, cid in zip(unique, ids, strict=True):
        d = judge_decision(router, lines.get(cid) or _missing(cid, jobs.get("judge")), backend)
        rows.append(
            {
                "prompt": prompt,
                "model": d.model,
                "router": d.router,
                "fallback": d.fallback,
                "fallback_reason": d.fallback_reason,
                "confidence": d.confidence,
                "cost_usd": d.cost_usd,
                "backend": backend,
            }
        )
    return BatchRun(DONE, jobs, pd.DataFrame(rows))
