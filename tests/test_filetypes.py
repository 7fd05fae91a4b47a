"""Magic-byte sniffing and plain-file-name checks shared by the CLI and the gateway."""

from __future__ import annotations

import pytest

from routerlab.filetypes import file_name_problem, is_text, sniff_media_type


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a....", "image/gif"),
        (b"GIF87a....", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),  # a RIFF that is not WebP
        (b"%PDF-1.7\n", "application/pdf"),
        (b"just some text pretending to be a png", None),
        (b"", None),
    ],
)
def test_sniff_media_type_reads_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_media_type(data) == expected


def test_is_text_refuses_nul_and_invalid_utf8() -> None:
    assert is_text("héllo\n".encode())
    assert not is_text(b"abc\x00def")
    assert not is_text(b"\xff\xfe\xfa")


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a/b.pdf",
        "c:\\x.pdf",
        "",
        "   ",
        "..",
        "a\x00b.pdf",
        "x" * 256,
        "bad\u200bname.pdf",
    ],
)
def test_file_name_problem_refuses_paths_controls_and_long_names(name: str) -> None:
    assert file_name_problem(name) is not None


def test_file_name_problem_accepts_plain_names() -> None:
    assert file_name_problem("report (final).pdf") is None
    assert file_name_problem("x" * 255) is None
