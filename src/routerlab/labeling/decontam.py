"""Mark prompts that contain an MMLU test question, so evaluation can exclude them.

Texts are compared after normalisation (case folded, punctuation removed, whitespace collapsed).
A prompt matches when it equals a question or contains it as a run of whole words; containment
is only checked for questions of at least ``min_words`` words, since short questions ("What is
the capital of France?") occur by chance. Lookup goes through an index of each question's first
``min_words`` words, so the cost grows with the prompts' length, not with their product.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Iterable, Sequence

import pandas as pd

_PUNCT = str.maketrans({c: " " for c in string.punctuation + "‘’“”…–—"})


def normalize_text(text: str) -> str:
    """Casefold, drop punctuation, collapse whitespace (NFKC first, so look-alikes agree)."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_PUNCT)
    return " ".join(folded.split())


class MMLUIndex:
    """Normalised MMLU questions, indexed for exact and whole-word containment matches."""

    def __init__(self, questions: Iterable[str], *, min_words: int = 8) -> None:
        if min_words < 1:
            raise ValueError(f"min_words must be >= 1, got {min_words}")
        self.min_words = min_words
        self.exact: dict[str, int] = {}
        self.by_prefix: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        self.questions: list[str] = []
        for i, question in enumerate(questions):
            self.questions.append(question)
            norm = normalize_text(question)
            if not norm:
                continue
            self.exact.setdefault(norm, i)
            words = tuple(norm.split())
            if len(words) >= min_words:
                self.by_prefix.setdefault(words[:min_words], []).append((i, norm))

    def match(self, prompt: str) -> int | None:
        """Index of an MMLU question the prompt equals or contains, else None."""
        norm = normalize_text(prompt)
        if norm in self.exact:
            return self.exact[norm]
        words = norm.split()
        padded = f" {norm} "
        k = self.min_words
        for start in range(len(words) - k + 1):
            for i, question in self.by_prefix.get(tuple(words[start : start + k]), ()):
                if f" {question} " in padded:
                    return i
        return None


def mark_contaminated(
    prompts: Sequence[str] | pd.Series,
    questions: Iterable[str] | None = None,
    *,
    min_words: int = 8,
) -> pd.DataFrame:
    """One row per prompt: ``contaminated`` (bool) and the matched ``mmlu_question`` ("" if none).

    ``questions`` defaults to the MMLU test split (:func:`routerlab.data.load_mmlu`).
    """
    if questions is None:
        from routerlab.data import load_mmlu

        questions = load_mmlu("test")["question"].tolist()
    index = MMLUIndex(questions, min_words=min_words)
    matches = [index.match(str(p)) for p in prompts]
    return pd.DataFrame(
        {
            "contaminated": [m is not None for m in matches],
            "mmlu_question": [index.questions[m] if m is not None else "" for m in matches],
        },
        index=prompts.index if isinstance(prompts, pd.Series) else None,
    )
