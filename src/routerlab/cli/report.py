"""``routerlab report``: render the executed notebooks to a static HTML site (outputs/report/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from routerlab.cli._inputs import check_output_dir


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report", help="render executed notebooks to a self-contained HTML site (outputs/report)"
    )
    p.add_argument(
        "--notebooks",
        type=Path,
        default=Path("outputs/notebooks"),
        help="folder of executed notebooks (default: outputs/notebooks)",
    )
    p.add_argument(
        "--outputs",
        type=Path,
        default=None,
        help="folder the headline table and key figures are read from (default: the parent of "
        "--notebooks)",
    )
    p.add_argument(
        "--output-dir",
        type=Path,
        default=Path("outputs/report"),
        help="where the site is written (default: outputs/report)",
    )
    p.add_argument(
        "--screenshot",
        action="store_true",
        help="open every page in headless Chromium, check it (loads, images decode, no console "
        "errors) and save a screenshot of the index to OUTPUT_DIR/index.png",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from routerlab.errors import ConfigError
    from routerlab.report import build_report

    if not args.notebooks.is_dir():
        raise ConfigError(
            f"--notebooks {args.notebooks} is not a folder; expected the folder of executed "
            "notebooks (run `routerlab notebooks` first)"
        )
    check_output_dir(args.output_dir, what="--output-dir")
    report = build_report(args.notebooks, args.output_dir, outputs_dir=args.outputs)
    print(f"wrote {report.index} and {len(report.pages)} notebook pages", flush=True)
    if report.missing:
        print(f"not in the outputs, left off the index: {', '.join(report.missing)}", flush=True)
    if not args.screenshot:
        return 0
    from routerlab.report.browser import check_pages

    shot = args.output_dir / "index.png"
    checks = check_pages([report.index, *report.pages], screenshot=shot)
    for check in checks:
        status = "ok" if check.ok else "FAILED"
        print(f"{check.page}: {status} ({check.images} images)", flush=True)
        for problem in check.broken_images + check.console_errors:
            print(f"  {problem}", file=sys.stderr, flush=True)
    print(f"screenshot: {shot}", flush=True)
    return 0 if all(c.ok for c in checks) else 1
