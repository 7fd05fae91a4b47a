"""pytest plugin: every test leaves the router registry as it found it.

Register it in a ``conftest.py`` with ``pytest_plugins = ["routerlab.testing.pytest_plugin"]``.
The ``router_registry`` fixture is autouse: a router a test registers (``@register_router`` inside
the test) is removed afterwards, and a built-in name a test overwrote is put back, so one test's
routers never leak into another's ``router_names()`` or ``make_router``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# Routers registered as a side effect of importing a routerlab module (the built-ins, loaded
# lazily by make_router) stay: the import will not run again to put them back.
_PACKAGE_PREFIX = "routerlab."


@pytest.fixture(autouse=True)
def router_registry() -> Iterator[dict[str, Any]]:
    """The live registry (name -> factory), restored after the test."""
    from routerlab.routers.base import _REGISTRY

    before = dict(_REGISTRY)
    yield _REGISTRY
    for name in list(_REGISTRY):
        factory = _REGISTRY[name]
        if name in before:
            _REGISTRY[name] = before[name]
        elif not str(getattr(factory, "__module__", "")).startswith(_PACKAGE_PREFIX):
            del _REGISTRY[name]
    for name, factory in before.items():
        _REGISTRY.setdefault(name, factory)
