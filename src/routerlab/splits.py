"""The one splitting module for labeled prompts: normalise, group near-duplicates, split by group.

Why: a query that sits (exactly, or nearly: a changed comma, case or one word) on both sides of a
split lets a model score by memory; the study's own split has 314 such validation queries. The
``grouped`` split used everywhere in routerlab is built in four documented steps:

1. **Normalise** each query (:func:`normalise_text`): Unicode NFKC, ``casefold``, punctuation
   (Unicode category ``P*``) replaced by a space, whitespace runs collapsed, ends stripped.
2. **Collapse exact duplicates**: rows with the same normalised text become one row (the first
   occurrence's text). Conflicting labels are resolved by **majority**; a **tie drops** the query
   (no label can be trusted). Both counts are in the :class:`SplitReport`.
3. **Group near-duplicates**: character 3-5-gram TF-IDF vectors (``analyzer="char_wb"``) of the
   normalised texts; two queries whose cosine similarity is ``>= NEAR_DUP_THRESHOLD`` (0.9) are
   linked, and groups are the connected components of that graph (what a union-find gives). The
   pairs are found by blocked sparse products, a few seconds for ~7k queries. Near-duplicates
   keep their own labels (their texts differ, so their labels may too); they only travel together.
4. **Split by group**, stratified by the group's majority label (ties: cheapest label), seeded:
   80 / 10 / 10 train / validation / test by default. No group is on two sides, so no normalised
   or near-duplicate query is shared between train, validation and test.

Validation is for selection (epochs, early stopping, recipe); test is touched only to report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError

NEAR_DUP_THRESHOLD = 0.9  # cosine of char 3-5-gram TF-IDF vectors at or above which queries link
NGRAM_RANGE = (3, 5)
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)  # train, validation, test
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """NFKC, casefold, punctuation to spaces, whitespace collapsed (see the module docstring)."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    no_punct = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return _SPACES.sub(" ", no_punct).strip()


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = int(self.parent[root])
        while self.parent[i] != root:  # path compression
            self.parent[i], i = root, int(self.parent[i])
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_groups(
    texts: Sequence[str],
    *,
    threshold: float = NEAR_DUP_THRESHOLD,
    ngram_range: tuple[int, int] = NGRAM_RANGE,
    block: int = 1024,
) -> np.ndarray:
    """A group id per text: texts linked by char-n-gram TF-IDF cosine ``>= threshold`` share one.

    Groups are connected components (union-find), so near-duplicate chains join one group. Group
    ids are the smallest index in the group, so the result does not depend on the block size.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"near-duplicate threshold must be in (0, 1], got {threshold}")
    from sklearn.feature_extraction.text import TfidfVectorizer

    n = len(texts)
    union = _UnionFind(n)
    if n < 2:
        return np.arange(n)
    # Texts too short for a 3-gram still get a (zero) row; they link only through exact equality,
    # which step 2 has already collapsed.
    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, dtype=np.float32
    ).fit_transform([t if t else " " for t in texts])
    vectors_t = vectors.T.tocsc()
    for start in range(0, n, block):
        sims = (vectors[start : start + block] @ vectors_t).tocoo()
        keep = (sims.data >= threshold - 1e-6) & (sims.row + start < sims.col)
        for a, b in zip(sims.row[keep] + start, sims.col[keep], strict=True):
            union.union(int(a), int(b))
    return np.array([union.find(i) for i in range(n)])


@dataclass(frozen=True)
class SplitReport:
    """What grouping and splitting did, counted (shown by notebook 04 and saved beside a model)."""

    threshold: float
    rows_in: int  # non-empty labeled rows given to the splitter
    exact_duplicate_rows: int  # rows folded into an earlier row with the same normalised text
    unique_queries: int  # distinct normalised texts
    conflicting_groups: int  # normalised texts seen with more than one label
    conflicts_resolved: int  # ... of which a strict majority label was kept
    conflicts_dropped: int  # ... of which were tied, so the query was dropped
    rows_kept: int  # one per kept normalised text
    groups: int  # split units (near-duplicate components)
    near_dup_groups: int  # groups holding two or more distinct normalised texts
    near_dup_rows: int  # kept rows that sit in such a group
    near_dup_mixed_label_groups: int  # near-duplicate groups whose members carry different labels
    largest_group: int
    train_rows: int
    val_rows: int
    test_rows: int
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"count": pd.Series(self.as_dict())})


def collapse_exact_duplicates(
    frame: pd.DataFrame, labels: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per normalised query, with its majority label; tied queries dropped.

    ``frame`` has ``user_query`` and ``label``; the result adds ``norm_query`` and ``copies``.
    """
    work = frame.reset_index(drop=True).copy()
    work["norm_query"] = [normalise_text(t) for t in work["user_query"]]
    order = {name: i for i, name in enumerate(labels)}
    kept: list[dict[str, Any]] = []
    conflicting = resolved = dropped = 0
    for _, rows in work.groupby("norm_query", sort=False):
        counts = rows["label"].value_counts()
        if len(counts) > 1:
            conflicting += 1
            if counts.iloc[0] == counts.iloc[1]:
                dropped += 1
                continue
            resolved += 1
        label = str(counts.index[0])
        first = rows.iloc[0]
        kept.append(
            {
                "user_query": first["user_query"],
                "label": label,
                "label_id": order[label],
                "norm_query": first["norm_query"],
                "copies": len(rows),
            }
        )
    out = pd.DataFrame(kept, columns=["user_query", "label", "label_id", "norm_query", "copies"])
    stats = {
        "exact_duplicate_rows": len(work) - work["norm_query"].nunique(),
        "unique_queries": int(work["norm_query"].nunique()),
        "conflicting_groups": conflicting,
        "conflicts_resolved": resolved,
        "conflicts_dropped": dropped,
    }
    return out, stats


def _group_label(label_ids: pd.Series) -> int:
    counts = np.bincount(label_ids.to_numpy(dtype=int))
    return int(counts.argmax())  # ties go to the smaller id: the cheaper model


def _split_groups(
    group_labels: pd.Series, fractions: tuple[float, float, float], seed: int
) -> tuple[set[Any], set[Any], set[Any]]:
    """Stratified split of group ids; falls back to unstratified when a class is too small."""
    from sklearn.model_selection import train_test_split

    ids = group_labels.index.to_numpy()
    strata = group_labels.to_numpy()

    def split(items: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
        counts = np.unique(y, return_counts=True)[1]
        stratify = y if counts.min() >= 2 else None
        a, b = train_test_split(items, test_size=size, random_state=seed, stratify=stratify)
        return np.asarray(a), np.asarray(b)

    _, val_frac, test_frac = fractions
    rest, test = split(ids, strata, test_frac)
    rest_y = group_labels.loc[rest].to_numpy()
    train, val = split(rest, rest_y, val_frac / (1.0 - test_frac))
    return set(train.tolist()), set(val.tolist()), set(test.tolist())


def grouped_split(
    frame: pd.DataFrame,
    labels: Sequence[str],
    *,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = 42,
    threshold: float = NEAR_DUP_THRESHOLD,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, SplitReport]:
    """Train, validation and test frames split by near-duplicate group, and the report.

    ``frame`` holds cleaned rows (``user_query``, ``label``; labels among ``labels``). Each output
    row has ``user_query, label, label_id, norm_query, copies, group``.
    """
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ConfigError(
            f"fractions must be three positive shares (train, validation, test) summing to 1, "
            f"got {fractions}"
        )
    rows_in = len(frame)
    kept, stats = collapse_exact_duplicates(frame, labels)
    kept["group"] = near_duplicate_groups(kept["norm_query"].tolist(), threshold=threshold)
    sizes = kept["group"].value_counts()
    group_labels = kept.groupby("group")["label_id"].agg(_group_label)
    mixed = kept.groupby("group")["label_id"].nunique()
    train_g, val_g, test_g = _split_groups(group_labels, fractions, seed)
    parts = [
        kept[kept["group"].isin(side)].reset_index(drop=True) for side in (train_g, val_g, test_g)
    ]
    report = SplitReport(
        threshold=threshold,
        rows_in=rows_in,
        rows_kept=len(kept),
        groups=len(sizes),
        near_dup_groups=int((sizes > 1).sum()),
        near_dup_rows=int(sizes[sizes > 1].sum()),
        near_dup_mixed_label_groups=int((mixed > 1).sum()),
        largest_group=int(sizes.max()) if len(sizes) else 0,
        train_rows=len(parts[0]),
        val_rows=len(parts[1]),
        test_rows=len(parts[2]),
        seed=seed,
        **stats,
    )
    return parts[0], parts[1], parts[2], report


def shared_queries(*frames: pd.DataFrame, threshold: float = NEAR_DUP_THRESHOLD) -> int:
    """Rows whose normalised text or near-duplicate group spans two of ``frames`` (want: 0).

    Recomputed from the texts alone, independently of any ``group`` column, for checks and tests.
    """
    texts: list[str] = []
    side: list[int] = []
    for k, frame in enumerate(frames):
        texts += [normalise_text(t) for t in frame["user_query"]]
        side += [k] * len(frame)
    groups = near_duplicate_groups(texts, threshold=threshold)
    table = pd.DataFrame({"group": groups, "side": side})
    spans = table.groupby("group")["side"].nunique()
    return int(table["group"].isin(spans[spans > 1].index).sum())


def overlapping(texts: Iterable[str], held_out: Iterable[str]) -> list[str]:
    """Texts of ``texts`` whose normalised form is in ``held_out`` (also normalised)."""
    held = {normalise_text(t) for t in held_out}
    return [t for t in texts if normalise_text(t) in held]
