"""MATH (Hendrycks et al.) answers: LaTeX normalisation and equivalence.

The ZeroEval MATH level-5 set has integer references (two in base-3 notation, ``221_3``), but
models answer in every LaTeX style: ``\\boxed{6}``, ``$6$``, ``x = 6``, ``6 \\text{ cm}``,
``6^\\circ``, ``\\dfrac{12}{2}``, ``6.0``, ``1,155``, ``\\$2040``. :func:`normalize_math_answer`
turns such a string into a canonical form, and :func:`math_equivalent` compares two answers:
equal canonical strings, or equal numbers when both sides evaluate to a number (fractions,
decimals, square roots and pi, to a relative 1e-6), element by element for tuples and intervals
(same brackets) and as sets for bare comma lists.

No computer algebra: the evaluator reads only numbers, ``+ - * / ^``, ``\\frac``, ``\\sqrt`` and
``\\pi`` (see :func:`latex_number`), so ``x^2+1`` is compared as text.

ZeroEval's published rule was cruder: the first number in each answer must be equal (after
removing ``$`` and commas), so ``\\frac{3}{4}`` matched ``3``. This grader lands within about a
point of it per model (see the tests).
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from routerlab.grading.replies import extract_answer, zeroeval_answer

_TEXT_COMMANDS = re.compile(
    r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}"
)
_SPACING = re.compile(r"\\[,;:! ]|\\quad|\\qquad|~")
_UNIT_WORDS = (
    "square units|square feet|square inches|square meters|square centimeters|square cm|sq units|"
    "cubic units|cubic feet|cubic inches|cubic meters|cubic centimeters|units|unit|degrees|degree|"
    "cm|mm|km|meters|meter|m|inches|inch|in|feet|foot|ft|miles|mile|mph|hours|hour|minutes|minute|"
    "seconds|second|days|day|weeks|years|dollars|dollar|cents|cent|ways|people|students|"
    "pounds|ounces|gallons|liters|points|numbers|integers|values|solutions|terms|digits|times|"
    "tiles|squares|triangles|handshakes|outfits|committees|sequences|paths|arrangements|"
    "sides|diagonals|vertices|edges|faces|coins|marbles|balls|cards|games|pages|steps|seats"
)
_TRAILING_UNITS = re.compile(rf"(?<=[\d}}.])\s*(?:{_UNIT_WORDS})(?:\^?\{{?[23]\}}?)?\s*$")
_UNICODE = str.maketrans(
    {
        "₀": "_0",
        "₁": "_1",
        "₂": "_2",
        "₃": "_3",
        "₄": "_4",
        "₅": "_5",
        "₆": "_6",
        "₇": "_7",
        "₈": "_8",
        "₉": "_9",
        "√": "\\sqrt",
        "π": "\\pi",
        "−": "-",
        "²": "^2",
        "³": "^3",
    }
)
_BASE = re.compile(r"^(-?[0-9A-Za-z]+)_\(?(\w+)\)?$")


def _strip_wrapper(text: str, command: str) -> str:
    """``\\boxed{X}`` (or another one-argument command around the whole answer) -> ``X``."""
    start = text.find(command + "{")
    if start < 0:
        return text
    i = start + len(command) + 1
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return text


def _fix_fracs(text: str) -> str:
    # \frac12 -> \frac{1}{2}, \frac1{2} -> \frac{1}{2}, \frac{1}2 -> \frac{1}{2}
    text = re.sub(r"\\frac\s*(\d)\s*(\d)", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\\frac\s*(\d)\s*\{", r"\\frac{\1}{", text)
    return re.sub(r"\\frac\s*(\{[^{}]*\})\s*(\d)", r"\\frac\1{\2}", text)


def _fix_sqrt(text: str) -> str:
    # \sqrt2 -> \sqrt{2}, \sqrt 3x -> \sqrt{3}x
    return re.sub(r"\\sqrt\s*([0-9a-zA-Z])", r"\\sqrt{\1}", text)


def _plain_thousands(text: str) -> str:
    # 1,155 and 12,345.5 are numbers, but (1,155) is a tuple: only a whole-string number is joined.
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return text.replace(",", "")
    return text


@lru_cache(maxsize=65536)  # references repeat once per model, and many answers repeat
def normalize_math_answer(answer: str) -> str:
    """A canonical string for a MATH answer (see the module docstring for what is removed)."""
    text = str(answer).strip().translate(_UNICODE)
    text = text.replace("\n", " ").replace("\\\\", "\\")
    for command in ("\\boxed", "\\fbox"):
        while command + "{" in text:
            inner = _strip_wrapper(text, command)
            if inner == text:
                break
            text = inner
    text = re.sub(r"\\[\[\]()]", "", text)  # \( \) \[ \]
    text = text.replace("\\$", "").replace("$", "")
    text = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)\b\s*", "", text)
    text = re.sub(r"\\(?:left|right)(?=[(\[|.])", "", text)
    text = _SPACING.sub(" ", text)
    text = text.replace("\\displaystyle", "")
    for _ in range(3):
        text = _TEXT_COMMANDS.sub(r"\1", text)
    text = re.sub(r"\^\s*\{?\s*\\circ\s*\}?", "", text).replace("°", "").replace("\\circ", "")
    text = text.replace("\\%", "").replace("%", "")
    text = re.sub(r"\\[dt]frac", r"\\frac", text)
    text = text.replace("\\cdot", "*").replace("\\times", "*")
    text = text.strip().rstrip(".").strip()
    # A leading "x =" or "n=" (a short name then =) names the answer; keep what follows.
    text = re.sub(r"^[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*(?=\S)", "", text)
    text = re.sub(r"^(?:the answer is|answer:)\s*", "", text, flags=re.IGNORECASE)
    # "7 - 2 + 0 = 5": a worked equation ends with its value (not for lists: "x=1, y=2").
    if "=" in text and "," not in text and text.rsplit("=", 1)[1].strip():
        text = text.rsplit("=", 1)[1].strip()
    text = _TRAILING_UNITS.sub("", text).strip()
    text = _fix_fracs(_fix_sqrt(text))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\^\{(\w)\}", r"^\1", text)  # a^{2} -> a^2
    text = re.sub(r"_\{(\w+)\}", r"_\1", text)  # 221_{3} -> 221_3
    text = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", text)  # .5 -> 0.5
    text = _plain_thousands(text.rstrip("."))
    # A whole number written with a trailing .0 (6.0, 6.00) is that integer.
    text = re.sub(r"^(-?\d+)\.0+$", r"\1", text)
    # a simple slash fraction 3/4 -> \frac{3}{4}
    text = re.sub(r"^(-?)(\d+)/(\d+)$", r"\1\\frac{\2}{\3}", text)
    return text


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _eval_node(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id == "pi":
        return math.pi
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval_node(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
            raise ValueError("power too large to evaluate safely")
        return float(_BINOPS[type(node.op)](left, right))
    raise ValueError(f"not a plain number expression: {ast.dump(node)[:60]}")


@lru_cache(maxsize=65536)
def latex_number(text: str) -> float | None:
    """The value of a normalised answer built from numbers, fractions, roots and pi, else None."""
    if (
        not text
        or len(text) > 80
        or re.search(
            r"[a-oq-zA-Z]", text.replace("\\frac", "").replace("\\sqrt", "").replace("\\pi", "")
        )
    ):
        return None
    expr = text
    for _ in range(4):
        expr = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", expr)
        expr = re.sub(r"\\sqrt\{([^{}]*)\}", r"((\1)**0.5)", expr)
    expr = expr.replace("\\pi", "(pi)").replace("^", "**").replace("{", "(").replace("}", ")")
    # implicit multiplication: 2(..), )(, 2pi, )2
    expr = re.sub(r"(?<=[\d)])\s*(?=[(p])", "*", expr)
    if "\\" in expr:
        return None
    try:
        value = _eval_node(ast.parse(expr, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None
    return value if math.isfinite(value) else None


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _atoms_equal(a: str, b: str) -> bool:
    if a == b:
        return True
    x, y = latex_number(a), latex_number(b)
    if x is None or y is None:
        return False
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)


def math_equivalent(prediction: str, reference: str) -> bool:
    """Whether two MATH answers are the same (see the module docstring)."""
    a, b = normalize_math_answer(prediction), normalize_math_answer(reference)
    if not a or not b:
        return False
    if _atoms_equal(a, b):
        return True
    # "221_3" (digits in base 3): an answer giving the same digits without the base is right, as
    # the question names the base; a different base is wrong.
    base_a, base_b = _BASE.match(a), _BASE.match(b)
    if base_a or base_b:
        digits_a = base_a.group(1) if base_a else a
        digits_b = base_b.group(1) if base_b else b
        same_base = not (base_a and base_b) or base_a.group(2) == base_b.group(2)
        return same_base and digits_a == digits_b
    # tuples and intervals: same brackets, element by element
    if (
        len(a) > 1
        and len(b) > 1
        and a[0] in "(["
        and b[0] in "(["
        and a[-1] in ")]"
        and b[-1] in ")]"
    ):
        if (a[0], a[-1]) != (b[0], b[-1]):
            return False
        xs, ys = _split_top_level(a[1:-1]), _split_top_level(b[1:-1])
        return len(xs) == len(ys) and all(_atoms_equal(x, y) for x, y in zip(xs, ys, strict=True))
    # bare lists ("1, 2" vs "2,1") are sets of answers
    xs, ys = _split_top_level(a), _split_top_level(b)
    if len(xs) > 1 and len(xs) == len(ys):
        unmatched = list(ys)
        for x in xs:
            match = next((y for y in unmatched if _atoms_equal(x, y)), None)
            if match is None:
                return False
            unmatched.remove(match)
        return True
    return False


def math_answer_of(reply: str) -> str | None:
    """The answer text a reply gives (JSON ``answer``, else a regex, else the last ``\\boxed``)."""
    found = extract_answer(reply, latex=True)
    if found is None:
        return None
    return found.text if not isinstance(found.value, int | float) else repr(found.value)


def math_correct(reply: str, reference: str) -> bool:
    """Whether the reply's answer is equivalent to the reference."""
    answer = math_answer_of(reply)
    return answer is not None and math_equivalent(answer, reference)


def _zeroeval_sanitize(answer: str) -> str:
    answer = answer.replace("$", "").strip().replace(",", "")
    if "/" in answer and re.fullmatch(r"[\d\s.+\-*/()]+", answer):
        # ZeroEval evaluated "a/b" with Python's eval; only plain arithmetic is evaluated here.
        with contextlib.suppress(SyntaxError, ValueError, ZeroDivisionError, OverflowError):
            answer = str(float(_eval_node(ast.parse(answer, mode="eval"))))
    return answer


_FIRST_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def math_published_correct(reply: str, reference: str, model: str = "") -> bool:
    """ZeroEval's published MATH rule (commit 39430d4): the first numbers of both answers agree.

    Kept to compare with :func:`math_correct`; it credits ``\\frac{3}{4}`` for ``3`` and is not a
    grader to use.
    """
    answer = zeroeval_answer(reply, model)
    if answer is None:
        return False
    ours = _FIRST_NUMBER.search(_zeroeval_sanitize(answer))
    theirs = _FIRST_NUMBER.search(_zeroeval_sanitize(reference.replace("#", "").strip()))
    return bool(ours and theirs and float(ours.group()) == float(theirs.group()))
