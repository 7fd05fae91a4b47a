"""LLM client layer: one factory for OpenAI, OpenAI-compatible servers, a local model, replay.

Backends are imported lazily (on first attribute access), so ``import routerlab.llm`` loads
neither the openai SDK nor torch, transformers or outlines.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from routerlab.llm.base import ChatClient, ChatResult, ClientSettings
from routerlab.llm.request import LLMRequest, request_key

if TYPE_CHECKING:
    from routerlab.llm.cache import CachingClient, ResponseCache
    from routerlab.llm.factory import make_client
    from routerlab.llm.local import LocalClient
    from routerlab.llm.openai_client import OpenAIClient
    from routerlab.llm.replay import Recorder, ReplayClient

_LAZY = {
    "CachingClient": "routerlab.llm.cache",
    "ResponseCache": "routerlab.llm.cache",
    "make_client": "routerlab.llm.factory",
    "OpenAIClient": "routerlab.llm.openai_client",
    "LocalClient": "routerlab.llm.local",
    "ReplayClient": "routerlab.llm.replay",
    "Recorder": "routerlab.llm.replay",
}

__all__ = [
    "CachingClient",
    "ChatClient",
    "ChatResult",
    "ClientSettings",
    "LLMRequest",
    "LocalClient",
    "OpenAIClient",
    "Recorder",
    "ReplayClient",
    "ResponseCache",
    "make_client",
    "request_key",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'routerlab.llm' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value
