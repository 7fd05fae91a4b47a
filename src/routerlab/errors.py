"""Exceptions with messages that name what is wrong and what is allowed."""

from __future__ import annotations


class RouterlabError(Exception):
    """Base class for every error routerlab raises on purpose."""


class ConfigError(RouterlabError, ValueError):
    """A parameter or setting has a value outside what is allowed."""


class UnknownModelError(ConfigError, KeyError):
    """A model name that is not in the pool."""

    def __init__(self, name: str, pool_names: list[str]) -> None:
        self.name = name
        self.pool_names = pool_names
        super().__init__(f"unknown model {name!r}; pool has: {', '.join(pool_names)}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class DatasetNotFoundError(RouterlabError, FileNotFoundError):
    """No source for a dataset was reachable."""


class LLMError(RouterlabError):
    """A model call failed after retries (HTTP error, timeout, refusal, invalid output)."""

    def __init__(self, message: str, *, kind: str = "api_error", status: int | None = None) -> None:
        self.kind = kind
        self.status = status
        super().__init__(message)
