"""Append-only JSONL checkpoint of labels, keyed by a hash of the prompt.

One line per finished prompt, written with flush and fsync before the next one starts, so a run
killed at any moment loses at most the line being written. Opening a checkpoint cuts a torn last
line (no trailing newline) and skips keys already labeled: a restarted run labels each prompt
exactly once. An exclusive file lock stops two processes from appending to the same file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from routerlab.errors import RouterlabError

OK = "ok"
ERROR = "error"


class CheckpointLockedError(RouterlabError):
    """Another process is writing the same checkpoint."""


def normalize_prompt(text: str) -> str:
    """The text a key is computed from: Unicode NFC, outer whitespace stripped."""
    return unicodedata.normalize("NFC", text).strip()


def prompt_key(text: str) -> str:
    """sha256 hex digest of :func:`normalize_prompt` — the checkpoint key and Batch custom_id."""
    return hashlib.sha256(normalize_prompt(text).encode("utf-8")).hexdigest()


@dataclass
class Checkpoint:
    """Labels recorded so far. Use as a context manager, or call :meth:`close`."""

    path: Path
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> latest record
    torn_bytes: int = 0  # bytes of a torn last line that were cut on open
    bad_lines: int = 0  # complete lines that were not valid JSON records (skipped)
    _file: IO[str] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Open (creating if needed) ``path`` for appending, after reading what it holds."""
        file_path = Path(path)
        file_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(file_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise CheckpointLockedError(
                f"checkpoint {file_path} is being written by another process; wait for it to "
                "finish or stop it"
            ) from None
        checkpoint = cls(file_path, _file=handle)
        checkpoint._load()
        return checkpoint

    def _load(self) -> None:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a run was killed mid-write: drop the partial line
            self.torn_bytes = len(data) - end
            assert self._file is not None
            self._file.truncate(end)
            data = data[:end]
        for raw in data.splitlines():
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                key = record["key"]
            except (json.JSONDecodeError, KeyError, TypeError):
                self.bad_lines += 1
                continue
            # A success is final; an error may later be followed by a success.
            if self.records.get(key, {}).get("status") != OK:
                self.records[key] = record

    @property
    def done(self) -> set[str]:
        """Keys with a label."""
        return {k for k, r in self.records.items() if r.get("status") == OK}

    @property
    def failed(self) -> set[str]:
        """Keys whose last attempt failed and that have no label."""
        return {k for k, r in self.records.items() if r.get("status") != OK}

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably. A second success for a key is refused (exactly once)."""
        if self._file is None:
            raise RouterlabError(f"checkpoint {self.path} is closed")
        key = record["key"]
        if self.records.get(key, {}).get("status") == OK:
            raise RouterlabError(f"prompt {key[:12]}… is already labeled in {self.path}")
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self.records[key] = record

    def close(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every complete record line of a checkpoint file, in order (for audits and tests)."""
    out = []
    for raw in Path(path).read_bytes().splitlines(keepends=True):
        if raw.endswith(b"\n"):
            try:
                out.append(json.loads(raw))
            except json.JSONDecodeError:
                continue
    return out
