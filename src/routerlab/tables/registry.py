"""Named outcome-table sources: adding a table is one loader function and one registration.

``register_table("my-table", loader, prices)`` makes ``load_table("my-table", **kw)`` call
``loader(**kw)`` and ``table_prices("my-table")`` return ``prices`` (USD per 1M tokens per model,
for tables whose models are not in the pool). Anything that is not a registered name is read as
an outcome CSV path (:func:`~routerlab.tables.outcome_table.read_outcome_csv`).

Example (a test runs it)::

    from routerlab.tables import OutcomeTable, register_table, load_table
    from routerlab.prices import ModelPrice

    def toy() -> OutcomeTable:
        frame = pd.DataFrame({"prompt": ["a", "b"], "cheap": [1, 0], "big": [1, 1]})
        return OutcomeTable.from_frame(frame, name="toy")

    register_table("toy", toy, prices={"cheap": ModelPrice(0.1, 0.4), "big": ModelPrice(2, 8)})
    table = load_table("toy")
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError, DatasetNotFoundError
from routerlab.prices import ModelPrice
from routerlab.tables.csv_io import read_outcome_csv
from routerlab.tables.outcome_table import OutcomeTable

TableLoader = Callable[..., OutcomeTable]
# Prices may be given lazily (a function returning them) when computing them reads data files
# (LLMRouter's prices come from the mirror): they are then read on the first table_prices call.
PriceSource = Mapping[str, ModelPrice] | Callable[[], Mapping[str, ModelPrice]]


@dataclass(frozen=True)
class TableSource:
    name: str
    loader: TableLoader
    prices: PriceSource | None = field(default=None)


_REGISTRY: dict[str, TableSource] = {}


def register_table(
    name: str,
    loader: TableLoader,
    prices: PriceSource | None = None,
    *,
    replace: bool = False,
) -> None:
    """Register ``loader`` (keyword arguments -> :class:`OutcomeTable`) under ``name``.

    ``prices`` is a mapping, or a function returning one (read and checked on first use).
    A name is registered once; ``replace=True`` swaps an existing entry (tests, reloads).
    """
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise ConfigError(f"a table name must be a non-empty string without outer spaces: {name!r}")
    if not callable(loader):
        raise ConfigError(f"the loader of table {name!r} must be callable, got {loader!r}")
    if prices is not None and not callable(prices):
        _check_prices(name, prices)
    if name in _REGISTRY and not replace:
        raise ConfigError(
            f"table {name!r} is already registered; pass replace=True to swap it, or pick "
            f"another name (registered: {', '.join(table_names())})"
        )
    stored = prices if prices is None or callable(prices) else dict(prices)
    _REGISTRY[name] = TableSource(name, loader, stored)


def _check_prices(name: str, prices: Mapping[str, ModelPrice]) -> None:
    bad = {m: p for m, p in prices.items() if not isinstance(p, ModelPrice)}
    if bad:
        raise ConfigError(
            f"prices of table {name!r} must be ModelPrice (USD per 1M tokens); got {bad}"
        )


def unregister_table(name: str) -> None:
    """Remove a registration (tests restore the registry with this)."""
    _source(name)
    del _REGISTRY[name]


def table_names() -> list[str]:
    """Registered table names, sorted."""
    return sorted(_REGISTRY)


def _source(name: str) -> TableSource:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown outcome table {name!r}; registered: {', '.join(table_names()) or 'none'}"
        ) from None


def load_table(
    name_or_path: str | os.PathLike[str],
    *,
    models: Sequence[str] | None = None,
    **kw: Any,
) -> OutcomeTable:
    """A registered table (``kw`` go to its loader) or an outcome CSV (``kw`` go to
    :func:`read_outcome_csv`: ``metadata``).

    ``models`` picks and orders the models for either: a loader that takes ``models`` gets it
    (it may load less), and the table is then narrowed with :meth:`OutcomeTable.select_models`.
    """
    key = os.fspath(name_or_path)
    if key in _REGISTRY:
        loader = _REGISTRY[key].loader
        if models is not None and _accepts(loader, "models"):
            kw["models"] = list(models)
        table = loader(**kw)
        if models is not None and tuple(models) != table.models:
            table = table.select_models(list(models))
        return table
    if Path(key).is_file():
        return read_outcome_csv(key, models, **kw)
    raise DatasetNotFoundError(
        f"outcome table {key!r} is neither a registered table "
        f"({', '.join(table_names()) or 'none registered'}) nor an existing CSV file"
    )


def _accepts(loader: TableLoader, name: str) -> bool:
    try:
        params = inspect.signature(loader).parameters
    except (TypeError, ValueError):  # a builtin or C callable: pass nothing it may not take
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def table_prices(name: str | os.PathLike[str]) -> dict[str, ModelPrice] | None:
    """The prices registered with a table (None when it has none, or for a CSV path)."""
    key = os.fspath(name)
    if key not in _REGISTRY and Path(key).is_file():
        return None
    prices = _source(key).prices
    if prices is None:
        return None
    if callable(prices):
        prices = prices()
        _check_prices(key, prices)
    return dict(prices)


def load_outcome_table(source: str, *, allow_download: bool = False) -> OutcomeTable:
    """A registered table or an outcome CSV path; ``allow_download`` is passed (only when true)
    to a registered loader, which must then accept it (``routellm-mmlu`` does)."""
    if source in _REGISTRY and allow_download:
        return load_table(source, allow_download=True)
    return load_table(source)
