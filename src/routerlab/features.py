"""Pure functions of a request that routers look at: tokens, structure, attachments, creativity.

Nothing here calls a model. The judge prompts show these features to the judge; the gateway uses
:func:`attachment_kind` to decide how a file travels to the answering model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from routerlab.request import RouteRequest, check_temperature
from routerlab.tokens import DEFAULT_ENCODING, count_tokens

AttachmentKind = Literal["image", "pdf", "text", "unsupported"]
Creativity = Literal["low", "medium", "high"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset(
    {
        ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".jsonl", ".yaml", ".yml",
        ".toml", ".ini", ".cfg", ".xml", ".html", ".htm", ".log", ".py", ".ipynb", ".js", ".ts",
        ".java", ".c", ".h", ".cpp", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".sh", ".sql",
        ".r", ".tex",
    }
)  # fmt: skip
IMAGE_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
              ".gif": "image/gif", ".webp": "image/webp"}  # fmt: skip

# Temperature bands for the creativity label; OpenAI's range is [0, 2] and most chat UIs default
# to 0.7-1.0, so "high" starts where sampling becomes visibly more random.
CREATIVITY_BANDS: tuple[tuple[float, Creativity], ...] = ((0.4, "low"), (1.0, "medium"))

_XML_TAG = re.compile(r"<([A-Za-z][\w\-.]*)(\s[^<>]*)?>.*?</\1\s*>", re.DOTALL)
_CODE_FENCE = re.compile(r"^\s*(```|~~~)", re.MULTILINE)
_NUMBERED_STEP = re.compile(r"^\s*(?:step\s*)?(\d{1,2})[.):]\s+\S", re.MULTILINE | re.IGNORECASE)


def prompt_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Exact token count with tiktoken (``o200k_base`` by default, the pool's tokenizer)."""
    return count_tokens(text, encoding)


def attachment_kind(path: str | Path) -> AttachmentKind:
    """Kind of an attached file from its suffix: image, pdf, text (inlined) or unsupported."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return "unsupported"


def creativity_level(temperature: float) -> Creativity:
    """``low`` below 0.4, ``medium`` below 1.0, ``high`` from 1.0 up to 2.0."""
    value = check_temperature(temperature)
    for upper, label in CREATIVITY_BANDS:
        if value < upper:
            return label
    return "high"


def has_xml_tags(text: str) -> bool:
    """True when the prompt holds a matched ``<tag>…</tag>`` pair (structured prompting)."""
    return _XML_TAG.search(text) is not None


def has_code_fence(text: str) -> bool:
    # The substring test is the same answer's precondition and ~4x faster on long prompts.
    if "```" not in text and "~~~" not in text:
        return False
    return _CODE_FENCE.search(text) is not None


def has_json(text: str) -> bool:
    """True when the prompt is, or embeds, a JSON object or array of at least one item."""
    for match in re.finditer(r"[\[{]", text):
        start = match.start()
        try:
            value, _ = json.JSONDecoder().raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict | list) and value:
            return True
    return False


def has_numbered_steps(text: str, minimum: int = 2) -> bool:
    """True when at least ``minimum`` lines start with consecutive numbers (1., 2., …)."""
    numbers = [int(m.group(1)) for m in _NUMBERED_STEP.finditer(text)]
    run = best = 0
    previous = None
    for n in numbers:
        run = run + 1 if previous is not None and n == previous + 1 else 1
        best = max(best, run)
        previous = n
    return best >= minimum


@dataclass(frozen=True)
class StructureFlags:
    """Signs of an engineered prompt, which tend to need a stronger model."""

    xml_tags: bool = False
    code_fence: bool = False
    json: bool = False
    numbered_steps: bool = False

    @property
    def any(self) -> bool:
        return self.xml_tags or self.code_fence or self.json or self.numbered_steps

    def names(self) -> list[str]:
        return [name for name, on in asdict(self).items() if on]


def structure_flags(text: str) -> StructureFlags:
    return StructureFlags(
        xml_tags=has_xml_tags(text),
        code_fence=has_code_fence(text),
        json=has_json(text),
        numbered_steps=has_numbered_steps(text),
    )


@dataclass(frozen=True)
class PromptFeatures:
    """Everything the judge prompts show about a request."""

    tokens: int
    temperature: float
    creativity: Creativity
    structure: StructureFlags
    file_kinds: tuple[AttachmentKind, ...] = field(default_factory=tuple)

    @property
    def has_files(self) -> bool:
        return bool(self.file_kinds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "temperature": self.temperature,
            "creativity": self.creativity,
            "has_files": self.has_files,
            "file_kinds": list(self.file_kinds),
            **{f"structure_{k}": v for k, v in asdict(self.structure).items()},
        }


def file_kinds(files: Iterable[str | Path]) -> tuple[AttachmentKind, ...]:
    return tuple(attachment_kind(f) for f in files)


def prompt_features(request: RouteRequest) -> PromptFeatures:
    """Features of one request (token count is exact; files are classified by suffix only)."""
    return PromptFeatures(
        tokens=prompt_tokens(request.prompt),
        temperature=request.temperature,
        creativity=creativity_level(request.temperature),
        structure=structure_flags(request.prompt),
        file_kinds=file_kinds(request.files),
    )
