"""Pydantic models the judges answer with.

The model field of a decision is a ``Literal`` of the pool's names, built from the pool at run
time: the judge's structured output can then only name a model that exists, and a different pool
file changes the schema without touching code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from routerlab.pool import Pool


class Analysis(BaseModel):
    """The verbose judge's reading of a prompt (the study's first router)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    task_type: str = Field(description="what the user wants, in a few words")
    complexity_score: int = Field(ge=1, le=5, description="1 trivial … 5 expert multi-step")
    domain: str = Field(description="subject area")
    performance_needs: Literal["speed", "quality"]
    estimated_tokens: int = Field(gt=0, description="expected length of a good answer")
    creativity: Literal["low", "medium", "high"]


class RoutingDecision(BaseModel):
    """A judge's choice. ``model`` is narrowed to the pool by :func:`routing_decision_schema`."""

    model_config = ConfigDict(str_strip_whitespace=True)

    model: str
    confidence: float = Field(ge=0.0, le=1.0)
    reasoning: str


class CompactDecision(BaseModel):
    """The compact judge's answer: only the model, so the judge writes a handful of tokens."""

    model_config = ConfigDict(str_strip_whitespace=True)

    model: str


class VerboseVerdict(BaseModel):
    """Analysis plus decision; fields are narrowed per pool by :func:`verbose_schema`."""

    analysis: Analysis
    routing_decision: RoutingDecision


def _model_literal(pool: Pool) -> Any:
    return Literal[tuple(pool.names)]  # Literal accepts a tuple of values at run time


_Schema = TypeVar("_Schema", bound=BaseModel)


@lru_cache(maxsize=48)
def _narrowed(base: type[_Schema], field: str, narrowed_type: Any) -> type[_Schema]:
    """``base`` with ``field`` narrowed to ``narrowed_type``, under the same name and docstring
    (cached: equal pools give the same class, and a narrowed class can narrow a field in turn)."""
    return create_model(  # type: ignore[no-any-return, call-overload]
        base.__name__,
        __base__=base,
        __doc__=base.__doc__,
        **{field: (narrowed_type, ...)},
    )


def routing_decision_schema(pool: Pool) -> type[RoutingDecision]:
    """``RoutingDecision`` whose ``model`` may only be one of ``pool.names``."""
    return _narrowed(RoutingDecision, "model", _model_literal(pool))


def compact_schema(pool: Pool) -> type[CompactDecision]:
    """Decision-only schema of the compact judge, narrowed to the pool."""
    return _narrowed(CompactDecision, "model", _model_literal(pool))


def verbose_schema(pool: Pool) -> type[VerboseVerdict]:
    """Analysis + decision schema of the verbose judge, narrowed to the pool."""
    return _narrowed(VerboseVerdict, "routing_decision", routing_decision_schema(pool))
