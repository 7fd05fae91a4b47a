"""``routerlab route "prompt"``: route one prompt, print the decision and (unless told not to) the
answer of the chosen model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from routerlab.cli import add_profile_argument

JUDGE_ROUTERS = ("verbose", "compact")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "route",
        help="route one prompt and print the decision and the answer",
        description="Choose a model for PROMPT with a router (judge, classifier or baseline), "
        "then answer it with that model. Offline, the judge and the answers come from the local "
        "stand-in model (SmolLM2-135M), not the pool's models.",
    )
    parser.add_argument("prompt", help="the text to route")
    parser.add_argument("--temperature", type=float, default=0.7, help="0 to 2 (default 0.7)")
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="attach a file (image, PDF or text-like); repeat for several",
    )
    parser.add_argument(
        "--router",
        default="compact",
        help="verbose | compact | classifier | fixed | random | length (default: compact)",
    )
    parser.add_argument("--decision-only", action="store_true", help="do not call the model")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_profile_argument(parser)
    parser.add_argument("--base-url", default=None, help="OpenAI-compatible server (live)")
    parser.add_argument(
        "--model-dir", default=None, help="saved classifier router (for --router classifier)"
    )
    parser.add_argument("--judge-model", default=None, help="judge model (default: cheapest)")
    parser.add_argument("--fallback-model", default=None, help="used when the judge fails")
    parser.add_argument(
        "--cost-threshold",
        type=float,
        default=None,
        help="0-1 knob of score-producing routers (classifier, random, length)",
    )
    parser.add_argument(
        "--max-tokens", type=int, default=None, help="cap on the answer's output tokens"
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do not use the response cache (same as ROUTERLAB_NO_CACHE=1)",
    )
    parser.set_defaults(func=run)


def build_router(args: argparse.Namespace, pool: Any, client: Any) -> Any:
    """The router named by ``--router`` with the options that apply to it."""
    from routerlab.routers import make_router

    if args.router in JUDGE_ROUTERS:
        return make_router(
            args.router,
            pool,
            client=client(),
            judge_model=args.judge_model,
            fallback_model=args.fallback_model,
        )
    kwargs: dict[str, Any] = {}
    if args.cost_threshold is not None:
        kwargs["cost_threshold"] = args.cost_threshold
    if args.router == "classifier" and args.model_dir:
        kwargs["model_dir"] = args.model_dir
    return make_router(args.router, pool, **kwargs)


def run(args: argparse.Namespace) -> int:
    from routerlab.asyncutil import run_sync
    from routerlab.gateway import Gateway, check_files
    from routerlab.llm import make_client
    from routerlab.pool import load_pool
    from routerlab.profiles import resolve_profile
    from routerlab.request import RouteRequest

    if args.no_cache:
        import os

        from routerlab.llm.cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"
    # Files by name and content first: a bad attachment must not cost a model load or a call.
    check_files(args.file)
    profile = resolve_profile(args.profile)
    pool = load_pool()
    request = RouteRequest(args.prompt, temperature=args.temperature, files=tuple(args.file))
    made: list[Any] = []

    def client() -> Any:  # built once, and only when a judge or an answer needs it
        if not made:
            made.append(make_client(profile, base_url=args.base_url, pool=pool))
        return made[0]

    router = build_router(args, pool, client)
    if args.decision_only:
        # The same rules as answering (files, context windows), minus the answering call.
        decider = Gateway(pool, None, router, max_output_tokens=args.max_tokens)
        decision = run_sync(decider.adecide(request))
        record: dict[str, Any] = {"profile": profile.value, "decision": _decision(decision)}
        stand_in = bool(decision.details.get("judge_stand_in"))
    else:
        gateway = Gateway(pool, client(), router, max_output_tokens=args.max_tokens)
        response = gateway.route(request)
        record = {"profile": profile.value, **response.to_dict()}
        record["decision"] = _decision(response.decision) if response.decision else None
        stand_in = response.stand_in
    if stand_in:
        record["note"] = "offline stand-in: SmolLM2-135M, not the pool's models"
    print(json.dumps(record, indent=2, default=str) if args.json else _text(record))
    return 0


def _decision(decision: Any) -> dict[str, Any]:
    return {
        "model": decision.model,
        "router": decision.router,
        "confidence": decision.confidence,
        "scores": decision.scores,
        "latency_s": round(decision.latency_s, 4),
        "cost_usd": decision.cost_usd,
        "fallback": decision.fallback,
        "fallback_reason": decision.fallback_reason,
        "details": decision.details,
    }


def _text(record: dict[str, Any]) -> str:
    d = record["decision"] or {}
    conf = "-" if d.get("confidence") is None else f"{d['confidence']:.2f}"
    lines = [
        f"router: {d.get('router')}   model: {d.get('model')}   confidence: {conf}",
        f"router latency: {d.get('latency_s', 0):.2f} s   router cost: ${d.get('cost_usd', 0):.6f}",
    ]
    if d.get("fallback"):
        lines.append(f"fallback: {d.get('fallback_reason')}")
    analysis = (d.get("details") or {}).get("analysis")
    if analysis:
        lines.append("analysis: " + ", ".join(f"{k}={v}" for k, v in analysis.items()))
    if "answer" in record:
        lines.append(
            f"model latency: {record['model_latency_s']:.2f} s   total: "
            f"{record['total_latency_s']:.2f} s   answer cost: ${record['answer_cost_usd']:.6f}"
        )
        lines += ["", record["answer"]]
    if record.get("note"):
        lines.append(f"\n({record['note']})")
    return "\n".join(lines)
