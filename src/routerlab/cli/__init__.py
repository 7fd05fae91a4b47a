"""``routerlab`` command line. Each subcommand lives in its own module of this package and
exposes ``register(subparsers)``; modules are discovered, so adding a command is adding a file."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys

from routerlab.errors import RouterlabError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routerlab", description="LLM routing: route, label, train, evaluate, serve."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    import routerlab.cli as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"routerlab.cli.{info.name}")
        module.register(sub)
    return parser


def add_profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=["live", "offline"],
        default=None,
        help="live (OpenAI/compatible API, hub data) or offline (local model, mirror); "
        "default: $ROUTERLAB_PROFILE, which must then be set",
    )


def _check_pool_override() -> None:
    """A pool file named by the environment is user input like any other: check it by content
    before a command reads it (the packaged pool is part of the install and trusted)."""
    import os

    from routerlab.pool import POOL_ENV

    override = os.environ.get(POOL_ENV)
    if override:
        from routerlab.cli._inputs import check_input_file

        check_input_file(
            override,
            what=f"pool file (${POOL_ENV})",
            allowed='expected a UTF-8 TOML file with [models."name"] tables, or unset the variable',
        )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_pool_override()
        return int(args.func(args) or 0)
    except RouterlabError as exc:
        # Errors routerlab raises on purpose are the user's to fix: one line, no traceback. A
        # message that spans lines (a TOML parser's, a pandas one) is folded so it stays one line.
        # Anything else is a bug and keeps its traceback.
        message = re.sub(r"\s*[\r\n]+\s*", " ", str(exc).strip()) or type(exc).__name__
        print(f"routerlab {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
