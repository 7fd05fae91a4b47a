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

The estimates of particular runs (the MMLU harness, judge calls, labeling, a notebook's parameter
set) are in :mod:`routerlab.budget_estimates`; this module holds only what the labeler, harness
and CLI need to price and cap a run, so the labeler can import it without a cycle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from routerlab.errors import ConfigError, RouterlabError
from routerlab.pool import Pool
from routerlab.tokens import count_tokens
from routerlab.usage import Usage

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
    n = TOKENS_PER_REPLY
    for message in messages:
        n += TOKENS_PER_MESSAGE + count_tokens(_content_text(message.get("content", "")))
    if schema is not None:
        n += count_tokens(json.dumps(schema.model_json_schema(), separators=(",", ":")))  # type: ignore[attr-defined]
    return n


def cost_row(component: str, model: str, calls: int, n_in: int, n_out: int, pool: Pool) -> dict:  # type: ignore[type-arg]
    """One row of a :class:`CostEstimate` table: ``calls`` calls to ``model`` at list price."""
    cost = pool.cost(model, Usage(prompt_tokens=n_in, completion_tokens=n_out))
    return {
        "component": component,
        "model": model,
        "calls": calls,
        "input_tokens": n_in,
        "output_tokens": n_out,
        "cost_usd": cost,
    }
