"""Batch API path for large labeling jobs: request files, submit/poll/download, parse back.

Requests carry ``custom_id`` = the checkpoint key (sha256 of the prompt), so outputs and error
lines are matched back by it and land in the same checkpoint as live labels, priced at the
pool's batch discount. The request body is the one a live structured call sends: the same
messages and the ``response_format`` the openai SDK derives from the label schema.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routerlab.errors import LLMError, RouterlabError
from routerlab.labeling.checkpoint import ERROR, OK, Checkpoint, normalize_prompt, prompt_key
from routerlab.labeling.labeler import LabelConfig
from routerlab.labeling.prompt import build_messages, render_system_prompt
from routerlab.labeling.schema import label_schema, response_format_param
from routerlab.pool import Pool
from routerlab.usage import Usage

ENDPOINT = "/v1/chat/completions"
MAX_REQUESTS_PER_FILE = 50_000  # the Batch API's per-file limits
MAX_BYTES_PER_FILE = 190 * 1024 * 1024  # under the 200 MB cap, leaving room
TERMINAL = {"completed", "failed", "expired", "cancelled"}


def build_batch_requests(
    prompts: Iterable[str],
    pool: Pool,
    config: LabelConfig | None = None,
    *,
    skip: set[str] | frozenset[str] = frozenset(),
    system_prompt: str | None = None,
) -> list[dict[str, Any]]:
    """One request per distinct prompt not in ``skip`` (keys), as the Batch API wants them."""
    cfg = config or LabelConfig()
    spec = pool[cfg.judge]
    system = system_prompt if system_prompt is not None else render_system_prompt(pool)
    fmt = response_format_param(pool)
    out_tokens = cfg.output_tokens(pool)
    requests: dict[str, dict[str, Any]] = {}
    for prompt in prompts:
        text = normalize_prompt(str(prompt))
        key = prompt_key(text)
        if key in skip or key in requests:
            continue
        body: dict[str, Any] = {
            "model": cfg.judge,
            "messages": build_messages(text, pool, system_prompt=system),
            "response_format": fmt,
        }
        if spec.temperature:
            body["temperature"] = cfg.temperature
            body["max_tokens"] = out_tokens
        else:
            body["max_completion_tokens"] = out_tokens
        requests[key] = {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}
    return list(requests.values())


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
class BatchParseResult:
    """Counts from parsing one output (or error) file into a checkpoint."""

    ok: int = 0
    errors: int = 0
    skipped_done: int = 0  # already labeled in the checkpoint: not written twice
    unknown_ids: int = 0  # custom_id not among the prompts given
    cost_usd: float = 0.0
    messages: list[str] = field(default_factory=list)


def _iter_lines(source: str | Path | Iterable[str]) -> Iterable[str]:
    # A Path is a file to read; a str is the file's text (as downloaded); else an iterable of lines.
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8").splitlines()
    if isinstance(source, str):
        return source.splitlines()
    return source  # type: ignore[return-value]


def _parse_body(body: Mapping[str, Any], pool: Pool) -> tuple[str | None, str]:
    """(label, error) from a chat completion body."""
    choices = body.get("choices") or []
    if not choices:
        return None, "no choices in response body"
    message = choices[0].get("message") or {}
    if message.get("refusal"):
        return None, f"refusal: {message['refusal']}"
    try:
        parsed = label_schema(pool).model_validate_json(message.get("content") or "")
    except ValidationError as exc:
        return None, f"invalid output: {exc.errors()[0].get('msg', 'schema mismatch')}"
    return parsed.label, ""


def parse_batch_output(
    source: str | Path | Iterable[str],
    checkpoint: Checkpoint,
    pool: Pool,
    prompts_by_key: Mapping[str, str],
    *,
    judge: str,
) -> BatchParseResult:
    """Record each output or error line of a Batch API file in ``checkpoint`` by ``custom_id``.

    ``source`` is a :class:`~pathlib.Path` to the file, its text as a ``str``, or its lines.

    Successful lines are priced with ``pool.cost(judge, usage, batch=True)``. Lines for keys
    the checkpoint already has a label for are skipped (exactly once).
    """
    result = BatchParseResult()
    for raw in _iter_lines(source):
        if not raw.strip():
            continue
        line = json.loads(raw)
        key = str(line.get("custom_id", ""))
        if key not in prompts_by_key:
            result.unknown_ids += 1
            continue
        if key in checkpoint.done:
            result.skipped_done += 1
            continue
        response = line.get("response") or {}
        body = response.get("body") or {}
        record: dict[str, Any] = {
            "key": key,
            "prompt": prompts_by_key[key],
            "judge": judge,
            "source": "batch",
            "batch_request_id": line.get("id", ""),
            "time": time.time(),
        }
        label, error = None, ""
        if line.get("error"):
            err = line["error"]
            error = f"{err.get('code', 'error')}: {err.get('message', '')}"
        elif response.get("status_code") != 200:
            err = body.get("error") or {}
            error = f"http {response.get('status_code')}: {err.get('message', '')}".strip()
        else:
            label, error = _parse_body(body, pool)
        usage = Usage.from_openai(body.get("usage")) if body else Usage()
        cost = pool.cost(judge, usage, batch=True)
        result.cost_usd += cost
        record |= {"usage": usage.to_dict(), "cost_usd": cost}
        if label is not None:
            record |= {"label": label, "status": OK}
            result.ok += 1
        else:
            record |= {"label": None, "status": ERROR, "error": error}
            result.errors += 1
            result.messages.append(f"{key[:12]}: {error}")
        checkpoint.append(record)
    return result


# ----------------------------------------------------------------------------- live round trip


@dataclass
class BatchJob:
    """A submitted batch, saved beside the checkpoint so a re-run polls instead of resubmitting."""

    batch_id: str
    input_file_id: str
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BatchJob | None:
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


async def asubmit_batch(openai_client: Any, requests_path: str | Path) -> BatchJob:
    """Upload a request file and create a batch on ``/v1/chat/completions`` (24 h window)."""
    with open(requests_path, "rb") as handle:
        uploaded = await openai_client.files.create(file=handle, purpose="batch")
    batch = await openai_client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
    )
    return BatchJob(batch_id=batch.id, input_file_id=uploaded.id, status=batch.status)


async def apoll_batch(
    openai_client: Any, job: BatchJob, *, poll_s: float = 30.0, timeout_s: float | None = None
) -> BatchJob:
    """Poll until the batch ends (completed, failed, expired, cancelled) or ``timeout_s``."""
    start = time.monotonic()
    while True:
        batch = await openai_client.batches.retrieve(job.batch_id)
        job.status = batch.status
        job.output_file_id = getattr(batch, "output_file_id", None)
        job.error_file_id = getattr(batch, "error_file_id", None)
        if job.status in TERMINAL:
            return job
        if timeout_s is not None and time.monotonic() - start > timeout_s:
            return job
        await asyncio.sleep(poll_s)


async def adownload(openai_client: Any, file_id: str) -> str:
    """Text of a Batch output or error file."""
    content = await openai_client.files.content(file_id)
    return str(content.text)


async def arun_batch(
    openai_client: Any,
    prompts: Sequence[str],
    checkpoint_path: str | Path,
    pool: Pool,
    config: LabelConfig | None = None,
    *,
    poll_s: float = 30.0,
    timeout_s: float | None = None,
) -> tuple[BatchJob, BatchParseResult | None]:
    """Submit (or resume) a batch for the prompts not yet labeled, wait, and parse it back.

    The job is saved to ``<checkpoint>.batch.json``; running again with the same checkpoint
    resumes polling that job. Returns the job and, once it ended, the parse counts.
    """
    cfg = config or LabelConfig()
    checkpoint_path = Path(checkpoint_path)
    state = checkpoint_path.with_name(checkpoint_path.name + ".batch.json")
    texts = {prompt_key(normalize_prompt(str(p))): normalize_prompt(str(p)) for p in prompts}
    job = BatchJob.load(state)
    if job is None:
        with Checkpoint.open(checkpoint_path) as checkpoint:
            requests = build_batch_requests(texts.values(), pool, cfg, skip=checkpoint.done)
        if not requests:
            return BatchJob("", "", status="completed"), BatchParseResult()
        files = write_batch_files(
            requests, checkpoint_path.with_name(checkpoint_path.name + ".requests.jsonl")
        )
        if len(files) > 1:
            raise RouterlabError(
                f"{len(requests)} requests need {len(files)} batch files; submit them in parts "
                f"(--limit) — one batch job per checkpoint is tracked"
            )
        job = await asubmit_batch(openai_client, files[0])
        job.save(state)
    job = await apoll_batch(openai_client, job, poll_s=poll_s, timeout_s=timeout_s)
    job.save(state)
    if job.status not in TERMINAL:
        return job, None
    result = BatchParseResult()
    with Checkpoint.open(checkpoint_path) as checkpoint:
        for file_id in (job.output_file_id, job.error_file_id):
            if file_id:
                text = await adownload(openai_client, file_id)
                part = parse_batch_output(text, checkpoint, pool, texts, judge=cfg.judge)
                result.ok += part.ok
                result.errors += part.errors
                result.skipped_done += part.skipped_done
                result.unknown_ids += part.unknown_ids
                result.cost_usd += part.cost_usd
                result.messages += part.messages
    if job.status != "completed" and not result.ok:
        raise LLMError(f"batch {job.batch_id} ended {job.status!r} with no outputs", kind="batch")
    state.unlink(missing_ok=True)  # done: a later run starts a fresh batch for what is left
    return job, result
