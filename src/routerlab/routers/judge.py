"""LLM-judge routers: a cheap model reads the prompt and names the model to use.

``verbose`` is the study's first router (analysis + decision, few-shot examples); ``compact`` is
its optimized version (short prompt, decision only, sees files and structure). Both ask for a
Pydantic schema whose model field only admits pool names, and neither ever raises for a bad
judgement: an API error after retries, a refusal, unparseable output or an unknown model sends the
request to ``fallback_model`` and the decision says why.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from pydantic import BaseModel, ValidationError

from routerlab.asyncutil import run_sync
from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult, Message
from routerlab.llm.cache import is_cacheable
from routerlab.pool import Pool
from routerlab.prompts import JudgeStyle, judge_messages
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router, register_router
from routerlab.schemas import compact_schema, verbose_schema

# The study's judge temperatures: 0.7 for the verbose analysis, 0.2 for the compact decision.
JUDGE_TEMPERATURE: dict[str, float] = {"verbose": 0.7, "compact": 0.2}
# Prompts longer than this get their features (token count, structure) in a worker thread, so a
# server's event loop keeps serving other requests meanwhile.
OFFLOAD_CHARS = 50_000


def default_fallback(pool: Pool) -> str:
    """The strongest general (non-reasoning) model: a failed judge should not cost quality."""
    return pool.tier_models()["general"]


class JudgeRouter(Router):
    """A router that asks ``judge_model`` (default: the pool's cheapest) through ``client``."""

    style: JudgeStyle = "compact"

    def __init__(
        self,
        pool: Pool,
        client: ChatClient,
        *,
        judge_model: str | None = None,
        temperature: float | None = None,
        fallback_model: str | None = None,
        max_output_tokens: int | None = None,
    ) -> None:
        super().__init__(pool)
        if not isinstance(client, ChatClient):
            raise ConfigError(
                f"judge routers need a ChatClient (routerlab.llm.make_client); got {client!r}"
            )
        self.client = client
        self.judge_model = pool.get(judge_model).name if judge_model else pool.cheapest.name
        self.fallback_model = (
            pool.get(fallback_model).name if fallback_model else default_fallback(pool)
        )
        self.temperature = JUDGE_TEMPERATURE[self.style] if temperature is None else temperature
        self.max_output_tokens = max_output_tokens
        self.name = self.style

    @property
    def schema(self) -> type[BaseModel]:
        return verbose_schema(self.pool) if self.style == "verbose" else compact_schema(self.pool)

    def _decide(self, request: RouteRequest) -> Decision:
        return run_sync(self.aroute(request))

    async def aroute(self, request: RouteRequest | str) -> Decision:
        """Ask the judge; on any judge failure return the fallback decision with its reason."""
        req = request if isinstance(request, RouteRequest) else RouteRequest(prompt=request)
        start = time.perf_counter()
        if len(req.prompt) > OFFLOAD_CHARS:  # token counting and regexes over megabytes
            messages, params = await asyncio.to_thread(self.call_args, req)
        else:
            messages, params = self.call_args(req)
        try:
            result: ChatResult[Any] = await self.client.acomplete(
                self.judge_model,
                messages,
                response_format=self.schema,
                cacheable=is_cacheable(self.temperature),  # asked for, not what was sent
                **params,
            )
        except LLMError as exc:
            return self._fallback(self._error_reason(exc), time.perf_counter() - start)
        return self.decide(result, time.perf_counter() - start)

    def call_args(self, request: RouteRequest) -> tuple[list[Message], dict[str, Any]]:
        """The judge call's messages and parameters (sent as they are, or in a Batch file)."""
        messages = judge_messages(self.style, self.pool, request)
        params = self.pool.call_params(self.judge_model, self.temperature, self.max_output_tokens)
        return messages, params

    def decide(self, result: ChatResult[Any], latency_s: float) -> Decision:
        """The decision a judge's reply makes: its choice, or the fallback and why."""
        parsed, reason = self._read(result)
        if parsed is None:
            return self._fallback(reason, latency_s, result)
        return self._decision(parsed, result, latency_s)

    def failed(self, reason: str, latency_s: float = 0.0) -> Decision:
        """The fallback decision for a judge call that got no reply (API or batch line error)."""
        return self._fallback(f"judge {reason}", latency_s)

    # ------------------------------------------------------------------ helpers

    def _read(self, result: ChatResult[Any]) -> tuple[BaseModel | None, str]:
        """The validated verdict, or None and why not (refusal, invalid JSON, unknown model…)."""
        if result.finish_reason == "content_filter" or _refusal(result):
            return None, f"judge refusal: {_refusal(result) or 'content filter'}"
        if isinstance(result.parsed, self.schema):
            return result.parsed, ""
        try:
            data = json.loads(result.text)
        except (TypeError, ValueError):
            return None, f"invalid JSON from judge: {_clip(result.text)!r}"
        named = _named_model(data)
        if isinstance(named, str) and named.strip() not in self.pool:
            return None, (
                f"judge chose unknown model {named!r}; pool has: {', '.join(self.pool.names)}"
            )
        try:
            return self.schema.model_validate(data), ""
        except ValidationError as exc:
            return None, f"judge output failed the schema: {_clip(str(exc))}"

    def _error_reason(self, exc: LLMError) -> str:
        """Why the judge call failed; a schema failure on the model field names the model."""
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            for error in cause.errors():
                if error["type"] == "json_invalid":
                    return f"invalid JSON from judge: {_clip(str(error.get('input', '')))!r}"
                if (
                    error["loc"]
                    and error["loc"][-1] == "model"
                    and error["type"] == "literal_error"
                ):
                    return (
                        f"judge chose unknown model {error.get('input')!r}; "
                        f"pool has: {', '.join(self.pool.names)}"
                    )
            return f"judge output failed the schema: {_clip(str(cause))}"
        return f"judge {exc.kind}: {_clip(str(exc), 300)}"

    def _decision(self, parsed: Any, result: ChatResult[Any], latency_s: float) -> Decision:
        details: dict[str, Any] = self._call_details(result)
        if self.style == "verbose":
            choice = parsed.routing_decision
            details["analysis"] = parsed.analysis.model_dump()
            details["reasoning"] = choice.reasoning
            model, confidence = choice.model, float(choice.confidence)
        else:
            model, confidence = parsed.model, None
        return Decision(
            model=model,
            router=self.name,
            confidence=confidence,
            latency_s=latency_s,
            cost_usd=result.cost_usd,
            details=details,
        )

    def _fallback(
        self, reason: str, latency_s: float, result: ChatResult[Any] | None = None
    ) -> Decision:
        return Decision(
            model=self.fallback_model,
            router=self.name,
            latency_s=latency_s,
            cost_usd=result.cost_usd if result is not None else 0.0,  # a bad answer is still billed
            fallback=True,
            fallback_reason=reason,
            details=self._call_details(result) if result is not None else {},
        )

    def _call_details(self, result: ChatResult[Any]) -> dict[str, Any]:
        return {
            "judge_model": self.judge_model,
            "judge_backend": result.backend,
            "judge_stand_in": result.stand_in,
            "judge_usage": result.usage.to_dict(),
            "judge_cached": result.cached,  # served from the response cache: cost_usd is 0
            "judge_list_cost_usd": result.list_price_usd,
        }


def _refusal(result: ChatResult[Any]) -> str | None:
    raw = result.raw or {}
    try:
        message = raw["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        message = raw.get("message") if isinstance(raw, dict) else None
    refusal = message.get("refusal") if isinstance(message, dict) else None
    return str(refusal) if refusal else None


def _named_model(data: Any) -> Any:
    if not isinstance(data, dict):
        return None
    if "model" in data:
        return data["model"]
    decision = data.get("routing_decision")
    return decision.get("model") if isinstance(decision, dict) else None


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class VerboseJudgeRouter(JudgeRouter):
    """The study's first judge: analysis (task, complexity, domain, …) and a decision."""

    style: JudgeStyle = "verbose"


class CompactJudgeRouter(JudgeRouter):
    """The optimized judge: a short prompt with the request's features, decision only."""

    style: JudgeStyle = "compact"


def _client_from(client: ChatClient | None, profile: str | None, pool: Pool) -> ChatClient:
    if client is not None:
        return client
    if profile is None:
        raise ConfigError("judge routers need client=ChatClient(...) or profile='live'|'offline'")
    from routerlab.llm import make_client  # type: ignore[attr-defined]

    return make_client(profile, pool=pool)  # type: ignore[no-any-return]


@register_router("verbose")
def make_verbose(
    pool: Pool, client: ChatClient | None = None, profile: str | None = None, **kwargs: Any
) -> VerboseJudgeRouter:
    return VerboseJudgeRouter(pool, _client_from(client, profile, pool), **kwargs)


@register_router("compact")
def make_compact(
    pool: Pool, client: ChatClient | None = None, profile: str | None = None, **kwargs: Any
) -> CompactJudgeRouter:
    return CompactJudgeRouter(pool, _client_from(client, profile, pool), **kwargs)
