"""Inputs of an N-model evaluation: prices (``--price``, prices CSV, registered), the reasoning
assumption, and which rows train and which are held out."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from routerlab.errors import ConfigError
from routerlab.evaluation.costs import DEFAULT_REASONING, REASONING_MODELS, ReasoningAssumption
from routerlab.prices import ModelPrice
from routerlab.tables import OutcomeTable
from routerlab.tables.sources import fixed_split

HELD_OUT_FRACTION = 0.5


def parse_price(spec: str) -> tuple[str, ModelPrice]:
    """``MODEL=IN,OUT`` (USD per 1M input, output tokens) -> (model, price)."""
    model, sep, values = spec.rpartition("=")
    try:
        if not sep or not model.strip():
            raise ValueError
        p_in, p_out = (float(v) for v in values.split(","))
    except ValueError:
        raise ConfigError(
            f"--price {spec!r}: expected MODEL=IN,OUT in USD per 1M tokens "
            "(example: --price gpt-4o-mini=0.15,0.60)"
        ) from None
    return model.strip(), ModelPrice(p_in, p_out)


def read_prices_csv(path: str | Path) -> dict[str, ModelPrice]:
    """A prices CSV with columns ``model``, ``input``, ``output`` (USD per 1M tokens)."""
    file = Path(path)
    with file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        needed = {"model", "input", "output"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise ConfigError(
                f"prices CSV {str(file)!r} needs columns model, input, output (USD per 1M "
                f"tokens); has {reader.fieldnames or 'no header'}"
            )
        prices: dict[str, ModelPrice] = {}
        for i, row in enumerate(reader, start=2):
            try:
                prices[row["model"].strip()] = ModelPrice(float(row["input"]), float(row["output"]))
            except (TypeError, ValueError):
                raise ConfigError(
                    f"prices CSV {str(file)!r} line {i}: input and output must be numbers, got "
                    f"{row['input']!r}, {row['output']!r}"
                ) from None
    if not prices:
        raise ConfigError(f"prices CSV {str(file)!r} has no rows")
    return prices


def resolve_prices(
    table_name: str,
    *,
    price_specs: Sequence[str] = (),
    prices_csv: str | Path | None = None,
    prices: Mapping[str, ModelPrice] | None = None,
) -> dict[str, ModelPrice]:
    """The pool's prices, then the table's registered ones, then ``prices_csv``, ``prices`` and
    the ``--price`` specs (later wins)."""
    from routerlab.evaluation.costs import pool_prices
    from routerlab.pool import load_pool
    from routerlab.tables import table_names, table_prices

    out: dict[str, ModelPrice] = dict(pool_prices(load_pool()))
    if table_name in table_names():
        out.update(table_prices(table_name) or {})
    if prices_csv is not None:
        out.update(read_prices_csv(prices_csv))
    out.update(prices or {})
    for spec in price_specs:
        model, price = parse_price(spec)
        out[model] = price
    return out


def reasoning_assumption(
    multiplier: float | None = None,
    tokens_per_call: int | None = None,
    models: Sequence[str] = REASONING_MODELS,
) -> ReasoningAssumption:
    """The default assumption (billed output = 4x visible for the reasoning models), or the one
    given: ``multiplier`` and/or ``tokens_per_call`` (the other then adds nothing)."""
    if multiplier is None and tokens_per_call is None:
        return DEFAULT_REASONING
    return ReasoningAssumption(
        models=tuple(models),
        tokens_per_call=int(tokens_per_call or 0),
        output_multiplier=1.0 if multiplier is None else float(multiplier),
    )


def split_rows(
    table: OutcomeTable, *, held_out_fraction: float = HELD_OUT_FRACTION, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """(training rows, held-out rows, a note): the table's fixed split when it has one, else a
    random ``held_out_fraction`` of the rows held out (at least one row each side)."""
    fixed = fixed_split(table)
    if fixed is not None:
        train, held = fixed
        return (
            train,
            held,
            (
                f"rows: the table's fixed split, train {len(train):,} / held-out (test) {len(held):,}"
            ),
        )
    if not 0.0 < held_out_fraction < 1.0:
        raise ConfigError(f"held_out_fraction must be in (0, 1), got {held_out_fraction}")
    n = len(table)
    if n < 2:
        raise ConfigError(
            f"table {table.name!r} has {n} row(s); an evaluation needs at least 2 "
            "(one to train on, one to score)"
        )
    n_held = min(max(round(n * held_out_fraction), 1), n - 1)
    perm = np.random.default_rng(seed).permutation(n)
    held, train = np.sort(perm[:n_held]), np.sort(perm[n_held:])
    return (
        train,
        held,
        (
            f"rows: random split (seed {seed}), train {len(train):,} / held-out {len(held):,} "
            f"({held_out_fraction:.0%} held out)"
        ),
    )


__all__ = [
    "HELD_OUT_FRACTION",
    "parse_price",
    "read_prices_csv",
    "reasoning_assumption",
    "resolve_prices",
    "split_rows",
]
