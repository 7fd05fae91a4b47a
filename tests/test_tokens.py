from __future__ import annotations

import pytest

from routerlab import tokens


def test_o200k_counts_from_mirror(mirror, monkeypatch):
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    tokens.get_encoding.cache_clear()
    assert tokens.count_tokens("hello world") == 2
    assert tokens.count_tokens("") == 0
    assert "tiktoken_cache" in tokens.seed_tiktoken_cache()


def test_seeds_from_bpe_openai_package_without_mirror(tmp_path, monkeypatch):
    pytest.importorskip("bpe_openai")
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("ROUTERLAB_DATA_MIRROR", str(tmp_path / "none"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source = tokens.seed_tiktoken_cache("o200k_base")
    assert source is not None and "bpe-openai" in source
    cached = tmp_path / "xdg" / "routerlab" / "tiktoken" / tokens.cache_file_name("o200k_base")
    assert cached.stat().st_size > 1_000_000
    import tiktoken

    enc = tiktoken.get_encoding("o200k_base")
    assert len(enc.encode("The quick brown fox")) == 4


def test_no_silent_estimate(monkeypatch):
    def unavailable(text, encoding="o200k_base"):
        raise tokens.TokenizerUnavailableError("offline")

    monkeypatch.setattr(tokens, "count_tokens", unavailable)
    with pytest.raises(tokens.TokenizerUnavailableError):
        tokens.token_count("some text")
    estimate = tokens.token_count("x" * 40, allow_estimate=True)
    assert estimate.estimated and estimate.n == 10 and "estimate" in estimate.encoding


def test_unknown_encoding():
    with pytest.raises(tokens.TokenizerUnavailableError, match="allowed: o200k_base"):
        tokens.seed_tiktoken_cache("p50k_base")
