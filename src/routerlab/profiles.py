"""The two run profiles. Always chosen explicitly: argument, CLI flag or ROUTERLAB_PROFILE."""

from __future__ import annotations

import os
from enum import StrEnum

from routerlab.errors import ConfigError

PROFILE_ENV = "ROUTERLAB_PROFILE"


class Profile(StrEnum):
    LIVE = "live"  # OpenAI or any OpenAI-compatible server, hub datasets, distilbert-base-cased
    OFFLINE = "offline"  # local mirror, packaged encoder, SmolLM2 stand-in, seeded tiktoken


def resolve_profile(value: str | Profile | None = None) -> Profile:
    """Return the profile named by ``value`` or, when it is None, by $ROUTERLAB_PROFILE.

    Never guesses: with neither set, raises and says how to choose.
    """
    raw = value if value is not None else os.environ.get(PROFILE_ENV)
    allowed = ", ".join(p.value for p in Profile)
    if raw is None or str(raw).strip() == "":
        raise ConfigError(
            f"no profile chosen; pass profile=... (or --profile) or set {PROFILE_ENV}; "
            f"allowed: {allowed}"
        )
    try:
        return Profile(str(raw).strip().lower())
    except ValueError:
        raise ConfigError(f"unknown profile {raw!r}; allowed: {allowed}") from None
