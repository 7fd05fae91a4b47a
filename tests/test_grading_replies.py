"""Answer extraction from recorded replies (hand-made replies)."""

from __future__ import annotations

from routerlab.grading.replies import balanced_objects, extract_answer, reply_text, zeroeval_answer


def test_fenced_json_after_prose() -> None:
    reply = (
        'Let me think {not json}.\n```json\n{"reasoning": "r {x}", "answer": "[1, 2]"}\n```\nDone.'
    )
    found = extract_answer(reply)
    assert found is not None and found.value == "[1, 2]" and found.how == "json"


def test_bare_json_with_trailing_text_and_raw_newlines() -> None:
    reply = '{"reasoning": "line one\nline two", "answer": 42} and then some words'
    found = extract_answer(reply)
    assert found is not None and found.value == 42  # the JSON type is kept


def test_latex_backslashes_inside_json_strings_are_repaired() -> None:
    reply = '```json\n{"reasoning": "use \\frac", "answer": "\\frac{1}{2}"}\n```'
    found = extract_answer(reply, latex=True)
    assert found is not None and found.value == "\\frac{1}{2}"
    # Without latex=True, valid JSON escapes keep their JSON meaning (CRUXEval strings).
    found = extract_answer('{"answer": "a\\nb"}')
    assert found is not None and found.value == "a\nb"


def test_malformed_json_falls_back_to_regex() -> None:
    reply = '```json\n{"reasoning": "it says "quoted" words", "answer": "\'abc\'"\n```'
    found = extract_answer(reply)
    assert found is not None and found.how == "regex" and found.value == "'abc'"


def test_unquoted_answer_value() -> None:
    found = extract_answer("reasoning: blah\nanswer: 17\n")
    assert found is not None and found.value == "17"


def test_boxed_fallback_and_no_answer() -> None:
    found = extract_answer("So the result is $\\boxed{\\frac{3}{4}}$.")
    assert found is not None and found.how == "boxed" and found.value == "\\frac{3}{4}"
    assert extract_answer("I do not know.") is None


def test_braces_inside_strings_do_not_end_an_object() -> None:
    assert balanced_objects('x {"a": "}{", "b": {"c": 1}} y {"d": 2}') == [
        '{"a": "}{", "b": {"c": 1}}',
        '{"d": 2}',
    ]


def test_reply_text_takes_the_one_element_list() -> None:
    assert reply_text(["hello"]) == "hello"
    assert reply_text([]) == "" and reply_text(None) == "" and reply_text("x") == "x"


def test_zeroeval_extraction_quirks() -> None:
    # Only the first object is tried; when it fails to parse, the regex on "answer" takes over.
    reply = '{"reasoning": "bad \\q escape", "answer": "5"} {"answer": "6"}'
    assert zeroeval_answer(reply, "m") == "5"
    # Non-string JSON values become str(): Python's repr of the list.
    assert zeroeval_answer('{"answer": [1, "a"]}', "m") == "[1, 'a']"
    # \boxed only for Llama-3.1 models, and only when it is near the end.
    assert zeroeval_answer("the answer: is $\\boxed{12}$", "gpt") == "is"
    assert zeroeval_answer("so $\\boxed{12}$", "Meta-Llama-3.1-8B-Instruct") == "12"
    assert zeroeval_answer("so $\\boxed{12}$", "gpt") is None
