"""``routerlab label INPUT OUTPUT``: label prompts with a judge model, resumably.

Labels go through a checkpoint beside OUTPUT (``OUTPUT.checkpoint.jsonl``): running the same
command again skips what is labeled and finishes the rest.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from routerlab.cli import add_profile_argument
from routerlab.cli._inputs import (
    PathError,
    check_input_file,
    check_output_file,
    read_or_fail,
    require_rows,
    same_file,
)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "label",
        help="label prompts with a judge (cheapest sufficient model), resumable",
        description="Label prompts (CSV/JSONL/parquet with user_query or prompt, or hub "
        "conversations with conversation_a) with a judge model; write OUTPUT as CSV "
        "(user_query, label). Re-running with the same OUTPUT resumes from its checkpoint.",
    )
    p.add_argument("input", help="CSV, JSONL or parquet of prompts or conversations")
    p.add_argument("output", help="CSV to write (its checkpoint sits beside it)")
    p.add_argument("--judge", default="gpt-4.1", help="pool model that labels (default gpt-4.1)")
    p.add_argument("--temperature", type=float, default=0.2, help="judge temperature (0.2)")
    p.add_argument("--limit", type=int, default=None, help="label only the first N prompts")
    p.add_argument("--concurrency", type=int, default=8, help="calls in flight (default 8)")
    p.add_argument(
        "--max-cost",
        "--budget",
        dest="budget",
        type=float,
        default=None,
        metavar="USD",
        help="spending cap (default $MAX_COST_USD): the estimate is printed first and a run "
        "estimated above it is refused (exit 2); a run that reaches it stops, checkpoint kept",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="do not use the response cache (same as ROUTERLAB_NO_CACHE=1)",
    )
    p.add_argument("--clean", action="store_true", help="apply the default cleaning first")
    p.add_argument(
        "--batch",
        action="store_true",
        help="use the Batch API (live: submit, poll, download; offline: write requests only)",
    )
    p.add_argument("--poll", type=float, default=30.0, help="batch poll interval, seconds")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_profile_argument(p)
    p.set_defaults(func=_run)


def _make_client(profile: Any, pool: Any) -> Any:
    """The judge client for ``profile`` (a seam tests replace with a fake judge)."""
    from routerlab.llm import make_client

    return make_client(profile, pool=pool)


def _run(args: argparse.Namespace) -> int:
    from routerlab.budget import resolve_max_cost
    from routerlab.budget_estimates import guard_labeling
    from routerlab.errors import ConfigError
    from routerlab.labeling.cleaning import CleaningConfig, clean_prompts
    from routerlab.labeling.io import checkpoint_for, read_prompts, write_labels
    from routerlab.labeling.labeler import LabelConfig, label_prompts, labels_from_checkpoint
    from routerlab.pool import load_pool
    from routerlab.profiles import Profile, resolve_profile

    _check_paths(args.input, args.output)  # before any judge call, so nothing is half done
    profile = resolve_profile(args.profile)
    pool = load_pool()
    pool.get(args.judge)
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    if args.no_cache:  # the environment carries it to every client this process builds
        from routerlab.llm.cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"
    config = LabelConfig(
        judge=args.judge,
        temperature=args.temperature,
        concurrency=args.concurrency,
        budget_usd=resolve_max_cost(args.budget),
    )
    _check_prompt_types(args.input)
    frame = read_or_fail(lambda: read_prompts(args.input), what="input", path=args.input)
    require_rows(len(frame), what="input", path=args.input, needed=_SHAPE)
    if args.clean:
        cleaned = clean_prompts(frame, CleaningConfig(drop_empty_label=False))
        print(cleaned.report.to_string(index=False))
        frame = cleaned.frame
    else:  # an empty prompt has nothing to label
        frame = frame[frame["user_query"].str.strip() != ""].reset_index(drop=True)
        if frame.empty:
            raise ConfigError(f"input {args.input!r}: every prompt is empty; nothing to label")
    if args.limit is not None:
        frame = frame.head(args.limit)
    prompts = frame["user_query"].tolist()
    checkpoint = checkpoint_for(args.output)

    def check_budget(stand_in: bool) -> None:
        """Print the estimate of what is left to label; refuse it above the cap."""
        guard_labeling(prompts, pool, config, checkpoint_path=checkpoint, stand_in=stand_in)

    if args.batch:
        if profile is not Profile.LIVE:
            return _write_batch_requests(prompts, pool, config, checkpoint)
        check_budget(stand_in=False)
        _run_batch(prompts, pool, config, checkpoint, args.poll)
        labels = labels_from_checkpoint(prompts, checkpoint)
    else:
        client = _make_client(profile, pool)
        check_budget(stand_in=bool(getattr(client, "stand_in", False)))
        run = label_prompts(
            prompts, client, checkpoint, config=config, progress=not args.no_progress
        )
        print(run.summary().to_string(index=False))
        if run.stand_in:
            print("note: labels come from an offline stand-in model, not the pool's judge")
        labels = run.labels

    out = frame.drop(columns=["label"], errors="ignore").copy()
    out["label"] = labels["label"].values
    done = (labels["status"] == "ok").to_numpy()
    write_labels(out[done], args.output)
    left = int((~done).sum())
    print(f"wrote {int(done.sum())} labeled rows to {args.output} (checkpoint {checkpoint})")
    if left:
        print(f"{left} rows not labeled yet (failed, pending or over budget): run again to resume")
    return 0


_SHAPE = "expected rows with a user_query or prompt column, or hub conversations (conversation_a)"


def _check_paths(input_path: str, output_path: str) -> None:
    """Refuse an input that cannot be read as prompts and an output that cannot be written."""
    from routerlab.labeling.io import SUFFIXES, checkpoint_for

    allowed = f"allowed: {', '.join(SUFFIXES)} files; {_SHAPE}"
    suffix = Path(input_path).suffix.lower()
    if not Path(input_path).is_file():  # missing or a folder: say that, whatever the suffix
        check_input_file(input_path, what="input", allowed=allowed)
    if suffix not in SUFFIXES:
        raise PathError(f"input {input_path!r} has suffix {suffix or 'none'!r}; {allowed}")
    kind = "parquet" if suffix == ".parquet" else "text"
    check_input_file(input_path, what="input", kind=kind, allowed=allowed)
    check_output_file(output_path, what="output")
    checkpoint = checkpoint_for(output_path)
    if checkpoint.exists() and not checkpoint.is_file():
        raise PathError(
            f"the checkpoint beside the output, {str(checkpoint)!r}, is a folder; move it away "
            "or choose another output path"
        )
    if same_file(input_path, output_path):
        raise PathError(
            f"output {output_path!r} is the input file; writing labels would replace the "
            "prompts: choose another output path"
        )


def _check_prompt_types(input_path: str) -> None:
    """Refuse prompts that are not text (JSON numbers, objects, lists; parquet non-string
    columns), which reading would otherwise turn into strings like ``"{'x': 1}"`` and label."""
    import math

    import pandas as pd

    from routerlab.labeling.conversations import is_conversation_frame
    from routerlab.labeling.io import PROMPT_COLUMNS, read_table

    frame = read_or_fail(lambda: read_table(input_path), what="input", path=input_path)
    column = next((c for c in PROMPT_COLUMNS if c in frame.columns), None)
    if column is None or is_conversation_frame(frame):  # read_prompts handles these
        return

    def missing(v: Any) -> bool:  # an absent prompt is dropped later as empty, not an error
        return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))

    bad = [
        (i, v)
        for i, v in enumerate(frame[column].tolist())
        if not (isinstance(v, str) or missing(v))
    ]
    if bad:
        shown = ", ".join(f"row {i + 1}: {type(v).__name__}" for i, v in bad[:3])
        raise PathError(
            f"input {input_path!r}: {len(bad)} value(s) of column {column!r} are not text "
            f"({shown}); every prompt must be a string"
        )


def _write_batch_requests(prompts: list[str], pool: Any, config: Any, checkpoint: Any) -> int:
    from routerlab.labeling.batch import build_batch_requests, write_batch_files
    from routerlab.labeling.checkpoint import Checkpoint

    with Checkpoint.open(checkpoint) as ck:
        requests = build_batch_requests(prompts, pool, config, skip=ck.done)
    paths = write_batch_files(requests, checkpoint.with_name(checkpoint.name + ".requests.jsonl"))
    print(
        f"offline profile: wrote {len(requests)} Batch API requests to "
        f"{', '.join(map(str, paths))}; submit them with --profile live --batch"
    )
    return 0


def _run_batch(prompts: list[str], pool: Any, config: Any, checkpoint: Any, poll_s: float) -> None:
    import openai

    from routerlab.asyncutil import run_sync
    from routerlab.labeling.batch import arun_batch

    async def go() -> None:
        client = openai.AsyncOpenAI()  # key and base URL from OPENAI_API_KEY / OPENAI_BASE_URL
        try:
            job, result = await arun_batch(client, prompts, checkpoint, pool, config, poll_s=poll_s)
        finally:
            await client.close()
        if result is None:
            print(f"batch {job.batch_id} is {job.status}; run again later to collect it")
        else:
            print(
                f"batch {job.batch_id or '(none needed)'}: {result.ok} labeled, "
                f"{result.errors} errors, ${result.cost_usd:.4f} at batch price"
            )

    run_sync(go())
