"""Estimated cost of the ``[live]`` parameter sets of notebooks 01, 02 and 03.

Run: ``.venv/bin/python benchmarks/estimate_live_costs.py [--params live] [--only 01 03]``.
Prints each estimate (token counts of the actual prompts x pool prices, with its assumptions);
no model is called and no key is needed, only the data mirror. The figures in the TOML comments
and the README come from this script.
"""

from __future__ import annotations

import argparse

from routerlab.budget_estimates import estimate_notebook_cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="live", help="parameter set (default: live)")
    parser.add_argument("--only", nargs="*", default=["01", "02", "03"], help="notebooks")
    args = parser.parse_args()
    for notebook in args.only:
        estimate = estimate_notebook_cost(notebook, args.params)
        print(f"== notebook {notebook} [{args.params}]")
        print(estimate.describe())


if __name__ == "__main__":
    main()
