"""Attached files: checked before anything is sent, then turned into chat content parts.

Images travel as ``image_url`` data URLs, PDFs as a ``file`` content part (inline base64
``file_data`` with its filename, or an uploaded file id), text-like files are inlined with their
name. Every file is checked (kind, existence, readability, size, content, the model's capability)
before any call is made.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from routerlab.errors import ConfigError
from routerlab.features import AttachmentKind, attachment_kind
from routerlab.filetypes import (
    IMAGE_MEDIA_TYPES,
    PDF_MEDIA_TYPE,
    file_name_problem,
    is_text,
    sniff_media_type,
)
from routerlab.pool import Pool

# OpenAI's documented per-file limits (images 20 MB; PDFs 32 MB per request). Text files are
# inlined into the prompt, so their cap is lower: 1 MB is already ~250k tokens.
DEFAULT_MAX_BYTES: dict[str, int] = {"image": 20_000_000, "pdf": 32_000_000, "text": 1_000_000}

PdfMode = Literal["inline", "upload"]
FileUploader = Callable[[Path], Awaitable[str]]


class FileInputError(ConfigError):
    """An attached file cannot be sent: missing, unreadable, too large or of an unsupported kind."""


class CapabilityError(ConfigError):
    """The chosen model cannot read the attached file kind (per the pool file)."""


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    kind: AttachmentKind
    size: int
    # What the file's bytes proved it is (image/png, application/pdf, text/plain); empty for
    # files described by callers that checked them elsewhere (the server's parsed parts).
    media_type: str = ""


# What the user may attach, for error messages: the kinds, and how each is recognised.
ALLOWED_FILES = (
    "images (.jpg .jpeg .png .gif .webp holding PNG, JPEG, GIF or WebP data), PDF (.pdf starting "
    "with %PDF-) and text-like files (.txt .md .csv .json .py and similar, UTF-8 without NUL bytes)"
)
_HEAD_BYTES = 16  # enough for every signature filetypes.sniff_media_type knows


def check_files(
    files: Sequence[str | Path], max_bytes: dict[str, int] | None = None
) -> list[CheckedFile]:
    """Validate attachments without sending anything: name, kind, existence, readability, size
    and content (an image's or a PDF's leading bytes, a text file's encoding).

    The suffix only says what the user means the file to be; the bytes decide whether it is. A
    text file renamed ``photo.png`` is refused instead of being sent as an image, and an image
    whose suffix names another image type is sent with the type its bytes prove.
    """
    limits = {**DEFAULT_MAX_BYTES, **(max_bytes or {})}
    checked = []
    for raw in files:
        path = Path(raw)
        kind = attachment_kind(path)
        if kind == "unsupported":
            raise FileInputError(
                f"unsupported file {path.name!r} (suffix {path.suffix or 'none'!r}); allowed: "
                f"{ALLOWED_FILES}"
            )
        problem = file_name_problem(path.name)  # the name is sent upstream with the content
        if problem:
            raise FileInputError(f"file {str(path)!r} cannot be sent: {problem}")
        if not path.exists():
            raise FileInputError(f"file not found: {path}")
        if not path.is_file():
            raise FileInputError(f"not a regular file: {path}")
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                # text is inlined whole, so all of it must be valid; binaries need their head
                data = handle.read(limits[kind] + 1 if kind == "text" else _HEAD_BYTES)
        except OSError as exc:
            raise FileInputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size == 0 or not data:
            raise FileInputError(
                f"{path.name} is empty (0 bytes); attach a file with content: {ALLOWED_FILES}"
            )
        if size > limits[kind]:
            raise FileInputError(
                f"{path.name} is {size:,} bytes; the limit for {kind} files is {limits[kind]:,}"
            )
        media_type = _content_media_type(path, kind, data)
        checked.append(CheckedFile(path, kind, size, media_type))
    return checked


def _content_media_type(path: Path, kind: AttachmentKind, data: bytes) -> str:
    """The media type ``data`` proves for a file meant as ``kind``, or a FileInputError that
    names the file, what it looks like and what is allowed."""
    sniffed = sniff_media_type(data)
    if kind == "image" and sniffed in IMAGE_MEDIA_TYPES:
        return sniffed
    if kind == "pdf" and sniffed == PDF_MEDIA_TYPE:
        return sniffed
    if kind == "text" and is_text(data):
        return "text/plain"
    if sniffed:
        looks = f"its bytes are {sniffed}"
    elif is_text(data):
        looks = "it is plain text"
    else:
        looks = "it is not UTF-8 text (binary data, NUL bytes or another encoding)"
    wanted = {
        "image": "PNG, JPEG, GIF or WebP image data",
        "pdf": "a PDF (starting with %PDF-)",
        "text": "UTF-8 text without NUL bytes",
    }[kind]
    named = {"image": "an image", "pdf": "a PDF", "text": "a text"}[kind]
    raise FileInputError(
        f"{path.name} is named as {named} file ({path.suffix}) but {looks}; a {path.suffix} "
        f"attachment must hold {wanted}"
    )


def check_capability(pool: Pool, model: str, files: Sequence[CheckedFile]) -> None:
    """Raise :class:`CapabilityError` when ``model`` cannot read one of ``files``."""
    spec = pool.get(model)
    for f in files:
        if not spec.reads(f.kind):
            able = pool.readers(f.kind)
            raise CapabilityError(
                f"model {model!r} cannot read {f.kind} files ({f.path.name}); "
                f"models that can: {', '.join(able) or 'none in this pool'}"
            )


async def content_parts(
    prompt: str,
    files: Sequence[CheckedFile],
    *,
    pdf_mode: PdfMode = "inline",
    uploader: FileUploader | None = None,
) -> str | list[dict[str, Any]]:
    """User message content: the plain prompt, or text + one part per file in the API's shape.

    Each file's content is checked again on the bytes actually sent (it may have changed since
    :func:`check_files`), so what goes upstream is always what the checks allowed.
    """
    if not files:
        return prompt
    parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for f in files:
        problem = file_name_problem(f.path.name)
        if problem:
            raise FileInputError(f"file {str(f.path)!r} cannot be sent: {problem}")
        try:
            if f.kind == "pdf" and pdf_mode == "upload":
                if uploader is None:
                    raise ConfigError("pdf_mode='upload' needs an uploader (file id source)")
                with f.path.open("rb") as handle:
                    head = handle.read(_HEAD_BYTES)
                _content_media_type(f.path, f.kind, head)
                parts.append({"type": "file", "file": {"file_id": await uploader(f.path)}})
                continue
            data = f.path.read_bytes()
        except OSError as exc:
            raise FileInputError(f"cannot read {f.path}: {exc.strerror or exc}") from None
        if not data:
            raise FileInputError(f"{f.path.name} is empty (0 bytes); nothing to send")
        media_type = _content_media_type(f.path, f.kind, data)
        if f.kind == "image":
            url = f"data:{media_type};base64,{_b64(data)}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif f.kind == "pdf":
            url = f"data:{PDF_MEDIA_TYPE};base64,{_b64(data)}"
            parts.append({"type": "file", "file": {"filename": f.path.name, "file_data": url}})
        else:
            text = data.decode("utf-8")
            parts.append({"type": "text", "text": f"File {f.path.name}:\n```\n{text}\n```"})
    return parts


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def openai_file_uploader(openai_client: Any) -> FileUploader:
    """Uploader for ``pdf_mode='upload'``: Files API with purpose ``user_data``; returns the id."""

    async def upload(path: Path) -> str:
        with path.open("rb") as handle:
            created = await openai_client.files.create(file=handle, purpose="user_data")
        return str(created.id)

    return upload
