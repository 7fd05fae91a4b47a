"""``routerlab eval``: score routers on an outcome table and print the metric table.

TABLE is a CSV (a ``prompt`` column and one boolean or numeric column per model; optional ``id``,
``subject``, ``answer`` and ``<model>::cost_usd`` / ``::prompt_tokens`` / ``::completion_tokens``
columns) or the word ``routellm-mmlu`` for the mirror's RouteLLM MMLU table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from functools import partial
from pathlib import Path

from routerlab.cli import _eval_multi
from routerlab.cli._inputs import PathError, check_input_file, read_or_fail, require_rows
from routerlab.errors import ConfigError

DEFAULT_CLASSIFIER_DIR = "outputs/models/classifier"


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from routerlab.evaluation.run import DEFAULT_ROUTERS, TABLE_ROUTERS
    from routerlab.tables import ROUTELLM_MMLU

    parser = subparsers.add_parser(
        "eval",
        help="score routers on an outcome table (APGR, CPT(50%%), CPT(80%%), AUC, accuracy)",
        description="Score routers by lookup in an outcome table, on the held-out rows "
        "(trainable routers, such as the in-domain ones, train on at most 1,500 of the others). "
        "Any registered router can be scored. For a two-model table the more accurate model is "
        "the strong one unless --strong/--weak say otherwise.",
    )
    parser.add_argument(
        "table",
        metavar="TABLE",
        help=f"outcome CSV, or a registered table ({ROUTELLM_MMLU!r}, 'zeroeval-crux', "
        "'zeroeval-math-l5', 'llmrouter')",
    )
    parser.add_argument(
        "--router",
        dest="routers",
        action="append",
        metavar="NAME",
        help=f"router to score: {', '.join(TABLE_ROUTERS)} (read off the table) or any "
        "registered router, e.g. random, length, indomain-text, indomain-subject, indomain, "
        f"classifier; trainable ones train on the training rows (repeat; default: "
        f"{' '.join(DEFAULT_ROUTERS)})",
    )
    parser.add_argument("--strong", default=None, help="strong model column")
    parser.add_argument("--weak", default=None, help="weak model column")
    parser.add_argument(
        "--decisions",
        action="append",
        default=[],
        metavar="CSV",
        help="decisions of a deciding router (judge): CSV with prompt (or id) and model; repeat",
    )
    parser.add_argument(
        "--classifier-dir",
        default=DEFAULT_CLASSIFIER_DIR,
        help="trained classifier router for --router classifier (default: %(default)s; "
        "skipped with a note when the default is absent)",
    )
    parser.add_argument(
        "--train-rows",
        type=int,
        default=None,
        help="training rows of trainable routers (<= 1500; default: 1500, or half of a smaller "
        "table)",
    )
    parser.add_argument(
        "--held-out-fraction",
        type=float,
        default=None,
        help="two-model tables: fraction of the rows left after training that is scored "
        "(default: all); N-model tables: fraction of the rows held out (default: half; a table "
        "with a fixed train/test split uses it)",
    )
    parser.add_argument("--seed", type=int, default=0, help="split and model seed")
    parser.add_argument(
        "--random-seeds", type=int, default=10, help="seeds the random router averages"
    )
    parser.add_argument(
        "--features",
        default="subject,length",
        help="features of the 'indomain' router (fixed features, C by CV), comma-separated: "
        "subject, tfidf, minilm, length (default: %(default)s); the indomain-text and "
        "indomain-subject routers choose theirs by CV",
    )
    parser.add_argument(
        "--cost-prompt",
        default="auto",
        choices=("auto", "few-shot", "question"),
        help="what a prompt's input cost counts: few-shot (question + 5-shot prefix, as the "
        "RouteLLM MMLU outcomes were recorded), question (the stored text only); auto: few-shot "
        "for routellm-mmlu, question otherwise (default: %(default)s)",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=200,
        help="bootstrap resamples for 95 %% intervals (0: none; default: %(default)s)",
    )
    parser.add_argument(
        "--price",
        action="append",
        default=[],
        metavar="MODEL=IN,OUT",
        help="USD per 1M input,output tokens for a model not in the pool (repeat)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON record per router")
    _eval_multi.add_arguments(parser)
    parser.set_defaults(func=run)


def _prices(specs: list[str], models: tuple[str, ...]) -> dict[str, object]:
    from routerlab.evaluation.costs import ROUTELLM_PRICES, ModelPrice, pool_prices
    from routerlab.evaluation.multi_inputs import parse_price
    from routerlab.pool import load_pool

    prices: dict[str, ModelPrice] = {**pool_prices(load_pool()), **ROUTELLM_PRICES}
    prices.update(parse_price(spec) for spec in specs)
    return {m: prices[m] for m in models if m in prices}


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from routerlab.evaluation.run import (
        DEFAULT_ROUTERS,
        check_routers,
        load_decisions,
        run_evaluation,
    )
    from routerlab.evaluation.scoring import PairOutcomes
    from routerlab.tables import load_outcome_table, table_names

    # Every file is checked before anything is loaded or trained.
    shape = "a CSV with a 'prompt' column and one boolean or numeric column per model"
    if args.table not in table_names():
        check_input_file(
            args.table,
            what="outcome table",
            allowed=f"expected {shape}, or a registered table: {', '.join(table_names())}",
        )
    for path in args.decisions:
        check_input_file(
            path, what="decisions file", allowed="expected a CSV with prompt (or id) and model"
        )
    routers = list(dict.fromkeys(args.routers or DEFAULT_ROUTERS))
    # The default folder may not exist yet (the router is then skipped with a note); a folder
    # the user named must exist, or the result would silently lack the router they asked for.
    if (
        "classifier" in routers
        and args.classifier_dir != DEFAULT_CLASSIFIER_DIR
        and not Path(args.classifier_dir).is_dir()
    ):
        raise PathError(
            f"--classifier-dir {args.classifier_dir!r} is not a folder; give a trained "
            "classifier router folder (from `routerlab train`)"
        )
    if args.random_seeds < 1:
        raise ConfigError(f"--random-seeds must be >= 1, got {args.random_seeds}")
    table = read_or_fail(
        lambda: load_outcome_table(args.table), what="outcome table", path=args.table
    )
    require_rows(len(table), what="outcome table", path=args.table, needed=f"expected {shape}")
    if _eval_multi.wants_multi(table, args.models):
        return _eval_multi.run(args, table, args.decisions)
    _eval_multi.refuse_multi_options(args)
    if args.models:
        table = table.select_models(_eval_multi.parse_models(args.models))
    check_routers(routers)
    if args.train_rows is not None and args.train_rows >= len(table):
        raise ConfigError(
            f"outcome table {args.table!r} has {len(table):,} row(s) and --train-rows is "
            f"{args.train_rows:,}, which leaves no held-out rows to score; pass --train-rows N "
            f"with N < {len(table):,} (for example --train-rows {len(table) // 2})"
        )
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    strong, weak = table.strong_weak(args.strong, args.weak)
    pair = PairOutcomes.from_table(table, strong, weak)
    decisions = {}
    for path in args.decisions:
        name, flags = read_or_fail(
            partial(load_decisions, path, table, pair), what="decisions file", path=path
        )
        decisions[name] = flags
    evaluation = run_evaluation(
        table,
        routers,
        strong=strong,
        weak=weak,
        train_rows=args.train_rows,
        held_out_fraction=1.0 if args.held_out_fraction is None else args.held_out_fraction,
        seed=args.seed,
        random_seeds=tuple(range(args.random_seeds)),
        indomain_features=features,
        router_options={"classifier": {"model_dir": args.classifier_dir}},
        decisions=decisions,
        prices=_prices(args.price, table.models),  # type: ignore[arg-type]
        cost_prompt=args.cost_prompt,
        bootstrap=args.bootstrap,
    )
    metrics = evaluation.metrics()
    if args.json:
        records = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in metrics.to_dict("records")
        ]
        print(
            json.dumps(
                {"table": table.name, "notes": evaluation.notes, "routers": records}, indent=2
            )
        )
        return 0
    shown = metrics.drop(columns=[c for c in metrics.columns if c.endswith("_std")])
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for note in evaluation.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
