import pytest

from routerlab.errors import DatasetNotFoundError
from routerlab.labeling.decontam import MMLUIndex, mark_contaminated, normalize_text

QUESTIONS = [
    "Why is the sky blue?",
    "Which of the following is an assumption in Maslow's hierarchy of needs?",
    "Find the degree for the given field extension Q(sqrt(2)) over Q.",
]


def test_normalisation():
    assert normalize_text("  Why IS the sky\n blue?! ") == "why is the sky blue"
    assert normalize_text("Maslow’s") == normalize_text("Maslow s")


def test_exact_and_contained_matches():
    prompts = [
        "why is the sky blue",  # exact after normalisation
        "Question: which of the following is an assumption in Maslow's hierarchy of needs? "
        "A. x B. y",  # contains a long question
        "Why is the sky blue and the grass green?",  # short question inside: not a match
        "Find the degree for the given field extension",  # only part of a question
        "Nothing to see here",
    ]
    marks = mark_contaminated(prompts, QUESTIONS)
    assert list(marks["contaminated"]) == [True, True, False, False, False]
    assert marks.loc[1, "mmlu_question"] == QUESTIONS[1]
    # containment respects word boundaries
    assert MMLUIndex(["a b c d e f g h"], min_words=8).match("xa b c d e f g h") is None


def test_mirror_count():
    from routerlab.data import load_labeled_prompts

    try:
        prompts = load_labeled_prompts()["user_query"]
        marks = mark_contaminated(prompts)
    except DatasetNotFoundError:
        pytest.skip("data mirror not available")
    found = prompts[marks["contaminated"].to_numpy()]
    assert len(found) == 7
    assert found.str.lower().str.contains("why is the sky blue").sum() == 6
