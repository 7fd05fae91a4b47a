"""Per-prompt cost predictions for the policy, in USD per 1k prompts.

At routing time a prompt's input tokens are known (o200k count of its text); each model's output
tokens are not. :class:`CostModel` predicts them per model from the training rows' recorded
output tokens: ``"mean"`` (the model's mean on training rows) or ``"ridge"`` (a ridge regression of
log output tokens on the prompt's features — long code gets long explanations). Cost =
(input_tokens x input price + predicted output tokens x output price) / 1e6 x 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routerlab.errors import ConfigError


def prompt_tokens(texts: Sequence[str]) -> np.ndarray:
    """o200k token counts of the prompts' text (what the router sees)."""
    from routerlab.tokens import count_tokens

    return np.array([count_tokens(t) for t in texts], dtype=float)


@dataclass
class CostModel:
    """Predicted cost per prompt and model. ``prices``: (input, output) USD per 1M tokens, one
    pair per model, in the learner's model order."""

    prices: Sequence[tuple[float, float]]
    mode: str = "mean"
    featurizer: Any = None
    alpha: float = 10.0
    _mean_out: Any = field(default=None, init=False, repr=False)
    _ridge: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("mean", "ridge"):
            raise ConfigError(f"cost mode must be 'mean' or 'ridge', got {self.mode!r}")
        if self.mode == "ridge" and self.featurizer is None:
            raise ConfigError("cost mode 'ridge' needs a featurizer")
        for p in self.prices:
            if len(p) != 2 or min(p) < 0:
                raise ConfigError(f"each price is (input, output) USD per 1M tokens >= 0, got {p}")

    def fit(self, texts: Sequence[str], output_tokens: np.ndarray) -> CostModel:
        """``output_tokens`` (n, m): recorded output tokens of each model on the training prompts."""
        out = np.asarray(output_tokens, dtype=float)
        if out.shape != (len(texts), len(self.prices)):
            raise ConfigError(
                f"output_tokens must have shape ({len(texts)}, {len(self.prices)}), got {out.shape}"
            )
        self._mean_out = np.nanmean(out, axis=0)
        if self.mode == "ridge":
            from sklearn.linear_model import Ridge

            X = self.featurizer.fit(list(texts)).transform(list(texts))
            target = np.log1p(np.where(np.isfinite(out), out, self._mean_out))
            self._ridge = Ridge(alpha=self.alpha).fit(X, target)
        return self

    def output_tokens(self, texts: Sequence[str]) -> np.ndarray:
        if self._mean_out is None:
            raise ConfigError("CostModel is not fitted; call fit() first")
        if self._ridge is None:
            return np.broadcast_to(self._mean_out, (len(texts), len(self.prices))).copy()
        X = self.featurizer.transform(list(texts))
        # exp of a mean log underestimates the mean; scale so the training mean is kept.
        return np.expm1(self._ridge.predict(X))

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """(n, m) predicted USD per 1k prompts."""
        texts = list(texts)
        tin = prompt_tokens(texts)[:, None]
        pin = np.array([p[0] for p in self.prices])[None, :]
        pout = np.array([p[1] for p in self.prices])[None, :]
        return (tin * pin + self.output_tokens(texts) * pout) / 1e6 * 1000.0


def realised_costs(
    input_tokens: np.ndarray, output_tokens: np.ndarray, prices: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Recorded cost per prompt and model, USD per 1k prompts, from token counts (n, m)."""
    tin = np.asarray(input_tokens, dtype=float)
    tout = np.asarray(output_tokens, dtype=float)
    pin = np.array([p[0] for p in prices])[None, :]
    pout = np.array([p[1] for p in prices])[None, :]
    return (tin * pin + tout * pout) / 1e6 * 1000.0
