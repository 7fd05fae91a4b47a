"""Caches live in the user cache directory named by the environment, never inside the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import routerlab
from routerlab import cachedir, data
from routerlab.evaluation import embeddings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ROUTERLAB_CACHE_DIR", "ROUTERLAB_DATA_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_root_follows_the_environment(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("HOME", str(tmp_path / "home"))
    assert cachedir.user_cache_dir() == tmp_path / "home" / ".cache" / "routerlab"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cachedir.user_cache_dir("data") == tmp_path / "xdg" / "routerlab" / "data"
    clean_env.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path / "mine"))
    assert cachedir.user_cache_dir("embeddings") == tmp_path / "mine" / "embeddings"
    # the response cache shares the root
    from routerlab.llm.cache import default_cache_dir

    assert default_cache_dir() == tmp_path / "mine"


def test_default_is_never_inside_the_package(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("HOME", str(tmp_path))
    package = Path(routerlab.__file__).resolve().parent
    for path in (data.cache_dir(), cachedir.user_cache_dir("embeddings")):
        assert not path.resolve().is_relative_to(package.parent.parent), path


def test_datasets_are_found_in_the_cache_the_env_names(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path))
    clean_env.delenv("ROUTERLAB_DATA_MIRROR", raising=False)
    assert data.cache_dir() == tmp_path / "data"
    assert data.find_local("toy", "toy/file.csv") is None
    (tmp_path / "data" / "toy").mkdir(parents=True)
    (tmp_path / "data" / "toy" / "file.csv").write_text("x\n", encoding="utf-8")
    found = data.find_local("toy", "toy/file.csv")
    assert found is not None and found.kind == "cache"
    assert Path(found.location) == tmp_path / "data" / "toy" / "file.csv"
    clean_env.setenv("ROUTERLAB_DATA_CACHE", str(tmp_path / "other"))  # its own override wins
    assert data.cache_dir() == tmp_path / "other"


def test_embeddings_are_cached_where_the_env_says(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path))
    encoded: list[str] = []

    def fake_encode(texts, model, batch_size, max_length, progress):  # type: ignore[no-untyped-def]
        encoded.extend(texts)
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    clean_env.setattr(embeddings, "_encode", fake_encode)
    first = embeddings.embed(["a", "bb"])
    stores = list((tmp_path / "embeddings").iterdir())
    assert len(stores) == 1 and (stores[0] / "keys.npy").is_file()
    second = embeddings.embed(["bb", "ccc"])
    assert encoded == ["a", "bb", "ccc"]  # "bb" came from the cache
    assert first[1].tolist() == second[0].tolist() == [2.0, 1.0]
