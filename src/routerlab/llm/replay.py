"""Record calls of any client to a JSONL file and serve them back without a model or network.

A request is identified by its key (:meth:`LLMRequest.key`, also :func:`request_key`): the sha256
of the canonical JSON of the model, messages, temperature, token limits, extra fields and the
response schema. :class:`Recorder` appends one line per successful call (never rewriting the
file); :class:`ReplayClient` answers from those lines and raises ``LLMError(kind="replay_miss")`` for a request it has not seen.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult
from routerlab.llm.request import LLMRequest, Message, canonical_json, request_key
from routerlab.pool import Pool
from routerlab.usage import Usage

__all__ = ["Recorder", "ReplayClient", "request_key"]

RECORD_VERSION = 1
_SUMMARY_CHARS = 300  # messages are summarized in the file; the key covers them in full


def _summarize(messages: Sequence[Message]) -> list[dict[str, str]]:
    summary = []
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else canonical_json(content)
        if len(text) > _SUMMARY_CHARS:
            text = text[:_SUMMARY_CHARS] + f"... [{len(text)} chars]"
        summary.append({"role": str(message.get("role", "")), "content": text})
    return summary


class Recorder(ChatClient):
    """Wraps any client; appends one JSONL line per successful call to ``path``.

    Safe with concurrent calls, from tasks or threads: each line is written whole under a lock.
    Calls behave exactly as the wrapped client's (same result, same errors, nothing recorded
    for a failure).
    """

    def __init__(self, inner: ChatClient, path: str | Path) -> None:
        super().__init__(inner.pool)
        self.inner = inner
        self.path = Path(path)
        self.backend = inner.backend
        self.stand_in = inner.stand_in
        self._lock = threading.Lock()

    async def _asend(self, request: LLMRequest, cacheable: bool | None) -> ChatResult[Any]:
        # cacheable is forwarded: a response cache inside the recorder reads it
        result: ChatResult[Any] = await self.inner.asend(request, cacheable=cacheable)
        record = {
            "v": RECORD_VERSION,
            "key": request.key(),
            "request": {
                **request.payload(),
                "messages": _summarize(request.messages),
                "response_format": (
                    None if request.response_format is None else request.response_format.__name__
                ),
            },
            "text": result.text,
            "parsed": None if result.parsed is None else result.parsed.model_dump(mode="json"),
            "usage": result.usage.to_dict(),
            "cost_usd": result.cost_usd,
            "model": result.model,
            "backend": result.backend,
            "stand_in": result.stand_in,
            "finish_reason": result.finish_reason,
            "latency_s": result.latency_s,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        line = canonical_json(record) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return result

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        return await self._asend(request, None)

    def cache_stats(self) -> dict[str, Any] | None:
        return self.inner.cache_stats()

    async def aclose(self) -> None:
        await self.inner.aclose()


class ReplayClient(ChatClient):
    """Serves the calls recorded in a JSONL file; an unseen request raises ``replay_miss``.

    When a request was recorded more than once, the last recording wins. Results carry the
    recorded usage, cost, ``stand_in`` flag and finish reason, and the latency of the replay
    itself; ``raw`` keeps the recorded backend and latency.
    """

    def __init__(self, pool: Pool, path: str | Path) -> None:
        super().__init__(pool)
        self.path = Path(path)
        self.backend = f"replay {self.path}"
        self._records = self._read(self.path)

    @staticmethod
    def _read(path: Path) -> dict[str, dict[str, Any]]:
        if not path.is_file():
            raise ConfigError(
                f"replay file not found: {path}; record one with make_client(..., record_path=...)"
            )
        records: dict[str, dict[str, Any]] = {}
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    records[str(record["key"])] = record
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise ConfigError(f"{path}:{number}: not a replay record ({exc})") from None
        return records

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, key: object) -> bool:
        return key in self._records

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        start = time.perf_counter()
        model, response_format = request.model, request.response_format
        key = request.key()
        record = self._records.get(key)
        if record is None:
            raise LLMError(
                f"no recorded response for request {key[:16]}... (model {model!r}) in {self.path} "
                f"({len(self._records)} recorded); record it first with a Recorder",
                kind="replay_miss",
            )
        parsed: BaseModel | None = None
        if response_format is not None:
            try:
                if record.get("parsed") is not None:
                    parsed = response_format.model_validate(record["parsed"])
                else:
                    parsed = response_format.model_validate_json(record["text"])
            except ValidationError as exc:
                raise LLMError(
                    f"recorded response {key[:16]}... in {self.path} does not validate as "
                    f"{response_format.__name__}: {exc}",
                    kind="invalid_output",
                ) from exc
        usage = Usage(**record.get("usage", {}))
        cost = record.get("cost_usd")
        return self._priced(
            model,
            str(record.get("text", "")),
            usage,
            time.perf_counter() - start,
            cost_usd=float(cost) if cost is not None else self.pool.cost(model, usage),
            parsed=parsed,
            finish_reason=record.get("finish_reason"),
            stand_in=bool(record.get("stand_in", False)),
            raw={
                "key": key,
                "recorded_backend": record.get("backend"),
                "recorded_latency_s": record.get("latency_s"),
            },
        )
