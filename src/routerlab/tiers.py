"""Tier maps: score a pool's router on an outcome table recorded with other models.

The study's pool is ``gpt-4.1-nano`` (cheap), ``gpt-4.1`` (strong) and ``o4-mini`` (reasoning).
No public table records those three on the same prompts, but ZeroEval records the same three
tiers one generation earlier: ``gpt-4o-mini`` (cheap), ``gpt-4o`` (strong) and ``o1-mini``
(reasoning). A :class:`TierMap` says which table model stands in for each pool model, so a
router that names pool models (the Arena-trained classifier, a judge's recorded decisions) gets
a measured cost and quality on real outcomes. The stand-in is a tier, not the same model: every
result computed through a map should say so (:meth:`TierMap.describe`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from routerlab.errors import ConfigError

DEFAULT_TIERS: dict[str, str] = {
    "gpt-4.1-nano": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4o-2024-08-06",
    "o4-mini": "o1-mini-2024-09-12",
}


@dataclass(frozen=True)
class TierMap:
    """Pool model -> table model. Build with :meth:`parse` or from a mapping; validated."""

    tiers: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.tiers:
            raise ConfigError("a tier map needs at least one 'pool_model=table_model' pair")
        sources = [s for s, _ in self.tiers]
        repeated = sorted({s for s in sources if sources.count(s) > 1})
        if repeated:
            raise ConfigError(f"tier map names pool model(s) {repeated} more than once")
        for source, target in self.tiers:
            if not source.strip() or not target.strip():
                raise ConfigError(f"tier map pair {source!r}={target!r} has an empty side")

    @classmethod
    def of(cls, mapping: Mapping[str, str] | None = None) -> TierMap:
        """From a mapping; ``None`` gives the default (study pool -> ZeroEval's OpenAI trio)."""
        return cls(tuple((mapping or DEFAULT_TIERS).items()))

    @classmethod
    def parse(cls, spec: str) -> TierMap:
        """From ``"gpt-4.1-nano=gpt-4o-mini,gpt-4.1=gpt-4o,..."`` (the CLI form)."""
        pairs = []
        for item in (p.strip() for p in spec.split(",")):
            if not item:
                continue
            if item.count("=") != 1:
                raise ConfigError(
                    f"tier map entry {item!r} is not 'pool_model=table_model' "
                    "(example: gpt-4.1-nano=gpt-4o-mini-2024-07-18)"
                )
            source, target = (s.strip() for s in item.split("="))
            pairs.append((source, target))
        return cls(tuple(pairs))

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.tiers)

    def check(self, pool_models: Sequence[str], table_models: Sequence[str]) -> None:
        """Every pool model must be mapped, and onto a model the table has."""
        mapping = self.mapping
        unmapped = [m for m in pool_models if m not in mapping]
        if unmapped:
            raise ConfigError(
                f"tier map has no table model for pool model(s) {unmapped}; it maps "
                f"{', '.join(mapping)}"
            )
        missing = sorted({mapping[m] for m in pool_models} - set(table_models))
        if missing:
            raise ConfigError(
                f"tier map points at {missing}, which the table lacks; table models: "
                f"{', '.join(table_models)}"
            )

    def indices(
        self, choices: Sequence[str] | np.ndarray, table_models: Sequence[str]
    ) -> np.ndarray:
        """Pool-model choices -> column indices in ``table_models`` (any array shape)."""
        picked = np.asarray(choices, dtype=object)
        mapping = self.mapping
        unknown = sorted({str(c) for c in picked.ravel()} - set(mapping))
        if unknown:
            raise ConfigError(
                f"choices name pool model(s) {unknown} the tier map lacks; it maps "
                f"{', '.join(mapping)}"
            )
        self.check(sorted({str(c) for c in picked.ravel()}), table_models)
        column = {m: table_models.index(t) for m, t in mapping.items() if t in table_models}
        return np.vectorize(column.__getitem__, otypes=[int])(picked)

    def describe(self) -> str:
        """One line for tables and figures: which table model stands in for which pool model."""
        return "tier map (stand-ins, not the same models): " + ", ".join(
            f"{s} -> {t}" for s, t in self.tiers
        )
