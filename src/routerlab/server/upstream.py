"""What the gateway server needs from a chat request before it reaches the upstream model.

Parsing and validating OpenAI-style messages (text, ``image_url`` and ``file`` parts) and the
prompt a router sees. Capability checks and parameters are the pool's and the gateway's
(:func:`routerlab.gateway.check_capability`, :meth:`routerlab.pool.Pool.call_params`).
"""

from __future__ import annotations

import binascii
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from routerlab.features import attachment_kind
from routerlab.filetypes import (
    IMAGE_MEDIA_TYPES,
    PDF_MEDIA_TYPE,
    file_name_problem,
    sniff_media_type,
)
from routerlab.gateway import CheckedFile

ALLOWED_ROLES = ("system", "developer", "user", "assistant", "tool")
ALLOWED_PARTS = ("text", "image_url", "file")
_IMAGE_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
                 "image/webp": ".webp"}  # fmt: skip


@dataclass(frozen=True)
class ContentLimits:
    """What inline content parts may be (the server config's ``max_*_bytes`` and host rule)."""

    max_image_bytes: int = 20_000_000
    max_file_bytes: int = 32_000_000
    allow_private_image_hosts: bool = False


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
    texts: tuple[str, ...] = ()  # every message's text, for the context-window check


def parse_messages(raw: Any, limits: ContentLimits | None = None) -> ParsedMessages:
    """Validate ``messages`` (OpenAI chat format); raise :class:`RequestProblem` naming the field.

    Image and file parts are checked against ``limits`` (see :func:`check_image_url` and
    :func:`check_file_part`).
    """
    limits = limits or ContentLimits()
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
    texts: list[str] = []
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
            texts.append(content)
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
            _check_part(part, kind, f"{where}.content[{j}]", limits)
            if kind == "text":
                texts.append(part["text"])
            has_images |= kind == "image_url"
            has_files |= kind == "file"
    prompt, attachments = _routed_prompt(raw)
    return ParsedMessages(raw, prompt, attachments, has_images, has_files, tuple(texts))


def _check_part(part: dict[str, Any], kind: str, where: str, limits: ContentLimits) -> None:
    if kind == "text" and not isinstance(part.get("text"), str):
        raise RequestProblem(f"{where}.text must be a string.", param=f"{where}.text")
    if kind == "image_url":
        image = part.get("image_url")
        if not isinstance(image, dict) or not isinstance(image.get("url"), str):
            raise RequestProblem(
                f"{where}.image_url must be an object with a 'url' (https or data URL).",
                param=f"{where}.image_url",
            )
        check_image_url(image["url"], f"{where}.image_url.url", limits)
    if kind == "file":
        file = part.get("file")
        if not isinstance(file, dict) or not (file.get("file_data") or file.get("file_id")):
            raise RequestProblem(
                f"{where}.file must be an object with 'file_data' (a data URL) or 'file_id'.",
                param=f"{where}.file",
            )
        check_file_part(file, f"{where}.file", limits)


def check_image_url(url: str, param: str, limits: ContentLimits) -> None:
    """An ``image_url`` is ``https:`` (not to localhost or a private address unless allowed) or
    ``data:image/<png|jpeg|gif|webp>;base64,`` with valid base64 whose bytes are that type."""
    scheme = url[: url.find(":") + 1].lower() if ":" in url else ""
    if scheme == "data:":
        declared, data = _data_url(url, param, limits.max_image_bytes, "image")
        if declared not in IMAGE_MEDIA_TYPES:
            raise RequestProblem(
                f"{param}: a data URL image must be one of {', '.join(IMAGE_MEDIA_TYPES)}, "
                f"got {declared!r}.",
                param=param,
                code="invalid_image_url",
            )
        _check_magic(data, declared, param, "invalid_image_url")
        return
    if scheme != "https:":
        raise RequestProblem(
            f"{param}: image URLs must be https: or data:image/...;base64, URLs; "
            f"{(scheme or 'no scheme')!r} is refused.",
            param=param,
            code="invalid_image_url",
        )
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    if not host:
        raise RequestProblem(
            f"{param}: the https image URL has no host.", param=param, code="invalid_image_url"
        )
    if not limits.allow_private_image_hosts and is_private_host(host):
        raise RequestProblem(
            f"{param}: the image host {host!r} is local or private; only public hosts are "
            "allowed (allow_private_image_hosts in the [server] config).",
            param=param,
            code="invalid_image_url",
        )


def check_file_part(file: dict[str, Any], param: str, limits: ContentLimits) -> None:
    """A ``file`` part: a plain ``filename``, ``file_data`` a base64 PDF data URL within the
    size limit; a ``file_id`` (an upload the upstream already holds) passes as it is."""
    name = file.get("filename")
    if name is not None:
        problem = file_name_problem(name) if isinstance(name, str) else "it is not a string"
        if problem:
            raise RequestProblem(
                f"{param}.filename is refused: {problem}.",
                param=f"{param}.filename",
                code="invalid_file",
            )
    file_id = file.get("file_id")
    if file_id is not None and not isinstance(file_id, str):
        raise RequestProblem(f"{param}.file_id must be a string.", param=f"{param}.file_id")
    data_url = file.get("file_data")
    if data_url is None:
        return
    where = f"{param}.file_data"
    if not isinstance(data_url, str) or not data_url[:5].lower() == "data:":
        raise RequestProblem(
            f"{where} must be a data URL: data:{PDF_MEDIA_TYPE};base64,<base64 bytes>.",
            param=where,
            code="invalid_file",
        )
    declared, data = _data_url(data_url, where, limits.max_file_bytes, "file")
    if declared != PDF_MEDIA_TYPE:
        raise RequestProblem(
            f"{where}: file parts carry PDF ({PDF_MEDIA_TYPE}), got {declared!r}.",
            param=where,
            code="invalid_file",
        )
    _check_magic(data, declared, where, "invalid_file")


def is_private_host(host: str) -> bool:
    """True for ``localhost`` names and IP literals that are not globally routable (loopback,
    private, link-local, reserved, unspecified), including legacy forms such as ``127.1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:  # inet_aton takes what many HTTP clients resolve: 127.1, 0x7f.0.0.1, 2130706433
            address = ipaddress.ip_address(socket.inet_aton(name))
        except (OSError, ValueError):
            return False  # a DNS name; where it points is the upstream's business
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _data_url(url: str, param: str, max_bytes: int, what: str) -> tuple[str, bytes]:
    """(declared media type, decoded bytes) of a ``data:<type>;base64,<data>`` URL."""
    head, comma, payload = url.partition(",")
    media = head[5:].lower()
    if not comma or not media.endswith(";base64"):
        raise RequestProblem(
            f"{param}: the data URL must be base64: data:<media type>;base64,<data>.",
            param=param,
            code=f"invalid_{what}" if what == "file" else "invalid_image_url",
        )
    declared = media[: -len(";base64")]
    code = "invalid_file" if what == "file" else "invalid_image_url"
    if len(payload) // 4 * 3 > max_bytes + 2:  # before decoding anything
        raise RequestProblem(
            f"{param}: the {what} is larger than the limit of {max_bytes:,} bytes "
            f"(max_{what}_bytes in the [server] config).",
            param=param,
            code=code,
        )
    try:
        data = binascii.a2b_base64(payload, strict_mode=True)
    except (binascii.Error, ValueError):
        raise RequestProblem(
            f"{param}: the data URL's payload is not valid base64.", param=param, code=code
        ) from None
    if not data:
        raise RequestProblem(f"{param}: the data URL is empty.", param=param, code=code)
    if len(data) > max_bytes:
        raise RequestProblem(
            f"{param}: the {what} is {len(data):,} bytes; the limit is {max_bytes:,} "
            f"(max_{what}_bytes in the [server] config).",
            param=param,
            code=code,
        )
    return declared, data


def _check_magic(data: bytes, declared: str, param: str, code: str) -> None:
    actual = sniff_media_type(data[:16])
    if actual != declared:
        found = f"they are {actual}" if actual else "they match no supported type"
        raise RequestProblem(
            f"{param}: declared as {declared} but its bytes are not ({found}).",
            param=param,
            code=code,
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
