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


def _setup_notebook_kernel() -> None:
    # Inside a Jupyter kernel, show routerlab's figures inline and keep library logs out of the
    # outputs (routerlab.display). Checked without importing IPython, so scripts and the CLI pay
    # nothing; ROUTERLAB_NOTEBOOK_SETUP=0 opts out.
    import os
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is None or os.environ.get("ROUTERLAB_NOTEBOOK_SETUP", "1") == "0":
        return
    if hasattr(ipython.get_ipython(), "kernel"):
        from routerlab.display import notebook_setup

        notebook_setup()


_setup_notebook_kernel()
