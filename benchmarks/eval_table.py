"""The router metric table on the mirror's RouteLLM MMLU table, and the in-domain seed spread.

Run: ROUTERLAB_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/eval_table.py [--seeds 5]

Prints (1) seed 0's metric table with bootstrap 95 % intervals (5-shot-inclusive costs), (2) the
APGR spread over ``--seeds`` train/held-out draws for random, length and both in-domain variants
(text only; with subject) on the full grid and RouteLLM's 10-bin grid, (3) the cost per 1,000
prompts of always-strong / always-weak with and without the 5-shot prefix.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from routerlab.evaluation.comparisons import cost_ranking, seed_spread, spread_summary
from routerlab.evaluation.costs import ROUTELLM_PRICES
from routerlab.evaluation.run import DEFAULT_ROUTERS, run_evaluation
from routerlab.tables import load_routellm_mmlu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="train/held-out draws (>= 5)")
    parser.add_argument("--bootstrap", type=int, default=200, help="bootstrap resamples")
    args = parser.parse_args()
    start = time.perf_counter()
    table = load_routellm_mmlu()
    loaded = time.perf_counter()
    evaluation = run_evaluation(
        table, DEFAULT_ROUTERS, prices=ROUTELLM_PRICES, bootstrap=args.bootstrap
    )
    done = time.perf_counter()
    print(f"load table: {loaded - start:.2f} s ({len(table):,} prompts)")
    print(
        f"score {len(DEFAULT_ROUTERS)} routers on {evaluation.pair.n:,} rows: {done - loaded:.2f} s"
    )
    for note in evaluation.notes:
        print(f"note: {note}")
    cols = ["router", "n", "apgr", "apgr_lo", "apgr_hi", "apgr_qcut10", "cpt50", "cpt50_lo"]
    cols += ["cpt50_hi", "accuracy"]
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(evaluation.metrics()[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
        print("\ncost per 1,000 prompts (curve routers at CPT(50 %)), 5-shot vs question only:")
        print(cost_ranking(evaluation, ROUTELLM_PRICES).to_string(index=False))
        spread_start = time.perf_counter()
        spread = spread_summary(seed_spread(table, range(args.seeds)))
        print(f"\nAPGR over {args.seeds} seeds ({time.perf_counter() - spread_start:.0f} s):")
        print(spread.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
