"""Batch API path for large labeling jobs: request files, submit/poll/download, parse back.

Requests carry ``custom_id`` = the checkpoint key (sha256 of the prompt), so outputs and error
lines are matched back by it and land in the same checkpoint as live labels, priced at the
pool's batch discount. The request body is the one a live structured call sends: the same
messages and the ``response_format`` the openai SDK derives from the label schema.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routerlab.batch_api import (
    ENDPOINT,
    MAX_BYTES_PER_FILE,
    MAX_REQUESTS_PER_FILE,
    TERMINAL,
    BatchJob,
    adownload,
    apoll_batch,
    asubmit_batch,
    batch_request,
    iter_lines,
    write_batch_files,
)
from routerlab.errors import LLMError, RouterlabError
from routerlab.labeling.checkpoint import ERROR, OK, Checkpoint, normalize_prompt, prompt_key
from routerlab.labeling.labeler import LabelConfig
from routerlab.labeling.prompt import build_messages, render_system_prompt
from routerlab.labeling.schema import label_schema, response_format_param
from routerlab.pool import Pool
from routerlab.usage import Usage

__all__ = [
    "ENDPOINT",
    "MAX_BYTES_PER_FILE",
    "MAX_REQUESTS_PER_FILE",
    "TERMINAL",
    "BatchJob",
    "BatchParseResult",
    "adownload",
    "apoll_batch",
    "arun_batch",
    "asubmit_batch",
    "build_batch_requests",
    "parse_batch_output",
    "write_batch_files",
]


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
        requests[key] = batch_request(key, body)
    return list(requests.values())


@dataclass
class BatchParseResult:
    """Counts from parsing one output (or error) file into a checkpoint."""

    ok: int = 0
    errors: int = 0
    skipped_done: int = 0  # already labeled in the checkpoint: not written twice
    unknown_ids: int = 0  # custom_id not among the prompts given
    cost_usd: float = 0.0
    messages: list[str] = field(default_factory=list)


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
    for raw in iter_lines(source):
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
# (upload, create, poll and download live in routerlab.batch_api, shared with the harness)


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
