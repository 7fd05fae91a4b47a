"""CRUXEval output prediction: is a model's answer the function's output?

Two rules, both on the recorded ZeroEval replies:

* ``published`` — ZeroEval's rule behind its published accuracy (commit 39430d4, 2024-09-20): the
  answer string (:func:`~routerlab.grading.replies.zeroeval_answer`) and the reference, each with
  outer quote characters stripped, must be the same string, and an empty string never counts, so
  the 17 prompts whose reference is ``''`` are never credited. Equal values written differently
  (``8.50`` vs ``8.5``, another dict order, ``"a"`` vs ``'a'``) are rejected.
* ``value`` — what CRUXEval itself checks (it runs ``assert f(x) == answer``): the answer and the
  reference are parsed as Python literals (:func:`ast.literal_eval`) and compared with ``==``.
  When the reference is a string, an answer that spells its content is also right: models often
  drop the Python quotes inside the JSON string (``"answer": "816"`` for ``'816'``, which the
  published rule accepts too) or add quotes they do not escape (``'148: b'148''``).
"""

from __future__ import annotations

import ast
import math
import warnings
from typing import Any, Literal

from routerlab.grading.replies import extract_answer, zeroeval_answer

CruxRule = Literal["value", "published"]
CRUX_RULES: tuple[str, ...] = ("value", "published")
_QUOTES = "'\""


def crux_published_correct(reply: str, reference: str, model: str = "") -> bool:
    """ZeroEval's published rule (see the module docstring); ``model`` matters for Llama-3.1."""
    answer = zeroeval_answer(reply, model)
    if answer is None:
        return False
    ours = answer.strip(_QUOTES)
    theirs = str(reference).strip(_QUOTES)
    return bool(ours) and bool(theirs) and ours == theirs


_MISSING = object()


def parse_literal(text: str) -> Any:
    """``text`` as a Python literal, or a sentinel (:data:`NOT_A_LITERAL`) when it is not one."""
    try:
        with warnings.catch_warnings():  # "1st" and the like warn before failing
            warnings.simplefilter("ignore", SyntaxWarning)
            return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _MISSING


NOT_A_LITERAL = _MISSING


def _same(a: Any, b: Any) -> bool:
    # Python == as the CRUXEval harness uses it, except that NaN equals NaN (both sides wrote nan)
    # and comparing never raises.
    try:
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return bool(a == b)
    except Exception:  # exotic literals (e.g. sets of mixed types) must not stop grading
        return False


def crux_value_correct(reply: str, reference: str) -> bool:
    """CRUXEval's own rule: the parsed answer literal equals the parsed reference literal."""
    expected = parse_literal(str(reference))
    if expected is _MISSING:
        raise ValueError(f"CRUXEval reference is not a Python literal: {reference!r}")
    found = extract_answer(reply)
    if found is None:
        return False
    if not isinstance(found.value, str):
        # The model wrote a JSON value (list, number, true): JSON's types map onto Python's.
        return _same(found.value, expected)
    raw = found.value
    got = parse_literal(raw)
    if got is not _MISSING and _same(got, expected):
        return True
    if isinstance(expected, str):
        # The model gave the string's content without Python quotes (or with quotes it did not
        # escape): compare with the reference's value and with its source text between quotes.
        source = str(reference).strip()[1:-1]
        contents = {raw}
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in _QUOTES:
            contents.add(raw[1:-1])
        return expected in contents or source in contents
    return False


def crux_correct(reply: str, reference: str, rule: CruxRule = "value", model: str = "") -> bool:
    """Grade one reply by ``rule`` (``value`` or ``published``)."""
    if rule == "value":
        return crux_value_correct(reply, reference)
    if rule == "published":
        return crux_published_correct(reply, reference, model)
    raise ValueError(f"unknown CRUXEval rule {rule!r}; allowed: {', '.join(CRUX_RULES)}")
