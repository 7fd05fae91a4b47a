"""routerlab: send each prompt to the cheapest model that can still answer it well."""

from routerlab.errors import (
    ConfigError,
    DatasetNotFoundError,
    LLMError,
    RouterlabError,
    UnknownModelError,
)
from routerlab.pool import ModelSpec, Pool, load_pool
from routerlab.profiles import Profile, resolve_profile
from routerlab.request import RouteRequest
from routerlab.usage import Usage

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DatasetNotFoundError",
    "LLMError",
    "ModelSpec",
    "Pool",
    "Profile",
    "RouteRequest",
    "RouterlabError",
    "UnknownModelError",
    "Usage",
    "__version__",
    "load_pool",
    "resolve_profile",
]
