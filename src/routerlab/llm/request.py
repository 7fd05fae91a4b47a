"""One chat-completion request as a value: what every backend receives and every key hashes.

Backends (``_acomplete``), the response cache and the replay recorder all take an
:class:`LLMRequest` instead of repeating the same seven keywords, so a new request parameter is
one new field here. The public keyword form (``client.acomplete(model, messages, temperature=...)``)
builds one with :meth:`LLMRequest.create`, which names the fields it accepts when given others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from routerlab.errors import ConfigError
from routerlab.request import check_temperature

Message = dict[str, Any]


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal requests give equal text (and equal keys)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _check_limit(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1 or None, got {value!r}")
    return value


@dataclass(frozen=True)
class LLMRequest:
    """A validated chat-completion request, immutable once built.

    ``messages`` are copied (one level deep) into a tuple and ``extra`` into a read-only mapping,
    so a caller that reuses its list afterwards cannot change a request already keyed or sent.
    ``extra`` holds any other body field (``seed``, ``reasoning_effort``, ...), sent as given;
    it may not repeat a named field.
    """

    model: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    response_format: type[BaseModel] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError(f"model must be a non-empty model name, got {self.model!r}")
        if isinstance(self.messages, (str, bytes, Mapping)) or not isinstance(
            self.messages, Sequence
        ):
            raise ConfigError(
                f"messages must be a list of {{role, content}} messages, "
                f"got {type(self.messages).__name__}"
            )
        if not self.messages:
            raise ConfigError("messages is empty; give at least one {role, content} message")
        for index, message in enumerate(self.messages):
            if not isinstance(message, Mapping) or "role" not in message:
                raise ConfigError(
                    f"messages[{index}] must be a mapping with a 'role' (and 'content'), "
                    f"got {message!r:.80}"
                )
        object.__setattr__(self, "messages", tuple(dict(m) for m in self.messages))
        if self.temperature is not None:
            object.__setattr__(self, "temperature", check_temperature(self.temperature))
        _check_limit("max_tokens", self.max_tokens)
        _check_limit("max_completion_tokens", self.max_completion_tokens)
        schema = self.response_format
        if schema is not None and not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise ConfigError(
                f"response_format must be a Pydantic model class or None, got {schema!r}"
            )
        extra = {} if self.extra is None else self.extra
        if not isinstance(extra, Mapping) or not all(isinstance(k, str) for k in extra):
            raise ConfigError(f"extra must be a mapping of field names to values, got {extra!r}")
        clashes = sorted(set(extra) & set(FIELDS))
        if clashes:
            raise ConfigError(
                f"extra repeats the request field(s) {', '.join(clashes)}; pass them as "
                f"arguments (fields: {', '.join(FIELDS)})"
            )
        object.__setattr__(self, "extra", MappingProxyType(dict(extra)))

    # frozen + eq would hash the (unhashable) messages: hash by the request key instead
    def __hash__(self) -> int:
        return hash(self.key())

    @classmethod
    def create(cls, model: str, messages: Sequence[Message], **params: Any) -> LLMRequest:
        """The keyword form of the public API: ``params`` are the other fields, by name."""
        unknown = sorted(set(params) - set(FIELDS))
        if unknown:
            raise ConfigError(
                f"unexpected request argument(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(FIELDS[2:])}"
            )
        if params.get("extra") is None:
            params.pop("extra", None)
        return cls(model, messages, **params)  # type: ignore[arg-type]

    def params(self) -> dict[str, Any]:
        """The fields other than model and messages, by name: ``create(model, messages,
        **request.params())`` builds an equal request."""
        out = {name: getattr(self, name) for name in FIELDS[2:]}
        out["extra"] = dict(self.extra)
        return out

    def message_list(self) -> list[Message]:
        """The messages as a fresh list (what SDKs and chat templates take)."""
        return [dict(m) for m in self.messages]

    def payload(self) -> dict[str, Any]:
        """Everything that shapes the answer, as JSON-ready data (the key's input)."""
        return {
            "model": self.model,
            "messages": list(self.messages),
            "temperature": self.temperature,  # a float: 0 and 0.0 give the same key
            "max_tokens": self.max_tokens,
            "max_completion_tokens": self.max_completion_tokens,
            "response_format": (
                None
                if self.response_format is None
                else canonical_json(self.response_format.model_json_schema())
            ),
            "extra": dict(self.extra),
        }

    def key(self) -> str:
        """sha256 hex digest identifying the request (the recorder's and replayer's key)."""
        return hashlib.sha256(canonical_json(self.payload()).encode("utf-8")).hexdigest()


FIELDS = tuple(f.name for f in fields(LLMRequest))


def as_request(
    request: LLMRequest | str, messages: Sequence[Message] | None = None, **params: Any
) -> LLMRequest:
    """``request`` itself, or the keyword form (model, messages, fields by name) built into one."""
    if isinstance(request, LLMRequest):
        if messages is not None or params:
            raise ConfigError("give an LLMRequest alone, or model, messages and fields by name")
        return request
    return LLMRequest.create(request, messages or (), **params)


def request_key(
    request: LLMRequest | str, messages: Sequence[Message] | None = None, **params: Any
) -> str:
    """The key of a request (:meth:`LLMRequest.key`), in either form :func:`as_request` takes."""
    return as_request(request, messages, **params).key()
