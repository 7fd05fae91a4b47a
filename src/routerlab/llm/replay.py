"""Record calls of any client to a JSONL file and serve them back without a model or network.

A request is identified by :func:`request_key`: the sha256 of the canonical JSON of the model,
messages, temperature, token limits, extra fields and the response schema. :class:`Recorder`
appends one line per successful call (never rewriting the file); :class:`ReplayClient` answers
from those lines and raises ``LLMError(kind="replay_miss")`` for a request it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult, Message
from routerlab.pool import Pool
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)

RECORD_VERSION = 1
_SUMMARY_CHARS = 300  # messages are summarized in the file; the key covers them in full


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_key(
    model: str,
    messages: list[Message],
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    max_completion_tokens: int | None = None,
    response_format: type[BaseModel] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """sha256 hex digest identifying a request (the same for the recorder and the replayer)."""
    payload = {
        "model": model,
        "messages": messages,
        # 0 and 0.0 must give the same key
        "temperature": None if temperature is None else float(temperature),
        "max_tokens": max_tokens,
        "max_completion_tokens": max_completion_tokens,
        "response_format": (
            None if response_format is None else _canonical(response_format.model_json_schema())
        ),
        "extra": extra or {},
    }
    return hashlib.sha256(_canonical(payload).encode("utf-8")).hexdigest()


def _summarize(messages: list[Message]) -> list[dict[str, str]]:
    summary = []
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else _canonical(content)
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

    async def acomplete(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_completion_tokens: int | None = None,
        response_format: type[T] | None = None,
        extra: dict[str, Any] | None = None,
        cacheable: bool | None = None,
    ) -> ChatResult[T]:
        """As :meth:`ChatClient.acomplete`; ``cacheable`` is forwarded to the wrapped client (a
        response cache inside the recorder)."""
        self._validate(model, messages, temperature)
        return await self._record(
            model,
            list(messages),
            cacheable=cacheable,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra or {},
        )

    async def _acomplete(
        self,
        model: str,
        messages: list[Message],
        *,
        temperature: float | None,
        max_tokens: int | None,
        max_completion_tokens: int | None,
        response_format: type[T] | None,
        extra: dict[str, Any],
    ) -> ChatResult[T]:
        return await self._record(
            model,
            messages,
            cacheable=None,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra,
        )

    async def _record(
        self,
        model: str,
        messages: list[Message],
        *,
        cacheable: bool | None,
        temperature: float | None,
        max_tokens: int | None,
        max_completion_tokens: int | None,
        response_format: type[T] | None,
        extra: dict[str, Any],
    ) -> ChatResult[T]:
        result: ChatResult[T] = await self.inner.acomplete(
            model,
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra,
            cacheable=cacheable,
        )
        key = request_key(
            model,
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra,
        )
        record = {
            "v": RECORD_VERSION,
            "key": key,
            "request": {
                "model": model,
                "messages": _summarize(messages),
                "temperature": temperature,
                "max_tokens": max_tokens,
                "max_completion_tokens": max_completion_tokens,
                "response_format": None if response_format is None else response_format.__name__,
                "extra": extra,
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
        line = _canonical(record) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return result

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

    async def _acomplete(
        self,
        model: str,
        messages: list[Message],
        *,
        temperature: float | None,
        max_tokens: int | None,
        max_completion_tokens: int | None,
        response_format: type[T] | None,
        extra: dict[str, Any],
    ) -> ChatResult[T]:
        start = time.perf_counter()
        key = request_key(
            model,
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            max_completion_tokens=max_completion_tokens,
            response_format=response_format,
            extra=extra,
        )
        record = self._records.get(key)
        if record is None:
            raise LLMError(
                f"no recorded response for request {key[:16]}... (model {model!r}) in {self.path} "
                f"({len(self._records)} recorded); record it first with a Recorder",
                kind="replay_miss",
            )
        parsed: T | None = None
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
        return ChatResult(
            text=str(record.get("text", "")),
            model=model,
            backend=self.backend,
            usage=usage,
            latency_s=time.perf_counter() - start,
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
