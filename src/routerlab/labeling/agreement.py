"""Agreement between two labelings of the same prompts (e.g. a new judge vs the study's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError


@dataclass
class Agreement:
    """Accuracy of B against A, Cohen's kappa, the confusion matrix and both distributions."""

    n: int
    accuracy: float
    kappa: float
    majority_accuracy: float  # B always answering A's most common label
    confusion: pd.DataFrame  # rows: labels in A, columns: labels in B
    distribution: pd.DataFrame  # label, count/share in A and in B
    name_a: str
    name_b: str

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "reference": self.name_a,
                    "candidate": self.name_b,
                    "n": self.n,
                    "accuracy": round(self.accuracy, 4),
                    "cohen_kappa": round(self.kappa, 4),
                    "majority_baseline": round(self.majority_accuracy, 4),
                }
            ]
        )


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa: (p_o - p_e) / (1 - p_e); 0.0 when both labelings are one constant label."""
    labels = sorted(set(a) | set(b))
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)))
    for x, y in zip(a, b, strict=True):
        m[index[x], index[y]] += 1
    n = m.sum()
    p_o = np.trace(m) / n
    p_e = float((m.sum(axis=1) @ m.sum(axis=0)) / n**2)
    return 0.0 if p_e == 1.0 else float((p_o - p_e) / (1 - p_e))


def agreement(
    a: Sequence[str] | pd.Series,
    b: Sequence[str] | pd.Series,
    *,
    labels: Sequence[str] | None = None,
    name_a: str = "reference",
    name_b: str = "candidate",
) -> Agreement:
    """Compare labelings ``a`` (reference) and ``b`` of the same prompts, pair by pair.

    Pairs where either label is empty are left out. ``labels`` fixes the order (e.g.
    ``pool.names``); labels seen but not listed are appended.
    """
    xs = [str(x) for x in a]
    ys = [str(y) for y in b]
    if len(xs) != len(ys):
        raise ConfigError(f"labelings differ in length: {len(xs)} vs {len(ys)}")
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if x.strip() and y.strip()]
    if not pairs:
        raise ConfigError("no prompt has a label in both labelings")
    xa, yb = [p[0] for p in pairs], [p[1] for p in pairs]
    order = list(labels or [])
    order += sorted((set(xa) | set(yb)) - set(order))
    confusion = pd.crosstab(
        pd.Categorical(xa, categories=order), pd.Categorical(yb, categories=order), dropna=False
    )
    confusion.index.name, confusion.columns.name = name_a, name_b
    count_a = pd.Series(xa).value_counts().reindex(order, fill_value=0)
    count_b = pd.Series(yb).value_counts().reindex(order, fill_value=0)
    n = len(pairs)
    distribution = pd.DataFrame(
        {
            "label": order,
            f"{name_a}_count": count_a.values,
            f"{name_a}_share": (count_a / n).round(4).values,
            f"{name_b}_count": count_b.values,
            f"{name_b}_share": (count_b / n).round(4).values,
        }
    )
    accuracy = sum(x == y for x, y in pairs) / n
    return Agreement(
        n=n,
        accuracy=accuracy,
        kappa=cohen_kappa(xa, yb),
        majority_accuracy=float(count_a.max() / n),
        confusion=confusion,
        distribution=distribution,
        name_a=name_a,
        name_b=name_b,
    )
