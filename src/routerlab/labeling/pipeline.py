"""Notebook-facing steps of the labeling pipeline: where prompts come from, sampling, saving."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from routerlab.errors import ConfigError
from routerlab.labeling.agreement import Agreement, agreement

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
    """The labeled set to save: the source rows with ``label`` and how it was made (``status``,
    ``cached``, ``judge``, ``backend``, ``stand_in``)."""
    out = frame.reset_index(drop=True).copy()
    out["label"] = labels["label"].to_numpy()
    out["status"] = labels["status"].to_numpy()
    # served from the response cache (paid 0): a rerun's table says which labels cost nothing
    out["cached"] = (
        labels["cached"].fillna(False).astype(bool).to_numpy()
        if "cached" in labels.columns
        else False
    )
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
    target = Path(folder) / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=120, bbox_inches="tight")
    return target


def compare_with_study(
    labeled: pd.DataFrame, labels: Sequence[str], judge_label: str
) -> Agreement | None:
    """Agreement of the new ``label`` with the study's label; None when the source has none."""
    if STUDY_LABEL not in labeled.columns:
        return None
    return agreement(
        labeled[STUDY_LABEL],
        labeled["label"],
        labels=list(labels),
        name_a="study GPT-4.1",
        name_b=judge_label,
    )


def agreement_tables(agree: Agreement | None, *, note: str = "") -> list[pd.DataFrame]:
    """The summary and the side-by-side label distribution ([] without reference labels)."""
    if agree is None:
        return []
    return [agree.summary().assign(note=note), agree.distribution.assign(note=note)]


def save_agreement(agree: Agreement | None, folder: str | Path, *, note: str = "") -> list[Path]:
    """Write the agreement tables and figures; return the PNGs ([] without reference labels)."""
    from routerlab.plots.labeling import plot_confusion, plot_distributions

    if agree is None:
        return []
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    summary, distribution = agreement_tables(agree, note=note)
    summary.to_csv(out / "agreement.csv", index=False)
    distribution.to_csv(out / "label_distribution.csv", index=False)
    return [
        save_figure(plot_confusion(agree, note=note), out, "confusion"),
        save_figure(plot_distributions(agree, note=note), out, "distribution"),
    ]


def agreement_conclusion(agree: Agreement | None, *, stand_in: bool, margin: float = 0.05) -> str:
    """A Markdown sentence written from the computed agreement (no typed-in claims)."""
    if agree is None:
        return "The source has no reference labels, so there is no agreement to report."
    gap = agree.accuracy - agree.majority_accuracy
    verdict = (
        "no better than always answering the study's most common label"
        if gap <= margin
        else f"{gap:.1%} above the majority baseline"
    )
    top = agree.distribution.set_index("label")[f"{agree.name_b}_share"].idxmax()
    text = (
        f"On {agree.n} sampled prompts the {agree.name_b} agrees with the study's GPT-4.1 labels "
        f"on **{agree.accuracy:.1%}** (Cohen's kappa **{agree.kappa:.3f}**), {verdict} "
        f"({agree.majority_accuracy:.1%}). Its most frequent label is `{top}`."
    )
    if stand_in:
        text += (
            " These labels come from a 135M-parameter offline stand-in, not from GPT-4.1 or "
            "any pool model: they exercise the pipeline and say nothing about a real judge."
        )
    return text
