"""Wall time of the N-model frontier bootstrap on a synthetic table of the size the issue names.

Run: .venv/bin/python benchmarks/frontier_bootstrap.py [--rows 7000 --knobs 50 --resamples 1000]

The table is synthetic (three models whose success depends on a hidden difficulty; a router that
sees the difficulty with noise and sweeps its threshold), because only the array shapes matter
for the time. Prints the time of :func:`bootstrap_frontier` for one curve and of a whole
:func:`evaluate_multi` run (single models, oracle, random router, the curve) and the curve's
metrics with their intervals, so a reader can see the work was done.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from routerlab.evaluation.frontier import bootstrap_frontier
from routerlab.evaluation.multi import Sweep, evaluate_multi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=7000)
    parser.add_argument("--knobs", type=int, default=50)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.rows
    difficulty = rng.random(n)
    outcomes = (difficulty[:, None] < [0.5, 0.75, 0.9]).astype(float)
    costs = np.tile([0.0002, 0.003, 0.008], (n, 1)) * rng.uniform(0.5, 1.5, (n, 1))
    seen = difficulty + rng.normal(0, 0.2, n)
    knobs = np.linspace(-0.5, 1.5, args.knobs)
    sweep = np.where(
        seen[None] < knobs[:, None], 0, np.where(seen[None] < knobs[:, None] + 0.3, 1, 2)
    )

    start = time.perf_counter()
    bootstrap_frontier(outcomes, costs, {"router": sweep}, n_boot=args.resamples, seed=1)
    one = time.perf_counter() - start
    start = time.perf_counter()
    ev = evaluate_multi(
        outcomes,
        costs,
        ("cheap", "strong", "reasoning"),
        {"router": Sweep(knobs, sweep, default=0.5)},
        n_boot=args.resamples,
        seed=1,
    )
    whole = time.perf_counter() - start
    print(f"{n} rows x 3 models, {args.knobs} knob values, {args.resamples} resamples")
    print(f"bootstrap_frontier, one curve: {one:.2f} s")
    print(f"evaluate_multi (3 singles, oracle, random with 51 knobs, the curve): {whole:.2f} s")
    cols = ["router", "quality", "cost_usd_per_1k", "area_vs_hull", "area_vs_hull_lo"]
    print(ev.frame()[[*cols, "area_vs_hull_hi"]].to_string(index=False))


if __name__ == "__main__":
    main()
