"""LLM client layer: one factory for OpenAI, OpenAI-compatible servers, a local model, replay."""

from routerlab.llm.base import ChatClient, ChatResult, ClientSettings

__all__ = ["ChatClient", "ChatResult", "ClientSettings"]
