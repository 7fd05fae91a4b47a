"""The OpenAI Batch API round trip shared by labeling, the MMLU harness and the judges.

One request per JSONL line (``custom_id`` + the chat completion body the synchronous path would
send), uploaded with ``purpose="batch"``, run on ``/v1/chat/completions`` within 24 h, polled with
backoff, and read back line by line: each output or error line becomes a :class:`BatchLine`
(its body, or why it failed), so one bad line is that item's error, never a crash.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError
from routerlab.usage import Usage

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
MAX_REQUESTS_PER_FILE = 50_000  # the Batch API's per-file limits
MAX_BYTES_PER_FILE = 190 * 1024 * 1024  # under the 200 MB cap, leaving room
TERMINAL = {"completed", "failed", "expired", "cancelled"}


def batch_request(custom_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """One line of a Batch input file."""
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": dict(body)}


def write_batch_files(
    requests: Sequence[Mapping[str, Any]],
    path: str | Path,
    *,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_BYTES_PER_FILE,
) -> list[Path]:
    """Write JSONL request files, split to respect the API limits (``path``, ``path.1``, ...)."""
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    chunks: list[list[str]] = [[]]
    size = 0
    for request in requests:
        line = json.dumps(request, ensure_ascii=False) + "\n"
        n = len(line.encode("utf-8"))
        if chunks[-1] and (len(chunks[-1]) >= max_requests or size + n > max_bytes):
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += n
    paths = []
    for i, lines in enumerate(chunks):
        target = base if i == 0 else base.with_name(f"{base.stem}.{i}{base.suffix}")
        target.write_text("".join(lines), encoding="utf-8")
        paths.append(target)
    return paths


@dataclass
class BatchJob:
    """A submitted batch, saved beside its output so a re-run polls instead of resubmitting."""

    batch_id: str
    input_file_id: str
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    total: int = 0

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchJob:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def load(cls, path: Path) -> BatchJob | None:
        return (
            cls.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None
        )

    def progress_line(self) -> str:
        counts = f"{self.completed}/{self.total} done" if self.total else "counts not yet known"
        failed = f", {self.failed} failed" if self.failed else ""
        return f"batch {self.batch_id}: {self.status}, {counts}{failed}"


async def asubmit_batch(openai_client: Any, requests_path: str | Path) -> BatchJob:
    """Upload a request file and create a batch on ``/v1/chat/completions`` (24 h window)."""
    with open(requests_path, "rb") as handle:
        uploaded = await openai_client.files.create(file=handle, purpose="batch")
    batch = await openai_client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window=COMPLETION_WINDOW
    )
    job = BatchJob(batch_id=batch.id, input_file_id=uploaded.id)
    _update(job, batch)
    return job


def _update(job: BatchJob, batch: Any) -> None:
    job.status = str(batch.status)
    job.output_file_id = getattr(batch, "output_file_id", None)
    job.error_file_id = getattr(batch, "error_file_id", None)
    counts = getattr(batch, "request_counts", None)
    if counts is not None:
        job.completed = int(getattr(counts, "completed", 0) or 0)
        job.failed = int(getattr(counts, "failed", 0) or 0)
        job.total = int(getattr(counts, "total", 0) or 0)


async def apoll_batch(
    openai_client: Any,
    job: BatchJob,
    *,
    poll_s: float = 30.0,
    max_poll_s: float | None = None,
    timeout_s: float | None = None,
    on_progress: Callable[[BatchJob], None] | None = None,
) -> BatchJob:
    """Poll until the batch ends (completed, failed, expired, cancelled) or ``timeout_s``.

    The wait between polls starts at ``poll_s`` and doubles up to ``max_poll_s`` (default: 10 x
    ``poll_s``): a batch takes minutes to hours, and polling it every few seconds only burns
    requests. ``on_progress`` receives the job after every poll (e.g. to print its progress line).
    """
    if poll_s < 0:
        raise ConfigError(f"poll_s must be >= 0, got {poll_s}")
    ceiling = 10 * poll_s if max_poll_s is None else max_poll_s
    wait = poll_s
    start = time.monotonic()
    while True:
        _update(job, await openai_client.batches.retrieve(job.batch_id))
        if on_progress is not None:
            on_progress(job)
        if job.done:
            return job
        if timeout_s is not None and time.monotonic() - start + wait > timeout_s:
            return job
        await asyncio.sleep(wait)
        wait = min(max(wait * 2, poll_s), ceiling)


async def adownload(openai_client: Any, file_id: str) -> str:
    """Text of a Batch output or error file."""
    content = await openai_client.files.content(file_id)
    return str(content.text)


def iter_lines(source: str | Path | Iterable[str]) -> Iterable[str]:
    """Lines of a Batch file: a Path is read, a str is the file's text, else lines as given."""
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8").splitlines()
    if isinstance(source, str):
        return source.splitlines()
    return source


@dataclass
class BatchLine:
    """One output or error line: the chat completion ``body`` when it succeeded, else ``error``."""

    custom_id: str
    body: dict[str, Any] | None
    error: str | None
    request_id: str = ""

    @property
    def usage(self) -> Usage:
        return Usage.from_openai((self.body or {}).get("usage"))


def read_batch_lines(source: str | Path | Iterable[str]) -> list[BatchLine]:
    """Every line of an output or error file; malformed lines are reported, not raised."""
    out = []
    for number, raw in enumerate(iter_lines(source), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.append(BatchLine(f"<line {number}>", None, f"unreadable output line: {exc}"))
            continue
        key = str(line.get("custom_id", ""))
        response = line.get("response") or {}
        body = response.get("body") or None
        if line.get("error"):
            err = line["error"]
            error: str | None = f"{err.get('code', 'error')}: {err.get('message', '')}"
            body = None
        elif response.get("status_code") != 200:
            err = (body or {}).get("error") or {}
            error = f"http {response.get('status_code')}: {err.get('message', '')}".strip()
            body = None
        elif not isinstance(body, dict):
            error = "the response has no body"
        else:
            error = None
        out.append(BatchLine(key, body, error, str(line.get("id", ""))))
    return out
