"""``routerlab train-router``: train an outcome router on an outcome table and save it.

The folder (``meta.json`` + ``learner.joblib``, :class:`routerlab.learning.OutcomeRouter`) is what
the gateway loads to serve a trained router.
"""

from __future__ import annotations

import argparse
import json

from routerlab.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from routerlab.evaluation.multi_run import LEARNERS

    parser = subparsers.add_parser(
        "train-router",
        help="train an outcome router on an outcome table and save it",
        description="Learn per-model success from the prompts' text on an outcome table's "
        "training rows (its fixed split, else all but a held-out half; --all-rows: every row), "
        "pick the cost knob for a budget or target quality on out-of-fold predictions, save "
        "the router to a folder and report what it achieves on the held-out rows.",
    )
    parser.add_argument("table", metavar="TABLE", help="outcome CSV or a registered table name")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to save the router in")
    parser.add_argument(
        "--learner",
        choices=LEARNERS,
        default="knn",
        help="cv: chosen by cross-validation inside the training rows (default: %(default)s)",
    )
    parser.add_argument(
        "--features",
        default="tfidf",
        help="featurizer spec: tfidf, tfidf-svd, char, minilm, length, '+'-joined "
        "(default: %(default)s)",
    )
    parser.add_argument("--models", default=None, metavar="A,B,C", help="default: all")
    parser.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT")
    parser.add_argument("--prices-csv", default=None, metavar="CSV")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--budget", type=float, default=None, metavar="USD_PER_1K")
    target.add_argument("--target-quality", type=float, default=None, metavar="Q")
    reasoning = parser.add_mutually_exclusive_group()
    reasoning.add_argument("--reasoning-multiplier", type=float, default=None, metavar="X")
    reasoning.add_argument("--reasoning-tokens", type=int, default=None, metavar="N")
    parser.add_argument("--output-tokens", type=int, default=None, metavar="N")
    parser.add_argument("--all-rows", action="store_true", help="train on every row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from routerlab.cli._eval_multi import parse_models
    from routerlab.cli._inputs import check_input_file, read_or_fail
    from routerlab.evaluation.multi_run import (
        reasoning_assumption,
        resolve_prices,
        train_and_save,
    )
    from routerlab.tables import load_table, table_names

    if args.table not in table_names():
        check_input_file(args.table, what="outcome table", allowed="expected an outcome CSV")
    if args.output_tokens is not None and args.output_tokens < 0:
        raise ConfigError(f"--output-tokens must be >= 0, got {args.output_tokens}")
    table = read_or_fail(lambda: load_table(args.table), what="outcome table", path=args.table)
    saved = train_and_save(
        table,
        args.out,
        learner=args.learner,
        features=args.features,
        models=parse_models(args.models) if args.models else None,
        prices=resolve_prices(args.table, price_specs=args.price, prices_csv=args.prices_csv),
        reasoning=reasoning_assumption(args.reasoning_multiplier, args.reasoning_tokens),
        output_tokens=args.output_tokens,
        budget=args.budget,
        target_quality=args.target_quality,
        all_rows=args.all_rows,
        seed=args.seed,
    )
    summary = {
        "folder": str(saved.folder),
        "models": list(saved.models),
        "lam": saved.lam,
        "train_rows": saved.train_rows,
        "held_out_rows": saved.held_out_rows,
        "held_out_quality": saved.held_out_quality,
        "held_out_cost_usd_per_1k": saved.held_out_cost_usd_per_1k,
        "notes": saved.notes,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"saved {args.learner} router on {', '.join(saved.models)} to {saved.folder}")
    print(f"lam = {saved.lam:.4g}; trained on {saved.train_rows:,} rows")
    if saved.held_out_quality is not None and saved.held_out_cost_usd_per_1k is not None:
        print(
            f"held-out ({saved.held_out_rows:,} rows): quality {saved.held_out_quality:.3f} at "
            f"${saved.held_out_cost_usd_per_1k:.4f} per 1k prompts"
        )
    for note in saved.notes:
        print(f"note: {note}")
    return 0
