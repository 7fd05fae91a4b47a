"""The classifier results table: fine-tuned router and baselines on both splits.

Baselines (majority, TF-IDF + logistic regression) are trained here; fine-tuned models are
the directories written by ``routerlab train`` (one per split): each is re-evaluated on its
split's validation rows and its recorded training time is reported. Reported reference rows
(the study's DistilBERT, the mirror README's plain MiniLM fine-tune) are added, marked as such.

    .venv/bin/python benchmarks/classifier_table.py \\
        --model-dir study=outputs/models/classifier \\
        --model-dir dedup=outputs/models/classifier-dedup \\
        --out outputs/classifier/results.csv
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pandas as pd

REPORTED = [  # (model, split, accuracy, macro_f1, weighted_f1, train_seconds, source)
    ("study_distilbert (reported)", "study", 0.7901, 0.7505, 0.7948, None, "study notebook"),
    ("plain_minilm_lr5e-5_3ep (reported)", "study", 0.821, 0.784, None, 1500.0, "mirror README"),
    ("plain_minilm_lr5e-5_3ep (reported)", "dedup", 0.782, 0.721, None, 1500.0, "mirror README"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model-dir",
        action="append",
        default=[],
        help="SPLIT=DIR of a fine-tuned model (repeatable)",
    )
    parser.add_argument("--out", default="outputs/classifier/results.csv")
    args = parser.parse_args()

    from routerlab.data import load_labeled_prompts
    from routerlab.plots.training import plot_confusion_matrix
    from routerlab.pool import load_pool
    from routerlab.training.inference import predict_proba
    from routerlab.training.io import load_classifier
    from routerlab.training.metrics import classification_metrics, confusion
    from routerlab.training.prepare import prepare_data
    from routerlab.training.report import results_row
    from routerlab.training.workflow import baseline_rows, model_label

    dirs = dict(item.split("=", 1) for item in args.model_dir)
    frame, pool = load_labeled_prompts(), load_pool()
    rows = []
    for split in ("study", "dedup"):
        data = prepare_data(frame, pool, split_mode=split)
        _, base = baseline_rows(data)
        rows += [{**r, "source": "measured"} for r in base]
        if split not in dirs:
            continue
        loaded = load_classifier(dirs[split])
        recorded = loaded.info.get("split_mode")
        if recorded != split:
            raise SystemExit(f"{dirs[split]} was trained on split {recorded!r}, not {split!r}")
        probs = predict_proba(
            loaded.model,
            loaded.tokenizer,
            data.val["user_query"].tolist(),
            max_length=loaded.max_length,
        )
        metrics = classification_metrics(data.val["label_id"], probs.argmax(axis=1), data.labels)
        # Redraw the confusion matrix from this re-evaluation, beside the table.
        fig = plot_confusion_matrix(
            confusion(data.val["label_id"], probs.argmax(axis=1), data.labels),
            title=f"fine-tuned {model_label(str(loaded.info.get('base_model')))}, {split} split",
        )
        fig.savefig(Path(args.out).parent / f"finetuned_{split}_confusion.png", dpi=120)
        config = loaded.info.get("config", {})
        name = f"finetuned_{model_label(str(loaded.info.get('base_model')))}"
        name += f"_lr{config.get('learning_rate')}_{config.get('epochs')}ep"
        row = results_row(
            name,
            split,
            metrics,
            float(loaded.info.get("train_seconds", float("nan"))),
            train_rows=loaded.info.get("train_rows"),
            val_rows=len(data.val),
        )
        rows.append({**row, "source": "measured"})
    for model, split, acc, macro, weighted, seconds, source in REPORTED:
        rows.append(
            {
                "model": model,
                "split": split,
                "accuracy": acc,
                "macro_f1": macro,
                "weighted_f1": weighted,
                "train_seconds": seconds,
                "source": source,
            }
        )
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
