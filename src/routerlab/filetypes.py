"""What a file or an inline attachment really is, from its bytes rather than its name.

File names and declared media types come from users and HTTP clients, so they can lie: a text
file renamed ``photo.png`` or a ``data:image/png`` URL that carries a PDF. The CLI and the gateway
both decide by the magic bytes here, and check names that travel upstream with
:func:`file_name_problem`.
"""

from __future__ import annotations

import unicodedata

# Media types the pool's vision models take as ``image_url`` parts (OpenAI's list).
IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
PDF_MEDIA_TYPE = "application/pdf"
MAX_FILE_NAME_CHARS = 255  # the usual file-system limit for one path component


def sniff_media_type(data: bytes) -> str | None:
    """The media type that ``data``'s leading bytes prove, or None when they prove nothing.

    Recognised: PNG, JPEG, GIF (87a/89a), WebP (RIFF container with a WEBP tag) and PDF.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF_MEDIA_TYPE
    return None


def is_text(data: bytes) -> bool:
    """True when ``data`` is UTF-8 text: it decodes strictly and holds no NUL byte.

    A NUL is the cheapest reliable sign of a binary file that happens to decode.
    """
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def file_name_problem(name: str) -> str | None:
    """Why ``name`` is not a plain file name (no folders, no control characters), or None.

    Names are forwarded upstream and shown in logs, so ``../../etc/passwd``, names with NUL or
    other control characters, and overly long names are refused rather than cleaned.
    """
    if not name or not name.strip():
        return "the file name is empty"
    if len(name) > MAX_FILE_NAME_CHARS:
        return f"the file name has {len(name):,} characters; at most {MAX_FILE_NAME_CHARS}"
    if "/" in name or "\\" in name:
        return "the file name contains a folder separator; send a plain name such as 'report.pdf'"
    if name in (".", ".."):
        return f"{name!r} is not a file name"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name):
        return "the file name contains control or invisible characters"
    return None
