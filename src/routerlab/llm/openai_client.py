"""OpenAI and OpenAI-compatible servers through the official ``openai`` SDK.

The SDK client is built on first use, never at import, so importing routerlab needs no key.
Retries (429, 5xx, timeouts, connection errors) and timeouts are the SDK's own, configured from
:class:`~routerlab.llm.base.ClientSettings`; whatever still fails becomes an
:class:`~routerlab.errors.LLMError` whose ``kind`` says what went wrong.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult, ClientSettings, OnResult
from routerlab.llm.request import LLMRequest
from routerlab.pool import Pool
from routerlab.redact import redact_urls
from routerlab.usage import Usage

if TYPE_CHECKING:
    import openai

API_KEY_ENV = "OPENAI_API_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"
# OpenAI-compatible servers (vLLM, llama.cpp, Ollama) often need no key, but the SDK insists on one.
PLACEHOLDER_KEY = "not-needed"


def _map_error(exc: Exception, where: str) -> LLMError:
    """Turn an SDK (or validation) exception into an LLMError with a ``kind`` and ``status``."""
    import openai

    # Order matters: APITimeoutError is an APIConnectionError, RateLimitError an APIStatusError.
    if isinstance(exc, openai.APITimeoutError):
        return LLMError(f"{where}: request timed out after retries", kind="timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(f"{where}: could not connect ({exc})", kind="connection")
    if isinstance(exc, openai.RateLimitError):
        return LLMError(
            f"{where}: rate limited after retries: {exc}", kind="rate_limit", status=429
        )
    if isinstance(exc, openai.AuthenticationError):
        return LLMError(
            f"{where}: authentication failed (check {API_KEY_ENV} or api_key): {exc}",
            kind="bad_request",
            status=exc.status_code,
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        kind = "bad_request" if 400 <= status < 500 else "api_error"
        return LLMError(f"{where}: HTTP {status}: {exc}", kind=kind, status=status)
    if isinstance(exc, openai.LengthFinishReasonError):
        return LLMError(
            f"{where}: output was cut at the token limit before the structured answer was "
            "complete; raise max_tokens / max_completion_tokens",
            kind="invalid_output",
        )
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return LLMError(f"{where}: the content filter stopped the answer", kind="refusal")
    if isinstance(exc, ValidationError):
        return LLMError(
            f"{where}: output does not match the response schema: {exc}", kind="invalid_output"
        )
    return LLMError(f"{where}: {type(exc).__name__}: {exc}", kind="api_error")


class OpenAIClient(ChatClient):
    """Chat completions on OpenAI (key from ``OPENAI_API_KEY``) or any OpenAI-compatible server.

    ``http_client`` (an ``httpx2.AsyncClient``) is handed to the SDK as is: tests pass one with a
    ``MockTransport``. Without one, a fresh SDK client is built for each event loop, because the
    sync wrapper runs every call on its own loop and pooled connections cannot cross loops.
    """

    def __init__(
        self,
        pool: Pool,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        settings: ClientSettings | None = None,
        http_client: Any | None = None,
    ) -> None:
        super().__init__(pool)
        # The SDK would read $OPENAI_BASE_URL itself; resolving it here keeps ``backend`` honest.
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        self._api_key = api_key  # never logged or put in a message
        self.settings = settings or ClientSettings()
        self._http_client = http_client
        # ``backend`` lands in tables, caches, logs and error messages: never with credentials.
        self.backend = (
            "openai" if self.base_url is None else f"openai-compatible {redact_urls(self.base_url)}"
        )
        self._client: openai.AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # -- the SDK client ------------------------------------------------------------------------

    def _resolve_key(self) -> str:
        key = self._api_key or os.environ.get(API_KEY_ENV)
        if key:
            return key
        if self.base_url is not None:
            return PLACEHOLDER_KEY
        raise ConfigError(
            f"no OpenAI API key: set {API_KEY_ENV} (or pass api_key=...), or pass base_url=... "
            "for an OpenAI-compatible server; the offline profile needs neither"
        )

    def _sdk(self) -> openai.AsyncOpenAI:
        """The SDK client for the running event loop, built on first use."""
        loop = asyncio.get_running_loop()
        stale = self._http_client is None and self._client_loop is not loop
        if self._client is None or stale:
            import openai

            self._client = openai.AsyncOpenAI(
                api_key=self._resolve_key(),
                base_url=self.base_url,
                timeout=self.settings.timeout_s,
                max_retries=self.settings.max_retries,
                http_client=self._http_client,
            )
            self._client_loop = loop
        return self._client

    # -- calls ---------------------------------------------------------------------------------

    @staticmethod
    def _params(request: LLMRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": request.model, "messages": request.message_list()}
        # Only what the caller set is sent: the gateway decides what a model accepts.
        if request.temperature is not None:
            params["temperature"] = request.temperature
        if request.max_tokens is not None:
            params["max_tokens"] = request.max_tokens
        if request.max_completion_tokens is not None:
            params["max_completion_tokens"] = request.max_completion_tokens
        if request.extra:
            # extra_body merges any field into the JSON body, known to this SDK version or not.
            params["extra_body"] = dict(request.extra)
        return params

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        params = self._params(request)
        model, response_format = request.model, request.response_format
        where = f"{self.backend} {model}"
        client = self._sdk()
        start = time.perf_counter()
        try:
            if response_format is not None:
                # parse() sends the Pydantic model's strict JSON schema as response_format and
                # validates the reply into it.
                completion: Any = await client.chat.completions.parse(
                    response_format=response_format, **params
                )
            else:
                completion = await client.chat.completions.create(**params)
        except Exception as exc:
            raise _map_error(exc, where) from exc
        latency = time.perf_counter() - start

        if not completion.choices:
            raise LLMError(f"{where}: the response has no choices", kind="api_error")
        choice = completion.choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise LLMError(f"{where}: the model refused: {message.refusal}", kind="refusal")
        parsed = getattr(message, "parsed", None) if response_format is not None else None
        if response_format is not None and parsed is None:
            raise LLMError(
                f"{where}: no structured output for {response_format.__name__} "
                f"(content: {message.content!r})",
                kind="invalid_output",
            )
        usage = Usage.from_openai(completion.usage)
        return self._priced(
            model,
            message.content or "",
            usage,
            latency,
            parsed=parsed,
            finish_reason=choice.finish_reason,
            stand_in=False,
            raw=completion.model_dump(mode="json", warnings=False),
        )

    async def _astream(
        self, request: LLMRequest, on_result: OnResult, cacheable: bool | None
    ) -> AsyncIterator[str]:
        """Yield text deltas as the server streams them (``stream=True``).

        Usage arrives in the last chunk (``stream_options.include_usage``); ``on_result``, when
        given, receives the whole :class:`ChatResult` (text, usage, cost, latency) at the end.
        Structured output is not streamed: with ``response_format`` the parsed answer is yielded
        whole, as the base class does.
        """
        if request.response_format is not None:
            async for whole in super()._astream(request, on_result, cacheable):
                yield whole
            return

        model = request.model
        params = self._params(request)
        params.setdefault("stream_options", {"include_usage": True})
        where = f"{self.backend} {model}"
        client = self._sdk()
        start = time.perf_counter()
        parts: list[str] = []
        usage_data: Any = None
        finish_reason: str | None = None
        try:
            stream = await client.chat.completions.create(stream=True, **params)
            async for chunk in stream:
                if chunk.usage is not None:
                    usage_data = chunk.usage
                for choice in chunk.choices:
                    if choice.finish_reason is not None:
                        finish_reason = choice.finish_reason
                    if getattr(choice.delta, "refusal", None):
                        raise LLMError(
                            f"{where}: the model refused: {choice.delta.refusal}", kind="refusal"
                        )
                    delta = choice.delta.content
                    if delta:
                        parts.append(delta)
                        yield delta
        except LLMError:
            raise
        except Exception as exc:
            raise _map_error(exc, where) from exc
        if on_result is not None:
            usage = Usage.from_openai(usage_data)
            latency = time.perf_counter() - start
            on_result(
                self._priced(model, "".join(parts), usage, latency, finish_reason=finish_reason)
            )

    async def aclose(self) -> None:
        """Close the SDK client (and with it an ``http_client`` it was given)."""
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._client_loop = None
