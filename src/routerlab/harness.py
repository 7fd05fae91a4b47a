"""The study's live MMLU test: a router vs one fixed model on the same questions.

Each question is sent twice — through the router (judge call, then the chosen model) and straight
to the fixed model (default ``gpt-4.1``) — with at most ``concurrency`` questions in flight. The
result holds a per-question table and summaries: accuracy of each approach (unparseable answers
count as wrong and are counted), model usage, mean and p90 latency per model, total and
per-question cost. Optionally resumable: finished questions are appended to a checkpoint
(:mod:`routerlab.labeling.checkpoint`: one fsynced JSON line per question, a torn last line cut on
open, an exclusive lock against a second writer), keyed by the question id.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from routerlab.asyncutil import run_sync
from routerlab.budget import SpendCap, estimate_harness_cost, guard, resolve_max_cost
from routerlab.errors import ConfigError
from routerlab.gateway import Gateway, RoutedResponse
from routerlab.labeling.checkpoint import OK, Checkpoint
from routerlab.llm.base import ChatClient
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.base import Router

LETTERS = ("A", "B", "C", "D")
STUDY_SUBJECTS = ("marketing", "machine_learning")
STAND_IN_NOTE = "offline stand-in: SmolLM2-135M, not the pool's models"


def format_question(subject: str, question: str, choices: Sequence[str]) -> str:
    """The study's prompt: subject line, question, lettered choices, the letter instruction."""
    if len(choices) != len(LETTERS):
        raise ValueError(f"MMLU questions have 4 choices, got {len(choices)}")
    topic = subject.replace("_", " ")
    lines = [f"The following are questions (with answers) about {topic}.", ""]
    lines.append(question.strip())
    lines += [
        f"{letter}. {str(choice).strip()}" for letter, choice in zip(LETTERS, choices, strict=True)
    ]
    lines.append("Answer with only the letter (A, B, C, or D):")
    return "\n".join(lines)


_ONLY_LETTER = re.compile(r"^\W*([A-Da-d])\W*$")
_ANSWER_IS = re.compile(
    r"\b(?:answer|option|choice)\b\s*(?:is|:|=)?\s*(?:option\s*|letter\s*)?\(?([A-Da-d])\b",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^\W*([A-Da-d])[.):\]]")
_STANDALONE = re.compile(r"\b([A-D])\b")


def extract_choice(text: str | None) -> str | None:
    """The answer letter in a model's reply, or None when it cannot be told.

    Accepts "B", "b", "B.", "(b)", "b)", "The answer is B", "Answer: c", "B. Paris"; a reply that
    names two different capital letters without saying which is the answer is unparseable.
    """
    if not text or not text.strip():
        return None
    t = text.strip()
    for pattern in (_ONLY_LETTER, _ANSWER_IS, _LEADING):
        match = pattern.search(t)
        if match:
            return match.group(1).upper()
    found = set(_STANDALONE.findall(t))
    return found.pop() if len(found) == 1 else None


def load_questions(
    subjects: Sequence[str] = STUDY_SUBJECTS,
    split: str = "dev",
    sample_size: int | None = None,
) -> pd.DataFrame:
    """MMLU questions with ``qid, subject, question, choices, answer, gold, prompt``.

    ``sample_size`` takes the first n questions of each subject (as the study did), None all.
    """
    from routerlab.data import load_mmlu

    if not subjects:
        raise ConfigError("subjects is empty; name at least one MMLU subject")
    if sample_size is not None and sample_size < 1:
        raise ConfigError(f"sample_size must be >= 1 or None, got {sample_size}")
    frame = load_mmlu(split, list(subjects))
    # qid = subject/split/position within the subject: the same question keeps its qid whatever
    # other subjects or sample size a run has (checkpoints and saved tables are matched by it)
    frame = frame.reset_index(drop=True)
    position = frame.groupby("subject", sort=False).cumcount()
    frame["qid"] = [f"{s}/{split}/{i}" for s, i in zip(frame["subject"], position, strict=True)]
    if sample_size is not None:
        frame = frame.groupby("subject", sort=False).head(sample_size)
    frame = frame.reset_index(drop=True)
    frame["gold"] = [LETTERS[int(a)] for a in frame["answer"]]
    frame["prompt"] = [
        format_question(s, q, c)
        for s, q, c in zip(frame["subject"], frame["question"], frame["choices"], strict=True)
    ]
    return frame


@dataclass
class HarnessResult:
    """Per-question table plus summaries; ``stand_in`` marks numbers made by a local model."""

    table: pd.DataFrame
    router: str
    fixed_model: str
    stand_in: bool
    backend: str
    # "complete", or "budget" when the spending cap stopped the run before every question was
    # asked (the table then holds the questions finished so far; rerun with the checkpoint)
    stopped: str = "complete"
    cache: dict[str, Any] | None = None  # response-cache counts of the client, None: no cache

    @property
    def partial(self) -> bool:
        return self.stopped != "complete"

    @property
    def label(self) -> str:
        return STAND_IN_NOTE if self.stand_in else f"backend: {self.backend}"

    def summary(self) -> pd.DataFrame:
        """One row per approach: n, accuracy, unparseable, errors, fallbacks, cost, latency."""
        rows = []
        for approach in ("router", "fixed"):
            t = self.table
            lat = t[f"{approach}_total_latency_s"]
            rows.append(
                {
                    "approach": f"router ({self.router})" if approach == "router" else
                    f"fixed ({self.fixed_model})",
                    "questions": len(t),
                    "accuracy": float(t[f"{approach}_correct"].mean()) if len(t) else 0.0,
                    "unparseable": int((t[f"{approach}_letter"].isna() & t[f"{approach}_error"].isna()).sum()),
                    "errors": int(t[f"{approach}_error"].notna().sum()),
                    "fallbacks": int(t["router_fallback"].sum()) if approach == "router" else 0,
                    "total_cost_usd": float(t[f"{approach}_cost_usd"].sum()),
                    "list_cost_usd": float(_col(t, f"{approach}_list_cost_usd", f"{approach}_cost_usd").sum()),
                    "cached_answers": int(_col(t, f"{approach}_cached", None).sum()),
                    "cost_per_question_usd": float(t[f"{approach}_cost_usd"].mean()) if len(t) else 0.0,
                    "mean_latency_s": float(lat.mean()) if len(t) else 0.0,
                    "p90_latency_s": float(lat.quantile(0.9)) if len(t) else 0.0,
                }
            )  # fmt: skip
        frame = pd.DataFrame(rows)
        frame["note"] = self.label + (
            " (partial: stopped at the spending cap)" if self.partial else ""
        )
        return frame

    def save(self, folder: str | Path, name: str) -> Path:
        """Write ``<name>_questions.csv`` and ``<name>_meta.json`` under ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(out / f"{name}_questions.csv", index=False)
        meta = {
            k: getattr(self, k)
            for k in ("router", "fixed_model", "stand_in", "backend", "stopped", "cache")
        }
        (out / f"{name}_meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return out / f"{name}_questions.csv"

    @classmethod
    def load(cls, folder: str | Path, name: str) -> HarnessResult:
        """Read a result written by :meth:`save`."""
        out = Path(folder)
        meta = json.loads((out / f"{name}_meta.json").read_text(encoding="utf-8"))
        table = pd.read_csv(out / f"{name}_questions.csv")
        for col in ("router_error", "fixed_error", "router_letter", "fixed_letter"):
            table[col] = table[col].astype(object).where(table[col].notna(), None)
        return cls(table=table, **meta)

    def usage(self) -> pd.DataFrame:
        """Model usage per approach: count, share %, mean and p90 total latency per model."""
        parts = []
        for approach in ("router", "fixed"):
            t = self.table[self.table[f"{approach}_error"].isna()]
            grouped = t.groupby(f"{approach}_model")[f"{approach}_total_latency_s"]
            part = pd.DataFrame(
                {
                    "calls": grouped.size(),
                    "mean_latency_s": grouped.mean(),
                    "p90_latency_s": grouped.quantile(0.9),
                }
            ).reset_index(names="model")
            part.insert(0, "approach", approach)
            part["share_pct"] = 100.0 * part["calls"] / max(len(self.table), 1)
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        frame["note"] = self.label
        return frame


def _col(table: pd.DataFrame, name: str, fallback: str | None) -> pd.Series:
    """A column of a results table; tables saved before it existed use ``fallback`` (or 0)."""
    if name in table.columns:
        return table[name].fillna(0)
    if fallback is not None:
        return table[fallback]
    return pd.Series(0, index=table.index)


def load_saved(folder: str | Path, names: Sequence[str]) -> list[HarnessResult]:
    """Results saved earlier under ``folder`` (e.g. by another notebook); missing ones skipped."""
    return [
        HarnessResult.load(folder, name)
        for name in names
        if (Path(folder) / f"{name}_meta.json").is_file()
    ]


def compare_results(results: Sequence[HarnessResult]) -> pd.DataFrame:
    """Summaries of several runs side by side (each router once; the fixed model of each run)."""
    frames = []
    for run in results:
        frame = run.summary()
        frame.insert(0, "run", f"{run.router} run")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# Letter answers need a few tokens; a reasoning model also spends its budget thinking first.
MMLU_MAX_TOKENS = 16
MMLU_REASONING_MAX_TOKENS = 4096


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


def describe_result(result: HarnessResult) -> str:
    """A short paragraph of findings written from the computed numbers."""
    summary = result.summary().set_index("approach")
    router_row, fixed_row = summary.iloc[0], summary.iloc[1]
    usage = result.usage()
    shares = usage[usage["approach"] == "router"].sort_values("share_pct", ascending=False)
    mix = ", ".join(f"{r.model} {r.share_pct:.0f}%" for r in shares.itertuples())
    n = int(router_row["questions"])
    diff = router_row["accuracy"] - fixed_row["accuracy"]
    # Compare list prices: a rerun served from the response cache pays 0 for both sides, and
    # 0/0 says nothing; what each side costs to make is the list price.
    router_list = _summary_value(router_row, "list_cost_usd", "total_cost_usd")
    fixed_list = _summary_value(fixed_row, "list_cost_usd", "total_cost_usd")
    cost_ratio = router_list / fixed_list if fixed_list else float("nan")
    text = (
        f"On {n} questions the {summary.index[0]} scored {router_row['accuracy']:.0%} and the "
        f"{summary.index[1]} {fixed_row['accuracy']:.0%} ({diff:+.0%}, i.e. "
        f"{abs(round(diff * n))} question(s)); {int(router_row['unparseable'])} router and "
        f"{int(fixed_row['unparseable'])} fixed answers were unparseable and count as wrong. "
        f"The router sent {mix}; {int(router_row['fallbacks'])} judge call(s) fell back. "
        f"Cost per question at list price: ${router_list / max(n, 1):.6f} routed (judge "
        f"included) vs ${fixed_list / max(n, 1):.6f} fixed ({cost_ratio:.2f}x); paid this run: "
        f"${router_row['cost_per_question_usd']:.6f} vs ${fixed_row['cost_per_question_usd']:.6f}"
        f"{_cached_note(router_row, fixed_row)}. Mean latency "
        f"{router_row['mean_latency_s']:.2f} s routed vs {fixed_row['mean_latency_s']:.2f} s fixed."
    )
    if n < 30:
        text += f" With {n} questions one question moves accuracy by {1 / n:.0%}: too few to rank."
    if result.stand_in:
        text += f" ({STAND_IN_NOTE}: these numbers exercise the pipeline only.)"
    return text


def _summary_value(row: pd.Series, name: str, fallback: str) -> float:
    """``row[name]``, or ``row[fallback]`` for summaries made before ``name`` existed."""
    value = row.get(name)
    return float(row[fallback] if value is None or pd.isna(value) else value)


def _cached_note(router_row: pd.Series, fixed_row: pd.Series) -> str:
    hits = int(router_row.get("cached_answers", 0) or 0) + int(
        fixed_row.get("cached_answers", 0) or 0
    )
    return f" ({hits} answer(s) served from the response cache, paid 0)" if hits else ""


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
    import hashlib

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
