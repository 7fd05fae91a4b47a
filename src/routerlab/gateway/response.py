"""What answering one request produced: the answer, how it was routed, timings, tokens, cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from routerlab.errors import LLMError
from routerlab.llm.base import ChatResult
from routerlab.routers.base import Decision
from routerlab.usage import Usage


@dataclass
class RoutedResponse:
    """The answer to one request, with how it was routed, its timings, tokens and cost."""

    answer: str
    model: str
    router: str
    decision: Decision | None
    router_latency_s: float = 0.0
    model_latency_s: float = 0.0
    total_latency_s: float = 0.0
    usage: Usage = field(default_factory=Usage)  # the answering call's tokens
    router_cost_usd: float = 0.0
    answer_cost_usd: float = 0.0
    fallback: bool = False
    fallback_reason: str | None = None
    backend: str = ""
    stand_in: bool = False  # a local small model answered in place of the pool model
    error: str | None = None  # set when this item failed; answer is then empty
    cached: bool = False  # the answer was served from the response cache (answer_cost_usd is 0)
    answer_list_cost_usd: float | None = None  # the answer at list price (None: as paid)

    @property
    def cost_usd(self) -> float:
        return self.router_cost_usd + self.answer_cost_usd

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def list_cost_usd(self) -> float:
        """The answer at list price: what it cost when made, even when served from the cache."""
        if self.answer_list_cost_usd is None:
            return self.answer_cost_usd
        return self.answer_list_cost_usd

    def overview(self) -> pd.DataFrame:
        """Key facts as a two-column table (field, value) for display."""
        facts: dict[str, Any] = {
            "router": self.router,
            "model": self.model,
            "confidence": self.decision.confidence if self.decision else None,
            "fallback": self.fallback_reason if self.fallback else "no",
            "router latency (s)": round(self.router_latency_s, 3),
            "model latency (s)": round(self.model_latency_s, 3),
            "total latency (s)": round(self.total_latency_s, 3),
            "prompt / completion tokens": f"{self.usage.prompt_tokens} / "
            f"{self.usage.completion_tokens}",
            "reasoning / cached tokens": f"{self.usage.reasoning_tokens} / "
            f"{self.usage.cached_tokens}",
            "router cost (USD)": f"{self.router_cost_usd:.6f}",
            "answer cost (USD)": f"{self.answer_cost_usd:.6f}",
            "answer list price (USD)": f"{self.list_cost_usd:.6f}",
            "cached": "yes (answer from the response cache, paid 0)" if self.cached else "no",
            "backend": self.backend + (" — not the pool's models" if self.stand_in else ""),
        }
        if self.error:
            facts["error"] = self.error
        return pd.DataFrame({"field": list(facts), "value": [str(v) for v in facts.values()]})

    def to_dict(self) -> dict[str, Any]:
        """Flat record (decision details such as the analysis kept under ``decision``)."""
        decision = None
        if self.decision is not None:
            decision = {
                "model": self.decision.model,
                "router": self.decision.router,
                "confidence": self.decision.confidence,
                "scores": self.decision.scores,
                "details": self.decision.details,
            }
        return {
            "answer": self.answer,
            "model": self.model,
            "router": self.router,
            "router_latency_s": self.router_latency_s,
            "model_latency_s": self.model_latency_s,
            "total_latency_s": self.total_latency_s,
            **self.usage.to_dict(),
            "router_cost_usd": self.router_cost_usd,
            "answer_cost_usd": self.answer_cost_usd,
            "cost_usd": self.cost_usd,
            "cached": self.cached,
            "list_cost_usd": self.list_cost_usd,  # the answer at list price (paid 0 when cached)
            "fallback": self.fallback,
            "fallback_reason": self.fallback_reason,
            "backend": self.backend,
            "stand_in": self.stand_in,
            "error": self.error,
            "decision": decision,
        }


def routed_response(
    result: ChatResult[Any],
    model: str,
    router: str,
    decision: Decision | None,
    router_cost: float,
    total: float,
) -> RoutedResponse:
    """The response for one answered call: the answer's usage and cost, the decision's."""
    return RoutedResponse(
        answer=result.text,
        model=model,
        router=router,
        decision=decision,
        router_latency_s=decision.latency_s if decision else 0.0,
        model_latency_s=result.latency_s,
        total_latency_s=total,
        usage=result.usage,
        router_cost_usd=router_cost,
        answer_cost_usd=result.cost_usd,
        fallback=decision.fallback if decision else False,
        fallback_reason=decision.fallback_reason if decision else None,
        backend=result.backend,
        stand_in=result.stand_in,
        cached=result.cached,
        answer_list_cost_usd=result.list_price_usd,
    )


def failed_response(model: str, exc: BaseException) -> RoutedResponse:
    """The response of an item that failed: empty answer, ``error`` names the failure."""
    kind = exc.kind if isinstance(exc, LLMError) else type(exc).__name__
    return RoutedResponse(answer="", model=model, router="", decision=None, error=f"{kind}: {exc}")
