"""Baseline strong-score functions: always-weak, always-strong, random, prompt length, oracle.

Every router is evaluated through the same shape, a *strong scorer*: a function from prompts to
one number per prompt (higher = more reason to call the strong model). The oracle is the one
exception: it needs the outcomes, so it is built from the pair, not from the prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from routerlab.errors import ConfigError
from routerlab.evaluation.scoring import PairOutcomes

StrongScorer = Callable[[Sequence[str]], np.ndarray]
LENGTH_UNITS = ("chars", "words", "tokens")


def always_weak(prompts: Sequence[str]) -> np.ndarray:
    """Every prompt scores 0: at any threshold above 0 nothing goes strong."""
    return np.zeros(len(prompts))


def always_strong(prompts: Sequence[str]) -> np.ndarray:
    """Every prompt scores 1 (a single tie group: its curve is the random diagonal)."""
    return np.ones(len(prompts))


def random_scores(prompts: Sequence[str], seed: int = 0) -> np.ndarray:
    """Uniform random scores from ``seed``: the random router."""
    return np.random.default_rng(seed).random(len(prompts))


def length_scores(prompts: Sequence[str], unit: str = "chars") -> np.ndarray:
    """Prompt length (characters, whitespace words or o200k tokens): longer prompts go strong."""
    if unit == "chars":
        return np.array([len(p) for p in prompts], dtype=float)
    if unit == "words":
        return np.array([len(p.split()) for p in prompts], dtype=float)
    if unit == "tokens":
        from routerlab.tokens import count_tokens

        return np.array([count_tokens(p) for p in prompts], dtype=float)
    raise ConfigError(f"unknown length unit {unit!r}; allowed: {', '.join(LENGTH_UNITS)}")


def oracle_scores(pair: PairOutcomes) -> np.ndarray:
    """The outcome gain strong minus weak: prompts only the strong model gets right go first,
    those only the weak model gets right go last (so the curve is the best reachable)."""
    return pair.strong_out - pair.weak_out
