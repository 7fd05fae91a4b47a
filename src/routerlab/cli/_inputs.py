"""Checks every command makes on its input and output paths before doing any work.

A command that labels for an hour and then cannot write its result, or that hands a binary file
to pandas and prints a traceback, wastes the user's time. These checks turn such paths into one
:class:`PathError` naming the file, what is wrong and what is allowed; ``routerlab.cli.main``
prints it as one line and exits with code 2. (The module name starts with ``_`` so the command
discovery in ``routerlab.cli`` does not take it for a subcommand.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from routerlab.errors import ConfigError
from routerlab.filetypes import is_text, sniff_media_type

# How much of a text input is read to prove it is UTF-8 without NUL bytes. Inputs here are CSV,
# JSONL and TOML files read whole right after, so reading them whole now costs one extra pass;
# the cap only bounds memory for a huge file, whose first 8 MB are a fair sample.
TEXT_SAMPLE_BYTES = 8_000_000
PARQUET_MAGIC = b"PAR1"

T = TypeVar("T")


class PathError(ConfigError):
    """An input or output path a command cannot use (missing, empty, binary, a folder, ...)."""


def check_input_file(
    path: str | os.PathLike[str],
    *,
    what: str,
    kind: str = "text",
    allowed: str = "",
    allow_empty: bool = False,
) -> Path:
    """``path`` as a readable, non-empty regular file whose bytes fit ``kind``.

    ``kind`` is ``"text"`` (UTF-8 without NUL bytes: CSV, JSONL, TOML) or ``"parquet"`` (the
    ``PAR1`` magic). ``what`` names the file in errors (``"outcome table"``); ``allowed`` says
    what would be accepted instead. ``allow_empty`` accepts a 0-byte file (a replay file
    with no calls recorded yet).
    """
    file = Path(path)
    hint = f"; {allowed}" if allowed else ""
    if not file.exists():
        raise PathError(f"{what} {str(file)!r} does not exist{hint}")
    if file.is_dir():
        raise PathError(f"{what} {str(file)!r} is a folder, not a file{hint}")
    if not file.is_file():
        raise PathError(f"{what} {str(file)!r} is not a regular file{hint}")
    try:
        with file.open("rb") as handle:
            head = handle.read(TEXT_SAMPLE_BYTES if kind == "text" else len(PARQUET_MAGIC))
    except OSError as exc:
        raise PathError(f"cannot read {what} {str(file)!r}: {exc.strerror or exc}") from None
    if not head:
        if allow_empty:
            return file
        raise PathError(f"{what} {str(file)!r} is empty (0 bytes){hint}")
    if kind == "parquet":
        if head != PARQUET_MAGIC:
            raise PathError(f"{what} {str(file)!r} is not a parquet file (no PAR1 header){hint}")
        return file
    if not is_text(_whole_characters(head)):
        sniffed = sniff_media_type(head)
        looks = f"its bytes are {sniffed}" if sniffed else "NUL bytes or invalid UTF-8"
        raise PathError(f"{what} {str(file)!r} is binary, not UTF-8 text ({looks}){hint}")
    return file


def _whole_characters(head: bytes) -> bytes:
    """``head`` without a multi-byte UTF-8 character cut in two at the sample's end."""
    if len(head) < TEXT_SAMPLE_BYTES:
        return head
    for cut in range(1, 4):  # a UTF-8 character is at most 4 bytes
        if head[-cut] & 0xC0 != 0x80:  # the lead byte of the last character
            return head[: len(head) - cut]
    return head


def check_output_file(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` as a file the command can create or replace: not a folder, in a writable folder.

    Missing parent folders are allowed (they are created when the file is written) as long as
    the nearest existing one is a folder this process can write to.
    """
    file = Path(path)
    if file.is_dir():
        raise PathError(
            f"{what} {str(file)!r} is an existing folder; give a file path such as "
            f"{str(file / 'labels.csv')!r}"
        )
    if file.exists() and not file.is_file():
        raise PathError(f"{what} {str(file)!r} exists and is not a regular file")
    _check_writable_folder(file.parent, what=what, target=file)
    return file


def check_output_dir(path: str | os.PathLike[str], *, what: str) -> Path:
    """``path`` as a folder the command can write into (created later when missing)."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise PathError(f"{what} {str(folder)!r} exists and is a file, not a folder")
    _check_writable_folder(folder, what=what, target=folder)
    return folder


def _check_writable_folder(folder: Path, *, what: str, target: Path) -> None:
    existing = folder if str(folder) else Path(".")
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise PathError(
            f"cannot write {what} {str(target)!r}: {str(existing)!r} is a file, not a folder"
        )
    # os.access says yes to root everywhere and to read-only mounts, so create and remove a
    # probe file: the one test that matches what writing the output will do.
    try:
        handle, probe = tempfile.mkstemp(prefix=".routerlab-write-probe-", dir=existing)
    except OSError as exc:
        raise PathError(
            f"cannot write {what} {str(target)!r}: folder {str(existing)!r} is not writable "
            f"({exc.strerror or exc}); choose a path in a folder you can write to"
        ) from None
    os.close(handle)
    os.unlink(probe)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one existing file (so writing ``b`` would replace ``a``)."""
    try:
        return Path(a).resolve() == Path(b).resolve() or os.path.samefile(a, b)
    except OSError:
        return False


def read_or_fail(read: Callable[[], T], *, what: str, path: str | os.PathLike[str]) -> T:
    """``read()``, with pandas' and pyarrow's parse errors turned into one :class:`PathError`.

    The byte-level checks above catch empty and binary files; what remains is text that is not
    a table (only blank lines, ragged rows, broken quoting, an invalid parquet body).
    """
    import pandas as pd

    try:
        return read()
    except pd.errors.EmptyDataError:
        raise PathError(
            f"{what} {str(path)!r} has no header and no rows (only blank lines?)"
        ) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise PathError(f"{what} {str(path)!r} cannot be parsed: {_one_line(exc)}") from None
    except (OSError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        if type(exc).__module__.startswith(("pyarrow", "fastparquet")):
            raise PathError(f"{what} {str(path)!r} cannot be read: {_one_line(exc)}") from None
        raise


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def require_rows(count: int, *, what: str, path: str | os.PathLike[str], needed: str) -> None:
    """Refuse a table that parsed but holds no data rows."""
    if count == 0:
        raise PathError(f"{what} {str(path)!r} has a header but no rows; {needed}")
