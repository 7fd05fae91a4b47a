"""The one way to build a chat client for a profile."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError
from routerlab.llm.base import ChatClient, ClientSettings
from routerlab.llm.cache import ResponseCache, cache_disabled_by_env
from routerlab.pool import Pool, load_pool
from routerlab.profiles import Profile, resolve_profile

# backend name -> what it is; the first of each profile's list is its default
BACKENDS = {
    "openai": "OpenAI, or any OpenAI-compatible server with base_url (live profile)",
    "local": "SmolLM2-135M-Instruct run locally as an offline stand-in (offline profile)",
    "replay": "responses recorded earlier in a JSONL file (replay_path; any profile)",
}
PROFILE_BACKENDS = {
    Profile.LIVE: ("openai", "replay"),
    Profile.OFFLINE: ("local", "replay"),
}


def make_client(
    profile: str | Profile | None,
    *,
    backend: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    settings: ClientSettings | None = None,
    replay_path: str | Path | None = None,
    record_path: str | Path | None = None,
    pool: Pool | None = None,
    http_client: Any | None = None,
    cache: bool | ResponseCache | None = None,
) -> ChatClient:
    """Build the chat client for ``profile`` (``"live"`` or ``"offline"``; None reads
    ``$ROUTERLAB_PROFILE``).

    - live: :class:`OpenAIClient` (key from ``OPENAI_API_KEY`` or ``api_key``; ``base_url`` for
      any OpenAI-compatible server).
    - offline: :class:`LocalClient` (no network, no key), or ``backend="replay"``.
    - ``backend="replay"`` serves ``replay_path``; ``record_path`` wraps the client in a
      :class:`Recorder` that appends every call to that JSONL file.

    ``cache``: serve deterministic calls (temperature 0 or unset) from the persistent response
    cache (:mod:`routerlab.llm.cache`). None (the default) turns it on for the ``openai`` backend,
    whose calls cost money, and off for the local stand-in (free, and sampled at the study's
    temperatures anyway) and replay (already a file of answers); True or a
    :class:`~routerlab.llm.cache.ResponseCache` turns it on for any backend; False turns it off.
    ``ROUTERLAB_NO_CACHE=1`` turns it off whatever is passed.

    Nothing is loaded or connected here: the SDK client and the local model are created on the
    first call.
    """
    resolved = resolve_profile(profile)
    allowed = PROFILE_BACKENDS[resolved]
    name = (backend or allowed[0]).strip().lower()
    if name not in BACKENDS:
        choices = "; ".join(f"{key}: {text}" for key, text in BACKENDS.items())
        raise ConfigError(f"unknown backend {backend!r}; choices: {choices}")
    if name not in allowed:
        raise ConfigError(
            f"backend {name!r} is not available in the {resolved.value} profile; "
            f"allowed: {', '.join(allowed)}"
        )
    if base_url is not None and name != "openai":
        raise ConfigError(f"base_url is only used by the openai backend, not {name!r}")
    pool = pool if pool is not None else load_pool()

    client: ChatClient
    if name == "openai":
        from routerlab.llm.openai_client import API_KEY_ENV, BASE_URL_ENV, OpenAIClient

        if not (api_key or os.environ.get(API_KEY_ENV)) and not (
            base_url or os.environ.get(BASE_URL_ENV)
        ):
            raise ConfigError(
                f"the live profile needs an OpenAI API key: set {API_KEY_ENV} (or pass "
                f"api_key=...), or pass base_url=... (or set {BASE_URL_ENV}) for an "
                "OpenAI-compatible server; without network or key, use profile 'offline'"
            )
        client = OpenAIClient(
            pool, base_url=base_url, api_key=api_key, settings=settings, http_client=http_client
        )
    elif name == "local":
        from routerlab.llm.local import LocalClient

        client = LocalClient(pool)
    else:
        from routerlab.llm.replay import ReplayClient

        if replay_path is None:
            raise ConfigError("backend 'replay' needs replay_path=... (a JSONL file of recordings)")
        client = ReplayClient(pool, replay_path)

    if cache_wanted(name, cache):
        from routerlab.llm.cache import CachingClient

        client = CachingClient(client, cache if isinstance(cache, ResponseCache) else None)

    if record_path is not None:  # outside the cache: hits are recorded too, so replay has them
        from routerlab.llm.replay import Recorder

        client = Recorder(client, record_path)
    return client


def cache_wanted(backend: str, cache: bool | ResponseCache | None) -> bool:
    """Whether :func:`make_client` wraps ``backend`` in the response cache (see its docs)."""
    if cache_disabled_by_env() or cache is False:
        return False
    if cache is None:
        return backend == "openai"
    return True
