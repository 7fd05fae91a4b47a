"""``routerlab doctor``: what this machine can run, and why not when it can't."""

from __future__ import annotations

import argparse

from routerlab.cli import add_profile_argument


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("doctor", help="check profile, datasets, token counting, models, pool")
    add_profile_argument(p)
    p.add_argument("--no-model", action="store_true", help="skip loading the local model")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from routerlab.doctor import run_checks
    from routerlab.pool import load_pool
    from routerlab.profiles import resolve_profile

    profile = resolve_profile(args.profile)
    checks = run_checks(profile, load_model=not args.no_model)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "OK  " if check.ok else "FAIL"
        print(f"[{mark}] {check.name:<{width}}  {check.detail}")
    pool = load_pool()
    print(
        f"\npool ({pool.path}; prices USD per 1M tokens, {pool.price_source}, {pool.price_date}):"
    )
    frame = pool.to_frame().drop(columns=["description"])
    print(frame.to_string(index=False))
    failed = [c.name for c in checks if not c.ok]
    if failed:
        print(f"\n{len(failed)} check(s) failed: {', '.join(failed)}")
        return 1
    print("\nall checks passed")
    return 0
