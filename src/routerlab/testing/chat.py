"""A scripted chat client: the backend interface with answers chosen by the test, no model.

Every request is recorded (``client.calls``, as :class:`~routerlab.llm.request.LLMRequest`), with
the caller's ``cacheable`` wish (``client.cacheable``) and the peak number of calls in flight
(``client.peak``), so tests check counts and order instead of timing. Streamed calls
(``client.astream``) are recorded the same way and flagged in ``client.streamed``.
:func:`fail_first` scripts an upstream that fails a given number of times, then answers.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult, OnResult
from routerlab.llm.request import LLMRequest
from routerlab.pool import Pool
from routerlab.usage import Usage

# What a script step may be: the text (parsed into the response_format when one is asked for),
# a dict or Pydantic object (the structured answer), a whole ChatResult, or an exception to raise.
Reply = str | dict[str, Any] | BaseModel | ChatResult[Any] | BaseException
Script = Reply | Sequence[Reply] | Callable[[LLMRequest], Reply]

# A streamed answer arrives word by word (each word with the spaces after it), as several deltas.
_DELTA = re.compile(r"\s*\S+\s*|\s+")


def fail_first(
    n: int, error: BaseException | Callable[[], BaseException], then: Script = "ok"
) -> Callable[[LLMRequest], Reply]:
    """A script whose first ``n`` calls raise ``error`` (an exception, or a function making a
    fresh one each time) and whose later calls answer from ``then`` (a reply, or a function of
    the request). A flaky upstream is ``fail_first(1, ...)``; one that is down, a large ``n``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ConfigError(f"n must be an integer >= 0, got {n!r}")
    if isinstance(then, (list, tuple)):
        raise ConfigError("then must be one reply or a function of the request, not a list")
    failed = 0

    def script(request: LLMRequest) -> Reply:
        nonlocal failed
        if failed < n:
            failed += 1
            return error if isinstance(error, BaseException) else error()
        if callable(then) and not isinstance(then, type):
            return then(request)
        return then  # type: ignore[return-value]

    return script


class ScriptedChatClient(ChatClient):
    """Answers every request from ``replies``.

    ``replies`` is one reply for every call, a list served in order (a call past its end raises
    an AssertionError naming how many were scripted), or a function of the request. A text reply
    to a structured call (``response_format``) is validated into it (``parse=False`` leaves
    ``parsed`` None, as a backend that returns plain JSON text would); text that does not
    validate raises ``LLMError(kind="invalid_output")``, as the OpenAI backend does.
    ``delay_s`` awaits before answering (to let calls overlap; tests then read ``peak``).
    A streamed call answers from the same script, its text sent word by word as several deltas
    (none for an empty text); a scripted exception is raised before the first delta.
    Cost is the pool's price of ``usage`` for the requested model, or ``cost_usd`` when given.
    """

    def __init__(
        self,
        replies: Script = "ok",
        *,
        pool: Pool | None = None,
        backend: str = "scripted",
        stand_in: bool = False,
        usage: Usage | None = None,
        cost_usd: float | None = None,
        latency_s: float = 0.01,
        parse: bool = True,
        delay_s: float = 0.0,
    ) -> None:
        if pool is None:
            from routerlab.pool import load_pool

            pool = load_pool()
        super().__init__(pool)
        self.replies = replies
        self.backend = backend
        self.stand_in = stand_in
        self.usage = usage if usage is not None else Usage(prompt_tokens=100, completion_tokens=2)
        self.cost_usd = cost_usd
        self.latency_s = latency_s
        self.parse = parse
        self.delay_s = delay_s
        self.calls: list[LLMRequest] = []
        self.cacheable: list[bool | None] = []
        self.streamed: list[bool] = []
        self.active = 0
        self.peak = 0

    # -- what tests read -----------------------------------------------------------------------

    @property
    def models(self) -> list[str]:
        """The model of each call, in call order."""
        return [request.model for request in self.calls]

    def prompts(self) -> list[str]:
        """The last message's text of each call, in call order."""
        return [str(request.messages[-1].get("content", "")) for request in self.calls]

    # -- the backend interface -----------------------------------------------------------------

    async def _asend(self, request: LLMRequest, cacheable: bool | None) -> ChatResult[Any]:
        self.cacheable.append(cacheable)
        return await self._acomplete(request)

    async def _astream(
        self, request: LLMRequest, on_result: OnResult, cacheable: bool | None
    ) -> AsyncIterator[str]:
        self.cacheable.append(cacheable)
        result = await self._scripted(request, stream=True)
        for delta in _DELTA.findall(result.text):
            yield delta
        if on_result is not None:
            on_result(result)

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        return await self._scripted(request, stream=False)

    async def _scripted(self, request: LLMRequest, *, stream: bool) -> ChatResult[Any]:
        """Record the call (and whether it streams), then answer it from the script."""
        index = len(self.calls)
        self.calls.append(request)
        self.streamed.append(stream)
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            reply = self._reply(request, index)
        finally:
            self.active -= 1
        return self._result(request, reply)

    def _reply(self, request: LLMRequest, index: int) -> Reply:
        script = self.replies
        if callable(script) and not isinstance(script, type):
            return script(request)
        if isinstance(script, (list, tuple)):
            if index >= len(script):
                raise AssertionError(
                    f"{self.backend}: call {index + 1} (model {request.model!r}) but only "
                    f"{len(script)} replies were scripted"
                )
            return script[index]
        return script  # type: ignore[return-value]

    def _result(self, request: LLMRequest, reply: Reply) -> ChatResult[Any]:
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, ChatResult):
            return reply
        schema = request.response_format
        parsed: BaseModel | None = None
        if isinstance(reply, BaseModel):
            parsed, text = reply, reply.model_dump_json()
        elif isinstance(reply, dict):
            text = json.dumps(reply)
            if schema is not None and self.parse:
                parsed = self._validate(schema, reply, text)
        elif isinstance(reply, str):
            text = reply
            if schema is not None and self.parse:
                parsed = self._validate(schema, None, text)
        else:
            raise ConfigError(
                f"a scripted reply must be text, a dict, a Pydantic object, a ChatResult or an "
                f"exception, got {type(reply).__name__}"
            )
        cost = (
            self.cost_usd
            if self.cost_usd is not None
            else self.pool.cost(request.model, self.usage)
        )
        return ChatResult(
            text=text,
            model=request.model,
            backend=self.backend,
            usage=self.usage,
            latency_s=self.latency_s,
            cost_usd=cost,
            parsed=parsed,
            finish_reason="stop",
            stand_in=self.stand_in,
        )

    def _validate(
        self, schema: type[BaseModel], data: dict[str, Any] | None, text: str
    ) -> BaseModel:
        try:
            return (
                schema.model_validate(data)
                if data is not None
                else schema.model_validate_json(text)
            )
        except ValidationError as exc:
            raise LLMError(
                f"{self.backend}: scripted reply does not validate as {schema.__name__}: {exc}",
                kind="invalid_output",
            ) from exc
