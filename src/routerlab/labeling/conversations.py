"""First user turns from Chatbot Arena conversations.

The hub dataset stores ``conversation_a`` as a list of ``{role, content}`` messages (a numpy array
of dicts once read from parquet). The study saved the same column with ``str()``, so files written
its way hold the Python repr of that list; it is read back with ``ast.literal_eval`` (or JSON),
never with a regular expression.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from routerlab.errors import ConfigError

ID_COLUMNS = ("conversation_id", "question_id")  # lmsys-chat-1m / chatbot_arena_conversations
META_COLUMNS = ("language", "openai_moderation", "toxic_chat_tag")


class ConversationParseError(ConfigError):
    """A conversation value is neither a list of messages nor a readable string form of one."""


def parse_messages(value: Any) -> list[dict[str, Any]]:
    """Messages of one conversation as a list of dicts, from any stored form.

    Accepts a list/tuple/numpy array of mappings, or its string form (Python repr or JSON).
    """
    if isinstance(value, str):
        value = _parse_string(value)
    if hasattr(value, "tolist") and not isinstance(value, Mapping):  # numpy array from parquet
        value = value.tolist()
    if not isinstance(value, list | tuple):
        raise ConversationParseError(
            f"a conversation must be a list of {{role, content}} messages, got {type(value).__name__}"
        )
    messages = []
    for item in value:
        if not isinstance(item, Mapping) or "role" not in item or "content" not in item:
            raise ConversationParseError(
                f"each message needs 'role' and 'content' keys, got {str(item)[:80]!r}"
            )
        messages.append(dict(item))
    return messages


def _parse_string(text: str) -> Any:
    # The study's files hold str(list_of_dicts): a Python literal. JSON is tried first because
    # it is the stricter format and what a JSONL export would contain.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ConversationParseError(
            f"cannot read conversation string (expected a Python or JSON list of messages): "
            f"{type(exc).__name__} in {text[:80]!r}"
        ) from None


def first_user_turn(value: Any) -> str:
    """Content of the first ``user`` message ("" when the conversation has none)."""
    for message in parse_messages(value):
        if message["role"] == "user":
            content = message["content"]
            return content if isinstance(content, str) else str(content)
    return ""


def _moderation_fields(value: Any) -> dict[str, Any]:
    """Flatten ``openai_moderation`` into ``moderation_flagged`` and ``moderation_categories``."""
    if isinstance(value, str):
        value = _parse_string(value)
    if not isinstance(value, Mapping):
        return {"moderation_flagged": None, "moderation_categories": ""}
    categories = value.get("categories") or {}
    if hasattr(categories, "items"):
        flagged_cats = sorted(str(k) for k, v in categories.items() if bool(v))
    else:
        flagged_cats = []
    flagged = value.get("flagged")
    return {
        "moderation_flagged": bool(flagged) if flagged is not None else bool(flagged_cats),
        "moderation_categories": ",".join(flagged_cats),
    }


def _toxic_flag(value: Any) -> bool | None:
    """True when any classifier in ``toxic_chat_tag`` flagged the conversation."""
    if isinstance(value, str):
        value = _parse_string(value)
    if not isinstance(value, Mapping):
        return None
    flags = [bool(v.get("flagged")) for v in value.values() if isinstance(v, Mapping)]
    return any(flags) if flags else None


def parse_conversations(
    frame: pd.DataFrame, conversation_column: str = "conversation_a"
) -> pd.DataFrame:
    """One row per conversation: ``conversation_id, user_query`` and metadata when present.

    Metadata kept: ``language``; ``moderation_flagged`` and ``moderation_categories`` (comma
    list of flagged OpenAI moderation categories) from ``openai_moderation``; ``toxic_flagged``
    from ``toxic_chat_tag``. A ``<column>_str`` column (the study's stringified copy) is used
    when the structured column is absent.
    """
    column = conversation_column
    if column not in frame.columns and f"{column}_str" in frame.columns:
        column = f"{column}_str"
    if column not in frame.columns:
        raise ConfigError(
            f"no conversation column {conversation_column!r} (or {conversation_column}_str); "
            f"columns are: {', '.join(map(str, frame.columns))}"
        )
    out = pd.DataFrame(index=frame.index)
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    out["conversation_id"] = (
        frame[id_column].astype(str) if id_column else [str(i) for i in frame.index]
    )
    out["user_query"] = [first_user_turn(v) for v in frame[column]]
    if "language" in frame.columns:
        out["language"] = frame["language"].astype(str)
    if "openai_moderation" in frame.columns:
        fields = [_moderation_fields(v) for v in frame["openai_moderation"]]
        out["moderation_flagged"] = [f["moderation_flagged"] for f in fields]
        out["moderation_categories"] = [f["moderation_categories"] for f in fields]
    if "toxic_chat_tag" in frame.columns:
        out["toxic_flagged"] = [_toxic_flag(v) for v in frame["toxic_chat_tag"]]
    return out.reset_index(drop=True)


def is_conversation_frame(frame: pd.DataFrame, conversation_column: str = "conversation_a") -> bool:
    """Whether ``frame`` holds conversations (structured or stringified) rather than prompts."""
    return conversation_column in frame.columns or f"{conversation_column}_str" in frame.columns
