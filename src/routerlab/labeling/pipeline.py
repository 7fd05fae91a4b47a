"""Notebook-facing steps of the labeling pipeline: where prompts come from, sampling, saving."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from routerlab.errors import ConfigError

STAND_IN_NOTE = "offline stand-in: SmolLM2-135M, not the pool's models"
STUDY_LABEL = "study_label"  # the study's GPT-4.1 label, kept beside a new labeling


def load_source(source: str, *, allow_download: bool = False) -> pd.DataFrame:
    """Prompts to label, with a ``user_query`` column.

    ``source``: ``"mirror"`` — the study's labeled Arena prompts treated as raw prompts (their
    GPT-4.1 labels kept as ``study_label`` for the agreement report); ``"hub"`` — the Chatbot
    Arena conversations (gated on the hub; needs ``allow_download``); or a path to a CSV, JSONL
    or parquet file of prompts or conversations.
    """
    if source == "mirror":
        from routerlab.data import load_labeled_prompts

        frame = load_labeled_prompts(allow_download=allow_download)
        return frame.rename(columns={"label": STUDY_LABEL})
    if source == "hub":
        from routerlab.data import load_arena_conversations
        from routerlab.labeling.conversations import parse_conversations

        return parse_conversations(load_arena_conversations(allow_download=allow_download))
    path = Path(source)
    if not path.exists():
        raise ConfigError(f"source {source!r} is not 'mirror', 'hub' or an existing file")
    from routerlab.labeling.io import read_prompts

    frame = read_prompts(path)
    if "label" in frame.columns:
        frame = frame.rename(columns={"label": STUDY_LABEL})
    return frame


def sample_prompts(frame: pd.DataFrame, n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` rows drawn at random with ``seed`` (all rows, in order, when ``n`` is 0 or too big)."""
    if n < 0:
        raise ConfigError(f"sample size must be >= 0 (0 = all), got {n}")
    if n == 0 or n >= len(frame):
        return frame.reset_index(drop=True)
    return frame.sample(n=n, random_state=seed).reset_index(drop=True)


def checkpoint_path(folder: str | Path, profile: str, judge: str) -> Path:
    """A checkpoint per profile and judge, so labels of different judges never mix."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{profile}_{judge}")
    return Path(folder) / f"checkpoint_{safe}.jsonl"


def labeled_table(
    frame: pd.DataFrame, labels: pd.DataFrame, *, judge: str, backend: str, stand_in: bool
) -> pd.DataFrame:
    """The labeled set to save: the source rows with ``label`` and how it was made."""
    out = frame.reset_index(drop=True).copy()
    out["label"] = labels["label"].to_numpy()
    out["status"] = labels["status"].to_numpy()
    out["judge"] = judge
    out["backend"] = backend
    out["stand_in"] = stand_in
    return out


def judge_name(judge: str, stand_in: bool) -> str:
    """How a labeling is named in tables and figures (says when a stand-in made it)."""
    return "SmolLM2-135M stand-in" if stand_in else f"{judge} judge"


def save_figure(fig: Any, folder: str | Path, name: str) -> Path:
    """Save a figure as PNG under ``folder``, close it, and return the path.

    Notebooks show the saved file (``IPython.display.Image``), which works whatever matplotlib
    backend is active, and closing keeps the inline backend from showing the figure twice.
    """
    import matplotlib.pyplot as plt

    target = Path(folder) / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return target
