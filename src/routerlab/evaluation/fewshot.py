"""The few-shot prefix an outcome-table prompt was sent with, for pricing what was actually sent.

RouteLLM recorded its MMLU outcomes 5-shot: before each test question the models saw a header and
five solved questions of the same subject from MMLU's dev split, in the HELM / Hendrycks format::

    The following are multiple choice questions (with answers) about <subject>.

    <question>
    A. <choice>
    ...
    Answer: <letter>

    (four more solved examples, then the test prompt, which ends in "Answer:")

The table stores only the test prompt, so a cost model that prices the stored text under-counts
the input about five- to six-fold. :func:`few_shot_prefixes` rebuilds the prefix per subject and
:func:`prefix_tokens_per_row` gives the extra input tokens of every row. Pricing by the row's
subject is accounting, not routing: no router reads these prefixes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from routerlab.errors import ConfigError
from routerlab.tables import OutcomeTable, routellm_prompt

FEW_SHOT_K = 5
_LETTERS = "ABCD"
COST_PROMPTS = ("few-shot", "question")  # what a prompt's input cost counts


def subject_title(subject: str) -> str:
    """``high_school_biology`` -> ``high school biology`` (as the header names it)."""
    return subject.replace("_", " ")


def few_shot_prefix(subject: str, examples: pd.DataFrame, k: int = FEW_SHOT_K) -> str:
    """Header plus the first ``k`` solved ``examples`` (columns question, choices, answer 0-3)."""
    if k < 0:
        raise ConfigError(f"k must be >= 0, got {k}")
    if len(examples) < k:
        raise ConfigError(f"{subject}: {k} few-shot examples needed, {len(examples)} available")
    parts = [
        f"The following are multiple choice questions (with answers) about "
        f"{subject_title(subject)}.\n\n"
    ]
    head = examples.head(k)
    for question, choices, answer in zip(
        head["question"], head["choices"], head["answer"], strict=True
    ):
        solved = routellm_prompt(str(question), [str(c) for c in list(choices)])
        parts.append(f"{solved} {_LETTERS[int(answer)]}\n\n")
    return "".join(parts)


def few_shot_prefixes(
    subjects: list[str] | None = None, dev: pd.DataFrame | None = None, k: int = FEW_SHOT_K
) -> dict[str, str]:
    """The prefix of every subject (``dev`` defaults to the MMLU dev split, 5 rows a subject)."""
    if dev is None:
        from routerlab.data import load_mmlu

        dev = load_mmlu("dev", subjects)
    wanted = subjects if subjects is not None else sorted(set(dev["subject"]))
    out = {}
    for subject in wanted:
        rows = dev[dev["subject"] == subject]
        out[subject] = few_shot_prefix(subject, rows, k)
    return out


def prefix_tokens_per_row(
    table: OutcomeTable,
    prefixes: Mapping[str, str] | None = None,
    *,
    k: int = FEW_SHOT_K,
) -> np.ndarray:
    """Extra input tokens (o200k) each row was sent with: its subject's prefix, counted once per
    subject. Every row needs a subject with a prefix; the error names those that lack one."""
    from routerlab.tokens import count_tokens

    subjects = table.frame["subject"].astype(str)
    if (subjects == "").any():
        raise ConfigError(
            f"{int((subjects == '').sum())} rows have no subject, so their few-shot prefix is "
            "unknown; price the question only (cost_prompt='question')"
        )
    if prefixes is None:
        prefixes = few_shot_prefixes(sorted(set(subjects)), k=k)
    missing = sorted(set(subjects) - set(prefixes))
    if missing:
        raise ConfigError(f"no few-shot prefix for subjects {missing}")
    counts = {s: count_tokens(prefixes[s]) for s in set(subjects)}
    return np.array([counts[s] for s in subjects], dtype=float)
