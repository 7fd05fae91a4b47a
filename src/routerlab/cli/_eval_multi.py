"""The N-model branch of ``routerlab eval`` (issue 11): options and the run.

A table with more than two models, or ``--models`` naming more than two, goes through
:func:`routerlab.evaluation.multi_run.run_multi`; two-model tables keep the two-model path. This
module only parses options and prints; the work is in the evaluation package.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from routerlab.errors import ConfigError

BUILT_IN = ("random", "oracle")  # always part of an N-model evaluation


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from routerlab.evaluation.multi_run import OUTCOME_ROUTERS

    group = parser.add_argument_group(
        "N-model tables (more than two models, or --models with more than two)",
        "Every model alone (always:<model>), the oracle and a random router are always scored; "
        f"--router adds outcome routers ({', '.join(OUTCOME_ROUTERS)}; trained on the training "
        "rows) or, with --tiers, the classifier.",
    )
    group.add_argument(
        "--models",
        default=None,
        metavar="A,B,C",
        help="comma-separated model columns to evaluate (default: all of the table's)",
    )
    group.add_argument(
        "--prices-csv",
        default=None,
        metavar="CSV",
        help="prices CSV with columns model,input,output (USD per 1M tokens)",
    )
    group.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="USD_PER_1K",
        help="report each curve router's point at this budget (knob chosen on training rows, "
        "achieved on held-out rows)",
    )
    reasoning = group.add_mutually_exclusive_group()
    reasoning.add_argument(
        "--reasoning-multiplier",
        type=float,
        default=None,
        metavar="X",
        help="reasoning models' billed output = X x visible output (default assumption: 4)",
    )
    reasoning.add_argument(
        "--reasoning-tokens",
        type=int,
        default=None,
        metavar="N",
        help="reasoning models' billed output = visible output + N hidden tokens per call",
    )
    group.add_argument(
        "--output-tokens",
        type=int,
        default=None,
        metavar="N",
        help="output tokens per reply where the table records none (default: the table's "
        "registered assumption, else 1)",
    )
    group.add_argument(
        "--router-dir",
        dest="router_dirs",
        action="append",
        default=[],
        metavar="DIR",
        help="score a saved outcome router (from routerlab train-router) as it is; repeat",
    )
    group.add_argument(
        "--tiers",
        nargs="?",
        const="default",
        default=None,
        metavar="POOL=TABLE,...",
        help="score pool routers (--router classifier) and pool-model --decisions on stand-in "
        "table models; without a value: gpt-4.1-nano -> gpt-4o-mini, gpt-4.1 -> gpt-4o, "
        "o4-mini -> o1-mini",
    )


def wants_multi(table: Any, models: str | None) -> bool:
    """True when the evaluation has more than two models."""
    chosen = parse_models(models) if models else list(table.models)
    return len(chosen) > 2


MULTI_ONLY = (
    ("budget", "--budget"),
    ("prices_csv", "--prices-csv"),
    ("reasoning_multiplier", "--reasoning-multiplier"),
    ("reasoning_tokens", "--reasoning-tokens"),
    ("output_tokens", "--output-tokens"),
    ("tiers", "--tiers"),
    ("router_dirs", "--router-dir"),
)


def refuse_multi_options(args: argparse.Namespace) -> None:
    """A two-model evaluation has no use for the N-model options: say so instead of ignoring."""
    given = [flag for attr, flag in MULTI_ONLY if getattr(args, attr, None) not in (None, [])]
    if given:
        raise ConfigError(
            f"{', '.join(given)} apply to N-model tables (more than two models); this evaluation "
            "has two (name more with --models, or drop the option)"
        )


def parse_models(spec: str) -> list[str]:
    models = [m.strip() for m in spec.split(",") if m.strip()]
    if not models:
        raise ConfigError(f"--models {spec!r} names no model; give comma-separated model columns")
    return models


def run(args: argparse.Namespace, table: Any, decisions: Sequence[str]) -> int:
    """Evaluate ``table`` with the N-model path and print the table (or ``--json``)."""
    import pandas as pd

    from routerlab.evaluation.multi_run import (
        reasoning_assumption,
        resolve_prices,
        run_multi,
    )
    from routerlab.tiers import TierMap

    models = parse_models(args.models) if args.models else None
    routers = [r for r in dict.fromkeys(args.routers or ()) if r not in BUILT_IN]
    tiers = None
    if args.tiers is not None:
        tiers = TierMap.of() if args.tiers == "default" else TierMap.parse(args.tiers)
    if args.output_tokens is not None and args.output_tokens < 0:
        raise ConfigError(f"--output-tokens must be >= 0, got {args.output_tokens}")
    prices = resolve_prices(args.table, price_specs=args.price, prices_csv=args.prices_csv)
    result = run_multi(
        table,
        models=models,
        routers=routers if args.routers else None,
        prices=prices,
        reasoning=reasoning_assumption(args.reasoning_multiplier, args.reasoning_tokens),
        output_tokens=args.output_tokens,
        held_out_fraction=0.5 if args.held_out_fraction is None else args.held_out_fraction,
        seed=args.seed,
        n_boot=args.bootstrap,
        budget=args.budget,
        tiers=tiers,
        classifier_dir=args.classifier_dir,
        decisions=decisions,
        router_dirs=args.router_dirs,
    )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(result.text())
    for note in result.all_notes():
        print(f"note: {note}", file=sys.stderr)
    return 0
