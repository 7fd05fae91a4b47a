"""Shared fixtures. Tests run offline: the data mirror comes from $ROUTERLAB_DATA_MIRROR
(the Makefile and .ci/run point it at ../shared/data)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Each test leaves the router registry as it found it (routers registered inside a test go).
pytest_plugins = ["routerlab.testing.pytest_plugin"]

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("ROUTERLAB_DATA_MIRROR", str(REPO.parent / "shared" / "data"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Session-wide too, not only per test: module-scoped fixtures start gateway processes before any
# function-scoped fixture runs, and they must neither touch the user's response cache nor answer
# from it (the reliability suite counts upstream calls).
os.environ["ROUTERLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="routerlab-test-cache-")
os.environ["ROUTERLAB_NO_CACHE"] = "1"


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = Path(os.environ["ROUTERLAB_DATA_MIRROR"])
    if not path.is_dir():
        pytest.fail(f"data mirror not found at {path}; set ROUTERLAB_DATA_MIRROR")
    return path


@pytest.fixture(scope="session")
def pool():
    from routerlab.pool import load_pool

    return load_pool()


@pytest.fixture(scope="session")
def local_client(pool):
    """The real SmolLM2-135M stand-in, loaded once per test session (~18 s on 2 cores)."""
    from routerlab.llm.local import LocalClient

    client = LocalClient(pool)
    client.load()
    return client


@pytest.fixture(autouse=True)
def _isolated_response_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's response cache, and the cache is off unless a test
    turns it on (tests/test_llm_cache.py does): other tests count upstream calls, and a hit from
    an earlier identical request in the same test would change their counts."""
    monkeypatch.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path_factory.mktemp("response-cache")))
    monkeypatch.setenv("ROUTERLAB_NO_CACHE", "1")
    monkeypatch.delenv("MAX_COST_USD", raising=False)  # a cap in the shell must not refuse tests
