"""Where datasets come from, and loaders that return tidy DataFrames.

Each dataset is looked up in this order:

1. a local copy under the user cache directory, ``<cache root>/data/`` (the root is
   ``$ROUTERLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/routerlab`` or ``~/.cache/routerlab``: see
   :mod:`routerlab.cachedir`; ``ROUTERLAB_DATA_CACHE`` names another folder), never a folder inside
   the installed package,
2. a mirror folder named by ``ROUTERLAB_DATA_MIRROR`` (CI and the Makefile use ``../shared/data``),
3. the real download (Hugging Face hub or the public URL), only when ``allow_download`` is true.

When none is reachable, :class:`~routerlab.errors.DatasetNotFoundError` names the dataset and the
ways to provide it.

Columns returned:

* :func:`load_mmlu` — ``subject, question, choices`` (list of 4 strings), ``answer`` (index 0-3).
* :func:`load_labeled_prompts` — ``user_query, label`` (label may be empty: the source has 37).
* :func:`routellm_outcome_files` — paths of the recorded outcome CSVs (``prompt`` then one
  boolean column per model); :mod:`routerlab.tables` turns them into outcome tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from routerlab.cachedir import user_cache_dir
from routerlab.errors import DatasetNotFoundError

MIRROR_ENV = "ROUTERLAB_DATA_MIRROR"
CACHE_ENV = "ROUTERLAB_DATA_CACHE"
ARENA_LABELED_URL_ENV = "ROUTERLAB_ARENA_LABELED_URL"
HF_MMLU = "cais/mmlu"
HF_ARENA = "lmsys/chatbot_arena_conversations"
ROUTELLM_URL = (
    "https://raw.githubusercontent.com/lm-sys/RouteLLM/main/routellm/evals/mmlu/responses/"
)
MMLU_SPLITS = ("dev", "test", "validation")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where local dataset copies are looked up first: ``$ROUTERLAB_DATA_CACHE``, else the
    ``data`` folder of the user cache directory."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else user_cache_dir("data")


def mirror_dir() -> Path | None:
    """The mirror folder from $ROUTERLAB_DATA_MIRROR, or None when unset or missing."""
    env = os.environ.get(MIRROR_ENV)
    if not env:
        return None
    path = Path(env).expanduser()
    return path if path.is_dir() else None


@dataclass(frozen=True)
class DataSource:
    dataset: str
    kind: str  # "cache" | "mirror" | "download"
    location: str


def _candidates(relative: str) -> list[tuple[str, Path]]:
    found = [("cache", cache_dir() / relative)]
    mirror = mirror_dir()
    if mirror is not None:
        found.append(("mirror", mirror / relative))
    return found


def find_local(dataset: str, relative: str) -> DataSource | None:
    """First local place (cache, then mirror) where ``relative`` exists."""
    for kind, path in _candidates(relative):
        if path.exists():
            return DataSource(dataset, kind, str(path))
    return None


def _not_found(dataset: str, relative: str, download_hint: str) -> DatasetNotFoundError:
    mirror = os.environ.get(MIRROR_ENV)
    mirror_note = f"(now {mirror!r}, which has no such file)" if mirror else "(now unset)"
    return DatasetNotFoundError(
        f"dataset {dataset!r} not found. Provide it by either: (a) a local copy at "
        f"{cache_dir() / relative} or a mirror folder with {relative} named by ${MIRROR_ENV} "
        f"{mirror_note}; or (b) the download: {download_hint}"
    )


# ----------------------------------------------------------------------------- MMLU


def mmlu_subjects(split: str = "test") -> list[str]:
    """Subjects available locally for ``split`` (empty when no local copy exists)."""
    for _kind, path in _candidates(f"mmlu/{split}"):
        if path.is_dir():
            return sorted(p.name[: -len(f"_{split}.csv")] for p in path.glob(f"*_{split}.csv"))
    return []


def _check_split(split: str) -> None:
    if split not in MMLU_SPLITS:
        raise ValueError(f"unknown MMLU split {split!r}; allowed: {', '.join(MMLU_SPLITS)}")


def _read_mmlu_csv(path: Path, subject: str) -> pd.DataFrame:
    raw = pd.read_csv(path, keep_default_na=False, dtype=str)
    expected = ["question", "choice0", "choice1", "choice2", "choice3", "answer"]
    missing = [c for c in expected if c not in raw.columns]
    if missing:
        raise DatasetNotFoundError(f"{path} lacks MMLU columns {missing}")
    return pd.DataFrame(
        {
            "subject": subject,
            "question": raw["question"],
            "choices": raw[["choice0", "choice1", "choice2", "choice3"]].values.tolist(),
            "answer": raw["answer"].astype(int),
        }
    )


def _download_mmlu(subject: str, split: str) -> pd.DataFrame:
    from datasets import load_dataset  # heavy import, only on the download path

    ds = load_dataset(HF_MMLU, subject, split=split)
    frame = ds.to_pandas()
    return pd.DataFrame(
        {
            "subject": subject,
            "question": frame["question"],
            "choices": [list(c) for c in frame["choices"]],
            "answer": frame["answer"].astype(int),
        }
    )


def load_mmlu(
    split: str = "test",
    subjects: Iterable[str] | None = None,
    *,
    allow_download: bool = False,
) -> pd.DataFrame:
    """MMLU questions: ``subject, question, choices, answer`` (answer is an index 0-3).

    ``subjects=None`` loads every subject available locally (all 57 in the mirror).
    """
    _check_split(split)
    wanted = list(subjects) if subjects is not None else mmlu_subjects(split)
    if not wanted:
        raise _not_found("mmlu", f"mmlu/{split}/<subject>_{split}.csv", f"hub {HF_MMLU}")
    frames = []
    for subject in wanted:
        relative = f"mmlu/{split}/{subject}_{split}.csv"
        source = find_local("mmlu", relative)
        if source is not None:
            frames.append(_read_mmlu_csv(Path(source.location), subject))
            continue
        if not allow_download:
            known = mmlu_subjects(split)
            if known and subject not in known:
                raise ValueError(f"unknown MMLU subject {subject!r}; available: {', '.join(known)}")
            raise _not_found(
                "mmlu", relative, f"hub {HF_MMLU} (pass allow_download=True / live profile)"
            )
        frames.append(_download_mmlu(subject, split))
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- Arena labels

ARENA_LABELED_RELATIVE = "arena_labeled/train_dataframe.csv"


def load_labeled_prompts(*, allow_download: bool = False) -> pd.DataFrame:
    """The study's labeled Arena prompts: ``user_query, label`` (8,179 rows; 37 empty labels).

    Rows are returned as published (nothing dropped); cleaning is the caller's explicit step.
    """
    source = find_local("arena_labeled", ARENA_LABELED_RELATIVE)
    if source is not None:
        raw = pd.read_csv(source.location, keep_default_na=False, dtype=str)
    else:
        url = os.environ.get(ARENA_LABELED_URL_ENV)
        if not (allow_download and url):
            raise _not_found(
                "arena_labeled",
                ARENA_LABELED_RELATIVE,
                f"the study's 'Train DataFrame.csv' from its public repository, by setting "
                f"${ARENA_LABELED_URL_ENV} to its raw URL (live profile)",
            )
        raw = pd.read_csv(url, keep_default_na=False, dtype=str)
    label_col = "class" if "class" in raw.columns else "label"
    if "user_query" not in raw.columns or label_col not in raw.columns:
        raise DatasetNotFoundError(
            f"labeled prompts need columns user_query and class (or label); got {list(raw.columns)}"
        )
    return pd.DataFrame({"user_query": raw["user_query"], "label": raw[label_col].str.strip()})


# ----------------------------------------------------------------------------- Arena conversations


def load_arena_conversations(*, allow_download: bool = False) -> pd.DataFrame:
    """Raw Chatbot Arena conversations (hub structure). Gated on the hub: needs an HF token."""
    source = find_local("arena_conversations", "arena_conversations")
    if source is not None:
        files = sorted(Path(source.location).glob("*.parquet"))
        if files:
            return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    if not allow_download:
        raise _not_found(
            "arena_conversations",
            "arena_conversations/*.parquet",
            f"hub {HF_ARENA} (gated: accept its terms and set HF_TOKEN; live profile)",
        )
    from datasets import load_dataset

    return load_dataset(HF_ARENA, split="train").to_pandas()  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- RouteLLM outcomes

ROUTELLM_RELATIVE = "routellm_mmlu"


def routellm_outcome_files(*, allow_download: bool = False) -> tuple[list[str], str]:
    """Paths (or URLs) of RouteLLM's per-subject MMLU outcome CSVs, and the contamination file."""
    source = find_local("routellm_mmlu", ROUTELLM_RELATIVE)
    if source is not None:
        folder = Path(source.location)
        files = sorted(str(p) for p in folder.glob("mmlu_*.csv"))
        if files:
            return files, str(folder / "contaminated_prompts.jsonl")
    if not allow_download:
        raise _not_found(
            "routellm_mmlu",
            f"{ROUTELLM_RELATIVE}/mmlu_<subject>.csv",
            f"RouteLLM's evaluation files under {ROUTELLM_URL} (live profile)",
        )
    subjects = mmlu_subjects("test")
    if not subjects:
        raise _not_found("routellm_mmlu", ROUTELLM_RELATIVE, "MMLU test subjects are needed too")
    return [f"{ROUTELLM_URL}mmlu_{s}.csv" for s in subjects], (
        f"{ROUTELLM_URL}contaminated_prompts.jsonl"
    )


def dataset_report() -> pd.DataFrame:
    """One row per known dataset: where it was found (cache, mirror) or 'missing'."""
    rows = []
    checks = {
        "mmlu/dev": "mmlu/dev",
        "mmlu/test": "mmlu/test",
        "arena_labeled": ARENA_LABELED_RELATIVE,
        "routellm_mmlu": ROUTELLM_RELATIVE,
        "tiktoken_cache": "tiktoken_cache",
    }
    for name, relative in checks.items():
        source = find_local(name, relative)
        rows.append(
            {
                "dataset": name,
                "found": source is not None,
                "where": source.kind if source else "missing",
                "location": source.location if source else "",
            }
        )
    return pd.DataFrame(rows)
