"""Micro-batching of router inference across concurrent requests.

A classifier scores 32 prompts in one forward pass in little more time than one, so requests that
arrive together are decided together: the first waits at most ``max_wait_s`` for company (or until
``max_batch`` are queued), the batch runs in a worker thread (the event loop keeps serving), and
whatever arrived meanwhile forms the next batch at once. One batch runs at a time per router:
on a CPU, two concurrent forward passes only compete for the same cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from routerlab.errors import ConfigError
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router


def has_batched_inference(router: Router) -> bool:
    """True when the router overrides :meth:`Router.route_batch` (e.g. the classifier)."""
    return type(router).route_batch is not Router.route_batch


@dataclass
class _Item:
    request: RouteRequest
    future: asyncio.Future[Decision]
    arrived: float


class MicroBatcher:
    """Collects :meth:`submit` calls and decides them with ``router.route_batch``."""

    def __init__(
        self,
        router: Router,
        *,
        max_batch: int = 64,
        max_wait_s: float = 0.002,
        dtype: str = "auto",
    ) -> None:
        if max_batch < 1:
            raise ConfigError(f"max_batch must be >= 1, got {max_batch}")
        if max_wait_s < 0:
            raise ConfigError(f"max_wait_s must be >= 0, got {max_wait_s}")
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"dtype must be 'auto', 'float32' or 'bfloat16', got {dtype!r}")
        self.router = router
        self.dtype = _resolve_dtype(dtype)
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._pending: list[_Item] = []
        self._worker: asyncio.Task[None] | None = None
        self._full = asyncio.Event()
        self.batches = 0
        self.items = 0
        self.largest = 0

    async def submit(self, request: RouteRequest) -> Decision:
        """Queue one request and wait for its decision (router errors are raised here)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Decision] = loop.create_future()
        self._pending.append(_Item(request, future, time.perf_counter()))
        if len(self._pending) >= self.max_batch:
            self._full.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run(), name=f"batcher-{self.router.name}")
        return await future

    async def _run(self) -> None:
        while self._pending:
            waited = time.perf_counter() - self._pending[0].arrived
            if len(self._pending) < self.max_batch and waited < self.max_wait_s:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.max_wait_s - waited)
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            live = [item for item in batch if not item.future.done()]  # drop cancelled callers
            if not live:
                continue
            try:
                decisions = await asyncio.to_thread(
                    self._route_batch, [item.request for item in live]
                )
            except Exception as exc:  # every caller of this batch gets the router's error
                for item in live:
                    if not item.future.done():
                        item.future.set_exception(exc)
                continue
            self.batches += 1
            self.items += len(live)
            self.largest = max(self.largest, len(live))
            for item, decision in zip(live, decisions, strict=True):
                if not item.future.done():
                    item.future.set_result(decision)

    def _route_batch(self, requests: Sequence[RouteRequest]) -> list[Decision]:
        with self._precision():
            decisions = list(self.router.route_batch(list(requests)))
        if len(decisions) != len(requests):
            raise RuntimeError(
                f"router {self.router.name!r} returned {len(decisions)} decisions "
                f"for {len(requests)} requests"
            )
        return decisions

    def _precision(self) -> contextlib.AbstractContextManager[Any]:
        """bfloat16 autocast for the forward pass (thread-local, so set in the worker thread).

        On CPUs with AVX-512 bf16 it is about 3x faster than float32 for a MiniLM-size encoder;
        probabilities move in the third decimal, so near-ties may flip.
        """
        if self.dtype == "float32":
            return contextlib.nullcontext()
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16)

    def stats(self) -> dict[str, Any]:
        """Counters for ``/health``: how much batching actually happened."""
        return {
            "dtype": self.dtype,
            "batches": self.batches,
            "requests": self.items,
            "mean_batch_size": self.items / self.batches if self.batches else None,
            "largest_batch": self.largest,
        }

    async def aclose(self) -> None:
        """Stop the worker; queued callers are cancelled."""
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
        for item in self._pending:
            if not item.future.done():
                item.future.cancel()
        self._pending.clear()


def _resolve_dtype(dtype: str) -> str:
    """'auto' becomes bfloat16 only where oneDNN runs bf16 natively; emulated bf16 is slower."""
    if dtype != "auto":
        return dtype
    try:
        import torch

        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        native = False
    return "bfloat16" if native else "float32"
