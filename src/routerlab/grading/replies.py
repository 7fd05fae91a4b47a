"""Pull the final answer out of a recorded model reply.

ZeroEval asked every model to reply with JSON holding ``reasoning`` and ``answer``; most replies
are a ```json block after some prose, but some are bare JSON, JSON followed by text, JSON with raw
newlines or unescaped quotes inside strings, or no JSON at all. Two extractors live here:

* :func:`extract_answer` — robust: tries every JSON object in the reply (fenced blocks first, then
  any balanced ``{...}``, parsed leniently), keeps the value's JSON type (a list stays a list), then
  falls back to a regex on ``"answer": ...``, then to the last ``\\boxed{...}``.
* :func:`zeroeval_answer` — ZeroEval's own extraction as it stood when its published tables were
  made (commit 39430d4, 2024-09-20): the first balanced ``{...}`` with newlines deleted, else a
  regex on ``"answer"``, else, for Llama-3.1 models only, ``\\boxed{word}`` near the end. It exists
  so that the published accuracy can be reproduced; its quirks (the first object only, a failed
  parse ends the search, ``str()`` of non-string values) are deliberate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_NO_VALUE = object()


@dataclass(frozen=True)
class ExtractedAnswer:
    """The answer found in a reply: ``value`` as parsed (str, number, list, ...), ``how`` it was found."""

    value: Any
    how: str  # "json" | "regex" | "boxed"

    @property
    def text(self) -> str:
        """The answer as text: strings as they are, other JSON values re-serialised as JSON."""
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value)


_SPECIAL = re.compile(r'[{}"\\]')


def balanced_objects(text: str) -> list[str]:
    """Every top-level ``{...}`` span of ``text``, braces inside JSON strings ignored."""
    spans: list[str] = []
    depth = 0
    start = -1
    in_string = False
    skip_until = -1  # index of a character escaped by a backslash
    # Only braces, quotes and backslashes matter: jump between them (replies are long prose).
    for match in _SPECIAL.finditer(text):
        i = match.start()
        if i <= skip_until:
            continue
        char = text[i]
        if in_string:
            if char == "\\":
                skip_until = i + 1
            elif char == '"':
                in_string = False
            continue
        if char == '"' and depth > 0:
            in_string = True
        elif char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


# A backslash that is LaTeX, not a JSON escape: before a character JSON cannot escape ("\s" in
# "\sqrt"), before "u" without 4 hex digits ("\underline"), or before b/f/n/r/t followed by a
# letter ("\frac", "\boxed", "\neq", "\right", "\times": JSON would read form feed, backspace,
# newline, ...). Escaped backslash pairs are kept as they are.
_LATEX_BACKSLASH = re.compile(r'\\\\|\\(?=[^"\\/bfnrtu]|u(?![0-9a-fA-F]{4})|[bfnrt][a-zA-Z])')


def _repair_latex(candidate: str) -> str:
    return _LATEX_BACKSLASH.sub(lambda m: m.group(0) if len(m.group(0)) == 2 else "\\\\", candidate)


def _loads_lenient(candidate: str, latex: bool) -> Any:
    """json.loads allowing raw control characters in strings; LaTeX backslashes are kept first
    when ``latex`` (MATH), else only when the text does not parse as it is (CRUXEval strings
    hold real JSON escapes: "a\\nb" is a newline there)."""
    repaired = _repair_latex(candidate)
    for text in (repaired, candidate) if latex else (candidate, repaired):
        try:
            return json.loads(text, strict=False)
        except json.JSONDecodeError:
            continue
    return _NO_VALUE


def _answer_in(candidate: str, latex: bool) -> Any:
    candidate = candidate.strip()
    if not candidate.startswith("{"):
        spans = balanced_objects(candidate)
        if not spans:
            return _NO_VALUE
        candidate = spans[0]
    parsed = _loads_lenient(candidate, latex)
    if isinstance(parsed, dict) and "answer" in parsed:
        return parsed["answer"]
    return _NO_VALUE


def _answer_from_json(text: str, latex: bool) -> Any:
    # Fenced blocks first (the format asked for); only then scan the whole reply for objects.
    for match in _FENCE.finditer(text):
        found = _answer_in(match.group(1), latex)
        if found is not _NO_VALUE:
            return found
    for span in balanced_objects(text):
        found = _answer_in(span, latex)
        if found is not _NO_VALUE:
            return found
    return _NO_VALUE


_ANSWER_QUOTED = re.compile(r'"answer"\s*:\s*"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ANSWER_BARE = re.compile(r'"?answer"?\s*:\s*([^\n}]*)', re.IGNORECASE)


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i = start + len("\\boxed{")
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def extract_answer(reply: str, *, latex: bool = False) -> ExtractedAnswer | None:
    """The reply's answer, or None when it has none (see the module docstring for the order).

    ``latex=True`` reads backslashes in JSON strings as LaTeX (``"\\frac"`` is not a form feed).
    """
    value = _answer_from_json(reply, latex)
    if value is not _NO_VALUE:
        return ExtractedAnswer(value, "json")
    match = _ANSWER_QUOTED.search(reply)
    if match:
        raw = match.group(1)
        try:
            return ExtractedAnswer(json.loads(f'"{raw}"', strict=False), "regex")
        except json.JSONDecodeError:
            return ExtractedAnswer(raw.replace('\\"', '"'), "regex")
    match = _ANSWER_BARE.search(reply)
    if match and match.group(1).strip().rstrip(",").strip():
        return ExtractedAnswer(match.group(1).strip().rstrip(",").strip(), "regex")
    boxed = _last_boxed(reply)
    if boxed is not None:
        return ExtractedAnswer(boxed, "boxed")
    return None


def reply_text(output: Any) -> str:
    """ZeroEval's ``output`` field (a one-element list) as the reply string."""
    if isinstance(output, list):
        return str(output[0]) if output else ""
    return "" if output is None else str(output)


# --- ZeroEval's published extraction (reproduced for its published figures) -------------------


def _zeroeval_first_object(text: str) -> dict[str, Any] | None:
    # Braces are counted without regard to strings, and only the first complete object is tried,
    # parsed after deleting every newline: all as ZeroEval did.
    depth = 0
    start = -1
    for i, char in enumerate(text):
        if char == "{":
            if depth == 0:
                start = i
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                try:
                    parsed = json.loads(text[start : i + 1].replace("\n", ""))
                except json.JSONDecodeError:
                    return None
                return parsed if isinstance(parsed, dict) else None
    return None


def _zeroeval_regex_answer(text: str) -> str | None:
    match = re.search(r'"answer"\s*:\s*"([^"]*?)"', text) or re.search(
        r'"answer"\s*:\s*"(.*?)"', text, re.DOTALL
    )
    if match:
        return match.group(1)
    match = re.search(r'"answer"\s*:\s*([^,\s]*)', text) or re.search(
        r"answer\s*:\s*([^,\s]*)", text
    )
    return match.group(1) if match else None


def zeroeval_answer(reply: str, model: str) -> str | None:
    """The answer ZeroEval's published evaluation read from ``reply``, as the string it compared.

    Non-string JSON values become ``str(value)`` (Python's repr for lists, ``True`` for true), as
    there. None means ZeroEval counted the reply as "no answer".
    """
    parsed = _zeroeval_first_object(reply)
    if parsed is not None and "answer" in parsed:
        return str(parsed["answer"])
    regex = _zeroeval_regex_answer(reply)
    if regex is not None:
        return regex
    if "Llama-3.1" in model and "boxed" in reply[-30:]:
        match = re.search(r"\\boxed{([\w\d]+)}", reply)
        if match:
            return match.group(1)
    return None
