"""Outcome-table rows whose question a router saw in training (so they leave the evaluation).

The classifier router is trained on Chatbot Arena prompts; notebook 03 marks Arena prompts that
equal or contain an MMLU test question. Those MMLU rows are not held out for that router, so the
evaluation drops them for every router (all routers are compared on the same rows).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from routerlab.labeling.decontam import mark_contaminated, normalize_text
from routerlab.tables import OutcomeTable


def matched_questions(prompts: Iterable[str], questions: Iterable[str] | None = None) -> list[str]:
    """The MMLU questions (default: the test split) that some prompt equals or contains."""
    marks = mark_contaminated(list(prompts), None if questions is None else list(questions))
    return sorted(set(marks.loc[marks["contaminated"], "mmlu_question"]))


def rows_with_questions(table: OutcomeTable, questions: Iterable[str]) -> np.ndarray:
    """Positions of the rows whose prompt is one of ``questions`` followed by its choices (the
    RouteLLM prompt starts with the question), compared after :func:`normalize_text`."""
    wanted = {normalize_text(q) for q in questions if normalize_text(q)}
    hits = []
    for i, prompt in enumerate(table.prompts):
        question = prompt.split("\nA. ", 1)[0]
        if normalize_text(question) in wanted:
            hits.append(i)
    return np.array(hits, dtype=int)


def arena_matched_rows(
    table: OutcomeTable, arena_prompts: Iterable[str], questions: Iterable[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Rows of ``table`` whose MMLU question occurs in ``arena_prompts``, and those questions."""
    found = matched_questions(arena_prompts, questions)
    return rows_with_questions(table, found), found
