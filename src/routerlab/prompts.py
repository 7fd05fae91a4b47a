"""Judge prompts, rendered from the pool and the request's features.

Two versions, as in the study: a **verbose** prompt (analysis criteria, model cards and three
worked examples; the judge returns an analysis and a decision) and a **compact** prompt (one line
per model and the request's features; the judge returns only the model). Model names, descriptions
and prices always come from the pool file, never from a list typed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from routerlab.features import PromptFeatures, prompt_features
from routerlab.llm.base import Message
from routerlab.pool import ModelSpec, Pool
from routerlab.request import RouteRequest
from routerlab.tokens import count_tokens

JudgeStyle = Literal["verbose", "compact"]
JUDGE_STYLES: tuple[JudgeStyle, ...] = ("verbose", "compact")


def _price(spec: ModelSpec) -> str:
    return f"${spec.input:g} input / ${spec.output:g} output per 1M tokens"


def _capabilities(spec: ModelSpec) -> str:
    caps = [name for name, on in (("images", spec.vision), ("PDFs", spec.pdf)) if on]
    reads = f"reads {' and '.join(caps)}" if caps else "text only"
    return f"{reads}; reasoning model" if spec.reasoning else reads


def _feature_lines(features: PromptFeatures) -> list[str]:
    kinds = ", ".join(features.file_kinds) if features.has_files else "none"
    structure = ", ".join(features.structure.names()) or "none"
    return [
        f"- prompt length: {features.tokens} tokens (o200k_base)",
        f"- temperature: {features.temperature:g} (creativity {features.creativity})",
        f"- attached files: {kinds}",
        f"- structured prompt (XML tags, code, JSON, numbered steps): {structure}",
    ]


# ----------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class _Example:
    prompt: str
    tier: Literal["cheap", "general", "reasoning"]
    analysis: dict[str, object]
    confidence: float
    why: str


# The study's three examples, rewritten: a trivial question, a coding task, a hard ML design
# task. Each names a *tier*; the tier is resolved against the pool so examples never name a model
# the pool lacks.
_EXAMPLES = (
    _Example(
        "What is 2+2?",
        "cheap",
        {"task_type": "arithmetic", "complexity_score": 1, "domain": "math",
         "performance_needs": "speed", "estimated_tokens": 10, "creativity": "low"},
        0.85,
        "A one-step fact; the cheapest model answers it instantly.",
    ),
    _Example(
        "Write Python code for a small data-analysis tool built on langchain.",
        "general",
        {"task_type": "coding", "complexity_score": 3, "domain": "software",
         "performance_needs": "quality", "estimated_tokens": 1600, "creativity": "medium"},
        0.9,
        "Working code of moderate length needs a strong general model, not deep reasoning.",
    ),
    _Example(
        "Design and implement a classification model for my imbalanced binary problem, "
        "choosing features, loss and validation.",
        "reasoning",
        {"task_type": "data science", "complexity_score": 5, "domain": "machine learning",
         "performance_needs": "quality", "estimated_tokens": 3600, "creativity": "medium"},
        0.9,
        "Several dependent design decisions: a reasoning model plans them best.",
    ),
)  # fmt: skip


def _example_block(pool: Pool) -> str:
    tiers = pool.tier_models()
    blocks = []
    for i, ex in enumerate(_EXAMPLES, 1):
        output = {
            "analysis": ex.analysis,
            "routing_decision": {
                "model": tiers[ex.tier],
                "confidence": ex.confidence,
                "reasoning": ex.why,
            },
        }
        blocks.append(f"Example {i}\nPrompt: {ex.prompt!r}\nOutput: {json.dumps(output)}")
    return "\n\n".join(blocks)


# ----------------------------------------------------------------------------- prompts


def verbose_judge_prompt(pool: Pool, features: PromptFeatures) -> str:
    """The verbose judge's system prompt: criteria, model cards, the request's features, examples."""
    cards = "\n".join(
        f"{i}. {m.name} — {m.description} Price: {_price(m)}; {_capabilities(m)}."
        for i, m in enumerate(pool.models, 1)
    )
    return "\n".join(
        [
            "## Role",
            "You route user requests. Read the user's prompt, analyse what answering it takes, "
            "and choose the model of the list below that will answer it well at the lowest cost.",
            "",
            "## The request",
            *_feature_lines(features),
            "Higher temperature asks for more creative answers; the prompt length hints at how "
            "much context and detail the answer must handle.",
            "",
            "## Analyse the prompt on these criteria",
            "1. task_type: the user's goal in a few words.",
            "2. complexity_score: 1 (trivial) to 5 (expert, many dependent steps); take the "
            "prompt length into account.",
            "3. domain: the subject, and whether it needs specialist knowledge.",
            "4. performance_needs: 'speed' when a quick short answer serves, 'quality' otherwise.",
            "5. estimated_tokens: how long a good answer will be (a positive integer).",
            "6. creativity: low, medium or high, guided by the temperature.",
            "",
            "## Models (name — strengths — price)",
            cards,
            "",
            "## Choosing",
            "Pick the cheapest model whose strengths cover the task. Escalate only when the "
            "analysis shows the cheaper model would likely fail. A model must be able to read "
            "any attached file. Give a confidence between 0 and 1 and one sentence of reasoning.",
            "",
            "## Examples",
            _example_block(pool),
            "",
            "Think through the criteria step by step, then answer in the required JSON format.",
        ]
    )


def compact_judge_prompt(pool: Pool, features: PromptFeatures) -> str:
    """The compact judge's system prompt: one line per model, the features, decision only."""
    lines = [f"- {m.name}: {m.description} ({_price(m)}; {_capabilities(m)})" for m in pool.models]
    return "\n".join(
        [
            "Choose the cheapest model that can answer the user's prompt well.",
            "Request:",
            *_feature_lines(features),
            "Models:",
            *lines,
            "Structured prompts, attached files and long inputs usually need a stronger model.",
            "Reply with the model name only.",
        ]
    )


def judge_messages(
    style: JudgeStyle, pool: Pool, request: RouteRequest, features: PromptFeatures | None = None
) -> list[Message]:
    """System prompt of ``style`` plus the user's prompt as the user turn."""
    feats = features if features is not None else prompt_features(request)
    if style == "verbose":
        system = verbose_judge_prompt(pool, feats)
    elif style == "compact":
        system = compact_judge_prompt(pool, feats)
    else:
        raise ValueError(f"unknown judge style {style!r}; allowed: {', '.join(JUDGE_STYLES)}")
    return [{"role": "system", "content": system}, {"role": "user", "content": request.prompt}]


def judge_prompt_token_counts(
    pool: Pool, request: RouteRequest | str = "What is the capital of France?"
) -> pd.DataFrame:
    """Token counts (o200k_base) of both judges' system prompts for one request.

    Columns: ``judge, system_prompt_tokens, user_prompt_tokens, total_tokens, relative``
    (``relative`` is the share of the verbose prompt's total).
    """
    req = request if isinstance(request, RouteRequest) else RouteRequest(prompt=request)
    feats = prompt_features(req)
    rows: list[dict[str, Any]] = []
    for style in JUDGE_STYLES:
        system = judge_messages(style, pool, req, feats)[0]["content"]
        n_system = count_tokens(system)
        rows.append(
            {
                "judge": style,
                "system_prompt_tokens": n_system,
                "user_prompt_tokens": feats.tokens,
                "total_tokens": n_system + feats.tokens,
            }
        )
    verbose_total = rows[0]["total_tokens"]
    for row in rows:
        row["relative"] = row["total_tokens"] / verbose_total
    return pd.DataFrame(rows)
