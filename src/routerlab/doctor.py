"""Environment checks behind ``routerlab doctor``: profile, datasets, tokens, models, pool."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from routerlab.profiles import Profile


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def check_datasets() -> list[Check]:
    from routerlab.data import MIRROR_ENV, dataset_report

    mirror = os.environ.get(MIRROR_ENV) or "(unset)"
    checks = [Check("data mirror", os.path.isdir(mirror), f"${MIRROR_ENV} = {mirror}")]
    for row in dataset_report().itertuples():
        detail = f"{row.where}: {row.location}" if row.found else "missing"
        checks.append(Check(f"dataset {row.dataset}", bool(row.found), detail))
    return checks


def check_tokens() -> Check:
    from routerlab.tokens import DEFAULT_ENCODING, count_tokens, seed_tiktoken_cache

    try:
        source = seed_tiktoken_cache(DEFAULT_ENCODING)
        n = count_tokens("Route each prompt to the cheapest model that suffices.")
    except Exception as exc:  # report, never crash the doctor
        return Check("token counting", False, f"{type(exc).__name__}: {exc}")
    return Check("token counting", True, f"{DEFAULT_ENCODING} from {source}; sample = {n} tokens")


def check_local_model() -> Check:
    from routerlab.llm import make_client

    start = time.perf_counter()
    try:
        client = make_client("offline")
        result = client.complete(
            "gpt-4.1-nano", [{"role": "user", "content": "Say hello."}], max_tokens=8
        )
    except Exception as exc:
        return Check("local model", False, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - start
    return Check(
        "local model",
        bool(result.text.strip()),
        f"{result.backend}: loaded and answered in {seconds:.1f} s "
        f"({result.usage.completion_tokens} tokens: {result.text.strip()[:40]!r})",
    )


def check_live() -> Check:
    key = bool(os.environ.get("OPENAI_API_KEY"))
    base = os.environ.get("OPENAI_BASE_URL")
    ok = key or bool(base)
    detail = "OPENAI_API_KEY set" if key else "OPENAI_API_KEY not set"
    if base:
        detail += f"; OPENAI_BASE_URL = {base}"
    return Check("live API credentials", ok, detail)


def run_checks(profile: Profile, *, load_model: bool = True) -> list[Check]:
    checks = [Check("profile", True, profile.value)]
    checks += check_datasets() if profile is Profile.OFFLINE else []
    checks.append(check_tokens())
    if profile is Profile.OFFLINE and load_model:
        checks.append(check_local_model())
    if profile is Profile.LIVE:
        checks.append(check_live())
    return checks
