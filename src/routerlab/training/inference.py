"""Batched, length-sorted inference for sequence classifiers (shared by training and routing)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def predict_proba(
    model: Any,
    tokenizer: Any,
    texts: Sequence[str],
    *,
    max_length: int = 128,
    batch_size: int = 64,
) -> np.ndarray:
    """Class probabilities, one row per text in the given order.

    Texts are run in order of token length, so each padded batch wastes little compute, then
    put back in the caller's order. Runs under ``torch.inference_mode`` with the model in eval.
    """
    import torch

    items = list(texts)
    num_labels = int(model.config.num_labels)
    if not items:
        return np.zeros((0, num_labels), dtype=np.float32)
    encoded = tokenizer(items, truncation=True, max_length=max_length)
    ids: list[list[int]] = encoded["input_ids"]
    masks: list[list[int]] = encoded["attention_mask"]
    order = sorted(range(len(items)), key=lambda i: len(ids[i]))
    out = np.zeros((len(items), num_labels), dtype=np.float32)
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = tokenizer.pad(
                {"input_ids": [ids[i] for i in chunk], "attention_mask": [masks[i] for i in chunk]},
                return_tensors="pt",
            )
            logits = model(**{k: v.to(device) for k, v in batch.items()}).logits
            out[chunk] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    return out
