"""Model prices in USD per 1M tokens: a leaf module, so that outcome-table sources (which ship
their models' prices) and the cost code (which uses them) both import it without a cycle."""

from __future__ import annotations

from dataclasses import dataclass

from routerlab.errors import ConfigError


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens."""

    input: float
    output: float

    def __post_init__(self) -> None:
        if self.input < 0 or self.output < 0:
            raise ConfigError(f"prices must be >= 0, got input={self.input}, output={self.output}")
