"""What a live run will cost before it starts, and a spending cap while it runs.

Estimates count the o200k tokens of the prompts the run will actually send (judge system prompt,
user turn, response schema, message framing) and price them with the pool file. Output is not
known in advance, so every estimate states its assumption: by default each call is assumed to
write as many tokens as its cap (``max_tokens``; for reasoning models ``max_completion_tokens``,
reasoning included), which makes the estimate a ceiling, and a routed answer is priced at the
pool model that would cost most for it. :func:`guard` prints the estimate and raises
:class:`BudgetExceeded` when it is above the cap (``--max-cost`` / ``$MAX_COST_USD``).

During a run, :class:`SpendCap` reserves each call's estimate before it starts and settles it
with what was actually paid (0 for a cache hit): no call starts once spent plus reserved would
pass the cap, so a run stops cleanly with its checkpoint intact, and running it again resumes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from routerlab.errors import ConfigError, RouterlabError
from routerlab.pool import Pool
from routerlab.usage import Usage

if TYPE_CHECKING:
    from routerlab.gateway import Gateway
    from routerlab.labeling.labeler import LabelConfig

MAX_COST_ENV = "MAX_COST_USD"
# Per message the chat format adds a few tokens (role, separators); per reply a few more.
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3
# Output assumed for a call sent without a cap (the gateway's answers when max_output_tokens is
# None): the figure is stated with the estimate; pass answer_output_tokens to change it.
UNCAPPED_OUTPUT_TOKENS = 1024


class BudgetExceeded(RouterlabError):
    """The estimated cost of a run is above the spending cap; nothing was started."""


def resolve_max_cost(value: float | None = None) -> float | None:
    """The cap in dollars: ``value`` if given, else ``$MAX_COST_USD``, else None (no cap).

    0 or an empty variable means no cap, as ``BUDGET_USD = 0`` does in the notebooks.
    """
    if value is None:
        raw = os.environ.get(MAX_COST_ENV, "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(
                f"${MAX_COST_ENV} must be a number of US dollars, got {raw!r}"
            ) from None
    if value != value or value < 0:  # NaN or negative
        raise ConfigError(f"the cost cap must be >= 0 dollars (0: no cap), got {value}")
    return float(value) or None


@dataclass
class CostEstimate:
    """Estimated cost of a run: one row per component, the total, and the assumptions made."""

    table: pd.DataFrame  # component, model, calls, input_tokens, output_tokens, cost_usd
    assumptions: list[str]
    what: str

    @property
    def total_usd(self) -> float:
        return float(self.table["cost_usd"].sum()) if len(self.table) else 0.0

    @property
    def calls(self) -> int:
        return int(self.table["calls"].sum()) if len(self.table) else 0

    def describe(self) -> str:
        """A few lines for a notebook or a terminal."""
        lines = [f"estimated cost of {self.what}: ${self.total_usd:.4f} ({self.calls} calls)"]
        for row in self.table.itertuples(index=False):
            lines.append(
                f"  {row.component}: {row.calls} x {row.model}, {row.input_tokens:,} input + "
                f"{row.output_tokens:,} output tokens = ${row.cost_usd:.4f}"
            )
        lines += [f"  assumption: {a}" for a in self.assumptions]
        return "\n".join(lines)

    def check(self, max_cost: float | None) -> None:
        """Raise :class:`BudgetExceeded` when the estimate is above ``max_cost`` (None: no cap)."""
        if max_cost is not None and self.total_usd > max_cost:
            raise BudgetExceeded(
                f"estimated cost of {self.what} is ${self.total_usd:.4f}, above the cap "
                f"${max_cost:.4f} (--max-cost / ${MAX_COST_ENV}); run fewer items or raise the cap"
            )


def guard(
    estimate: CostEstimate,
    max_cost: float | None,
    *,
    stand_in: bool = False,
    echo: Callable[[str], None] | None = print,
) -> CostEstimate:
    """Print ``estimate`` and refuse (:class:`BudgetExceeded`) when it is above ``max_cost``.

    A local stand-in spends nothing: its estimate is printed as the price the same calls would
    have live, and not enforced.
    """
    if echo is not None:
        text = estimate.describe()
        if stand_in:
            text += "\n  (offline stand-in: nothing is paid; the cap applies to live runs only)"
        echo(text)
    if not stand_in:
        estimate.check(max_cost)
    return estimate


class SpendCap:
    """Spent and reserved dollars; a call starts only if its reservation fits under the cap."""

    def __init__(self, cap: float | None) -> None:
        if cap is not None and cap < 0:
            raise ConfigError(f"the spending cap must be >= 0 or None, got {cap}")
        self.cap = cap
        self.spent = 0.0
        self.reserved = 0.0
        self.exhausted = False

    def reserve(self, amount: float) -> bool:
        if self.cap is not None and self.spent + self.reserved + amount > self.cap:
            self.exhausted = True
            return False
        self.reserved += amount
        return True

    def settle(self, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.spent += actual
        if self.cap is not None and self.spent >= self.cap:
            self.exhausted = True  # what is left cannot pay for any call


# -- token counting ----------------------------------------------------------------------------


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: text is counted, images/files are not
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return json.dumps(content, default=str)


def message_tokens(messages: Sequence[dict[str, Any]], schema: type | None = None) -> int:
    """o200k tokens of a chat request's input: contents, framing and the response schema."""
    from routerlab.tokens import count_tokens

    n = TOKENS_PER_REPLY
    for message in messages:
        n += TOKENS_PER_MESSAGE + count_tokens(_content_text(message.get("content", "")))
    if schema is not None:
        n += count_tokens(json.dumps(schema.model_json_schema(), separators=(",", ":")))  # type: ignore[attr-defined]
    return n


def _row(component: str, model: str, calls: int, n_in: int, n_out: int, pool: Pool) -> dict:  # type: ignore[type-arg]
    cost = pool.cost(model, Usage(prompt_tokens=n_in, completion_tokens=n_out))
    return {
        "component": component,
        "model": model,
        "calls": calls,
        "input_tokens": n_in,
        "output_tokens": n_out,
        "cost_usd": cost,
    }


# -- the MMLU harness ----------------------------------------------------------------------------


@dataclass
class HarnessEstimate(CostEstimate):
    """A harness estimate, with the per-question ceiling the running cap reserves."""

    per_question_usd: dict[str, float] = field(default_factory=dict)  # qid -> estimate


def estimate_harness_cost(
    gateway: Gateway,
    questions: pd.DataFrame,
    *,
    fixed_model: str = "gpt-4.1",
    temperature: float = 0.2,
    judge_output_tokens: int | None = None,
    answer_output_tokens: int | None = None,
) -> HarnessEstimate:
    """Estimated cost of :func:`routerlab.harness.run_harness` over ``questions``.

    Per question: the router's judge call (judge routers only), the routed answer priced at the
    pool model that would cost most for it, and the fixed model's answer. Output tokens: each
    call's cap (``judge_output_tokens`` / ``answer_output_tokens`` override it); a call without a
    cap is assumed to write :data:`UNCAPPED_OUTPUT_TOKENS`.
    """
    from routerlab.gateway import call_params
    from routerlab.request import RouteRequest

    pool = gateway.pool
    pool.get(fixed_model)
    router = gateway.router
    judge_model = getattr(router, "judge_model", None)
    style = getattr(router, "style", None)
    assumptions = []

    def cap(model: str) -> int:
        if answer_output_tokens is not None:
            return answer_output_tokens
        params = call_params(pool, model, temperature, gateway._cap(model))
        value = params.get("max_tokens") or params.get("max_completion_tokens")
        return int(value) if value else UNCAPPED_OUTPUT_TOKENS

    judge_out = 0
    if judge_model is not None and style is not None:
        judge_out = judge_output_tokens or getattr(router, "max_output_tokens", None) or 0
        if not judge_out:
            judge_out = UNCAPPED_OUTPUT_TOKENS
            assumptions.append(
                f"judge ({judge_model}, {style}) output: {judge_out} tokens per call (no cap set)"
            )
        else:
            assumptions.append(
                f"judge ({judge_model}, {style}) output: {judge_out} tokens per call"
            )
    out_caps = {m: cap(m) for m in pool.names}
    assumptions.append(
        "answer output: each call's cap, reasoning included ("
        + ", ".join(f"{m} {n}" for m, n in out_caps.items())
        + " tokens), so the estimate is a ceiling"
    )
    assumptions.append("routed answer priced at the pool model that costs most for it")
    assumptions.append("no retries; cached answers (free) not subtracted")

    totals: dict[tuple[str, str], list[int]] = {}
    per_question: dict[str, float] = {}

    def add(component: str, model: str, n_in: int, n_out: int) -> float:
        entry = totals.setdefault((component, model), [0, 0, 0])
        entry[0] += 1
        entry[1] += n_in
        entry[2] += n_out
        return pool.cost(model, Usage(prompt_tokens=n_in, completion_tokens=n_out))

    for row in questions.itertuples(index=False):
        request = RouteRequest(prompt=str(row.prompt), temperature=temperature)
        answer_in = message_tokens([{"role": "user", "content": str(row.prompt)}])
        cost = 0.0
        if judge_model is not None and style is not None:
            from routerlab.prompts import judge_messages

            messages = judge_messages(style, pool, request)
            cost += add("judge", judge_model, message_tokens(messages, router.schema), judge_out)  # type: ignore[union-attr]
        dearest = max(
            pool.names,
            key=lambda m: pool.cost(
                m, Usage(prompt_tokens=answer_in, completion_tokens=out_caps[m])
            ),
        )
        cost += add("routed answer (dearest model)", dearest, answer_in, out_caps[dearest])
        cost += add("fixed answer", fixed_model, answer_in, out_caps[fixed_model])
        per_question[str(row.qid)] = cost

    rows = [_row(c, m, v[0], v[1], v[2], pool) for (c, m), v in totals.items()]
    return HarnessEstimate(
        table=pd.DataFrame(rows, columns=list(_row("", pool.names[0], 0, 0, 0, pool))),
        assumptions=assumptions,
        what=f"the MMLU harness on {len(questions)} question(s)",
        per_question_usd=per_question,
    )


def at_batch_price(estimate: CostEstimate, pool: Pool) -> CostEstimate:
    """``estimate`` priced as the Batch API bills it (``pool.batch_discount`` of list price)."""
    table = estimate.table.copy()
    table["cost_usd"] = table["cost_usd"] * pool.batch_discount
    return CostEstimate(
        table=table,
        assumptions=[
            *estimate.assumptions,
            f"Batch price: {pool.batch_discount:g} x list price",
        ],
        what=f"{estimate.what} through the Batch API",
    )


def estimate_judge_cost(router: Any, prompts: Iterable[str], pool: Pool) -> CostEstimate:
    """Estimated list-price cost of one judge decision per prompt (a judge router's calls)."""
    from routerlab.prompts import judge_messages
    from routerlab.request import RouteRequest

    judge_model = getattr(router, "judge_model", None)
    style = getattr(router, "style", None)
    if judge_model is None or style is None:
        raise ConfigError(f"router {getattr(router, 'name', router)!r} makes no judge calls")
    out = getattr(router, "max_output_tokens", None) or UNCAPPED_OUTPUT_TOKENS
    texts = [str(p) for p in prompts]
    n_in = sum(
        message_tokens(judge_messages(style, pool, RouteRequest(prompt=t)), router.schema)
        for t in texts
    )
    row = _row("judge", judge_model, len(texts), n_in, out * len(texts), pool)
    return CostEstimate(
        table=pd.DataFrame([row]),
        assumptions=[f"judge ({judge_model}, {style}) output: {out} tokens per call"],
        what=f"{len(texts)} {style} judge decision(s)",
    )


# -- labeling ----------------------------------------------------------------------------------


def estimate_label_cost(
    prompts: Iterable[str],
    pool: Pool,
    config: LabelConfig | None = None,
    *,
    system_prompt: str | None = None,
    skip: Iterable[str] = (),
) -> CostEstimate:
    """Estimated cost of labeling ``prompts`` (unique, minus the checkpoint keys in ``skip``).

    Each call is priced as the labeler reserves it: the counted input and the output cap
    (``LabelConfig.output_tokens``: 64 for chat judges, 4096 for reasoning ones), one attempt.
    """
    from routerlab.labeling.checkpoint import normalize_prompt, prompt_key
    from routerlab.labeling.labeler import LabelConfig, estimate_cost
    from routerlab.labeling.prompt import build_messages, render_system_prompt
    from routerlab.labeling.schema import label_schema

    cfg = config or LabelConfig()
    pool.get(cfg.judge)
    system = system_prompt if system_prompt is not None else render_system_prompt(pool)
    out_tokens = cfg.output_tokens(pool)
    done = set(skip)
    unique: dict[str, str] = {}
    for p in prompts:
        text = normalize_prompt(str(p))
        key = prompt_key(text)
        if key not in done:
            unique.setdefault(key, text)
    schema = label_schema(pool)
    n_in = sum(
        message_tokens(build_messages(t, pool, system_prompt=system), schema)
        for t in unique.values()
    )
    row = _row("judge labels", cfg.judge, len(unique), n_in, out_tokens * len(unique), pool)
    # the labeler's own per-call reservation, for the record (it is what the running cap uses)
    reserved = sum(estimate_cost(pool, cfg.judge, system, t, out_tokens) for t in unique.values())
    return CostEstimate(
        table=pd.DataFrame([row]),
        assumptions=[
            f"output: {out_tokens} tokens per call (the cap sent to {cfg.judge}"
            + (", reasoning included)" if pool[cfg.judge].reasoning else ")"),
            "one attempt per prompt (retries after errors are not counted)",
            f"the running cap reserves ${reserved:.4f} for these calls",
        ],
        what=f"labeling {len(unique)} prompt(s) with {cfg.judge}",
    )


def guard_labeling(
    prompts: Iterable[str],
    pool: Pool,
    config: LabelConfig,
    *,
    checkpoint_path: str | os.PathLike[str] | None = None,
    max_cost: float | None = None,
    stand_in: bool = False,
    echo: Callable[[str], None] | None = print,
) -> CostEstimate:
    """Print the estimated cost of what is left to label and refuse it above the cap.

    The cap is ``max_cost``, else ``config.budget_usd``, else ``$MAX_COST_USD``. Prompts already
    labeled in ``checkpoint_path`` are not counted (a resumed run pays only for the rest).
    """
    from pathlib import Path

    from routerlab.labeling.checkpoint import read_records

    done: set[str] = set()
    if checkpoint_path is not None and Path(checkpoint_path).is_file():
        done = {r["key"] for r in read_records(checkpoint_path) if r.get("status") == "ok"}
    cap = resolve_max_cost(max_cost if max_cost is not None else config.budget_usd)
    estimate = estimate_label_cost(prompts, pool, config, skip=done)
    return guard(estimate, cap, stand_in=stand_in, echo=echo)


# -- a notebook's parameter set ----------------------------------------------------------------


def estimate_notebook_cost(notebook: str, param_set: str = "live") -> CostEstimate:
    """Estimated live cost of notebook ``01``, ``02`` (MMLU harness) or ``03`` (labeling) with the
    parameters of ``notebooks/params/<notebook>.toml`` ``[param_set]``, prepared as the notebook
    prepares them (questions loaded; prompts cleaned and sampled). Needs the data mirror, not a
    key: nothing is called. The MMLU estimate covers the harness (the single routed query of the
    notebook is one more call, not counted).
    """
    from routerlab.notebooks import load_params, notebook_paths

    paths = notebook_paths(only=[notebook])
    if len(paths) != 1:
        raise ConfigError(f"notebook {notebook!r} names {len(paths)} notebooks; use 01, 02 or 03")
    path = paths[0]
    params = load_params(path, param_set)
    from routerlab.pool import load_pool

    pool = load_pool()
    if path.stem.startswith(("01", "02")):
        from routerlab.gateway import Gateway
        from routerlab.harness_questions import (
            MMLU_MAX_TOKENS,
            MMLU_REASONING_MAX_TOKENS,
            load_questions,
        )
        from routerlab.llm import make_client
        from routerlab.routers import make_router

        # an unconnected live client: the gateway's caps are then the live ones
        client = make_client("live", base_url="http://127.0.0.1:9/v1", pool=pool, cache=False)
        router = make_router("verbose" if path.stem.startswith("01") else "compact", pool,
                             client=client)  # fmt: skip
        gateway = Gateway(
            pool,
            client,
            router,
            max_output_tokens=MMLU_MAX_TOKENS,
            reasoning_max_output_tokens=MMLU_REASONING_MAX_TOKENS,
        )
        subjects = params.get("SUBJECTS") or ["marketing", "machine_learning"]
        questions = load_questions(
            subjects, params.get("SPLIT", "dev"), params.get("SAMPLE_SIZE") or None
        )
        return estimate_harness_cost(
            gateway, questions, fixed_model=params.get("FIXED_MODEL", "gpt-4.1")
        )
    if path.stem.startswith("03"):
        from routerlab.labeling import pipeline
        from routerlab.labeling.cleaning import CleaningConfig, clean_prompts
        from routerlab.labeling.labeler import LabelConfig

        raw = pipeline.load_source(params.get("SOURCE", "mirror"))
        scripts = params.get("ALLOWED_SCRIPTS") or None
        cleaned = clean_prompts(
            raw,
            CleaningConfig(
                label_column=pipeline.STUDY_LABEL,
                max_tokens=params.get("MAX_PROMPT_TOKENS") or None,
                allowed_scripts=frozenset(scripts) if scripts else None,
            ),
        )
        sample = pipeline.sample_prompts(
            cleaned.frame, params.get("SAMPLE_SIZE", 0), seed=params.get("SEED", 0)
        )
        config = LabelConfig(
            judge=params.get("JUDGE", "gpt-4.1"), temperature=params.get("TEMPERATURE", 0.2)
        )
        return estimate_label_cost(sample["user_query"].tolist(), pool, config)
    raise ConfigError(f"no cost estimate for {path.stem}: only 01, 02 and 03 call models")
