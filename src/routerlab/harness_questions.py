"""MMLU questions for the harness: the study's prompt, answer-letter extraction, question ids.

:func:`load_questions` gives each question a stable ``qid`` (subject/split/position), the gold
letter and the prompt :func:`format_question` writes; :func:`extract_choice` reads the letter back
from a reply. No gateway or budget code here, so cost estimates can import it without a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from routerlab.errors import ConfigError

LETTERS = ("A", "B", "C", "D")
STUDY_SUBJECTS = ("marketing", "machine_learning")
# Letter answers need a few tokens; a reasoning model also spends its budget thinking first.
MMLU_MAX_TOKENS = 16
MMLU_REASONING_MAX_TOKENS = 4096


def format_question(subject: str, question: str, choices: Sequence[str]) -> str:
    """The study's prompt: subject line, question, lettered choices, the letter instruction."""
    if len(choices) != len(LETTERS):
        raise ValueError(f"MMLU questions have 4 choices, got {len(choices)}")
    topic = subject.replace("_", " ")
    lines = [f"The following are questions (with answers) about {topic}.", ""]
    lines.append(question.strip())
    lines += [
        f"{letter}. {str(choice).strip()}" for letter, choice in zip(LETTERS, choices, strict=True)
    ]
    lines.append("Answer with only the letter (A, B, C, or D):")
    return "\n".join(lines)


_ONLY_LETTER = re.compile(r"^\W*([A-Da-d])\W*$")
_ANSWER_IS = re.compile(
    r"\b(?:answer|option|choice)\b\s*(?:is|:|=)?\s*(?:option\s*|letter\s*)?\(?([A-Da-d])\b",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^\W*([A-Da-d])[.):\]]")
_STANDALONE = re.compile(r"\b([A-D])\b")


def extract_choice(text: str | None) -> str | None:
    """The answer letter in a model's reply, or None when it cannot be told.

    Accepts "B", "b", "B.", "(b)", "b)", "The answer is B", "Answer: c", "B. Paris"; a reply that
    names two different capital letters without saying which is the answer is unparseable.
    """
    if not text or not text.strip():
        return None
    t = text.strip()
    for pattern in (_ONLY_LETTER, _ANSWER_IS, _LEADING):
        match = pattern.search(t)
        if match:
            return match.group(1).upper()
    found = set(_STANDALONE.findall(t))
    return found.pop() if len(found) == 1 else None


def load_questions(
    subjects: Sequence[str] = STUDY_SUBJECTS,
    split: str = "dev",
    sample_size: int | None = None,
) -> pd.DataFrame:
    """MMLU questions with ``qid, subject, question, choices, answer, gold, prompt``.

    ``sample_size`` takes the first n questions of each subject (as the study did), None all.
    """
    from routerlab.data import load_mmlu

    if not subjects:
        raise ConfigError("subjects is empty; name at least one MMLU subject")
    if sample_size is not None and sample_size < 1:
        raise ConfigError(f"sample_size must be >= 1 or None, got {sample_size}")
    frame = load_mmlu(split, list(subjects))
    # qid = subject/split/position within the subject: the same question keeps its qid whatever
    # other subjects or sample size a run has (checkpoints and saved tables are matched by it)
    frame = frame.reset_index(drop=True)
    position = frame.groupby("subject", sort=False).cumcount()
    frame["qid"] = [f"{s}/{split}/{i}" for s, i in zip(frame["subject"], position, strict=True)]
    if sample_size is not None:
        frame = frame.groupby("subject", sort=False).head(sample_size)
    frame = frame.reset_index(drop=True)
    frame["gold"] = [LETTERS[int(a)] for a in frame["answer"]]
    frame["prompt"] = [
        format_question(s, q, c)
        for s, q, c in zip(frame["subject"], frame["question"], frame["choices"], strict=True)
    ]
    return frame
