"""Graders for recorded model replies: answer extraction, CRUXEval literals, MATH LaTeX answers."""

from routerlab.grading.crux import (
    CRUX_RULES,
    crux_correct,
    crux_published_correct,
    crux_value_correct,
)
from routerlab.grading.math_answers import (
    math_correct,
    math_equivalent,
    math_published_correct,
    normalize_math_answer,
)
from routerlab.grading.replies import ExtractedAnswer, extract_answer, zeroeval_answer

__all__ = [
    "CRUX_RULES",
    "ExtractedAnswer",
    "crux_correct",
    "crux_published_correct",
    "crux_value_correct",
    "extract_answer",
    "math_correct",
    "math_equivalent",
    "math_published_correct",
    "normalize_math_answer",
    "zeroeval_answer",
]
