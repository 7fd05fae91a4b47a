"""Dataset preparation for the classifier router: cleaning, label ids, splits, class weights.

Two split modes (the splitting itself lives in :mod:`routerlab.splits`):

* ``grouped`` — the honest split and the default everywhere: normalised exact duplicates
  collapsed (conflicting labels resolved by majority, ties dropped), near-duplicates grouped,
  and groups split 80 / 10 / 10 into train / validation / test, stratified by label. Validation
  selects (epochs, early stopping); test is only reported.
* ``study`` — **leaky**, for comparison with the study only: the study's stratified 80 / 20 split
  without de-duplication; it reproduces the study's 1,629-row validation set, in which 314 queries
  also occur in training. It has no test side: its validation rows are also its report rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight

from routerlab.errors import ConfigError
from routerlab.pool import Pool
from routerlab.splits import DEFAULT_FRACTIONS, SplitReport, grouped_split, normalise_text

SplitMode = Literal["grouped", "study"]
SPLIT_MODES: tuple[str, ...] = ("grouped", "study")
DEFAULT_SPLIT = "grouped"
# How each split is named in tables, figure titles and help texts.
SPLIT_LABELS = {
    "grouped": "grouped split (honest)",
    "study": "study split (leaky)",
}


def split_label(split_mode: str) -> str:
    """The label of a split for tables and figures ("study split (leaky)" for the study's)."""
    return SPLIT_LABELS.get(split_mode, split_mode)


@dataclass(frozen=True)
class PreparedData:
    """Train, validation (and, grouped, test) frames (``user_query, label, label_id``).

    ``test`` is ``None`` for the leaky ``study`` split; there the validation rows are the report
    rows, as in the study.
    """

    train: pd.DataFrame
    val: pd.DataFrame
    labels: tuple[str, ...]  # label id -> model name (pool order)
    class_weights: tuple[float, ...]  # "balanced" weights from the training side only
    split_mode: str
    dropped_empty: int
    test: pd.DataFrame | None = None
    split_report: SplitReport | None = None

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.labels)}

    @property
    def report_side(self) -> str:
        """Where headline metrics are computed: ``test``, or ``validation`` on the study split."""
        return "test" if self.test is not None else "validation"

    @property
    def report_frame(self) -> pd.DataFrame:
        return self.test if self.test is not None else self.val

    def summary(self) -> pd.DataFrame:
        """Rows per class on each side, with the class weights."""
        rows = []
        for i, name in enumerate(self.labels):
            row: dict[str, Any] = {
                "label": name,
                "train": int((self.train["label_id"] == i).sum()),
                "val": int((self.val["label_id"] == i).sum()),
            }
            if self.test is not None:
                row["test"] = int((self.test["label_id"] == i).sum())
            row["class_weight"] = round(self.class_weights[i], 4)
            rows.append(row)
        return pd.DataFrame(rows)

    def overlap(self, side: str = "val") -> int:
        """Rows of ``side`` (val or test) whose normalised query also occurs in training."""
        frame = self.val if side == "val" else self.test
        if frame is None:
            return 0
        train = {normalise_text(t) for t in self.train["user_query"]}
        return int(sum(normalise_text(t) in train for t in frame["user_query"]))


def clean_labeled(frame: pd.DataFrame, labels: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """Drop rows with an empty query or label; map labels to ids. Unknown labels are an error."""
    missing = {"user_query", "label"} - set(frame.columns)
    if missing:
        raise ConfigError(f"labeled prompts need columns user_query and label; missing {missing}")
    query = frame["user_query"].fillna("").astype(str)
    label = frame["label"].fillna("").astype(str).str.strip()
    keep = (query.str.strip() != "") & (label != "")
    out = pd.DataFrame({"user_query": query[keep], "label": label[keep]})
    unknown = sorted(set(out["label"]) - set(labels))
    if unknown:
        raise ConfigError(f"labels {unknown} are not in the pool; pool has: {', '.join(labels)}")
    out["label_id"] = out["label"].map({name: i for i, name in enumerate(labels)}).astype(int)
    return out.reset_index(drop=True), int((~keep).sum())


def prepare_data(
    frame: pd.DataFrame,
    pool: Pool | tuple[str, ...] | list[str],
    *,
    split_mode: str = DEFAULT_SPLIT,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    test_size: float = 0.2,
    random_state: int = 42,
    sample_size: int | None = None,
) -> PreparedData:
    """Clean, optionally sample, split and weight the labeled prompts.

    ``pool`` gives the label order (label id = position in the pool, cheapest first).
    ``fractions`` (train, validation, test) apply to ``grouped``; ``test_size`` (the validation
    share) to ``study``. ``sample_size`` keeps a stratified sample of that many cleaned rows
    before splitting (quick runs).
    """
    if split_mode not in SPLIT_MODES:
        raise ConfigError(f"unknown split_mode {split_mode!r}; allowed: {', '.join(SPLIT_MODES)}")
    if not 0.0 < test_size < 1.0:
        raise ConfigError(f"test_size must be in (0, 1), got {test_size}")
    labels = tuple(pool.names if isinstance(pool, Pool) else pool)
    clean, dropped_empty = clean_labeled(frame, labels)
    if sample_size is not None:
        if sample_size < 20:
            raise ConfigError(
                f"sample_size must be >= 20 (or None for all rows), got {sample_size}"
            )
        if sample_size < len(clean):
            clean, _ = train_test_split(
                clean, train_size=sample_size, random_state=random_state, stratify=clean["label"]
            )
            clean = clean.reset_index(drop=True)
    test: pd.DataFrame | None = None
    report: SplitReport | None = None
    if split_mode == "grouped":
        train, val, test, report = grouped_split(
            clean, labels, fractions=fractions, seed=random_state
        )
    else:
        # Stratify on the label *names*: the class order sklearn derives from them (sorted
        # strings) is what reproduces the study's validation rows; ids would permute the counts.
        train, val = train_test_split(
            clean, test_size=test_size, random_state=random_state, stratify=clean["label"]
        )
        train = train.reset_index(drop=True)
        val = val.reset_index(drop=True)
    return PreparedData(
        train=train,
        val=val,
        labels=labels,
        class_weights=class_weights(train["label_id"].to_numpy(), len(labels)),
        split_mode=split_mode,
        dropped_empty=dropped_empty,
        test=test,
        split_report=report,
    )


def class_weights(label_ids: np.ndarray, num_labels: int) -> tuple[float, ...]:
    """sklearn's "balanced" weights, n / (k * count); a class absent from training gets 1.0."""
    present = np.unique(label_ids)
    weights = compute_class_weight("balanced", classes=present, y=label_ids)
    by_id = dict(zip(present.tolist(), weights.tolist(), strict=True))
    return tuple(float(by_id.get(i, 1.0)) for i in range(num_labels))


def tokenize_frame(frame: pd.DataFrame, tokenizer: Any, max_length: int = 128) -> Any:
    """A ``datasets.Dataset`` of token ids and labels, unpadded: padding is done per batch.

    Dynamic padding (``DataCollatorWithPadding``) means a batch of short prompts costs short
    sequences, which on CPU is most of the speed-up over padding everything to ``max_length``.
    """
    from datasets import Dataset

    encoded = tokenizer(
        frame["user_query"].tolist(), truncation=True, max_length=max_length, padding=False
    )
    data: dict[str, Any] = {
        "input_ids": encoded["input_ids"],
        "attention_mask": encoded["attention_mask"],
        "labels": frame["label_id"].astype(int).tolist(),
    }
    return Dataset.from_dict(data)
