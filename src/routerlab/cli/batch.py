"""``routerlab batch harness|judge``: the MMLU harness or the judge routers through the OpenAI
Batch API (half price, no rate limits, results within 24 h).

Both are resumable: the submitted batches are saved in ``<name>.batch.json`` beside the output,
so running the same command again polls them instead of submitting again, and collects the
results once they are ready. ``--wait-s 0`` submits (or checks) once and exits.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routerlab.budget import CostEstimate

JUDGE_ROUTERS = ("verbose", "compact")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "batch",
        help="run the MMLU harness or the judges through the Batch API (resumable)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="batch_command", required=True, metavar="WHAT")

    harness = sub.add_parser(
        "harness",
        help="router vs fixed model on MMLU questions, answers and judge calls in Batch files",
    )
    harness.add_argument(
        "out_dir", help="folder for <name>_questions.csv, _meta.json, _summary.csv"
    )
    harness.add_argument("--name", default="batch", help="run name (default: batch)")
    harness.add_argument("--router", default="compact", help="verbose | compact | classifier | "
                         "fixed | random | length (default compact)")  # fmt: skip
    harness.add_argument("--subjects", nargs="+", default=["marketing", "machine_learning"])
    harness.add_argument("--split", default="dev", help="dev | validation | test (default dev)")
    harness.add_argument("--sample-size", type=int, default=None, help="first N per subject")
    harness.add_argument("--fixed-model", default="gpt-4.1", help="comparison model (gpt-4.1)")
    harness.add_argument("--temperature", type=float, default=0.2, help="answer temperature")
    harness.add_argument("--model-dir", default=None, help="saved classifier (--router classifier)")
    _common(harness)
    harness.set_defaults(func=run_harness_cmd)

    judge = sub.add_parser("judge", help="judge decisions (prompt, model) for a file of prompts")
    judge.add_argument("input", help="CSV, JSONL or parquet of prompts (as routerlab label reads)")
    judge.add_argument("output", help="decision CSV to write (prompt, model, ...)")
    judge.add_argument("--router", choices=JUDGE_ROUTERS, default="compact")
    judge.add_argument("--limit", type=int, default=None, help="only the first N prompts")
    _common(judge)
    judge.set_defaults(func=run_judge_cmd)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--judge-model", default=None, help="judge model (default: cheapest)")
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server")
    parser.add_argument("--poll", type=float, default=30.0, help="first poll interval, seconds "
                        "(doubles up to 10x)")  # fmt: skip
    parser.add_argument("--wait-s", type=float, default=None, help="stop waiting after this many "
                        "seconds (0: submit or check once); default: wait until done")  # fmt: skip
    parser.add_argument("--max-cost", type=float, default=None, metavar="USD",
                        help="refuse to submit a run estimated (at Batch price) above this; "
                        "default: $MAX_COST_USD, else no cap")  # fmt: skip


def _guard(
    args: argparse.Namespace, state: Path, estimate: Callable[[], CostEstimate], pool: Any
) -> None:
    """Print the estimate at Batch price before anything is submitted; refuse it above the cap
    (:class:`~routerlab.budget.BudgetExceeded`: one-line error, exit 2). A run resumed from its
    state file was estimated when it was submitted: its batches are only polled and collected."""
    from routerlab.budget import guard, resolve_max_cost
    from routerlab.budget_estimates import at_batch_price

    cap = resolve_max_cost(args.max_cost)
    if state.is_file():
        print(f"resuming the batches saved in {state} (estimated when submitted)", flush=True)
        return
    guard(at_batch_price(estimate(), pool), cap)


def _clients(args: argparse.Namespace, pool: Any) -> tuple[Any, Any]:
    """(chat client for the routers, async SDK client for Files and Batches)."""
    import openai

    from routerlab.llm import make_client
    from routerlab.llm.openai_client import API_KEY_ENV, PLACEHOLDER_KEY

    chat = make_client("live", pool=pool, base_url=args.base_url)
    base_url = getattr(chat, "base_url", None)
    key = os.environ.get(API_KEY_ENV) or (PLACEHOLDER_KEY if base_url else None)
    return chat, openai.AsyncOpenAI(api_key=key, base_url=base_url)


def _progress(job: Any) -> None:
    print(job.progress_line(), file=sys.stderr, flush=True)


def _router(args: argparse.Namespace, pool: Any, chat: Any) -> Any:
    from routerlab.routers import make_router

    kwargs: dict[str, Any] = {}
    if args.router in JUDGE_ROUTERS:
        kwargs = {"client": chat, "judge_model": args.judge_model}
    elif args.router == "classifier" and getattr(args, "model_dir", None):
        kwargs = {"model_dir": args.model_dir}
    return make_router(args.router, pool, **kwargs)


def run_harness_cmd(args: argparse.Namespace) -> int:

    from routerlab.asyncutil import run_sync
    from routerlab.budget_estimates import estimate_harness_cost
    from routerlab.cli._inputs import check_output_dir
    from routerlab.harness import load_questions, mmlu_gateway
    from routerlab.harness_batch import DONE, arun_harness_batch
    from routerlab.pool import load_pool

    out = check_output_dir(args.out_dir, what="output folder")
    pool = load_pool()
    chat, sdk = _clients(args, pool)
    gateway = mmlu_gateway(pool, chat, _router(args, pool, chat))
    questions = load_questions(args.subjects, args.split, args.sample_size)
    state = Path(out) / f"{args.name}.batch.json"
    _guard(args, state, lambda: estimate_harness_cost(gateway, questions,
           fixed_model=args.fixed_model, temperature=args.temperature), pool)  # fmt: skip
    run = run_sync(
        arun_harness_batch(
            sdk, gateway, questions, state,
            fixed_model=args.fixed_model, temperature=args.temperature, poll_s=args.poll,
            timeout_s=args.wait_s, on_progress=_progress,
        )
    )  # fmt: skip
    if run.status != DONE:
        print(f"{run.describe()}; run the same command again to collect")
        return 0
    run.result.save(out, args.name)
    summary = run.result.summary()
    summary.to_csv(Path(out) / f"{args.name}_summary.csv", index=False)
    print(summary.to_string(index=False))
    print(f"saved {Path(out) / (args.name + '_questions.csv')} ({run.describe()})")
    return 0


def run_judge_cmd(args: argparse.Namespace) -> int:

    from routerlab.asyncutil import run_sync
    from routerlab.budget_estimates import estimate_judge_cost
    from routerlab.cli._inputs import check_input_file, check_output_file, read_or_fail
    from routerlab.harness_batch import DONE, arun_decisions_batch
    from routerlab.labeling.io import read_prompts
    from routerlab.pool import load_pool

    check_input_file(args.input, what="input", kind="parquet" if args.input.endswith(".parquet")
                     else "text")  # fmt: skip
    output = check_output_file(args.output, what="output")
    frame = read_or_fail(lambda: read_prompts(args.input), what="input", path=args.input)
    prompts = [str(p) for p in frame["user_query"].tolist()][: args.limit]
    pool = load_pool()
    chat, sdk = _clients(args, pool)
    router = _router(args, pool, chat)
    state = Path(output).with_name(Path(output).name + ".batch.json")
    _guard(args, state, lambda: estimate_judge_cost(router, prompts, pool), pool)
    run = run_sync(
        arun_decisions_batch(
            sdk, router, prompts, state, poll_s=args.poll,
            timeout_s=args.wait_s, on_progress=_progress,
        )
    )  # fmt: skip
    if run.status != DONE:
        print(f"{run.describe()}; run the same command again to collect")
        return 0
    run.result.to_csv(output, index=False)
    fallbacks = int(run.result["fallback"].sum())
    print(
        f"saved {len(run.result)} decisions to {output} ({fallbacks} fallbacks, "
        f"${run.result['cost_usd'].sum():.6f} at Batch price; {run.describe()})"
    )
    return 0
