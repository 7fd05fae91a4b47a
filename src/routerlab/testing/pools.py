"""Small pools and outcome tables for tests and examples, built in one call."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from routerlab.errors import ConfigError
from routerlab.pool import ModelSpec, Pool

if TYPE_CHECKING:
    from routerlab.tables import OutcomeTable

DEFAULT_NAMES = ("cheap", "strong")
Price = float | tuple[float, float]


def _price_pair(name: str, price: Price) -> tuple[float, float]:
    if isinstance(price, tuple):
        if len(price) != 2:
            raise ConfigError(f"price of {name!r} must be a number or (input, output), got {price}")
        return float(price[0]), float(price[1])
    return float(price), float(price)


def make_pool(
    names: Sequence[str] = DEFAULT_NAMES,
    prices: Sequence[Price] | Mapping[str, Price] | None = None,
    *,
    reasoning: Collection[str] = (),
    vision: Collection[str] = (),
    pdf: Collection[str] = (),
    context_window: int | Mapping[str, int] = 1_000_000,
    descriptions: Mapping[str, str] | None = None,
) -> Pool:
    """A pool of ``names`` in that order (cheapest first, by the pool's convention).

    ``prices`` (USD per 1M tokens), one per name or a name -> price mapping: a number is the
    input, cached-input and output price alike; a pair is (input, output), with cached input at
    the input price. Default: 0.1, 1, 10, ... (input) and 4x that for output. ``reasoning``
    models reject the temperature parameter; ``vision`` / ``pdf`` models read images / PDFs.
    """
    names = [str(n) for n in names]
    if not names or len(set(names)) != len(names):
        raise ConfigError(f"names must be distinct and non-empty, got {names}")
    if prices is None:
        pairs = {n: (0.1 * 10**i, 0.4 * 10**i) for i, n in enumerate(names)}
    elif isinstance(prices, Mapping):
        missing = [n for n in names if n not in prices]
        if missing:
            raise ConfigError(f"prices lack {missing}; give one for each of {names}")
        pairs = {n: _price_pair(n, prices[n]) for n in names}
    else:
        if len(prices) != len(names):
            raise ConfigError(f"{len(prices)} prices for {len(names)} names {names}")
        pairs = {n: _price_pair(n, p) for n, p in zip(names, prices, strict=True)}
    unknown = (set(reasoning) | set(vision) | set(pdf)) - set(names)
    if unknown:
        raise ConfigError(f"capabilities name models not in the pool: {sorted(unknown)}")
    texts = dict(descriptions or {})
    specs = []
    for order, name in enumerate(names):
        window = context_window[name] if isinstance(context_window, Mapping) else context_window
        input_price, output_price = pairs[name]
        specs.append(
            ModelSpec(
                name=name,
                input=input_price,
                cached_input=input_price,
                output=output_price,
                context_window=int(window),
                description=texts.get(name, f"Test model {name}."),
                temperature=name not in reasoning,
                vision=name in vision,
                pdf=name in pdf,
                reasoning=name in reasoning,
                order=order,
            )
        )
    return Pool(models=tuple(specs), price_source="routerlab.testing.make_pool")


def make_outcome_table(
    n: int = 40,
    models: Sequence[str] = DEFAULT_NAMES,
    seed: int = 0,
    *,
    accuracy: Sequence[float] | None = None,
    subjects: Sequence[str] = ("algebra", "history"),
) -> OutcomeTable:
    """A random outcome table: ``n`` prompts, one bool column per model, a ``subject`` column.

    Model ``j`` is right with probability ``accuracy[j]`` (default: evenly from 0.4 to 0.9 in
    model order, so later models are stronger). Prompts differ in length (``"q<i> " + words``) so
    length-based routers see a spread. Same ``seed``, same table.
    """
    import pandas as pd

    from routerlab.tables import OutcomeTable  # pandas-heavy: only when a table is made

    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    models = [str(m) for m in models]
    if accuracy is None:
        accuracy = list(np.linspace(0.4, 0.9, len(models))) if len(models) > 1 else [0.65]
    if len(accuracy) != len(models):
        raise ConfigError(f"{len(accuracy)} accuracies for {len(models)} models")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 30, size=n)
    frame = pd.DataFrame(
        {
            "id": [f"row-{i}" for i in range(n)],
            "prompt": [f"q{i} " + " ".join(["word"] * int(k)) for i, k in enumerate(lengths)],
            "subject": [subjects[i % len(subjects)] for i in range(n)],
        }
    )
    for model, p in zip(models, accuracy, strict=True):
        frame[model] = rng.random(n) < float(p)
    return OutcomeTable.from_frame(frame, models, name=f"synthetic-{seed}")
