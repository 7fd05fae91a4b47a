"""Token usage of one model call, in OpenAI's terms."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Usage:
    """Token counts of one call.

    ``prompt_tokens`` includes ``cached_tokens``; ``completion_tokens`` includes
    ``reasoning_tokens`` (as the OpenAI API reports them).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name, count in self.to_dict().items():
            if count < 0:
                raise ValueError(f"{name} must be >= 0, got {count}")
        if self.cached_tokens > self.prompt_tokens:
            raise ValueError("cached_tokens cannot exceed prompt_tokens")
        if self.reasoning_tokens > self.completion_tokens:
            raise ValueError("reasoning_tokens cannot exceed completion_tokens")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        mine, theirs = self.to_dict(), other.to_dict()
        return Usage(**{name: mine[name] + theirs[name] for name in mine})

    @classmethod
    def from_openai(cls, usage: Any) -> Usage:
        """Build from an OpenAI ``CompletionUsage`` object or its dict form (None -> zeros)."""
        if usage is None:
            return cls()
        data = usage if isinstance(usage, dict) else usage.model_dump()
        prompt_details = data.get("prompt_tokens_details") or {}
        completion_details = data.get("completion_tokens_details") or {}
        return cls(
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            cached_tokens=int(prompt_details.get("cached_tokens") or 0),
            reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
        )

    def to_dict(self) -> dict[str, int]:
        """The counts by field name (every field is a count, so a new one is summed, checked
        and exported without further edits)."""
        return asdict(self)
