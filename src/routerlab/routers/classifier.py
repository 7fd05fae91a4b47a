"""The classifier router: a fine-tuned encoder scores every pool model for a prompt.

It loads a directory written by :func:`routerlab.training.io.save_classifier` (``routerlab
train`` or notebook 04), predicts per-model probabilities, and chooses through the shared
:func:`~routerlab.routers.base.choose_model` policy with its one knob ``cost_threshold``:
0 follows the classifier (argmax); 1 always picks the cheapest model; in between the cheapest
model is kept unless the probability of needing a stronger one reaches the threshold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, choose_model, register_router
from routerlab.training.inference import predict_proba
from routerlab.training.io import ModelDirError, load_classifier

DEFAULT_MODEL_DIR = "outputs/models/classifier"


@register_router("classifier")
class ClassifierRouter(Router):
    """Route with a fine-tuned sequence classifier (labels = pool model names).

    ``cost_threshold`` is the policy knob (see :func:`choose_model`); ``batch_size`` the batch of
    :meth:`route_batch`; ``num_threads`` sets torch's CPU threads (process-wide);
    ``quantize`` runs the Linear layers in dynamic int8 (CPU only; faster, slightly different).
    """

    name = "classifier"

    def __init__(
        self,
        pool: Pool,
        model_dir: str | Path = DEFAULT_MODEL_DIR,
        *,
        cost_threshold: float = 0.0,
        batch_size: int = 64,
        num_threads: int | None = None,
        quantize: bool = False,
    ) -> None:
        super().__init__(pool)
        if not 0.0 <= cost_threshold <= 1.0:
            raise ConfigError(f"cost_threshold must be in [0, 1], got {cost_threshold}")
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        if num_threads is not None:
            import torch

            # Small models on a few cores run faster without oversubscribed intra-op threads.
            torch.set_num_threads(num_threads)
        loaded = load_classifier(model_dir)
        outside = [label for label in loaded.labels if label not in pool]
        if outside:
            raise ModelDirError(
                f"the classifier in {str(model_dir)!r} predicts {', '.join(outside)}, which the "
                f"pool lacks (pool has: {', '.join(pool.names)}); retrain it for this pool"
            )
        self.model_dir = str(model_dir)
        self.model = loaded.model
        self.quantized = quantize
        if quantize:
            import torch

            # Dynamic int8 Linear layers: about 3x the CPU throughput; measured on the study
            # split it changed 5 % of argmax choices and accuracy by -0.25 points.
            self.model = torch.ao.quantization.quantize_dynamic(
                loaded.model, {torch.nn.Linear}, dtype=torch.qint8
            )
        self.tokenizer = loaded.tokenizer
        self.labels = loaded.labels
        self.max_length = loaded.max_length
        self.info = loaded.info
        self.cost_threshold = cost_threshold
        self.batch_size = batch_size

    # ------------------------------------------------------------------ scoring

    def predict_proba(self, prompts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per prompt, columns in ``self.labels`` order.

        Prompts are batched in order of token length so each padded batch wastes little.
        """
        return predict_proba(
            self.model,
            self.tokenizer,
            prompts,
            max_length=self.max_length,
            batch_size=self.batch_size,
        )

    def scores(self, prompt: str) -> dict[str, float]:
        """Per-model probabilities for one prompt."""
        row = self.predict_proba([prompt])[0]
        return {label: float(p) for label, p in zip(self.labels, row, strict=True)}

    # ------------------------------------------------------------------ routing

    def _decision(self, row: np.ndarray, latency_s: float) -> Decision:
        scores = {label: float(p) for label, p in zip(self.labels, row, strict=True)}
        return self._from_scores(
            scores,
            self.cost_threshold,
            latency_s=latency_s,
            details={"cost_threshold": self.cost_threshold},
        )

    def _decide(self, request: RouteRequest) -> Decision:
        start = time.perf_counter()
        row = self.predict_proba([request.prompt])[0]
        return self._decision(row, time.perf_counter() - start)

    def route_batch(self, requests: Sequence[RouteRequest | str]) -> list[Decision]:
        """Batched inference; each decision's latency is its share of the batch time."""
        prompts = [
            r.prompt if isinstance(r, RouteRequest) else RouteRequest(r).prompt for r in requests
        ]
        start = time.perf_counter()
        probs = self.predict_proba(prompts)
        share = (time.perf_counter() - start) / max(len(prompts), 1)
        return [self._decision(row, share) for row in probs]

    def explain(
        self, prompts: Sequence[str], thresholds: Sequence[float] = (0.0, 0.5, 1.0)
    ) -> pd.DataFrame:
        """Per-model probabilities and the model chosen at each ``cost_threshold``."""
        probs = self.predict_proba(prompts)
        rows = []
        for prompt, row in zip(prompts, probs, strict=True):
            scores = {label: float(p) for label, p in zip(self.labels, row, strict=True)}
            record: dict[str, Any] = {"prompt": prompt[:80]}
            record.update({f"p({label})": round(p, 3) for label, p in scores.items()})
            for t in thresholds:
                record[f"choice@{t:g}"] = choose_model(scores, self.pool, t)
            rows.append(record)
        return pd.DataFrame(rows)

    def describe(self) -> dict[str, Any]:
        """What was loaded: directory, labels, base model and recorded validation metrics."""
        return {
            "model_dir": self.model_dir,
            "labels": list(self.labels),
            "base_model": self.info.get("base_model"),
            "split_mode": self.info.get("split_mode"),
            "metrics": self.info.get("metrics"),
        }
