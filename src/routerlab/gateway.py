"""From a request and a chosen model to an API call, and from the call to a routed response.

The gateway owns three jobs the routers do not:

* **files**: images travel as ``image_url`` data URLs, PDFs as a ``file`` content part (inline
  base64 ``file_data`` with its filename, or an uploaded file id), text-like files are inlined with
  their name. Every file is checked (kind, existence, readability, size, the model's capability)
  before any call is made.
* **capability-aware parameters**: models that reject ``temperature`` (reasoning models) get none,
  and reasoning models take ``max_completion_tokens`` (their budget includes hidden reasoning).
* **never crash a batch**: the judge routers fall back on their own; anything else that fails for
  one request becomes that item's ``error`` and the batch goes on.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from tqdm.auto import tqdm

from routerlab.asyncutil import run_sync
from routerlab.errors import ConfigError, LLMError
from routerlab.features import AttachmentKind, attachment_kind
from routerlab.filetypes import (
    IMAGE_MEDIA_TYPES,
    PDF_MEDIA_TYPE,
    file_name_problem,
    is_text,
    sniff_media_type,
)
from routerlab.llm.base import ChatClient, ChatResult, Message
from routerlab.llm.cache import is_cacheable
from routerlab.pool import ModelSpec, Pool
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, model_within
from routerlab.usage import Usage

# Prompts longer than this are token-counted in a worker thread (the event loop keeps serving).
COUNT_OFFLOAD_CHARS = 50_000

# OpenAI's documented per-file limits (images 20 MB; PDFs 32 MB per request). Text files are
# inlined into the prompt, so their cap is lower: 1 MB is already ~250k tokens.
DEFAULT_MAX_BYTES: dict[str, int] = {"image": 20_000_000, "pdf": 32_000_000, "text": 1_000_000}

PdfMode = Literal["inline", "upload"]
FileUploader = Callable[[Path], Awaitable[str]]


class FileInputError(ConfigError):
    """An attached file cannot be sent: missing, unreadable, too large or of an unsupported kind."""


class CapabilityError(ConfigError):
    """The chosen model cannot read the attached file kind (per the pool file)."""


@dataclass
class RoutedResponse:
    """The answer to one request, with how it was routed, its timings, tokens and cost."""

    answer: str
    model: str
    router: str
    decision: Decision | None
    router_latency_s: float = 0.0
    model_latency_s: float = 0.0
    total_latency_s: float = 0.0
    usage: Usage = field(default_factory=Usage)  # the answering call's tokens
    router_cost_usd: float = 0.0
    answer_cost_usd: float = 0.0
    fallback: bool = False
    fallback_reason: str | None = None
    backend: str = ""
    stand_in: bool = False  # a local small model answered in place of the pool model
    error: str | None = None  # set when this item failed; answer is then empty
    cached: bool = False  # the answer was served from the response cache (answer_cost_usd is 0)
    answer_list_cost_usd: float | None = None  # the answer at list price (None: as paid)

    @property
    def cost_usd(self) -> float:
        return self.router_cost_usd + self.answer_cost_usd

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def list_cost_usd(self) -> float:
        """The answer at list price: what it cost when made, even when served from the cache."""
        if self.answer_list_cost_usd is None:
            return self.answer_cost_usd
        return self.answer_list_cost_usd

    def overview(self) -> pd.DataFrame:
        """Key facts as a two-column table (field, value) for display."""
        facts: dict[str, Any] = {
            "router": self.router,
            "model": self.model,
            "confidence": self.decision.confidence if self.decision else None,
            "fallback": self.fallback_reason if self.fallback else "no",
            "router latency (s)": round(self.router_latency_s, 3),
            "model latency (s)": round(self.model_latency_s, 3),
            "total latency (s)": round(self.total_latency_s, 3),
            "prompt / completion tokens": f"{self.usage.prompt_tokens} / "
            f"{self.usage.completion_tokens}",
            "reasoning / cached tokens": f"{self.usage.reasoning_tokens} / "
            f"{self.usage.cached_tokens}",
            "router cost (USD)": f"{self.router_cost_usd:.6f}",
            "answer cost (USD)": f"{self.answer_cost_usd:.6f}",
            "answer list price (USD)": f"{self.list_cost_usd:.6f}",
            "cached": "yes (answer from the response cache, paid 0)" if self.cached else "no",
            "backend": self.backend + (" — not the pool's models" if self.stand_in else ""),
        }
        if self.error:
            facts["error"] = self.error
        return pd.DataFrame({"field": list(facts), "value": [str(v) for v in facts.values()]})

    def to_dict(self) -> dict[str, Any]:
        """Flat record (decision details such as the analysis kept under ``decision``)."""
        decision = None
        if self.decision is not None:
            decision = {
                "model": self.decision.model,
                "router": self.decision.router,
                "confidence": self.decision.confidence,
                "scores": self.decision.scores,
                "details": self.decision.details,
            }
        return {
            "answer": self.answer,
            "model": self.model,
            "router": self.router,
            "router_latency_s": self.router_latency_s,
            "model_latency_s": self.model_latency_s,
            "total_latency_s": self.total_latency_s,
            **self.usage.to_dict(),
            "router_cost_usd": self.router_cost_usd,
            "answer_cost_usd": self.answer_cost_usd,
            "cost_usd": self.cost_usd,
            "cached": self.cached,
            "list_cost_usd": self.list_cost_usd,  # the answer at list price (paid 0 when cached)
            "fallback": self.fallback,
            "fallback_reason": self.fallback_reason,
            "backend": self.backend,
            "stand_in": self.stand_in,
            "error": self.error,
            "decision": decision,
        }


# ----------------------------------------------------------------------------- files


@dataclass(frozen=True)
class CheckedFile:
    path: Path
    kind: AttachmentKind
    size: int
    # What the file's bytes proved it is (image/png, application/pdf, text/plain); empty for
    # files described by callers that checked them elsewhere (the server's parsed parts).
    media_type: str = ""


# What the user may attach, for error messages: the kinds, and how each is recognised.
ALLOWED_FILES = (
    "images (.jpg .jpeg .png .gif .webp holding PNG, JPEG, GIF or WebP data), PDF (.pdf starting "
    "with %PDF-) and text-like files (.txt .md .csv .json .py and similar, UTF-8 without NUL bytes)"
)
_HEAD_BYTES = 16  # enough for every signature filetypes.sniff_media_type knows


def check_files(
    files: Sequence[str | Path], max_bytes: dict[str, int] | None = None
) -> list[CheckedFile]:
    """Validate attachments without sending anything: name, kind, existence, readability, size
    and content (an image's or a PDF's leading bytes, a text file's encoding).

    The suffix only says what the user means the file to be; the bytes decide whether it is. A
    text file renamed ``photo.png`` is refused instead of being sent as an image, and an image
    whose suffix names another image type is sent with the type its bytes prove.
    """
    limits = {**DEFAULT_MAX_BYTES, **(max_bytes or {})}
    checked = []
    for raw in files:
        path = Path(raw)
        kind = attachment_kind(path)
        if kind == "unsupported":
            raise FileInputError(
                f"unsupported file {path.name!r} (suffix {path.suffix or 'none'!r}); allowed: "
                f"{ALLOWED_FILES}"
            )
        problem = file_name_problem(path.name)  # the name is sent upstream with the content
        if problem:
            raise FileInputError(f"file {str(path)!r} cannot be sent: {problem}")
        if not path.exists():
            raise FileInputError(f"file not found: {path}")
        if not path.is_file():
            raise FileInputError(f"not a regular file: {path}")
        try:
            size = path.stat().st_size
            with path.open("rb") as handle:
                # text is inlined whole, so all of it must be valid; binaries need their head
                data = handle.read(limits[kind] + 1 if kind == "text" else _HEAD_BYTES)
        except OSError as exc:
            raise FileInputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size == 0 or not data:
            raise FileInputError(
                f"{path.name} is empty (0 bytes); attach a file with content: {ALLOWED_FILES}"
            )
        if size > limits[kind]:
            raise FileInputError(
                f"{path.name} is {size:,} bytes; the limit for {kind} files is {limits[kind]:,}"
            )
        media_type = _content_media_type(path, kind, data)
        checked.append(CheckedFile(path, kind, size, media_type))
    return checked


def _content_media_type(path: Path, kind: AttachmentKind, data: bytes) -> str:
    """The media type ``data`` proves for a file meant as ``kind``, or a FileInputError that
    names the file, what it looks like and what is allowed."""
    sniffed = sniff_media_type(data)
    if kind == "image" and sniffed in IMAGE_MEDIA_TYPES:
        return sniffed
    if kind == "pdf" and sniffed == PDF_MEDIA_TYPE:
        return sniffed
    if kind == "text" and is_text(data):
        return "text/plain"
    if sniffed:
        looks = f"its bytes are {sniffed}"
    elif is_text(data):
        looks = "it is plain text"
    else:
        looks = "it is not UTF-8 text (binary data, NUL bytes or another encoding)"
    wanted = {
        "image": "PNG, JPEG, GIF or WebP image data",
        "pdf": "a PDF (starting with %PDF-)",
        "text": "UTF-8 text without NUL bytes",
    }[kind]
    named = {"image": "an image", "pdf": "a PDF", "text": "a text"}[kind]
    raise FileInputError(
        f"{path.name} is named as {named} file ({path.suffix}) but {looks}; a {path.suffix} "
        f"attachment must hold {wanted}"
    )


def check_capability(pool: Pool, model: str, files: Sequence[CheckedFile]) -> None:
    """Raise :class:`CapabilityError` when ``model`` cannot read one of ``files``."""
    spec = pool.get(model)
    for f in files:
        if not _reads(spec, f.kind):
            able = [m.name for m in pool.models if _reads(m, f.kind)]
            raise CapabilityError(
                f"model {model!r} cannot read {f.kind} files ({f.path.name}); "
                f"models that can: {', '.join(able) or 'none in this pool'}"
            )


async def content_parts(
    prompt: str,
    files: Sequence[CheckedFile],
    *,
    pdf_mode: PdfMode = "inline",
    uploader: FileUploader | None = None,
) -> str | list[dict[str, Any]]:
    """User message content: the plain prompt, or text + one part per file in the API's shape.

    Each file's content is checked again on the bytes actually sent (it may have changed since
    :func:`check_files`), so what goes upstream is always what the checks allowed.
    """
    if not files:
        return prompt
    parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    for f in files:
        problem = file_name_problem(f.path.name)
        if problem:
            raise FileInputError(f"file {str(f.path)!r} cannot be sent: {problem}")
        try:
            if f.kind == "pdf" and pdf_mode == "upload":
                if uploader is None:
                    raise ConfigError("pdf_mode='upload' needs an uploader (file id source)")
                with f.path.open("rb") as handle:
                    head = handle.read(_HEAD_BYTES)
                _content_media_type(f.path, f.kind, head)
                parts.append({"type": "file", "file": {"file_id": await uploader(f.path)}})
                continue
            data = f.path.read_bytes()
        except OSError as exc:
            raise FileInputError(f"cannot read {f.path}: {exc.strerror or exc}") from None
        if not data:
            raise FileInputError(f"{f.path.name} is empty (0 bytes); nothing to send")
        media_type = _content_media_type(f.path, f.kind, data)
        if f.kind == "image":
            url = f"data:{media_type};base64,{_b64(data)}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        elif f.kind == "pdf":
            url = f"data:{PDF_MEDIA_TYPE};base64,{_b64(data)}"
            parts.append({"type": "file", "file": {"filename": f.path.name, "file_data": url}})
        else:
            text = data.decode("utf-8")
            parts.append({"type": "text", "text": f"File {f.path.name}:\n```\n{text}\n```"})
    return parts


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def openai_file_uploader(openai_client: Any) -> FileUploader:
    """Uploader for ``pdf_mode='upload'``: Files API with purpose ``user_data``; returns the id."""

    async def upload(path: Path) -> str:
        with path.open("rb") as handle:
            created = await openai_client.files.create(file=handle, purpose="user_data")
        return str(created.id)

    return upload


def call_params(
    pool: Pool, model: str, temperature: float | None, max_output_tokens: int | None
) -> dict[str, Any]:
    """Keyword arguments a model accepts: no temperature where rejected, the right token cap."""
    spec = pool.get(model)
    params: dict[str, Any] = {}
    if spec.temperature and temperature is not None:
        params["temperature"] = temperature
    if max_output_tokens is not None:
        key = "max_completion_tokens" if spec.reasoning else "max_tokens"
        params[key] = max_output_tokens
    return params


# ----------------------------------------------------------------------------- gateway


class Gateway:
    """Route a request with ``router`` and answer it with the chosen model through ``client``.

    ``max_output_tokens`` caps answers of ordinary models; ``reasoning_max_output_tokens`` caps
    reasoning models, whose budget must also cover their hidden reasoning.
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

    def _cap(self, model: str) -> int | None:
        if self.pool.get(model).reasoning and self.reasoning_max_output_tokens is not None:
            return self.reasoning_max_output_tokens
        return self.max_output_tokens

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
        if self.client is None:
            raise ConfigError("this gateway only decides (client=None); pass a client to answer")
        messages, params = await self.call_args(request, model, files)
        # Cacheable by what the caller asked (0: deterministic), not by what call_params kept:
        # it drops the temperature for reasoning models, which then sample.
        cacheable = is_cacheable(request.temperature)
        return await self.client.acomplete(model, messages, cacheable=cacheable, **params)

    async def call_args(
        self, request: RouteRequest, model: str, files: Sequence[CheckedFile] | None = None
    ) -> tuple[list[Message], dict[str, Any]]:
        """The answering call's messages and parameters (sent as they are, or in a Batch file)."""
        messages = await self.build_messages(request, model, files)
        return messages, call_params(self.pool, model, request.temperature, self._cap(model))

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
        return _response(result, model, "fixed", None, 0.0, total)

    async def aroute(self, request: RouteRequest | str) -> RoutedResponse:
        """Decide with the router, then answer with the chosen model.

        The router never gets a model whose context window cannot hold the prompt plus the
        output cap: such a choice is replaced by the policy's choice among the models that fit
        (:func:`~routerlab.routers.base.model_within`), and a prompt no model holds raises
        :class:`~routerlab.pool.ContextWindowError` before any call.
        """
        req = _as_request(request)
        start = time.perf_counter()
        decision, files = await self._adecide(req)
        result = await self.acall(req, decision.model, files)
        total = time.perf_counter() - start
        return _response(
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
            if not any(_reads(m, f.kind) for m in self.pool.models):
                check_capability(self.pool, self.pool.names[0], [f])
        allowed = self.fitting_models(await self.prompt_tokens(req, files))
        return fit_decision(await self.router.aroute(req), self.pool, allowed), files

    async def asafe(self, request: RouteRequest | str, model: str | None = None) -> RoutedResponse:
        """Like :meth:`aroute` (or :meth:`aanswer` with ``model``) but never raises: a failure
        becomes the response's ``error``."""
        try:
            if model is not None:
                return await self.aanswer(request, model)
            return await self.aroute(request)
        # A batch boundary: whatever one item raises is recorded on that item.
        except Exception as exc:
            return _failed(request, model or "", exc)

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


def fit_decision(decision: Decision, pool: Pool, allowed: Sequence[str]) -> Decision:
    """``decision``, or a copy naming the policy's choice among ``allowed`` models when the
    router picked one outside them (its window too small); ``details`` keeps the original."""
    if decision.model in allowed:
        return decision
    threshold = decision.details.get("cost_threshold")
    knob = float(threshold) if isinstance(threshold, int | float) else 0.0
    model = model_within(decision.model, pool, allowed, decision.scores, knob)
    return replace(
        decision,
        model=model,
        confidence=decision.scores.get(model) if decision.scores else None,
        details={**decision.details, "context_window_replaced": decision.model},
    )


def make_request(
    prompt: str, temperature: float = 0.7, file: str | Path | None = None
) -> RouteRequest:
    """A request with at most one attached file (``None`` or ``""`` means no file)."""
    return RouteRequest(prompt, temperature=temperature, files=(Path(file),) if file else ())


def _reads(spec: ModelSpec, kind: str) -> bool:
    """Whether a model takes this attachment kind (text files are inlined: every model)."""
    return {"image": spec.vision, "pdf": spec.pdf}.get(kind, True)


def _as_request(request: RouteRequest | str) -> RouteRequest:
    return request if isinstance(request, RouteRequest) else RouteRequest(prompt=request)


def _response(
    result: ChatResult[Any],
    model: str,
    router: str,
    decision: Decision | None,
    router_cost: float,
    total: float,
) -> RoutedResponse:
    return RoutedResponse(
        answer=result.text,
        model=model,
        router=router,
        decision=decision,
        router_latency_s=decision.latency_s if decision else 0.0,
        model_latency_s=result.latency_s,
        total_latency_s=total,
        usage=result.usage,
        router_cost_usd=router_cost,
        answer_cost_usd=result.cost_usd,
        fallback=decision.fallback if decision else False,
        fallback_reason=decision.fallback_reason if decision else None,
        backend=result.backend,
        stand_in=result.stand_in,
        cached=result.cached,
        answer_list_cost_usd=result.list_price_usd,
    )


def _failed(item: RouteRequest | str, model: str, exc: BaseException) -> RoutedResponse:
    kind = exc.kind if isinstance(exc, LLMError) else type(exc).__name__
    return RoutedResponse(answer="", model=model, router="", decision=None, error=f"{kind}: {exc}")
