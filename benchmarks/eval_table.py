"""Time an outcome-table evaluation on the mirror's RouteLLM MMLU table and print its metrics.

Run: ROUTERLAB_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/eval_table.py [--features subject,minilm]
"""

from __future__ import annotations

import argparse
import time

from routerlab.evaluation.report import DEFAULT_ROUTERS, run_evaluation
from routerlab.outcomes import load_routellm_mmlu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--features", default="subject", help="in-domain features (comma-separated)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_routellm_mmlu()
    loaded = time.perf_counter()
    evaluation = run_evaluation(
        table, DEFAULT_ROUTERS, indomain_features=args.features.split(","), seed=args.seed
    )
    done = time.perf_counter()
    print(f"load table: {loaded - start:.2f} s ({len(table):,} prompts)")
    print(
        f"score {len(DEFAULT_ROUTERS)} routers on {evaluation.pair.n:,} rows: {done - loaded:.2f} s"
    )
    cols = ["router", "apgr", "cpt50", "cpt80", "auc", "accuracy", "strong_share"]
    print(evaluation.metrics()[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
