"""What the fake OpenAI server answers: deterministic chat completions, no model involved.

A plain request gets ``"Answer: <letter>"`` (the letter a hash of the model and the last user
message, so MMLU replies parse and differ between models); a ``response_format`` of type
``json_schema`` gets a JSON object that validates against that schema (first enum value, minimum
numbers, fixed strings); a user message containing :data:`FAIL_MARKER` gets HTTP 400, so error
paths can be exercised. The HTTP app and its server are in :mod:`routerlab.testing.fake_openai`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

FAIL_MARKER = "FAKE_OPENAI_FAIL"
LETTERS = "ABCD"


# ----------------------------------------------------------------------------- schema filling


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return _resolve(dict(node), root)


def instance_for(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A deterministic value that validates against ``schema`` (the JSON Schema subset that
    OpenAI's strict structured outputs allow: objects, arrays, enums, const, anyOf, $ref)."""
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [_resolve(o, root) for o in schema[key]]
            # prefer a real value over null
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return instance_for(chosen, root)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: instance_for(sub, root) for name, sub in props.items()}
    if kind == "array":
        n = int(schema.get("minItems", 1))
        return [instance_for(schema.get("items", {}), root) for _ in range(n)]
    if kind == "integer":
        low = schema.get("minimum")
        if low is None and "exclusiveMinimum" in schema:
            low = int(schema["exclusiveMinimum"]) + 1
        return int(low if low is not None else 1)
    if kind == "number":
        low = schema.get("minimum")
        high = schema.get("maximum")
        if low is not None and high is not None:
            return (float(low) + float(high)) / 2
        return float(low if low is not None else 1.0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = "fake"
    return text.ljust(int(schema.get("minLength", 0)), "x")


# ----------------------------------------------------------------------------- completions


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def completion_for(body: dict[str, Any], *, completion_id: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) of a chat completion request, deterministic in its body."""
    model = body.get("model")
    messages = body.get("messages")
    if not isinstance(model, str) or not isinstance(messages, list) or not messages:
        return 400, error_body("the request needs a model and a non-empty messages list")
    users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    if FAIL_MARKER in last:
        return 400, error_body(f"the prompt contains {FAIL_MARKER}: refused on purpose")
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = fmt.get("json_schema", {}).get("schema", {})
        content = json.dumps(instance_for(schema))
    elif fmt.get("type") == "json_object":
        content = "{}"
    else:
        digest = hashlib.sha256(f"{model}\n{last}".encode()).digest()
        content = f"Answer: {LETTERS[digest[0] % 4]}"
    prompt_tokens = sum(_tokens(_text_of(m.get("content"))) for m in messages)
    completion_tokens = _tokens(content)
    return 200, {
        "id": completion_id,
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content, "refusal": None},
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def error_body(message: str, code: str = "invalid_request_error") -> dict[str, Any]:
    """An OpenAI-style error body."""
    return {"error": {"message": message, "type": code, "code": code, "param": None}}


def stream_chunks(completion: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``completion`` as the chunks of a stream: several deltas, then the finish, then usage."""
    base = {k: completion[k] for k in ("id", "created", "model")} | {
        "object": "chat.completion.chunk"
    }
    text = completion["choices"][0]["message"]["content"]
    for i in range(0, len(text), 4):  # several deltas, as a real stream sends
        delta: dict[str, Any] = {"content": text[i : i + 4]}
        if i == 0:
            delta["role"] = "assistant"
        yield base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
    yield base | {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield base | {"choices": [], "usage": completion["usage"]}
