"""The classifier results tables: fine-tuned router and baselines, measured; published numbers apart.

Baselines (majority, TF-IDF + logistic regression) are trained here on both splits; fine-tuned
models are the directories written by ``routerlab train`` / notebook 04 (one per split): each is
re-scored on its split's report rows (test on the ``grouped`` split; validation on the leaky
``study`` split) with bootstrap 95 % intervals, and its recorded (measured) training time is
reported. Published numbers go to a separate table, ``reported_results.csv``, labeled "reported,
not measured here" with the split they were measured on.

    .venv/bin/python benchmarks/classifier_table.py \\
        --model-dir grouped=outputs/models/classifier \\
        --model-dir study=outputs/models/classifier-study \\
        --out benchmarks/results/classifier_table.csv

The default ``--out`` lies outside ``outputs/`` (git-ignored): ``make run`` does not write these
tables, so they must not sit beside, or overwrite, what it does write.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--model-dir",
        action="append",
        default=[],
        help="SPLIT=DIR of a fine-tuned model, SPLIT in grouped, study (repeatable)",
    )
    parser.add_argument(
        "--out",
        default="benchmarks/results/classifier_table.csv",
        help="results table; figures and reported_results.csv go beside it (default outside "
        "outputs/, which only `make run` writes)",
    )
    args = parser.parse_args()

    from routerlab.data import load_labeled_prompts
    from routerlab.plots.training import plot_confusion_matrix
    from routerlab.pool import load_pool
    from routerlab.training.io import load_classifier
    from routerlab.training.metrics import confusion
    from routerlab.training.prepare import SPLIT_MODES, prepare_data, split_label
    from routerlab.training.report import reported_results, results_frame, results_row
    from routerlab.training.workflow import baseline_rows, model_label, score_report_side

    dirs = dict(item.split("=", 1) for item in args.model_dir)
    unknown = set(dirs) - set(SPLIT_MODES)
    if unknown:
        raise SystemExit(f"unknown split(s) {sorted(unknown)}; allowed: {', '.join(SPLIT_MODES)}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame, pool = load_labeled_prompts(), load_pool()
    rows = []
    for split in SPLIT_MODES:
        data = prepare_data(frame, pool, split_mode=split)
        _, base = baseline_rows(data)
        rows += base
        if split not in dirs:
            continue
        loaded = load_classifier(dirs[split])
        recorded = loaded.info.get("split_mode")
        if recorded != split:
            raise SystemExit(f"{dirs[split]} was trained on split {recorded!r}, not {split!r}")
        if loaded.info.get("train_rows") != len(data.train):
            # a model trained on a sample saw another split: its "test" rows may be its training
            raise SystemExit(
                f"{dirs[split]} was trained on {loaded.info.get('train_rows')} rows, not on this "
                f"split's {len(data.train)} training rows; re-score only full-data models"
            )
        probs, metrics, intervals = score_report_side(
            loaded.model, loaded.tokenizer, data, loaded.max_length
        )
        pred = probs.argmax(axis=1)
        gold = data.report_frame["label_id"]
        label = model_label(str(loaded.info.get("base_model")))
        # Redraw the confusion matrix from this re-evaluation, beside the table.
        fig = plot_confusion_matrix(
            confusion(gold, pred, data.labels),
            title=f"fine-tuned {label}\n{split_label(split)}, {data.report_side} rows "
            f"(n = {len(gold):,})",
        )
        fig.savefig(out.parent / f"finetuned_{split}_confusion.png", dpi=120)
        config = loaded.info.get("config", {})
        name = f"finetuned_{label}_lr{config.get('learning_rate')}_{config.get('epochs')}ep"
        rows.append(
            results_row(
                name,
                data,
                metrics,
                float(loaded.info.get("train_seconds", float("nan"))),
                intervals,
                train_rows=loaded.info.get("train_rows"),
            )
        )
    table = results_frame(rows)
    table.to_csv(out, index=False)
    reported = reported_results()
    reported.to_csv(out.parent / "reported_results.csv", index=False)
    with pd.option_context("display.width", 220, "display.max_columns", 30):
        print("measured here:")
        print(table.to_string(index=False))
        print("\nreported, not measured here:")
        print(reported.to_string(index=False))
    print(f"\nwritten to {out} and {out.parent / 'reported_results.csv'}")


if __name__ == "__main__":
    main()
