"""A routing request: the prompt, its sampling temperature and optional attached files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from routerlab.errors import ConfigError

TEMPERATURE_RANGE = (0.0, 2.0)  # what the OpenAI chat API accepts


def check_temperature(temperature: float) -> float:
    low, high = TEMPERATURE_RANGE
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        msg = f"temperature must be a number in [{low}, {high}], got {temperature!r}"
        raise ConfigError(msg) from None
    if not low <= value <= high:
        raise ConfigError(f"temperature must be in [{low}, {high}], got {value}")
    return value


def check_prompt(prompt: str) -> str:
    if not isinstance(prompt, str):
        raise ConfigError(f"prompt must be a string, got {type(prompt).__name__}")
    if not prompt.strip():
        raise ConfigError("prompt is empty; give the text to route")
    return prompt


@dataclass(frozen=True)
class RouteRequest:
    """What a user sends. Validated on construction (empty prompt, temperature outside [0, 2])."""

    prompt: str
    temperature: float = 0.7
    files: tuple[Path, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        check_prompt(self.prompt)
        object.__setattr__(self, "temperature", check_temperature(self.temperature))
        object.__setattr__(self, "files", tuple(Path(f) for f in self.files))
