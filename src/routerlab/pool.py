"""The model pool: prices, capabilities and descriptions, read from a TOML data file.

The default file is ``data/pool.toml`` in the repository (packaged as ``routerlab/_data/pool.toml``
in a wheel); ``ROUTERLAB_POOL`` or an explicit path selects another one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError, UnknownModelError
from routerlab.usage import Usage


class ContextWindowError(ConfigError):
    """No allowed model's context window holds the prompt plus the output budget."""

    def __init__(self, message: str, *, largest_window: int) -> None:
        self.largest_window = largest_window
        super().__init__(message)


# Request fields that only fit some models: reasoning models reject sampling controls (as they
# reject temperature); non-reasoning models reject ``reasoning_effort``. A router may pick either
# kind, so these are dropped to fit the chosen model.
SAMPLING_FIELDS = ("top_p", "presence_penalty", "frequency_penalty", "logit_bias")
REASONING_FIELDS = ("reasoning_effort",)

POOL_ENV = "ROUTERLAB_POOL"
PER_TOKENS = 1_000_000  # prices are USD per 1M tokens
_REQUIRED = ("input", "cached_input", "output", "context_window", "description")


@dataclass(frozen=True)
class ModelSpec:
    """One model of the pool. Prices in USD per 1M tokens."""

    name: str
    input: float
    cached_input: float
    output: float
    context_window: int
    description: str
    temperature: bool = True  # False for reasoning models, which reject the parameter
    vision: bool = False
    pdf: bool = False
    reasoning: bool = False
    order: int = 0

    # -- capability rules: what a call to this model may carry ----------------------------------

    def reads(self, kind: str) -> bool:
        """Whether the model takes an attachment of ``kind`` (``image``, ``pdf``; text files are
        inlined into the prompt, so every model reads them)."""
        return {"image": self.vision, "pdf": self.pdf}.get(kind, True)

    def output_cap(self, chat: int | None, reasoning: int | None = None) -> int | None:
        """The output-token cap for this model: ``reasoning`` for reasoning models when given
        (their budget also covers hidden reasoning), else ``chat``."""
        return reasoning if self.reasoning and reasoning is not None else chat

    def call_params(
        self,
        temperature: float | None,
        max_output_tokens: int | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Keyword arguments for :meth:`ChatClient.acomplete` that this model accepts.

        No temperature where the model rejects it; the token cap as ``max_completion_tokens``
        for reasoning models (their budget includes hidden reasoning), ``max_tokens`` otherwise;
        ``extra`` request fields without those the model rejects (:data:`SAMPLING_FIELDS`,
        :data:`REASONING_FIELDS`), under ``extra`` when any remain.
        """
        params: dict[str, Any] = {}
        if self.temperature and temperature is not None:
            params["temperature"] = temperature
        if max_output_tokens is not None:
            key = "max_completion_tokens" if self.reasoning else "max_tokens"
            params[key] = max_output_tokens
        if extra:
            drop = set() if self.temperature else set(SAMPLING_FIELDS)
            if not self.reasoning:
                drop.update(REASONING_FIELDS)
            kept = {k: v for k, v in extra.items() if k not in drop}
            if kept:
                params["extra"] = kept
        return params


@dataclass(frozen=True)
class Pool:
    """An ordered set of models (cheapest first by convention) and how to price their calls."""

    models: tuple[ModelSpec, ...]
    price_source: str = ""
    price_date: str = ""
    batch_discount: float = 0.5
    path: str = ""
    _by_name: dict[str, ModelSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigError("the pool has no models")
        object.__setattr__(self, "_by_name", {m.name: m for m in self.models})

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.models)

    def __getitem__(self, name: str) -> ModelSpec:
        return self.get(name)

    def get(self, name: str) -> ModelSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownModelError(name, self.names) from None

    def index(self, name: str) -> int:
        return self.names.index(self.get(name).name)

    def fits(self, name: str, prompt_tokens: int, max_output_tokens: int | None = None) -> bool:
        """Whether ``prompt_tokens`` plus the output budget fit ``name``'s context window."""
        return prompt_tokens + (max_output_tokens or 0) <= self.get(name).context_window

    def fitting(
        self,
        prompt_tokens: int,
        max_output_tokens: int | Callable[[str], int | None] | None = None,
        among: Sequence[str] | None = None,
    ) -> list[str]:
        """Models (pool order) whose window holds the prompt and the output budget.

        ``max_output_tokens`` is one budget for every model, or a function of the model name
        (reasoning models often get a larger one). Raises :class:`ContextWindowError` naming the
        largest window when none fits.
        """
        names = self.names if among is None else [self.get(n).name for n in among]
        cap = max_output_tokens if callable(max_output_tokens) else lambda _: max_output_tokens
        fit = [n for n in names if self.fits(n, prompt_tokens, cap(n))]
        if not fit:
            largest = max((self.get(n) for n in names), key=lambda m: m.context_window)
            budget = (
                f" plus {max_output_tokens:,} output tokens"
                if isinstance(max_output_tokens, int)
                else " plus the output budget"
                if callable(max_output_tokens)
                else ""
            )
            raise ContextWindowError(
                f"the prompt has {prompt_tokens:,} tokens{budget}, more than any allowed "
                f"model's context window; the largest is {largest.context_window:,} tokens "
                f"({largest.name})",
                largest_window=largest.context_window,
            )
        return fit

    def check_fits(self, name: str, prompt_tokens: int, max_output_tokens: int | None) -> None:
        """Raise :class:`ContextWindowError` when ``name``'s window cannot hold the prompt plus
        the output budget, naming its window and the pool's largest."""
        if self.fits(name, prompt_tokens, max_output_tokens):
            return
        window = self.get(name).context_window
        largest = max(self.models, key=lambda m: m.context_window)
        budget = f" plus {max_output_tokens:,} output tokens" if max_output_tokens else ""
        raise ContextWindowError(
            f"the prompt has about {prompt_tokens:,} tokens{budget}, more than {name}'s context "
            f"window of {window:,} tokens; the largest window in the pool is "
            f"{largest.context_window:,} tokens ({largest.name})",
            largest_window=largest.context_window,
        )

    @property
    def cheapest(self) -> ModelSpec:
        return min(self.models, key=lambda m: (m.input + m.output, m.order))

    # -- capability rules, by model name (see ModelSpec) -----------------------------------------

    def call_params(
        self,
        model: str,
        temperature: float | None,
        max_output_tokens: int | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """:meth:`ModelSpec.call_params` of ``model``."""
        return self.get(model).call_params(temperature, max_output_tokens, extra)

    def readers(self, kind: str) -> list[str]:
        """Models (pool order) that take an attachment of ``kind``."""
        return [m.name for m in self.models if m.reads(kind)]

    def tier_models(self) -> dict[str, str]:
        """Which model plays each tier: ``cheap`` (the cheapest), ``general`` (the strongest
        non-reasoning model, by price) and ``reasoning`` (the first reasoning model, else the
        general one). Judge examples and default fallbacks name tiers, never fixed models."""
        cheap = self.cheapest
        general = [m for m in self.models if not m.reasoning and m.name != cheap.name]
        reasoning = [m for m in self.models if m.reasoning]
        strongest = max(general, key=lambda m: m.input + m.output) if general else cheap
        return {
            "cheap": cheap.name,
            "general": strongest.name,
            "reasoning": reasoning[0].name if reasoning else strongest.name,
        }

    def cost(self, model: str, usage: Usage, *, batch: bool = False) -> float:
        """Dollars for one call: uncached input, cached input and output (reasoning included)."""
        spec = self.get(model)
        uncached = usage.prompt_tokens - usage.cached_tokens
        dollars = (
            uncached * spec.input
            + usage.cached_tokens * spec.cached_input
            + usage.completion_tokens * spec.output
        ) / PER_TOKENS
        return dollars * (self.batch_discount if batch else 1.0)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "model": m.name,
                    "input_per_1m": m.input,
                    "cached_input_per_1m": m.cached_input,
                    "output_per_1m": m.output,
                    "context_window": m.context_window,
                    "temperature": m.temperature,
                    "vision": m.vision,
                    "pdf": m.pdf,
                    "reasoning": m.reasoning,
                    "description": m.description,
                }
                for m in self.models
            ]
        )


def default_pool_path() -> Path:
    env = os.environ.get(POOL_ENV)
    if env:
        return Path(env)
    repo_file = Path(__file__).resolve().parents[2] / "data" / "pool.toml"
    if repo_file.is_file():  # editable install / source checkout
        return repo_file
    return Path(str(resources.files("routerlab") / "_data" / "pool.toml"))


def _parse_model(name: str, table: dict[str, Any], where: str) -> ModelSpec:
    missing = [key for key in _REQUIRED if key not in table]
    if missing:
        raise ConfigError(f"{where}: model {name!r} lacks {', '.join(missing)}")
    try:
        spec = ModelSpec(
            name=name,
            input=float(table["input"]),
            cached_input=float(table["cached_input"]),
            output=float(table["output"]),
            context_window=int(table["context_window"]),
            description=str(table["description"]).strip(),
            temperature=bool(table.get("temperature", True)),
            vision=bool(table.get("vision", False)),
            pdf=bool(table.get("pdf", False)),
            reasoning=bool(table.get("reasoning", False)),
            order=int(table.get("order", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: model {name!r} has a bad value: {exc}") from None
    if min(spec.input, spec.cached_input, spec.output) < 0 or spec.context_window <= 0:
        raise ConfigError(f"{where}: model {name!r} needs prices >= 0 and context_window > 0")
    return spec


def load_pool(path: str | os.PathLike[str] | None = None) -> Pool:
    """Read a pool file (default: :func:`default_pool_path`)."""
    file = Path(path) if path is not None else default_pool_path()
    return _load_pool_cached(str(file.resolve()))


@lru_cache(maxsize=8)
def _load_pool_cached(file: str) -> Pool:
    try:
        data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"pool file not found: {file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"pool file {file} is not valid TOML: {exc}") from None
    tables = data.get("models") or {}
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f'pool file {file} has no [models."name"] tables')
    models = [_parse_model(name, table, file) for name, table in tables.items()]
    models.sort(key=lambda m: m.order)
    meta = data.get("meta", {})
    return Pool(
        models=tuple(models),
        price_source=str(meta.get("price_source", "")),
        price_date=str(meta.get("price_date", "")),
        batch_discount=float(meta.get("batch_discount", 0.5)),
        path=file,
    )
