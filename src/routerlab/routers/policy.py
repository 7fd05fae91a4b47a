"""The one policy that turns per-model scores into a model, for many prompts or one request.

:func:`threshold_policy` is the rule (vectorised); :meth:`ScoringRouter.choose
<routerlab.routers.base.ScoringRouter.choose>` applies it to a router's score matrix,
:func:`choose_model` to one request's score dict (the server and the context-window fallback use
that form), :func:`routerlab.evaluation.scoring.policy_curve` sweeps its knob. No other module
turns scores into a model.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np

from routerlab.errors import ConfigError
from routerlab.pool import Pool


def check_cost_threshold(value: float) -> float:
    """The knob of the threshold policy, checked: a number in [0, 1]."""
    try:
        knob = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"cost_threshold must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= knob <= 1.0:
        raise ConfigError(f"cost_threshold must be in [0, 1], got {value}")
    return knob


def threshold_policy(
    scores: np.ndarray, cheapest: int, rank: Sequence[int], cost_threshold: float
) -> np.ndarray:
    """The one rule that turns per-model scores into models, for many prompts at once.

    ``scores`` is (n, k); ``cheapest`` the column of the cheapest model; ``rank`` each column's
    tie-break key (lower wins: pool order); ``cost_threshold`` an already checked knob. Returns
    the chosen column per row. At 0 the argmax is followed; otherwise the argmax is kept only when
    the score mass on the other-than-cheapest columns is at least the knob, else the cheapest;
    at 1 always the cheapest. The mass is summed column by column in column order, as
    :func:`choose_model` sums a score dict, so both forms agree to the bit.
    """
    n, k = scores.shape
    if cost_threshold >= 1.0:
        return np.full(n, cheapest, dtype=np.intp)
    by_rank = np.argsort(np.asarray(rank), kind="stable")
    # argmax returns the first maximum: among tied scores the column ranked first (cheaper).
    best = by_rank[np.argmax(scores[:, by_rank], axis=1)]
    if cost_threshold <= 0.0:
        return best
    escalate = np.zeros(n)
    for j in range(k):
        if j != cheapest:
            escalate = escalate + scores[:, j]
    return np.where((best == cheapest) | (escalate >= cost_threshold), best, cheapest)


def choose_model(
    scores: dict[str, float],
    pool: Pool,
    cost_threshold: float = 0.0,
    allowed: Collection[str] | None = None,
) -> str:
    """Turn one request's per-model scores into a model (:func:`threshold_policy`).

    ``cost_threshold`` (0 to 1) is the one knob trading quality for cost. At 0 the classifier is
    followed (argmax). Otherwise the argmax is kept only when the probability mass on models other
    than the cheapest is at least ``cost_threshold``; below it the cheapest model is used. At 1 the
    cheapest model is always used. Ties in the argmax go to the cheaper (earlier in pool) model.

    ``allowed`` restricts the choice (e.g. to the models whose context window holds the prompt):
    the policy runs on the allowed models' scores, and "cheapest" is the cheapest allowed model.
    Many prompts at once: :meth:`ScoringRouter.choose`.
    """
    knob = check_cost_threshold(cost_threshold)
    unknown = [m for m in scores if m not in pool]
    if unknown:
        pool.get(unknown[0])  # raises UnknownModelError listing the pool
    if allowed is not None:
        scores = {m: p for m, p in scores.items() if m in allowed}
        if not scores:
            raise ConfigError(
                f"none of the scored models is allowed; allowed: {', '.join(sorted(allowed))}"
            )
    if not scores:
        raise ConfigError("no scores to choose from")
    candidates = pool.models if allowed is None else [m for m in pool.models if m.name in allowed]
    cheapest = min(candidates, key=lambda m: (m.input + m.output, m.order)).name
    names = list(scores)
    row = [float(scores[m]) for m in names]
    if cheapest not in scores:
        # The cheapest model was not scored: a column that never wins the argmax and adds
        # nothing to the escalation mass (it is the cheapest), but can be fallen back to.
        names.append(cheapest)
        row.append(-math.inf)
    order = {name: i for i, name in enumerate(pool.names)}
    picked = threshold_policy(
        np.array([row], dtype=float), names.index(cheapest), [order[m] for m in names], knob
    )
    return names[int(picked[0])]


def model_within(
    model: str,
    pool: Pool,
    allowed: Collection[str],
    scores: dict[str, float] | None = None,
    cost_threshold: float = 0.0,
) -> str:
    """``model`` if it is allowed, else the policy's choice among the ``allowed`` models.

    With per-model scores the shared policy (:func:`choose_model`) runs on the allowed models;
    without them (judge routers name one model) the strongest allowed model is used: pool order
    is cheapest first, so the last allowed one. Used to keep a router away from models whose
    context window cannot hold the prompt.
    """
    if model in allowed:
        return model
    if not allowed:
        raise ConfigError("no model is allowed")
    if scores and any(m in allowed for m in scores):
        return choose_model(scores, pool, cost_threshold, allowed)
    return [name for name in pool.names if name in allowed][-1]
