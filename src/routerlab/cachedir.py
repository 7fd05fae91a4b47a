"""The user cache directory every routerlab cache lives under — never inside the installed package
(in a wheel install, e.g. on Colab, the package sits beside site-packages).

``$ROUTERLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/routerlab``, else ``~/.cache/routerlab``: the root
the response cache (:mod:`routerlab.llm.cache`) uses. Each cache takes a subfolder: ``data/`` for
local dataset copies (:mod:`routerlab.data`), ``embeddings/`` for prompt embeddings
(:mod:`routerlab.evaluation.embeddings`).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "ROUTERLAB_CACHE_DIR"


def user_cache_dir(*parts: str) -> Path:
    """The cache root (see the module docstring), joined with ``parts``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        root = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = Path(base) / "routerlab"
    return root.joinpath(*parts)
