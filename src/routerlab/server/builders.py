"""The server's upstream client and routers, built from its config (both injectable in
:func:`~routerlab.server.app.create_app` for tests and benchmarks)."""

from __future__ import annotations

from routerlab.errors import ConfigError, RouterlabError
from routerlab.llm.base import ChatClient
from routerlab.pool import Pool
from routerlab.routers.base import Router
from routerlab.server.config import DEFAULT_ROUTERS, ServerConfig


def build_client(config: ServerConfig, pool: Pool) -> ChatClient:
    """The upstream client for the config's profile (retries are the server's, not the SDK's)."""
    from routerlab.llm import make_client
    from routerlab.llm.base import ClientSettings

    settings = ClientSettings(timeout_s=config.upstream_timeout_s, max_retries=0)
    return make_client(
        config.profile,
        backend="replay" if config.replay_file else None,
        base_url=config.base_url,
        settings=settings,
        replay_path=config.replay_file,
        pool=pool,
    )


def build_routers(
    config: ServerConfig, pool: Pool, client: ChatClient
) -> tuple[dict[str, Router], dict[str, str]]:
    """Routers of the config, built through the registry (judges use ``client``).

    Returns the routers and, for default routers that could not be built, why (for /health).
    """
    from routerlab.routers.base import make_router, router_names

    available = router_names()
    explicit = config.routers is not None
    routers: dict[str, Router] = {}
    skipped: dict[str, str] = {}
    for name in config.routers if config.routers is not None else DEFAULT_ROUTERS:
        if name not in available:
            if not explicit:
                skipped[name] = "not registered"
                continue
            raise ConfigError(
                f"server config enables router {name!r}, which is not registered; "
                f"available: {', '.join(available)}"
            )
        options = dict(config.router_options.get(name, {}))
        if name == "classifier" and config.classifier_model_dir is not None:
            options.setdefault("model_dir", config.classifier_model_dir)
        if name in ("compact", "verbose"):
            options.setdefault("client", client)
        try:
            routers[name] = make_router(name, pool, **options)
        except RouterlabError as exc:
            if explicit:
                raise
            skipped[name] = str(exc)
    return routers, skipped
