"""What the gateway server needs from a chat request before it reaches the upstream model.

Parsing and validating OpenAI-style messages (text, ``image_url`` and ``file`` parts) and the
prompt a router sees. Capability checks and parameters are :mod:`routerlab.gateway`'s
(``check_capability``, ``call_params``), applied by the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from routerlab.features import attachment_kind
from routerlab.gateway import CheckedFile

ALLOWED_ROLES = ("system", "developer", "user", "assistant", "tool")
ALLOWED_PARTS = ("text", "image_url", "file")
_IMAGE_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
                 "image/webp": ".webp"}  # fmt: skip


class RequestProblem(ValueError):
    """A request field is invalid; ``param`` and ``code`` follow OpenAI's error object."""

    def __init__(self, message: str, *, param: str | None, code: str = "invalid_value") -> None:
        self.param = param
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class ParsedMessages:
    """Validated messages plus what routers and capability checks need to know about them."""

    messages: list[dict[str, Any]]
    prompt: str  # the last user turn's text: what routers decide on
    attachments: tuple[str, ...]  # pseudo file names of the last user turn's parts (kind by suffix)
    has_images: bool  # anywhere in the conversation
    has_files: bool


def parse_messages(raw: Any) -> ParsedMessages:
    """Validate ``messages`` (OpenAI chat format); raise :class:`RequestProblem` naming the field."""
    if raw is None:
        raise RequestProblem(
            "Missing required parameter: 'messages'.",
            param="messages",
            code="missing_required_parameter",
        )
    if not isinstance(raw, list) or not raw:
        raise RequestProblem(
            "'messages' must be a non-empty array of {role, content} objects.", param="messages"
        )
    has_images = has_files = False
    for i, message in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise RequestProblem(
                f"{where} must be an object with 'role' and 'content'.", param=where
            )
        role = message.get("role")
        if role not in ALLOWED_ROLES:
            raise RequestProblem(
                f"{where}.role is {role!r}; allowed: {', '.join(ALLOWED_ROLES)}.",
                param=f"{where}.role",
            )
        content = message.get("content")
        if content is None and role == "assistant":
            continue  # assistant turns may carry only tool calls
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            raise RequestProblem(
                f"{where}.content must be a string or an array of content parts.",
                param=f"{where}.content",
            )
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in ALLOWED_PARTS:
                raise RequestProblem(
                    f"{where}.content[{j}]: content part type {kind!r} is not supported by the "
                    f"routerlab gateway; allowed: {', '.join(ALLOWED_PARTS)}.",
                    param=f"{where}.content[{j}].type",
                    code="unsupported_content_part",
                )
            _check_part(part, kind, f"{where}.content[{j}]")
            has_images |= kind == "image_url"
            has_files |= kind == "file"
    prompt, attachments = _routed_prompt(raw)
    return ParsedMessages(raw, prompt, attachments, has_images, has_files)


def _check_part(part: dict[str, Any], kind: str, where: str) -> None:
    if kind == "text" and not isinstance(part.get("text"), str):
        raise RequestProblem(f"{where}.text must be a string.", param=f"{where}.text")
    if kind == "image_url":
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            raise RequestProblem(
                f"{where}.image_url must be an object with a 'url' (https or data URL).",
                param=f"{where}.image_url",
            )
    if kind == "file":
        file = part.get("file")
        if not isinstance(file, dict) or not (file.get("file_data") or file.get("file_id")):
            raise RequestProblem(
                f"{where}.file must be an object with 'file_data' (a data URL) or 'file_id'.",
                param=f"{where}.file",
            )


def _routed_prompt(messages: Sequence[dict[str, Any]]) -> tuple[str, tuple[str, ...]]:
    """Text and attachment names of the last user turn (the study routes single user prompts)."""
    users = [m for m in messages if m.get("role") == "user"] or list(messages)
    content = users[-1].get("content")
    if isinstance(content, str) or content is None:
        text = content or ""
        attachments: tuple[str, ...] = ()
    else:
        texts, names = [], []
        for n, part in enumerate(content):
            if part["type"] == "text":
                texts.append(part["text"])
            elif part["type"] == "image_url":
                url = part["image_url"]["url"]
                mime = url[5 : url.find(";")] if url.startswith("data:") else ""
                names.append(f"image-{n}{_IMAGE_SUFFIX.get(mime, '.png')}")
            else:
                filename = str(part["file"].get("filename") or f"file-{n}.pdf")
                names.append(PurePosixPath(filename).name or f"file-{n}.pdf")
        text = "\n".join(texts)
        attachments = tuple(names)
    if not text.strip():
        # Routers need some text; an attachment-only turn is described by its kinds.
        kinds = ", ".join(attachment_kind(a) for a in attachments) or "nothing"
        text = f"(no text; attached: {kinds})"
    return text, attachments


def attached_files(parsed: ParsedMessages) -> list[CheckedFile]:
    """Image and file parts as the gateway's checked files, for its capability check.

    The parts arrive inline (data URLs), so there is no path to read: the names only carry the
    kind (``image`` or ``pdf``, the file kind the chat API's ``file`` part takes).
    """
    files = []
    if parsed.has_images:
        files.append(CheckedFile(Path("image_url part.png"), "image", 0))
    if parsed.has_files:
        files.append(CheckedFile(Path("file part.pdf"), "pdf", 0))
    return files
