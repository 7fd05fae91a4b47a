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

N-model tables (:func:`cost_matrix`) use the same order of preference and return one (n, m) matrix
plus notes saying where each model's cost came from. Reasoning models (``o1-mini``, ``o4-mini``)
bill hidden reasoning tokens as output, and those tokens are in no recorded text: a cost computed
from visible text is a lower bound for them. :class:`ReasoningAssumption` states how many hidden
tokens to add (a multiple of the visible output and/or a fixed number per call); its
:meth:`~ReasoningAssumption.describe` line goes into every table and figure that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from routerlab.errors import ConfigError
from routerlab.pool import PER_TOKENS, Pool
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.routellm import ROUTELLM_PRICES

__all__ = [
    "DEFAULT_OUTPUT_TOKENS",
    "DEFAULT_REASONING",
    "REASONING_MODELS",
    "ROUTELLM_PRICES",
    "ModelPrice",
    "ReasoningAssumption",
    "cost_arrays",
    "cost_matrix",
    "pool_prices",
]

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


# ----------------------------------------------------------------------------- N-model costs


class TableLike(Protocol):
    """What :func:`cost_matrix` reads from an outcome table."""

    @property
    def prompts(self) -> list[str]: ...

    def __len__(self) -> int: ...

    def extra(self, model: str, what: str) -> np.ndarray | None: ...


@dataclass(frozen=True)
class ReasoningAssumption:
    """How many hidden reasoning tokens the reasoning ``models`` bill per call (priced as output).

    Billed output of a call = ``output_multiplier`` x visible output tokens + ``tokens_per_call``;
    ``output_multiplier=1`` and ``tokens_per_call=0`` add nothing (visible text only, a lower
    bound). Only models named in ``models`` (exact column names) are affected, and only when
    their cost is computed from tokens: a recorded ``cost_usd`` already holds what was billed.
    """

    models: tuple[str, ...]
    tokens_per_call: int = 0
    output_multiplier: float = 1.0

    def __post_init__(self) -> None:
        if self.tokens_per_call < 0:
            raise ConfigError(f"tokens_per_call must be >= 0, got {self.tokens_per_call}")
        if not self.output_multiplier >= 1.0:
            raise ConfigError(
                f"output_multiplier must be >= 1 (billed output includes the visible output), "
                f"got {self.output_multiplier}"
            )

    def billed_output(self, model: str, visible: np.ndarray) -> np.ndarray:
        """Output tokens billed for ``model`` given its visible output tokens."""
        visible = np.asarray(visible, dtype=float)
        if model not in self.models:
            return visible
        return visible * self.output_multiplier + float(self.tokens_per_call)

    @property
    def adds_nothing(self) -> bool:
        return self.output_multiplier == 1.0 and self.tokens_per_call == 0

    def describe(self, present: Sequence[str] | None = None) -> str:
        """One short line, e.g. ``reasoning: o1-mini billed output = 4x visible (assumed)``;
        ``present`` restricts the names shown to the models of the table at hand."""
        shown = [m for m in self.models if present is None or m in present]
        names = ", ".join(shown) or "no model"
        if self.adds_nothing:
            return f"reasoning: {names} priced on visible text only (lower bound)"
        parts = []
        if self.output_multiplier != 1.0:
            parts.append(f"{self.output_multiplier:g}x visible")
        if self.tokens_per_call:
            parts.append(f"{self.tokens_per_call:,} tokens/call")
        return f"reasoning: {names} billed output = {' + '.join(parts)} (assumed)"


# OpenAI documents only that reasoning models "may generate anywhere from a few hundred to tens of
# thousands of reasoning tokens" per call, and the ZeroEval files record none. The default is
# therefore an explicit assumption, not a measurement: billed output = 4x the visible reply (the
# visible ZeroEval replies already hold a written-out reasoning field of a few hundred tokens, so
# this adds roughly one to two thousand hidden tokens a call). Vary it (notebook 06) before
# reading a ranking that involves a reasoning model.
REASONING_MODELS = (
    "o1-mini",
    "o1-mini-2024-09-12",
    "o1-preview",
    "o1-preview-2024-09-12",
    "o4-mini",
)
DEFAULT_REASONING = ReasoningAssumption(models=REASONING_MODELS, output_multiplier=4.0)

# Column names of per-model extras: the RouterBench names first, then the legacy ones.
_INPUT_NAMES = ("input_tokens", "prompt_tokens")
_OUTPUT_NAMES = ("output_tokens", "completion_tokens")


def _extra(table: TableLike, model: str, names: Sequence[str]) -> np.ndarray | None:
    """The first of ``names`` the table records for ``model`` with a finite value on every row."""
    for what in names:
        try:
            values = table.extra(model, what)
        except (ConfigError, KeyError, ValueError):
            values = None  # a table type that does not know this (legacy or new) extra name
        if values is not None:
            arr = np.asarray(values, dtype=float)
            if len(arr) == len(table) and np.isfinite(arr).all():
                return arr
    return None


def cost_matrix(
    table: TableLike,
    models: Sequence[str],
    prices: Mapping[str, ModelPrice] | None,
    *,
    reasoning: ReasoningAssumption | None = None,
    output_tokens: int = DEFAULT_OUTPUT_TOKENS,
    prefix_tokens: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Per-prompt USD of each of ``models``: an (n, m) matrix and notes on where it came from.

    For each model, the first that applies:

    1. its recorded ``cost_usd`` (used as is: it is what was billed, reasoning included);
    2. its recorded ``input_tokens`` / ``output_tokens`` (legacy ``prompt_tokens`` /
       ``completion_tokens``) x ``prices[model]``, the output raised by ``reasoning`` for the
       reasoning models it names; a missing count is estimated as in 3;
    3. the o200k token count of the prompt (plus ``prefix_tokens``) as input and
       ``output_tokens`` per call as output (raised by ``reasoning`` too), x ``prices[model]``.

    A model with no recorded cost and no price is an error naming it. Notes: one line per model
    source (``cost: <models> from ...``) and, when ``reasoning`` names a model priced from
    tokens here, its :meth:`ReasoningAssumption.describe` line.
    """
    models = list(models)
    if not models:
        raise ConfigError("cost_matrix needs at least one model")
    n = len(table)
    if prefix_tokens is not None and np.shape(prefix_tokens) != (n,):
        raise ConfigError(
            f"prefix_tokens needs one count per row ({n}), got {np.shape(prefix_tokens)}"
        )
    prices = dict(prices or {})
    out = np.empty((n, len(models)), dtype=float)
    sources: dict[str, list[str]] = {}
    reasoned: list[str] = []
    prompt_tokens: np.ndarray | None = None
    for j, model in enumerate(models):
        recorded = _extra(table, model, ("cost_usd",))
        if recorded is not None:
            out[:, j] = recorded
            sources.setdefault("recorded cost_usd", []).append(model)
            continue
        price = prices.get(model)
        if price is None:
            raise ConfigError(
                f"no cost for model {model!r}: the table records no {model}|cost_usd and no price "
                f"was given; priced models: {sorted(prices) or 'none'} "
                "(give one with --price MODEL=IN,OUT in USD per 1M tokens, or a prices CSV)"
            )
        p_tok = _extra(table, model, _INPUT_NAMES)
        c_tok = _extra(table, model, _OUTPUT_NAMES)
        how = []
        if p_tok is None:
            if prompt_tokens is None:
                from routerlab.tokens import count_tokens

                prompt_tokens = np.array([count_tokens(p) for p in table.prompts], dtype=float)
            p_tok = prompt_tokens if prefix_tokens is None else prompt_tokens + prefix_tokens
            how.append("o200k prompt tokens")
        else:
            how.append("recorded input tokens")
        if c_tok is None:
            c_tok = np.full(n, float(output_tokens))
            how.append(f"{output_tokens} output tokens/call")
        else:
            how.append("recorded output tokens")
        if reasoning is not None and model in reasoning.models:
            c_tok = reasoning.billed_output(model, c_tok)
            reasoned.append(model)
        out[:, j] = (p_tok * price.input + c_tok * price.output) / PER_TOKENS
        sources.setdefault(" + ".join(how) + " x list price", []).append(model)
    notes = [f"cost: {', '.join(ms)} from {src}" for src, ms in sources.items()]
    if reasoning is not None and reasoned:
        notes.append(reasoning.describe(reasoned))
    return out, notes
