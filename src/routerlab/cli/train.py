"""``routerlab train``: fine-tune the classifier router (and optionally run the baselines)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from routerlab.cli import add_profile_argument
from routerlab.cli._inputs import check_output_dir
from routerlab.errors import ConfigError

DEFAULT_MODEL_DIR = "outputs/models/classifier"  # routers.classifier.DEFAULT_MODEL_DIR


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "train",
        help="fine-tune the classifier router on the labeled prompts",
        description="Fine-tune an encoder on the labeled Arena prompts (class-weighted loss, "
        "best epoch by validation macro-F1), score it once on the test side with bootstrap "
        "95%% intervals, save it as a classifier-router directory, write metrics and figures. "
        "Re-running with the same --model-dir resumes from the last checkpoint.",
    )
    add_profile_argument(parser)
    parser.add_argument(
        "--split",
        choices=["grouped", "study"],
        default="grouped",
        help="grouped (default, honest): near-duplicates grouped, split by group into train / "
        "validation / test, selection on validation, scores on test with 95%% intervals; "
        "study: the study's split, LEAKY (314 validation queries also in training), for "
        "comparison with the study only",
    )
    parser.add_argument(
        "--base-model",
        default=None,
        help="hub id or folder (default: distilbert-base-cased live, packaged MiniLM offline)",
    )
    parser.add_argument("--epochs", type=float, default=None, help="default: the profile recipe's")
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--sample-size",
        type=int,
        default=None,
        help="train on a stratified sample of this many rows (quick runs)",
    )
    parser.add_argument("--max-steps", type=int, default=None, help="cap optimisation steps")
    parser.add_argument(
        "--output-dir",
        default="outputs/classifier",
        help="metrics, figures and results.csv (default: %(default)s)",
    )
    parser.add_argument(
        "--model-dir",
        default=None,
        help="where the trained router model is saved (default: outputs/models/classifier, "
        "the folder notebook 05 and the gateway load, for --split grouped; "
        "outputs/models/classifier-study for the leaky study split, so it never replaces it)",
    )
    parser.add_argument(
        "--no-resume", action="store_true", help="start afresh even if checkpoints exist"
    )
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="also run majority and TF-IDF + LR baselines on the same split (same rows scored)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def default_model_dir(split: str) -> str:
    """The gateway's folder for the honest split; a separate one for the leaky study split
    (:func:`routerlab.training.io.default_model_dir`, shared with notebook 04)."""
    from routerlab.training.io import default_model_dir as library_default

    return str(library_default(split))


def run(args: argparse.Namespace) -> int:
    # On shared CPUs, OpenMP threads that spin while waiting stall each other badly (measured:
    # 5x slower steps under load); passive waiting costs nothing when the machine is free.
    # Must be set before torch is imported, which happens below.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # Training takes minutes to hours: find out now, not at the first save, that a folder
    # cannot be written.
    check_output_dir(args.output_dir, what="--output-dir")
    check_output_dir(args.model_dir or default_model_dir(args.split), what="--model-dir")
    if args.sample_size is not None and args.sample_size < 1:
        raise ConfigError(f"--sample-size must be >= 1, got {args.sample_size}")
    from routerlab.profiles import resolve_profile
    from routerlab.training.workflow import append_results, baseline_rows, fine_tune, load_split

    profile = resolve_profile(args.profile)
    data = load_split(profile, args.split, sample_size=args.sample_size)
    overrides = {
        key: value
        for key, value in {
            "epochs": args.epochs,
            "learning_rate": args.learning_rate,
            "batch_size": args.batch_size,
        }.items()
        if value is not None
    }
    # Quick runs get a tagged name so they never replace full-run rows in results.csv.
    tags = [
        f"sample{args.sample_size}" if args.sample_size else "",
        f"steps{args.max_steps}" if args.max_steps else "",
    ]
    tag = "_".join(t for t in tags if t)
    rows: list[dict[str, object]] = []
    if args.baselines:
        _, rows = baseline_rows(data)
    run_ = fine_tune(
        data,
        profile=profile,
        base_model=args.base_model,
        output_dir=args.output_dir,
        model_dir=args.model_dir or default_model_dir(args.split),
        resume=not args.no_resume,
        max_steps=args.max_steps,
        name=f"finetuned_{tag}" if tag else None,
        progress=not args.quiet,
        **overrides,
    )
    rows.append(run_.row)
    table = append_results(rows, Path(args.output_dir) / "results.csv")
    print(json.dumps(run_.row, indent=2))
    print(
        f"model saved to {run_.model_dir}; results in {Path(args.output_dir) / 'results.csv'} "
        f"({len(table)} rows)"
    )
    return 0
