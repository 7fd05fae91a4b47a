"""Settings of the routing gateway server, one validated dataclass read from TOML or flags.

The bearer token is a secret, so the preferred source is an environment variable
(``token_env``, default ``ROUTERLAB_GATEWAY_TOKEN``); a ``token`` in the file also works for local
experiments. Without a token the server is open, so it may only bind to a loopback address.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError

TOKEN_ENV = "ROUTERLAB_GATEWAY_TOKEN"
ROUTER_PREFIX = "router-"  # `model` values starting with this name a router, not a pool model
ROUTER_DTYPES = ("auto", "float32", "bfloat16")
# Served when the config names no routers; one that cannot be built (e.g. no trained classifier
# yet) is left out and reported in /health. Routers named explicitly must build.
DEFAULT_ROUTERS = ("compact", "verbose", "classifier")


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, ``localhost``)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname other than localhost may resolve anywhere


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``routerlab serve`` needs. Validated on construction."""

    host: str = "127.0.0.1"  # bind address; non-loopback requires a token
    port: int = 8000  # TCP port (0 = any free port)
    token: str | None = field(default=None, repr=False)  # bearer token; prefer token_env
    token_env: str = TOKEN_ENV  # environment variable read when `token` is not set
    profile: str | None = None  # "live" or "offline" (None: $ROUTERLAB_PROFILE)
    base_url: str | None = None  # live upstream: any OpenAI-compatible URL (None: OpenAI)
    replay_file: str | None = None  # offline upstream: recorded responses, not the local model
    pool_path: str | None = None  # pool TOML (None: the default pool)
    routers: tuple[str, ...] | None = None  # None: DEFAULT_ROUTERS, skipping any that cannot load
    classifier_model_dir: str | None = None  # trained classifier (None: the router's default)
    cache_size: int = 10_000  # routing decisions kept; 0 disables the decision cache
    cache_ttl_s: float = 600.0  # seconds a cached decision stays valid
    retries: int = 2  # extra upstream attempts after a transient failure
    retry_backoff_s: float = 0.2  # first backoff; doubles per attempt
    upstream_timeout_s: float = 120.0  # one upstream call
    batch_max_size: int = 64  # router inference batch: at most this many requests...
    batch_max_wait_ms: float = 2.0  # ...or whatever arrived within this window
    # "auto": bfloat16 autocast where the CPU supports bf16 natively, else float32. Measured on the
    # 1,629 study-split validation prompts: identical choices, probabilities within 0.011.
    router_dtype: str = "auto"
    router_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-router kwargs
    # -- limits at the boundary (a request over one gets a 4xx before any work is done) --
    max_body_bytes: int = 33_554_432  # 32 MiB: request body; more is a 413, never buffered
    max_json_depth: int = 64  # nesting of arrays/objects in the body (chat requests need ~6)
    max_image_bytes: int = 20_000_000  # decoded size of one data: image (OpenAI's image limit)
    max_file_bytes: int = 32_000_000  # decoded size of one file part (OpenAI's PDF limit)
    # https image URLs naming localhost or a loopback/private/link-local IP are refused: an
    # upstream that fetches image URLs would otherwise fetch them on the gateway's behalf.
    allow_private_image_hosts: bool = False
    client_body_timeout_s: float = 30.0  # longest wait for the next chunk of a request body
    client_body_deadline_s: float = 120.0  # the whole body must arrive within this (trickling)
    keepalive_timeout_s: float = 5.0  # idle keep-alive connections are closed after this

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port must be in [0, 65535], got {self.port}")
        if self.token is not None and not self.token.strip():
            raise ConfigError("token is empty; set a non-empty token or leave it unset")
        if self.token is not None:
            _check_token_whitespace(self.token, "the configured token")
        for name in ("max_body_bytes", "max_json_depth", "max_image_bytes", "max_file_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.max_json_depth < 8:
            raise ConfigError(
                f"max_json_depth must be >= 8 (a chat request with content parts nests about 6 "
                f"levels), got {self.max_json_depth}"
            )
        for name in ("client_body_timeout_s", "client_body_deadline_s", "keepalive_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{name} must be a number > 0, got {value!r}")
        if not isinstance(self.allow_private_image_hosts, bool):
            raise ConfigError(
                f"allow_private_image_hosts must be true or false, "
                f"got {self.allow_private_image_hosts!r}"
            )
        if self.cache_size < 0:
            raise ConfigError(f"cache_size must be >= 0, got {self.cache_size}")
        if self.cache_ttl_s <= 0:
            raise ConfigError(f"cache_ttl_s must be > 0, got {self.cache_ttl_s}")
        if self.retries < 0:
            raise ConfigError(f"retries must be >= 0, got {self.retries}")
        if self.retry_backoff_s < 0:
            raise ConfigError(f"retry_backoff_s must be >= 0, got {self.retry_backoff_s}")
        if self.upstream_timeout_s <= 0:
            raise ConfigError(f"upstream_timeout_s must be > 0, got {self.upstream_timeout_s}")
        if self.batch_max_size < 1:
            raise ConfigError(f"batch_max_size must be >= 1, got {self.batch_max_size}")
        if self.batch_max_wait_ms < 0:
            raise ConfigError(f"batch_max_wait_ms must be >= 0, got {self.batch_max_wait_ms}")
        if self.router_dtype not in ROUTER_DTYPES:
            raise ConfigError(
                f"router_dtype must be one of {', '.join(ROUTER_DTYPES)}, got {self.router_dtype!r}"
            )
        if self.routers is not None:
            object.__setattr__(self, "routers", tuple(self.routers))
        bad = [r for r in self.routers or () if not r or r.startswith(ROUTER_PREFIX)]
        if bad:
            raise ConfigError(
                f"router names are registry names such as 'classifier' (without "
                f"{ROUTER_PREFIX!r}); got {bad[0]!r}"
            )

    def resolved_token(self) -> str | None:
        """The configured token, else the one in ``$token_env``, else None (open server)."""
        if self.token:
            return self.token
        value = os.environ.get(self.token_env, "")
        if not value.strip():
            return None
        _check_token_whitespace(value, f"${self.token_env}")
        return value

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that enforce this config's
        connection limits (idle keep-alive connections are closed after ``keepalive_timeout_s``).
        """
        return {"timeout_keep_alive": max(1, round(self.keepalive_timeout_s))}

    def check_bind(self) -> None:
        """Refuse an open server on a non-loopback address."""
        if self.resolved_token() is None and not is_loopback(self.host):
            raise ConfigError(
                f"no bearer token configured, so the server may only bind to a loopback address "
                f"(127.0.0.1, ::1, localhost), not {self.host!r}; set ${self.token_env} or "
                f"`token` in the config to serve on other interfaces"
            )

    def with_overrides(self, **changes: Any) -> ServerConfig:
        """A copy with the given fields changed; None values are ignored (unset CLI flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _check_token_whitespace(token: str, where: str) -> None:
    """A token with surrounding whitespace would never match what clients send (their value is
    stripped), so every request would get a 401: refuse it at start-up instead."""
    if token != token.strip():
        raise ConfigError(
            f"{where} has leading or trailing whitespace (spaces, tabs or a newline); remove it: "
            "clients' tokens are compared without surrounding whitespace"
        )


def load_config(path: str | os.PathLike[str] | None = None) -> ServerConfig:
    """Read a ``[server]`` table from a TOML file (no path: defaults).

    Example::

        [server]
        host = "127.0.0.1"
        port = 8000
        profile = "offline"
        routers = ["compact", "classifier"]
        cache_size = 10000

        [server.router_options.classifier]
        cost_threshold = 0.3
    """
    if path is None:
        return ServerConfig()
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"server config not found: {file}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"server config {file} is not valid TOML: {exc}") from None
    table = data.get("server", data)
    allowed = {f.name for f in fields(ServerConfig)}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{file}: unknown server setting(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    if "routers" in table:
        table = {**table, "routers": tuple(table["routers"])}
    try:
        return ServerConfig(**table)
    except TypeError as exc:
        raise ConfigError(f"{file}: bad server setting: {exc}") from None
