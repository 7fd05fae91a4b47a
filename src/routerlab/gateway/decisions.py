"""A router's decision under the answering side's rules: a caller's cost knob and context windows.

Both answer paths (the :class:`~routerlab.gateway.Gateway` of the notebooks and the HTTP server)
pass every decision through :func:`fit_decision`, so a model whose window cannot hold the prompt
is replaced the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.routers.base import Decision, ScoringRouter, choose_model, model_within

# A router's own policy for one decision: (scores, knob or None for its own, allowed) -> model
# (:meth:`~routerlab.routers.base.ScoringRouter.choose_for`).
Policy = Callable[[Mapping[str, float], float | None, Collection[str] | None], str]


def policy_of(router: object) -> Policy | None:
    """The policy a decision of ``router`` is re-made with: a scoring router's own
    (:meth:`~routerlab.routers.base.ScoringRouter.choose_for`), else None (the shared one)."""
    return router.choose_for if isinstance(router, ScoringRouter) else None


class KnobNotApplicable(ConfigError):
    """A cost knob was given for a decision without per-model scores (a judge names a model)."""


def fit_decision(
    decision: Decision,
    pool: Pool,
    allowed: Collection[str] | None = None,
    *,
    knob: float | None = None,
    policy: Policy | None = None,
) -> Decision:
    """``decision``, or a copy whose model follows ``knob`` and stays within ``allowed``.

    ``knob`` (a cost threshold in [0, 1]) re-applies the shared policy
    (:func:`~routerlab.routers.base.choose_model`) to the decision's per-model scores; a decision
    without scores raises :class:`KnobNotApplicable`. ``allowed`` (the models whose context
    window holds the prompt; None: all) replaces a model outside it with the policy's choice
    among the allowed ones (:func:`~routerlab.routers.base.model_within`), under ``knob`` or the
    router's own ``cost_threshold`` when it reported one; ``details`` then keeps the original
    under ``context_window_replaced``.

    ``policy`` (the serving router's own, :func:`policy_of`) replaces :func:`choose_model` in
    both: a router whose policy is not the threshold rule (the outcome router's
    quality − λ·cost) keeps it under a caller's knob; None: the shared threshold policy.
    """
    model, confidence, details = decision.model, decision.confidence, decision.details
    if knob is not None:
        if decision.scores is None:
            raise KnobNotApplicable(
                f"router {decision.router!r} names a model without per-model scores, so a cost "
                "knob does not apply"
            )
        if policy is not None:
            model = policy(decision.scores, knob, None)
        else:
            model = choose_model(decision.scores, pool, knob)
        confidence = decision.scores.get(model, confidence)
    if allowed is not None and model not in allowed:
        threshold = decision.details.get("cost_threshold")
        own = float(threshold) if isinstance(threshold, int | float) else 0.0
        if policy is not None and decision.scores and any(m in allowed for m in decision.scores):
            chosen = policy(decision.scores, knob, allowed)
        else:
            chosen = model_within(
                model, pool, allowed, decision.scores, own if knob is None else knob
            )
        details = {**details, "context_window_replaced": model}
        model = chosen
        confidence = decision.scores.get(model) if decision.scores else None
    if (
        model == decision.model
        and confidence == decision.confidence
        and details is decision.details
    ):
        return decision
    return replace(decision, model=model, confidence=confidence, details=details)
