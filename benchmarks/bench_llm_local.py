"""Time the offline stand-in (SmolLM2-135M via transformers): load, a short answer, a decision.

Run: ``.venv/bin/python benchmarks/bench_llm_local.py [--repeats 5] [--threads 1]``. Prints measured seconds;
nothing is asserted (performance is reported, not unit-tested).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Literal

from pydantic import BaseModel

from routerlab.llm.local import LocalClient
from routerlab.pool import load_pool

QUESTIONS = [
    "What is the capital of France?",
    "Write a haiku about autumn.",
    "Prove that the square root of 2 is irrational.",
    "Summarize the plot of Hamlet in two sentences.",
    "What is 17 * 23?",
]


class Decision(BaseModel):
    model: Literal["gpt-4.1-nano", "gpt-4.1", "o4-mini"]


async def main(repeats: int, threads: int | None) -> None:
    pool = load_pool()
    client = LocalClient(pool, threads=threads)
    start = time.perf_counter()
    client.load()
    print(f"load: {time.perf_counter() - start:.1f} s")

    plain = []
    for question in QUESTIONS[:repeats]:
        result = await client.acomplete(
            "gpt-4.1-nano", [{"role": "user", "content": question}], temperature=0, max_tokens=8
        )
        plain.append((result.latency_s, result.usage.completion_tokens))
    times = [t for t, _ in plain]
    tokens = sum(n for _, n in plain)
    print(
        f"plain, max 8 tokens: median {statistics.median(times):.2f} s per call "
        f"({tokens / sum(times):.1f} tokens/s over {len(plain)} calls)"
    )

    structured = []
    for question in QUESTIONS[:repeats]:
        messages = [
            {"role": "system", "content": "Choose the cheapest model that can answer well."},
            {"role": "user", "content": question},
        ]
        result = await client.acomplete(
            "gpt-4.1-nano", messages, temperature=0, max_tokens=32, response_format=Decision
        )
        structured.append(result.latency_s)
    print(f"structured decision, first call (compiles the schema): {structured[0]:.1f} s")
    if len(structured) > 1:
        print(f"structured decision, later calls: median {statistics.median(structured[1:]):.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="calls per kind (max 5)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    args = parser.parse_args()
    asyncio.run(main(args.repeats, args.threads))
