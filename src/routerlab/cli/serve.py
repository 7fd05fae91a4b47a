"""``routerlab serve``: the OpenAI-compatible routing gateway (FastAPI app run by uvicorn)."""

from __future__ import annotations

import argparse
import sys

from routerlab.cli import add_profile_argument
from routerlab.cli._inputs import check_input_file


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the OpenAI-compatible routing gateway",
        description="Serve POST /v1/chat/completions, GET /v1/models and GET /health. "
        "`model` is a pool model (passed through) or router-<name>[-<cost_threshold>].",
    )
    parser.add_argument("--config", default=None, help="TOML file with a [server] table")
    parser.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="TCP port (default 8000)")
    add_profile_argument(parser)
    parser.add_argument("--base-url", default=None, help="live upstream: OpenAI-compatible URL")
    parser.add_argument("--replay", default=None, help="offline upstream: a replay file")
    parser.add_argument(
        "--routers",
        default=None,
        help="comma-separated router names (default: the config's, else compact, verbose and "
        "classifier when a trained classifier exists)",
    )
    parser.add_argument("--classifier-model-dir", default=None, help="trained classifier folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from routerlab.server.app import create_app
    from routerlab.server.config import load_config

    # load_config reads the file as UTF-8 TOML; a folder, a binary or an empty file would
    # otherwise surface as an OSError or UnicodeDecodeError traceback instead of one line.
    if args.config is not None:
        check_input_file(
            args.config,
            what="server config",
            allowed="expected a UTF-8 TOML file with a [server] table (or no --config for the "
            "defaults)",
        )
    if args.replay is not None:
        check_input_file(
            args.replay,
            what="replay file",
            allowed="expected a JSONL replay file",
            allow_empty=True,
        )
    config = load_config(args.config).with_overrides(
        host=args.host,
        port=args.port,
        profile=args.profile,
        base_url=args.base_url,
        replay_file=args.replay,
        routers=tuple(r.strip() for r in args.routers.split(",") if r.strip())
        if args.routers
        else None,
        classifier_model_dir=args.classifier_model_dir,
    )
    config.check_bind()  # before loading anything: an open server stays on loopback
    app = create_app(config)
    gateway = app.state.gateway
    routers = ", ".join(f"router-{name}" for name in gateway.routers) or "none"
    for name, reason in gateway.unavailable.items():
        print(f"routerlab serve: router-{name} not served: {reason}", file=sys.stderr)
    auth = "bearer token required" if config.resolved_token() else "no token (loopback only)"
    print(
        f"routerlab gateway: http://{config.host}:{config.port}/v1 ({auth}; routers: {routers})",
        file=sys.stderr,
    )
    # One worker and no access log: routers, the cache and batching live in this process, and
    # per-request logging would cost more than the gateway's own work. The config's connection
    # limits (idle keep-alive) go to uvicorn itself.
    uvicorn.run(
        app,
        host=config.host,
        port=config.port,
        workers=1,
        access_log=False,
        log_level="warning",
        **config.uvicorn_options(),
    )
    return 0
