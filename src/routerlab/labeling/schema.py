"""The judge's structured answer, with allowed labels taken from the pool."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from routerlab.pool import Pool


class LabelBase(BaseModel):
    """Base of every generated label schema: one field, ``label``."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")
    label: str


@lru_cache(maxsize=16)
def _label_model(names: tuple[str, ...]) -> type[LabelBase]:
    # Literal over a runtime tuple: the JSON schema gets an enum of exactly the pool's names,
    # which is what structured output (OpenAI or constrained local decoding) enforces.
    allowed = cast(Any, Literal.__getitem__(names))
    model = create_model(
        "PromptLabel",
        __base__=LabelBase,
        __doc__="The cheapest model of the pool that can still answer the prompt well.",
        label=(allowed, Field(description="one model name of the pool: " + ", ".join(names))),
    )
    return cast(type[LabelBase], model)


def label_schema(pool: Pool) -> type[LabelBase]:
    """Pydantic model ``{label: Literal[*pool.names]}`` (cached per pool of names)."""
    return _label_model(tuple(pool.names))


def response_format_param(pool: Pool) -> dict[str, Any]:
    """The ``response_format`` the openai SDK sends for :func:`label_schema` (Batch API bodies)."""
    from openai.lib._parsing._completions import type_to_response_format_param

    return cast(dict[str, Any], type_to_response_format_param(label_schema(pool)))
