"""Judge labeling: bounded async concurrency, retries, a spend cap and a resumable checkpoint.

:func:`alabel_prompts` asks a judge model, through any :class:`~routerlab.llm.base.ChatClient`,
for the cheapest pool model that suffices for each prompt. Every answer is appended to a
:class:`~routerlab.labeling.checkpoint.Checkpoint` as it arrives; prompts already labeled there
are skipped, so a killed run is resumed by running it again.

Spending is capped before a call is made: each call reserves an upper estimate of its cost
(input tokens counted, output tokens bounded), and no call starts once spent plus reserved would
pass the budget. The run then stops cleanly: calls in flight finish and are recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routerlab.asyncutil import run_sync
from routerlab.budget import SpendCap
from routerlab.errors import ConfigError, LLMError
from routerlab.labeling.checkpoint import ERROR, OK, Checkpoint, normalize_prompt, prompt_key
from routerlab.labeling.prompt import build_messages, render_system_prompt
from routerlab.labeling.schema import label_schema
from routerlab.llm.base import ChatClient, ChatResult
from routerlab.llm.cache import is_cacheable
from routerlab.pool import Pool
from routerlab.retry import RetryPolicy, is_transient
from routerlab.usage import Usage

_FATAL_STATUS = {401, 403, 404}  # retrying cannot help, and every other prompt would fail too
STUDY_JUDGE = "gpt-4.1"
STUDY_TEMPERATURE = 0.2


@dataclass(frozen=True)
class LabelConfig:
    """How to label.

    Attributes:
        judge: pool model that labels (study: ``gpt-4.1``).
        temperature: sampling temperature (study: 0.2); not sent to models that reject it.
        concurrency: calls in flight at once (>= 1).
        max_attempts: tries per prompt before it is recorded as failed (>= 1). Retried are
            what :func:`routerlab.retry.is_transient` calls transient (connection errors,
            timeouts, 408/409/429/5xx) and answers that are no valid label.
        retry_base_s: first back-off delay; doubles each retry, with jitter.
        budget_usd: stop starting calls once this run could spend more than this (None: no
            cap). The cap is per run; spend recorded in the checkpoint by earlier runs is not
            counted again.
        max_output_tokens: output tokens reserved per call for the budget estimate, and the
            cap sent to the model (None: 64 for chat models, 4096 for reasoning models).
        retry_failed: on resume, label again prompts whose earlier attempts failed.
    """

    judge: str = STUDY_JUDGE
    temperature: float = STUDY_TEMPERATURE
    concurrency: int = 8
    max_attempts: int = 3
    retry_base_s: float = 1.0
    budget_usd: float | None = None
    max_output_tokens: int | None = None
    retry_failed: bool = True

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.budget_usd is not None and self.budget_usd < 0:
            raise ConfigError(f"budget_usd must be >= 0 or None, got {self.budget_usd}")
        if self.retry_base_s < 0:
            raise ConfigError(f"retry_base_s must be >= 0, got {self.retry_base_s}")

    def output_tokens(self, pool: Pool) -> int:
        if self.max_output_tokens is not None:
            return self.max_output_tokens
        return 4096 if pool[self.judge].reasoning else 64


@dataclass
class LabelRun:
    """What a labeling run did, and the labels of the prompts it was given."""

    labels: pd.DataFrame  # user_query, key, label, status (ok | error | pending), judge, ...
    n_prompts: int
    n_unique: int
    n_already_done: int
    n_labeled: int  # labeled by this run
    n_failed: int  # failed in this run after all attempts
    spent_usd: float  # this run's spend
    stopped: str  # "complete" | "budget"
    judge: str
    backend: str
    stand_in: bool
    checkpoint: str
    errors: list[str] = field(default_factory=list)
    list_cost_usd: float = 0.0  # this run's calls at list price (cache hits included)
    cache: dict[str, Any] | None = None  # the client's response-cache counts, None: no cache

    def summary(self) -> pd.DataFrame:
        """One-row table of the counts (for notebooks and the CLI)."""
        return pd.DataFrame(
            [
                {
                    "prompts": self.n_prompts,
                    "unique": self.n_unique,
                    "already_done": self.n_already_done,
                    "labeled_now": self.n_labeled,
                    "failed_now": self.n_failed,
                    "pending": int((self.labels["status"] == "pending").sum()),
                    "spent_usd": round(self.spent_usd, 6),
                    "list_cost_usd": round(self.list_cost_usd, 6),
                    "cache_hits": (self.cache or {}).get("hits", 0),
                    "stopped": self.stopped,
                    "judge": self.judge,
                    "backend": self.backend,
                }
            ]
        )


def estimate_cost(
    pool: Pool, judge: str, system_prompt: str, prompt: str, out_tokens: int
) -> float:
    """Upper estimate of one labeling call's cost: counted input tokens, capped output."""
    from routerlab.tokens import token_count

    text = system_prompt + prompt
    n_in = token_count(text, allow_estimate=True).n + 32  # + message framing and the wrapper
    return pool.cost(judge, Usage(prompt_tokens=n_in, completion_tokens=out_tokens))


async def alabel_prompts(
    prompts: Sequence[str],
    client: ChatClient,
    checkpoint_path: str | Path,
    *,
    config: LabelConfig | None = None,
    progress: bool = True,
    system_prompt: str | None = None,
) -> LabelRun:
    """Label ``prompts`` with the judge, appending each result to ``checkpoint_path``.

    Prompts already labeled in the checkpoint are skipped; duplicates are labeled once.
    Exceptions other than :class:`~routerlab.errors.LLMError` (a crash, Ctrl-C) propagate:
    what finished before them is already on disk.
    """
    cfg = config or LabelConfig()
    pool = client.pool
    pool.get(cfg.judge)
    schema = label_schema(pool)
    system = system_prompt if system_prompt is not None else render_system_prompt(pool)
    out_tokens = cfg.output_tokens(pool)

    texts = [normalize_prompt(str(p)) for p in prompts]
    keys = [prompt_key(t) for t in texts]
    unique = dict(zip(keys, texts, strict=True))
    budget = SpendCap(cfg.budget_usd)
    errors: list[str] = []
    counts: dict[str, float] = {"labeled": 0, "failed": 0, "list_cost": 0.0}

    with Checkpoint.open(checkpoint_path) as checkpoint:
        done_before = checkpoint.done & unique.keys()
        skip = checkpoint.done | (set() if cfg.retry_failed else checkpoint.failed)
        todo = [k for k in unique if k not in skip]
        semaphore = asyncio.Semaphore(cfg.concurrency)
        bar = _progress(len(todo), progress, cfg.judge)

        async def label_one(key: str) -> None:
            async with semaphore:
                if budget.exhausted:
                    return
                text = unique[key]
                reserve = estimate_cost(pool, cfg.judge, system, text, out_tokens)
                if not budget.reserve(reserve):
                    return
                record = await _call_with_retries(
                    client, cfg, key, text, system, schema, out_tokens
                )
                budget.settle(reserve, float(record.get("cost_usd", 0.0)))
                counts["list_cost"] += float(record.get("list_cost_usd", 0.0))
                checkpoint.append(record)
                if record["status"] == OK:
                    counts["labeled"] += 1
                else:
                    counts["failed"] += 1
                    errors.append(f"{key[:12]}: {record['error']}")
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(spent=f"${budget.spent:.4f}", refresh=False)

        tasks = [asyncio.create_task(label_one(k)) for k in todo]
        try:
            await asyncio.gather(*tasks)
        finally:
            # On a crash or Ctrl-C, stop the calls in flight before the checkpoint closes;
            # what they would have returned is simply asked again on the next run.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if bar is not None:
                bar.close()
        records = dict(checkpoint.records)

    return LabelRun(
        labels=_labels_frame(texts, keys, records),
        n_prompts=len(texts),
        n_unique=len(unique),
        n_already_done=len(done_before),
        n_labeled=int(counts["labeled"]),
        n_failed=int(counts["failed"]),
        spent_usd=budget.spent,
        stopped="budget" if budget.exhausted else "complete",
        judge=cfg.judge,
        backend=getattr(client, "backend", type(client).__name__),
        stand_in=bool(getattr(client, "stand_in", False)),
        checkpoint=str(checkpoint_path),
        errors=errors,
        list_cost_usd=counts["list_cost"],
        cache=client.cache_stats() if isinstance(client, ChatClient) else None,
    )


def label_prompts(
    prompts: Sequence[str], client: ChatClient, checkpoint_path: str | Path, **kwargs: Any
) -> LabelRun:
    """Sync wrapper of :func:`alabel_prompts` (works inside Jupyter)."""
    return run_sync(alabel_prompts(prompts, client, checkpoint_path, **kwargs))


class InvalidLabel(Exception):
    """The judge answered, but not with a pool model's name: worth asking again."""


def _worth_another_attempt(exc: BaseException) -> bool:
    """The shared transport rule (:func:`routerlab.retry.is_transient`), plus the judge's
    answer not being a valid label (off-schema output, an unknown model): a new sample may be."""
    if isinstance(exc, InvalidLabel):
        return True
    if isinstance(exc, LLMError) and exc.kind == "invalid_output":
        return True
    return is_transient(exc)


async def _call_with_retries(
    client: ChatClient,
    cfg: LabelConfig,
    key: str,
    text: str,
    system: str,
    schema: type,
    out_tokens: int,
) -> dict[str, Any]:
    """Label one prompt under :class:`~routerlab.retry.RetryPolicy` (``max_attempts`` tries,
    back-off from ``retry_base_s`` with jitter); the record says how it ended.

    Errors that would fail every prompt (401/403/404) are raised; other failures not worth
    retrying (a refusal, a 400) and spent attempts are recorded as the prompt's ``error``.
    """
    pool = client.pool
    messages = build_messages(text, pool, system_prompt=system)
    # The pool's rules: no temperature for reasoning judges, max_completion_tokens for them.
    params = pool.call_params(cfg.judge, cfg.temperature, out_tokens)
    policy = RetryPolicy(retries=cfg.max_attempts - 1, backoff_s=cfg.retry_base_s, jitter=True)
    spent = {"cost": 0.0, "list_cost": 0.0, "attempts": 0}  # paid (hits: 0); at list price

    async def attempt() -> tuple[ChatResult[Any], str]:
        spent["attempts"] += 1
        result: ChatResult[Any] = await client.acomplete(
            cfg.judge,
            messages,
            response_format=schema,
            # the configured temperature, not the one sent (None for reasoning judges)
            cacheable=is_cacheable(cfg.temperature),
            **params,
        )
        spent["cost"] += result.cost_usd
        spent["list_cost"] += result.list_price_usd
        label = getattr(result.parsed, "label", None)
        if label not in pool:
            raise InvalidLabel(f"invalid output: {result.text[:120]!r}")
        return result, str(label)

    try:
        result, label = await policy.run(attempt, retry_if=_worth_another_attempt)
    except LLMError as exc:
        if exc.status in _FATAL_STATUS:
            raise
        last_error = f"{exc.kind}: {exc}"
    except InvalidLabel as exc:
        last_error = str(exc)
    else:
        return {
            "key": key,
            "prompt": text,
            "label": label,
            "status": OK,
            "judge": cfg.judge,
            "backend": result.backend,
            "stand_in": result.stand_in,
            "source": "live",
            "attempts": int(spent["attempts"]),
            "usage": result.usage.to_dict(),
            "cost_usd": spent["cost"],
            "list_cost_usd": spent["list_cost"],
            "cached": result.cached,
            "latency_s": round(result.latency_s, 4),
            "time": time.time(),
        }
    return {
        "key": key,
        "prompt": text,
        "label": None,
        "status": ERROR,
        "error": last_error,
        "judge": cfg.judge,
        "source": "live",
        "attempts": int(spent["attempts"]),
        "cost_usd": spent["cost"],
        "list_cost_usd": spent["list_cost"],
        "cached": False,
        "time": time.time(),
    }


def _labels_frame(
    texts: list[str], keys: list[str], records: dict[str, dict[str, Any]]
) -> pd.DataFrame:
    rows = []
    for text, key in zip(texts, keys, strict=True):
        rec = records.get(key)
        rows.append(
            {
                "user_query": text,
                "key": key,
                "label": (rec or {}).get("label") or "",
                "status": (rec or {}).get("status", "pending"),
                "judge": (rec or {}).get("judge", ""),
                "source": (rec or {}).get("source", ""),
                "stand_in": bool((rec or {}).get("stand_in", False)),
                "cached": bool((rec or {}).get("cached", False)),
            }
        )
    return pd.DataFrame(rows)


def labels_from_checkpoint(prompts: Sequence[str], checkpoint_path: str | Path) -> pd.DataFrame:
    """Labels of ``prompts`` as recorded in a checkpoint (``pending`` where none)."""
    from routerlab.labeling.checkpoint import read_records

    records: dict[str, dict[str, Any]] = {}
    if Path(checkpoint_path).exists():
        for rec in read_records(checkpoint_path):
            if records.get(rec["key"], {}).get("status") != OK:
                records[rec["key"]] = rec
    texts = [normalize_prompt(str(p)) for p in prompts]
    return _labels_frame(texts, [prompt_key(t) for t in texts], records)


def _progress(total: int, enabled: bool, judge: str) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"labeling with {judge}", unit="prompt")
