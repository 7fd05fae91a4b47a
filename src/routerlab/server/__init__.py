"""The OpenAI-compatible routing gateway server (``routerlab serve``)."""

from routerlab.server.app import APIError, create_app
from routerlab.server.cache import DecisionCache
from routerlab.server.config import ServerConfig, load_config

__all__ = ["APIError", "DecisionCache", "ServerConfig", "create_app", "load_config"]
