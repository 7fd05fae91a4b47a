"""The gateway: from a request and a chosen model to an API call, and from the call to a routed
response.

The gateway owns three jobs the routers do not:

* **files** (:mod:`routerlab.gateway.files`): checked before any call, sent as content parts.
* **capability-aware parameters**: the pool's rules
  (:meth:`Pool.call_params <routerlab.pool.Pool.call_params>`): reasoning models get no
  temperature and take ``max_completion_tokens`` (their budget includes hidden reasoning).
* **never crash a batch**: the judge routers fall back on their own; anything else that fails for
  one request becomes that item's ``error`` and the batch goes on.

Upstream calls run under one retry policy (:mod:`routerlab.retry`); the HTTP server answers
through :meth:`Gateway.acomplete` and :meth:`Gateway.aopen_stream` too.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from routerlab.asyncutil import run_sync
from routerlab.errors import ConfigError
from routerlab.gateway.decisions import fit_decision, policy_of
from routerlab.gateway.files import (
    CheckedFile,
    FileUploader,
    PdfMode,
    check_capability,
    check_files,
    content_parts,
)
from routerlab.gateway.response import RoutedResponse, failed_response, routed_response
from routerlab.llm.base import ChatClient, ChatResult, Message
from routerlab.llm.cache import is_cacheable
from routerlab.pool import Pool
from routerlab.request import RouteRequest
from routerlab.retry import RetryPolicy
from routerlab.routers.base import Decision, Router

# Prompts longer than this are token-counted in a worker thread (the event loop keeps serving).
COUNT_OFFLOAD_CHARS = 50_000


class Gateway:
    """Route a request with ``router`` and answer it with the chosen model through ``client``.

    ``max_output_tokens`` caps answers of ordinary models; ``reasoning_max_output_tokens`` caps
    reasoning models, whose budget must also cover their hidden reasoning. ``retry`` is the
    upstream retry policy (default: one attempt; API clients retry in their SDK). The HTTP server
    answers through the same :meth:`acomplete` and :meth:`aopen_stream`.
    """

    def __init__(
        self,
        pool: Pool,
        client: ChatClient | None,
        router: Router | None = None,
        *,
        max_output_tokens: int | None = None,
        reasoning_max_output_tokens: int | None = None,
        max_file_bytes: dict[str, int] | None = None,
        pdf_mode: PdfMode = "inline",
        uploader: FileUploader | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        if pdf_mode not in ("inline", "upload"):
            raise ConfigError(f"pdf_mode must be 'inline' or 'upload', got {pdf_mode!r}")
        self.pool = pool
        self.client = client
        self.router = router
        self.max_output_tokens = max_output_tokens
        self.reasoning_max_output_tokens = reasoning_max_output_tokens
        self.max_file_bytes = max_file_bytes
        self.pdf_mode: PdfMode = pdf_mode
        self.uploader = uploader
        self.retry = retry or RetryPolicy()
        # Clients that can report a stream's usage and cost take an ``on_result`` callback.
        self.stream_usage = client is not None and "on_result" in (
            inspect.signature(client.astream).parameters
        )

    def _cap(self, model: str) -> int | None:
        return self.pool.get(model).output_cap(
            self.max_output_tokens, self.reasoning_max_output_tokens
        )

    def _client(self) -> ChatClient:
        if self.client is None:
            raise ConfigError("this gateway only decides (client=None); pass a client to answer")
        return self.client

    # -- the upstream call: the one answer path ---------------------------------------------------

    async def acomplete(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        temperature: float | None,
        max_output_tokens: int | None,
        extra: dict[str, Any] | None = None,
    ) -> ChatResult[Any]:
        """One answering call to ``model``: the parameters it accepts
        (:meth:`Pool.call_params <routerlab.pool.Pool.call_params>`), cacheable when the caller
        asked for temperature 0, under the retry policy."""
        client = self._client()
        params = self.pool.call_params(model, temperature, max_output_tokens, extra)
        # Cacheable by what the caller asked (0: deterministic), not by what call_params kept:
        # it drops the temperature for reasoning models, which then sample.
        cacheable = is_cacheable(temperature)
        return await self.retry.run(
            lambda: client.acomplete(model, messages, cacheable=cacheable, **params)
        )

    async def aopen_stream(
        self,
        model: str,
        messages: Sequence[Message],
        *,
        on_result: Callable[[ChatResult[Any]], None] | None = None,
        **asked: Any,
    ) -> tuple[str | None, AsyncIterator[str]]:
        """Open a streamed answer: its first delta (None: the stream was empty) and the rest.

        ``asked``: ``temperature``, ``max_output_tokens`` and ``extra``, as for
        :meth:`acomplete`. The first delta is awaited under the retry policy, so a failing
        upstream is retried before anything reaches the caller; a failure later in the stream
        is the caller's. ``on_result`` gets the complete result (usage, cost) when the client
        can report it (:attr:`stream_usage`).
        """
        client = self._client()
        params = self.pool.call_params(model, **asked)
        if on_result is not None and self.stream_usage:
            params["on_result"] = on_result
        holder: list[AsyncIterator[str]] = []

        async def first_delta() -> str | None:
            stream = client.astream(model, messages, **params)
            holder[:] = [stream]
            try:
                return await anext(stream)
            except StopAsyncIteration:
                return None

        first = await self.retry.run(first_delta)
        return first, holder[0]

    # -- requests: files, windows, routing ------------------------------------------------------

    async def build_messages(
        self, request: RouteRequest, model: str, files: Sequence[CheckedFile] | None = None
    ) -> list[Message]:
        """The answering call's messages; files checked (and against ``model``) first."""
        checked = check_files(request.files, self.max_file_bytes) if files is None else files
        check_capability(self.pool, model, checked)
        content = await content_parts(
            request.prompt, checked, pdf_mode=self.pdf_mode, uploader=self.uploader
        )
        return [{"role": "user", "content": content}]

    async def acall(
        self, request: RouteRequest, model: str, files: Sequence[CheckedFile] | None = None
    ) -> ChatResult[Any]:
        """One answering call to ``model`` (files validated before anything is sent)."""
        self._client()
        messages = await self.build_messages(request, model, files)
        return await self.acomplete(
            model, messages, temperature=request.temperature, max_output_tokens=self._cap(model)
        )

    async def call_args(
        self, request: RouteRequest, model: str, files: Sequence[CheckedFile] | None = None
    ) -> tuple[list[Message], dict[str, Any]]:
        """The answering call's messages and parameters (sent as they are, or in a Batch file)."""
        messages = await self.build_messages(request, model, files)
        return messages, self.pool.call_params(model, request.temperature, self._cap(model))

    async def prompt_tokens(
        self, request: RouteRequest, files: Sequence[CheckedFile] = ()
    ) -> int | None:
        """The prompt's tokens, text files inlined into the message included, or None when
        they are too short to exceed any window.

        A token is at least one UTF-8 byte (at most 4 per character), so a prompt whose 4x
        character count plus the text files' bytes and the output cap fits the smallest window
        is not counted. Images and PDFs are priced by the upstream, not counted here.
        """
        texts = [f for f in files if f.kind == "text"]
        smallest = min(m.context_window for m in self.pool.models)
        caps = [self._cap(m.name) or 0 for m in self.pool.models]
        if 4 * len(request.prompt) + sum(f.size for f in texts) + max(caps) <= smallest:
            return None
        from routerlab.tokens import count_tokens

        def count() -> int:
            total = count_tokens(request.prompt)
            for f in texts:  # checked UTF-8 by check_files
                total += count_tokens(f.path.read_text(encoding="utf-8"))
            return total

        if texts or len(request.prompt) > COUNT_OFFLOAD_CHARS:
            return await asyncio.to_thread(count)
        return count()

    def fitting_models(self, tokens: int | None) -> list[str]:
        """Models whose context window holds ``tokens`` plus their output cap (pool order).

        Raises :class:`~routerlab.pool.ContextWindowError` naming the largest window when none.
        """
        return self.pool.names if tokens is None else self.pool.fitting(tokens, self._cap)

    async def aanswer(self, request: RouteRequest | str, model: str) -> RoutedResponse:
        """Answer with a fixed ``model`` (no routing); a prompt its window cannot hold raises
        :class:`~routerlab.pool.ContextWindowError`."""
        req = _as_request(request)
        tokens = await self.prompt_tokens(req, check_files(req.files, self.max_file_bytes))
        if tokens is not None:
            self.pool.check_fits(model, tokens, self._cap(model))
        start = time.perf_counter()
        result = await self.acall(req, model)
        total = time.perf_counter() - start
        return routed_response(result, model, "fixed", None, 0.0, total)

    async def aroute(self, request: RouteRequest | str) -> RoutedResponse:
        """Decide with the router, then answer with the chosen model.

        The router never gets a model whose context window cannot hold the prompt plus the
        output cap: such a choice is replaced by the policy's choice among the models that fit
        (:func:`~routerlab.gateway.decisions.fit_decision`), and a prompt no model holds raises
        :class:`~routerlab.pool.ContextWindowError` before any call.
        """
        req = _as_request(request)
        start = time.perf_counter()
        decision, files = await self._adecide(req)
        result = await self.acall(req, decision.model, files)
        total = time.perf_counter() - start
        return routed_response(
            result, decision.model, decision.router, decision, decision.cost_usd, total
        )

    async def adecide(self, request: RouteRequest | str) -> Decision:
        """The router's decision under the gateway's rules (files checked, context windows
        respected), without answering: what ``routerlab route --decision-only`` shows."""
        decision, _ = await self._adecide(_as_request(request))
        return decision

    async def _adecide(self, req: RouteRequest) -> tuple[Decision, list[CheckedFile]]:
        if self.router is None:
            raise ConfigError("this gateway has no router; pass router=... or use aanswer()")
        files = check_files(req.files, self.max_file_bytes)  # before the judge's call too
        for f in files:  # at least one pool model must read it, or routing is pointless
            if not self.pool.readers(f.kind):
                check_capability(self.pool, self.pool.names[0], [f])
        allowed = self.fitting_models(await self.prompt_tokens(req, files))
        decision = await self.router.aroute(req)
        return fit_decision(decision, self.pool, allowed, policy=policy_of(self.router)), files

    async def asafe(self, request: RouteRequest | str, model: str | None = None) -> RoutedResponse:
        """Like :meth:`aroute` (or :meth:`aanswer` with ``model``) but never raises: a failure
        becomes the response's ``error``."""
        try:
            if model is not None:
                return await self.aanswer(request, model)
            return await self.aroute(request)
        # A batch boundary: whatever one item raises is recorded on that item.
        except Exception as exc:
            return failed_response(model or "", exc)

    async def abatch(
        self,
        requests: Sequence[RouteRequest | str],
        *,
        model: str | None = None,
        concurrency: int = 8,
        progress: bool = False,
    ) -> list[RoutedResponse]:
        """Route (or, with ``model``, answer directly) many requests; one bad item never stops it.

        Results come back in input order; a failed item has ``error`` set and an empty answer.
        """
        if concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {concurrency}")
        gate = asyncio.Semaphore(concurrency)
        bar = tqdm(total=len(requests), disable=not progress, desc="requests")

        async def one(item: RouteRequest | str) -> RoutedResponse:
            async with gate:
                try:
                    return await self.asafe(item, model)
                finally:
                    bar.update(1)

        try:
            return list(await asyncio.gather(*(one(r) for r in requests)))
        finally:
            bar.close()

    # sync wrappers (work inside Jupyter's running loop)
    def route(self, request: RouteRequest | str) -> RoutedResponse:
        return run_sync(self.aroute(request))

    def answer(self, request: RouteRequest | str, model: str) -> RoutedResponse:
        return run_sync(self.aanswer(request, model))

    def batch(self, requests: Sequence[RouteRequest | str], **kwargs: Any) -> list[RoutedResponse]:
        return run_sync(self.abatch(requests, **kwargs))


def make_request(
    prompt: str, temperature: float = 0.7, file: str | Path | None = None
) -> RouteRequest:
    """A request with at most one attached file (``None`` or ``""`` means no file)."""
    return RouteRequest(prompt, temperature=temperature, files=(Path(file),) if file else ())


def _as_request(request: RouteRequest | str) -> RouteRequest:
    return request if isinstance(request, RouteRequest) else RouteRequest(prompt=request)
