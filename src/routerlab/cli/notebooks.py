"""``routerlab notebooks``: execute the notebooks with papermill into outputs/notebooks/."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

from routerlab.cli import add_profile_argument
from routerlab.cli._inputs import check_output_dir


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notebooks", help="execute the notebooks headlessly (papermill)")
    add_profile_argument(p)
    p.add_argument(
        "--params",
        default="default",
        choices=["default", "ci", "live"],
        help="parameter set from notebooks/params/*.toml (default: default; live: sized for a "
        "real comparison, with its estimated cost in the file's comments)",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="the notebooks' clients skip the response cache (sets ROUTERLAB_NO_CACHE=1)",
    )
    p.add_argument(
        "--max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="spending cap for live runs: the notebooks' MAX_COST_USD parameter (over the "
        "parameter set's value) and $MAX_COST_USD in the kernels",
    )
    p.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="NAME",
        help="run only these notebooks (stem or number prefix, e.g. 05)",
    )
    p.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="where rendered notebooks go (default: outputs/notebooks)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from routerlab.notebooks import NotebookRun, run_all
    from routerlab.profiles import resolve_profile

    if args.output_dir is not None:
        check_output_dir(args.output_dir, what="--output-dir")
    # papermill kernels inherit this process's environment
    if args.no_cache:
        from routerlab.llm.cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"
    overrides = {}
    if args.max_cost is not None:
        from routerlab.budget import MAX_COST_ENV, resolve_max_cost

        resolve_max_cost(args.max_cost)  # refuses a negative cap before any notebook starts
        os.environ[MAX_COST_ENV] = str(args.max_cost)
        # the notebooks pass their MAX_COST_USD parameter explicitly, so the cap must be that
        # parameter too, or a parameter set's own value (e.g. [live]'s 20.0) would win
        overrides["MAX_COST_USD"] = float(args.max_cost)
    profile = resolve_profile(args.profile)

    def report(run: NotebookRun) -> None:
        status = "ok" if run.ok else "FAILED"
        print(f"{run.notebook}: {status} in {run.seconds:.0f} s -> {run.output}", flush=True)
        if not run.ok:
            print(f"  {run.error}", file=sys.stderr, flush=True)

    print(f"profile: {profile.value}; parameter set: {args.params}", flush=True)
    runs = run_all(
        profile=profile,
        param_set=args.params,
        only=args.only,
        output_dir=args.output_dir,
        on_done=report,
        overrides=overrides,
    )
    if runs:
        summary = Path(runs[0].output).parent / f"run_summary_{args.params}.csv"
        with summary.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["notebook", "ok", "seconds", "profile", "params"])
            for run in runs:
                writer.writerow(
                    [run.notebook, run.ok, f"{run.seconds:.1f}", profile.value, args.params]
                )
    failed = [r.notebook for r in runs if not r.ok]
    total = sum(r.seconds for r in runs)
    print(
        f"{len(runs) - len(failed)}/{len(runs)} notebooks ran in {total / 60:.1f} min", flush=True
    )
    return 1 if failed or not runs else 0
