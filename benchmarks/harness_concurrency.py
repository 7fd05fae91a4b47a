"""MMLU harness wall time at concurrency 1 vs 16 against a loopback server that sleeps 200 ms.

A minimal asyncio HTTP server on 127.0.0.1 (its own process) speaks the OpenAI chat-completions protocol: structured (judge) calls
get ``{"model": "gpt-4.1-nano"}``, answer calls get ``"A"``, each after ``--delay`` seconds. The
harness runs the compact judge router against the fixed model on ``--questions`` MMLU questions
(three calls per question: judge, routed answer, fixed answer) through the real ``openai`` SDK.
Target: speedup >= 12x at concurrency 16.

    .venv/bin/python benchmarks/harness_concurrency.py [--questions 64] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

from routerlab.gateway import Gateway
from routerlab.harness import arun_harness, load_questions
from routerlab.llm.base import ClientSettings
from routerlab.llm.openai_client import OpenAIClient
from routerlab.pool import Pool, load_pool
from routerlab.routers.judge import CompactJudgeRouter


def _reply(body: dict[str, Any], n: int) -> bytes:
    judged = "response_format" in body
    content = json.dumps({"model": "gpt-4.1-nano"}) if judged else "A"
    return json.dumps(
        {
            "id": f"cmpl-{n}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": content},
                }
            ],
            "usage": {"prompt_tokens": 120, "completion_tokens": 3, "total_tokens": 123},
        }
    ).encode()


async def serve_forever(port: int, delay: float) -> None:
    """A minimal HTTP/1.1 keep-alive server: the stub must cost far less CPU than the client
    it measures (a full web framework would, on 2 shared cores, blur the client's figure)."""
    calls = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal calls
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                raw = await reader.readexactly(length) if length else b""
                if method == "POST" and path.endswith("/chat/completions"):
                    calls += 1
                    await asyncio.sleep(delay)
                    payload = _reply(json.loads(raw), calls)
                else:  # GET /stats
                    payload = json.dumps({"calls": calls}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(payload)}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=256)
    async with server:
        await server.serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(port: int, delay: float) -> None:
    """Run the stub server (in its own process, so it does not share the client's GIL)."""
    asyncio.run(serve_forever(port, delay))


def start_server(port: int, delay: float) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, __file__, "--serve", str(port), "--delay", str(delay)]
    proc = subprocess.Popen(cmd)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("loopback server did not start within 30 s")


def calls_served(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats") as response:
        return int(json.load(response)["calls"])


async def timed_run(pool: Pool, port: int, questions: Any, concurrency: int) -> tuple[float, int]:
    """Wall seconds and error count of one harness run (client closed inside its loop)."""
    client = OpenAIClient(
        pool,
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key="loopback",
        settings=ClientSettings(timeout_s=30, max_retries=0),
    )
    gateway = Gateway(pool, client, CompactJudgeRouter(pool, client))
    try:
        start = time.perf_counter()
        result = await arun_harness(gateway, questions, concurrency=concurrency, progress=False)
        wall = time.perf_counter() - start
    finally:
        await client.aclose()
    return wall, int(result.summary()["errors"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--questions", type=int, default=64)
    parser.add_argument("--delay", type=float, default=0.2, help="server sleep per call (s)")
    parser.add_argument("--concurrency", type=int, nargs=2, default=(1, 16))
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.delay)
        return

    pool = load_pool()
    per_subject = -(-args.questions // 2)
    questions = load_questions(("marketing", "machine_learning"), "test", per_subject)
    questions = questions.iloc[: args.questions]
    port = free_port()
    server = start_server(port, args.delay)
    try:
        # Warm-up outside the timings: SDK imports and the tokenizer load happen once.
        asyncio.run(timed_run(pool, port, questions.iloc[:2], 1))
        walls = {}
        for concurrency in args.concurrency:
            before = calls_served(port)
            walls[concurrency], errors = asyncio.run(timed_run(pool, port, questions, concurrency))
            calls = calls_served(port) - before
            waves = -(-len(questions) // concurrency)
            ideal = calls / len(questions) * args.delay * waves
            print(
                f"concurrency {concurrency:>2}: {len(questions)} questions, {calls} calls, "
                f"{errors} errors, wall {walls[concurrency]:.2f} s (ideal {ideal:.2f} s)"
            )
        low, high = args.concurrency
        speedup = walls[low] / walls[high]
        verdict = "meets" if speedup >= 12 else "misses"
        print(f"speedup {high} vs {low}: {speedup:.1f}x ({verdict} the >= 12x target)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
