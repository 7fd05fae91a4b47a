"""Gateway server parts without a server: decision cache, config, micro-batching, messages."""

from __future__ import annotations

import asyncio
import threading

import pytest

from routerlab.errors import ConfigError
from routerlab.request import RouteRequest
from routerlab.routers.base import Decision, Router
from routerlab.server.batching import MicroBatcher, has_batched_inference
from routerlab.server.cache import DecisionCache, decision_key
from routerlab.server.config import ServerConfig, is_loopback, load_config
from routerlab.server.upstream import RequestProblem, parse_messages


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _decision(model: str = "gpt-4.1", **kwargs) -> Decision:
    return Decision(model=model, router="t", **kwargs)


# -- cache ------------------------------------------------------------------------------------


def test_cache_counts_hits_and_misses_and_expires():
    clock = Clock()
    cache = DecisionCache(maxsize=10, ttl_s=5.0, clock=clock)
    assert cache.get("a") is None
    cache.put("a", _decision())
    assert cache.get("a").model == "gpt-4.1"
    clock.now = 4.9
    assert cache.get("a") is not None
    clock.now = 5.0  # expired exactly at the TTL
    assert cache.get("a") is None
    assert (cache.hits, cache.misses) == (2, 2)
    assert cache.hit_rate == pytest.approx(0.5)
    assert len(cache) == 0


def test_cache_evicts_least_recently_used():
    cache = DecisionCache(maxsize=2, ttl_s=60)
    cache.put("a", _decision("gpt-4.1"))
    cache.put("b", _decision("o4-mini"))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", _decision("gpt-4.1-nano"))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
    assert cache.stats()["size"] == 2


def test_cache_skips_fallbacks_and_can_be_disabled():
    cache = DecisionCache(maxsize=5, ttl_s=60)
    cache.put("x", _decision(fallback=True))
    assert cache.get("x") is None
    off = DecisionCache(maxsize=0, ttl_s=60)
    off.put("x", _decision())
    assert off.get("x") is None and off.hit_rate == 0.0
    with pytest.raises(ConfigError, match="ttl_s must be > 0"):
        DecisionCache(maxsize=1, ttl_s=0)


def test_decision_key_depends_on_what_the_router_sees():
    base = decision_key("classifier", "hi", 1.0, ())
    assert base == decision_key("classifier", "hi", 1.0, ())
    assert base != decision_key("compact", "hi", 1.0, ())
    assert base != decision_key("classifier", "hi!", 1.0, ())
    assert base != decision_key("classifier", "hi", 0.2, ())
    assert base != decision_key("classifier", "hi", 1.0, ("a.png",))


# -- config -----------------------------------------------------------------------------------


def test_open_server_is_loopback_only(monkeypatch):
    monkeypatch.delenv("ROUTERLAB_GATEWAY_TOKEN", raising=False)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    ServerConfig(host="127.0.0.1").check_bind()
    with pytest.raises(ConfigError, match="only bind to a loopback address"):
        ServerConfig(host="0.0.0.0").check_bind()
    ServerConfig(host="0.0.0.0", token="s3cret").check_bind()
    assert "s3cret" not in repr(ServerConfig(token="s3cret"))  # secrets never reach a log
    monkeypatch.setenv("ROUTERLAB_GATEWAY_TOKEN", "from-env")
    config = ServerConfig(host="0.0.0.0")
    config.check_bind()
    assert config.resolved_token() == "from-env"


def test_config_validation_and_toml(tmp_path):
    with pytest.raises(ConfigError, match="cache_size must be >= 0"):
        ServerConfig(cache_size=-1)
    with pytest.raises(ConfigError, match="without 'router-'"):
        ServerConfig(routers=("router-classifier",))
    file = tmp_path / "server.toml"
    file.write_text(
        '[server]\nport = 9100\nrouters = ["length"]\ncache_ttl_s = 30\n'
        "[server.router_options.length]\nthreshold = 50\n"
    )
    config = load_config(file)
    assert (config.port, config.routers, config.cache_ttl_s) == (9100, ("length",), 30)
    assert config.router_options == {"length": {"threshold": 50}}
    assert config.with_overrides(port=None, host="::1").host == "::1"
    file.write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError, match=r"unknown server setting.*prot.*allowed"):
        load_config(file)


def test_cli_refuses_open_public_bind(monkeypatch, capsys):
    from routerlab.cli import main

    monkeypatch.delenv("ROUTERLAB_GATEWAY_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--profile", "offline"]) == 2
    assert "loopback" in capsys.readouterr().err


# -- batching ---------------------------------------------------------------------------------


class BatchRouter(Router):
    """Records batch sizes; the model depends on the prompt so results can be matched."""

    name = "batchy"

    def __init__(self, pool, fail: bool = False) -> None:
        super().__init__(pool)
        self.sizes: list[int] = []
        self.fail = fail
        self.gate = threading.Event()

    def _decide(self, request: RouteRequest) -> Decision:
        return Decision(model=request.prompt, router=self.name)

    def route_batch(self, requests):
        self.gate.wait(5)  # lets the test queue requests while the first batch "computes"
        self.sizes.append(len(requests))
        if self.fail:
            raise RuntimeError("model exploded")
        return [self._decide(r) for r in requests]


def test_batcher_groups_concurrent_requests(pool):
    router = BatchRouter(pool)
    assert has_batched_inference(router)

    async def main() -> list[Decision]:
        batcher = MicroBatcher(router, max_batch=8, max_wait_s=0.05)
        tasks = [asyncio.create_task(batcher.submit(RouteRequest(f"p{i}"))) for i in range(20)]
        await asyncio.sleep(0.01)
        router.gate.set()
        out = await asyncio.gather(*tasks)
        assert batcher.stats()["requests"] == 20
        return out

    decisions = asyncio.run(main())
    assert [d.model for d in decisions] == [f"p{i}" for i in range(20)]
    assert sum(router.sizes) == 20 and max(router.sizes) == 8 and len(router.sizes) == 3


def test_batcher_passes_router_errors_to_every_caller(pool):
    router = BatchRouter(pool, fail=True)
    router.gate.set()

    async def main() -> list[object]:
        batcher = MicroBatcher(router, max_batch=4, max_wait_s=0.01)
        return await asyncio.gather(
            *(batcher.submit(RouteRequest(f"p{i}")) for i in range(3)), return_exceptions=True
        )

    results = asyncio.run(main())
    assert all(isinstance(r, RuntimeError) for r in results)


def test_plain_router_has_no_batched_inference(pool):
    from routerlab.routers.base import make_router

    assert not has_batched_inference(make_router("fixed", pool))


# -- messages ---------------------------------------------------------------------------------


def test_parse_messages_routes_last_user_turn_with_attachments():
    parsed = parse_messages(
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}},
                    {
                        "type": "file",
                        "file": {
                            "filename": "r.pdf",
                            "file_data": "data:application/pdf;base64,JVBERi0x",
                        },
                    },
                ],
            },
        ]
    )
    assert parsed.prompt == "what is this?"
    assert parsed.attachments == ("image-1.jpg", "r.pdf")
    assert parsed.has_images and parsed.has_files
    only_image = parse_messages(
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x"}}]}]
    )
    assert only_image.prompt == "(no text; attached: image)"


@pytest.mark.parametrize(
    ("messages", "param", "code"),
    [
        (None, "messages", "missing_required_parameter"),
        ([], "messages", "invalid_value"),
        ([{"role": "wizard", "content": "x"}], "messages[0].role", "invalid_value"),
        (
            [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}],
            "messages[0].content[0].type",
            "unsupported_content_part",
        ),
        (
            [{"role": "user", "content": [{"type": "image_url"}]}],
            "messages[0].content[0].image_url",
            "invalid_value",
        ),
    ],
)
def test_parse_messages_names_the_bad_field(messages, param, code):
    with pytest.raises(RequestProblem) as info:
        parse_messages(messages)
    assert (info.value.param, info.value.code) == (param, code)
