"""Per-prompt cost of each model of an outcome table.

Order of preference for each model: the table's recorded ``<model>::cost_usd``; its recorded
token counts priced by the pool (or by ``prices``); the prompt's o200k token count plus an assumed
number of output tokens, priced by ``prices``. A model with none of these has no cost (absent).

The RouteLLM models are not in the pool, so their prices are parameters. The defaults are the
blended per-token prices the RouteLLM paper used for its cost estimates (Ong et al., 2024,
"RouteLLM: Learning to Route LLMs with Preference Data", §5: GPT-4 about $24.7 and Mixtral 8x7B
about $0.24 per 1M tokens, input and output averaged), so input and output share one price here.

What a prompt's input is: the stored text, plus ``prefix_tokens`` when the outcomes were recorded
with a prefix the table does not store (RouteLLM's MMLU outcomes are 5-shot; see :mod:`.fewshot`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from routerlab.errors import ConfigError
from routerlab.pool import PER_TOKENS, Pool
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.routellm import ROUTELLM_PRICES

__all__ = ["DEFAULT_OUTPUT_TOKENS", "ROUTELLM_PRICES", "ModelPrice", "cost_arrays", "pool_prices"]

DEFAULT_OUTPUT_TOKENS = 1  # an MMLU answer is one letter


def pool_prices(pool: Pool) -> dict[str, ModelPrice]:
    """The pool's list prices as :class:`ModelPrice` (cached-input prices are not used here)."""
    return {m.name: ModelPrice(m.input, m.output) for m in pool.models}


def cost_arrays(
    table: OutcomeTable,
    prices: Mapping[str, ModelPrice] | None = None,
    *,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    prefix_tokens: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per-prompt USD for each model whose cost can be known (see the module docstring).

    ``prefix_tokens`` (one number per row) adds input that was sent but is not in the stored
    prompt — the few-shot prefix of a 5-shot benchmark (:mod:`.fewshot`) — to estimated token
    counts; recorded costs and recorded token counts already include it.
    """
    if prefix_tokens is not None and np.shape(prefix_tokens) != (len(table),):
        raise ConfigError(
            f"prefix_tokens needs one count per row ({len(table)}), got {np.shape(prefix_tokens)}"
        )
    prices = dict(prices or {})
    out: dict[str, np.ndarray] = {}
    prompt_tokens: np.ndarray | None = None
    for model in table.models:
        recorded = table.extra(model, "cost_usd")
        if recorded is not None and np.isfinite(recorded).all():
            out[model] = recorded
            continue
        price = prices.get(model)
        if price is None:
            continue
        p_tok = table.extra(model, "prompt_tokens")
        c_tok = table.extra(model, "completion_tokens")
        if p_tok is None or not np.isfinite(p_tok).all():
            if prompt_tokens is None:
                from routerlab.tokens import count_tokens

                prompt_tokens = np.array([count_tokens(p) for p in table.prompts], dtype=float)
            p_tok = prompt_tokens if prefix_tokens is None else prompt_tokens + prefix_tokens
        if c_tok is None or not np.isfinite(c_tok).all():
            c_tok = np.full(len(table), float(output_tokens))
        out[model] = (p_tok * price.input + c_tok * price.output) / PER_TOKENS
    return out
