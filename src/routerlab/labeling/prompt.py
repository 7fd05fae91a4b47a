"""The labeling prompt, rendered from the pool: models, prices, descriptions and examples.

The study's judge saw thirteen example queries, each with the model it should get; they are kept
here as data and shown only for models that are in the pool. Pools with other models can pass
their own examples.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from routerlab.llm.base import Message
from routerlab.pool import Pool

# (query, model) pairs from the study's labeling prompt: facts about what it taught the judge.
STUDY_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("What is the capital of France?", "gpt-4.1-nano"),
    ("Format this date: 20240315", "gpt-4.1-nano"),
    ("Is 100 > 50?", "gpt-4.1-nano"),
    ("List 5 colors", "gpt-4.1-nano"),
    ("What is better BMW or Audi?", "gpt-4.1-nano"),
    ("Plan optimal route for 5 deliveries across town", "o4-mini"),
    ("Solve: If A→B and B→C, what about A→C?", "o4-mini"),
    ("Analyze pros/cons of remote work policy", "o4-mini"),
    ("How to cross river with fox, chicken, grain?", "o4-mini"),
    ("Write binary search tree in Python", "gpt-4.1"),
    ("Explain quantum computing impact on cryptography", "gpt-4.1"),
    ("Analyze Renaissance art influence on modern design", "gpt-4.1"),
    ("Design machine learning pipeline for fraud detection", "gpt-4.1"),
)


def _price_line(pool: Pool, name: str) -> str:
    spec = pool[name]
    kind = "reasoning model" if spec.reasoning else "chat model"
    return (
        f"- {name} ({kind}; ${spec.input:g} input / ${spec.output:g} output per 1M tokens): "
        f"{spec.description}"
    )


def render_system_prompt(pool: Pool, examples: Sequence[tuple[str, str]] | None = None) -> str:
    """System prompt asking which pool model is the cheapest that suffices for a prompt."""
    pairs = [(q, m) for q, m in (STUDY_EXAMPLES if examples is None else examples) if m in pool]
    by_cost = sorted(pool.names, key=lambda n: (pool[n].input + pool[n].output, pool[n].order))
    lines = [
        "You label prompts for an LLM router. For the user prompt you are shown, decide which "
        "model of the pool is the cheapest one that would still answer it well.",
        "",
        "Weigh how much the prompt needs multi-step reasoning, technical or domain knowledge, "
        "creativity, long output and careful step-by-step work. Prefer a cheaper model whenever "
        "it would do the job; choose a costlier one only when the cheaper would likely fail.",
        "",
        "Models, cheapest first:",
        *(_price_line(pool, n) for n in by_cost),
        "",
        "Do not answer or judge the prompt itself: only label it, even if it is odd, short, "
        "or not in English.",
    ]
    if pairs:
        lines += ["", "Examples (prompt -> label):"]
        lines += [f'- "{q}" -> {m}' for q, m in pairs]
    lines += ["", f"Reply with the label field set to one of: {', '.join(pool.names)}."]
    return "\n".join(lines)


def build_messages(prompt: str, pool: Pool, *, system_prompt: str | None = None) -> list[Message]:
    """Chat messages for labeling ``prompt`` (the same for live calls and Batch API bodies)."""
    system = system_prompt if system_prompt is not None else render_system_prompt(pool)
    user = f"Prompt to label:\n<prompt>\n{prompt}\n</prompt>"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def examples_table(
    pool: Pool, examples: Sequence[tuple[str, str]] | None = None
) -> list[Mapping[str, str]]:
    """The examples shown to the judge, as rows ``{prompt, label}`` (for display)."""
    pairs = STUDY_EXAMPLES if examples is None else examples
    return [{"prompt": q, "label": m} for q, m in pairs if m in pool]
