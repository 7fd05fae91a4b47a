"""A fitted outcome router: predictor + cost model + knob, saved to and loaded from a folder.

The folder holds ``learner.joblib`` (the fitted predictor and cost model) and ``meta.json``
(format version, models in order, prices, features, learner name, default ``lam``, how it was
calibrated, free-form ``info``). The gateway loads one with :meth:`OutcomeRouter.load` and routes
with :meth:`OutcomeRouter.choose_names`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from routerlab.errors import ConfigError
from routerlab.learning.costs import CostModel
from routerlab.learning.policy import choose

FORMAT_VERSION = 1
META_FILE = "meta.json"
LEARNER_FILE = "learner.joblib"


@dataclass
class OutcomeRouter:
    """``predictor`` (a fitted learner), ``cost_model`` (a fitted :class:`CostModel`) and the
    models they score, in order. ``lam`` is the default knob (quality per USD per 1k prompts)."""

    models: tuple[str, ...]
    predictor: Any
    cost_model: CostModel
    lam: float = 0.0
    features: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.models = tuple(self.models)
        if len(self.models) < 2 or len(set(self.models)) != len(self.models):
            raise ConfigError(f"an outcome router needs >= 2 distinct models, got {self.models}")
        if len(self.cost_model.prices) != len(self.models):
            raise ConfigError(
                f"{len(self.cost_model.prices)} prices for {len(self.models)} models; give one each"
            )

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """(n, m) predicted quality per model."""
        return np.asarray(self.predictor.predict(list(texts)), dtype=float)

    def costs(self, texts: Sequence[str]) -> np.ndarray:
        """(n, m) predicted USD per 1k prompts."""
        return self.cost_model.predict(list(texts))

    def choose(self, texts: Sequence[str], lam: float | None = None) -> np.ndarray:
        texts = list(texts)
        return choose(self.predict(texts), self.costs(texts), self.lam if lam is None else lam)

    def choose_names(self, texts: Sequence[str], lam: float | None = None) -> list[str]:
        return [self.models[i] for i in self.choose(texts, lam)]

    def save(self, folder: str | Path) -> Path:
        import joblib

        path = Path(folder)
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{path} exists and is not a folder; give a folder to save into")
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(
            {"predictor": self.predictor, "cost_model": self.cost_model}, path / LEARNER_FILE
        )
        meta = {
            "format_version": FORMAT_VERSION,
            "models": list(self.models),
            "prices": {
                m: {"input": float(p[0]), "output": float(p[1])}
                for m, p in zip(self.models, self.cost_model.prices, strict=True)
            },
            "features": self.features,
            "learner": getattr(self.predictor, "name", type(self.predictor).__name__),
            "cost_mode": self.cost_model.mode,
            "lam": float(self.lam),
            "info": self.info,
        }
        (path / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | Path) -> OutcomeRouter:
        import joblib

        path = Path(folder)
        meta_file, learner_file = path / META_FILE, path / LEARNER_FILE
        if not (meta_file.is_file() and learner_file.is_file()):
            raise ConfigError(
                f"{path} is not a saved outcome router: it needs {META_FILE} and {LEARNER_FILE}"
            )
        meta = json.loads(meta_file.read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ConfigError(
                f"{meta_file}: format_version {meta.get('format_version')!r}, this routerlab reads {FORMAT_VERSION}"
            )
        parts = joblib.load(learner_file)
        return cls(
            models=tuple(meta["models"]),
            predictor=parts["predictor"],
            cost_model=parts["cost_model"],
            lam=float(meta["lam"]),
            features=str(meta.get("features", "")),
            info=dict(meta.get("info", {})),
        )
