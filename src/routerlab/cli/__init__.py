"""``routerlab`` command line. Each subcommand lives in its own module of this package and
exposes ``register(subparsers)``; modules are discovered, so adding a command is adding a file."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RouterlabError as exc:
        print(f"routerlab {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
