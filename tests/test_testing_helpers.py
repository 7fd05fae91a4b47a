"""routerlab.testing: make_pool, make_outcome_table, ScriptedChatClient, the registry fixture."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from routerlab.errors import ConfigError, LLMError
from routerlab.llm.base import ChatResult
from routerlab.routers.base import Decision, Router, register_router, router_names
from routerlab.testing import ScriptedChatClient, fail_first, make_outcome_table, make_pool
from routerlab.usage import Usage

USER = [{"role": "user", "content": "hello"}]


class Pick(BaseModel):
    model: str


def test_make_pool_orders_prices_and_capabilities():
    pool = make_pool()
    assert pool.names == ["cheap", "strong"]
    assert pool["cheap"].input < pool["strong"].input and pool["strong"].output == pytest.approx(
        4.0
    )
    pool = make_pool(["a", "b", "c"], prices=[1.0, (2.0, 8.0), 3.0], reasoning={"c"}, vision={"b"})
    assert (pool["a"].input, pool["a"].output) == (1.0, 1.0)
    assert (pool["b"].input, pool["b"].output, pool["b"].vision) == (2.0, 8.0, True)
    assert pool["c"].reasoning and not pool["c"].temperature and pool["a"].temperature
    assert [m.order for m in pool.models] == [0, 1, 2]
    assert make_pool(["x", "y"], prices={"y": 2.0, "x": 1.0})["y"].input == 2.0
    for kwargs, message in [
        ({"names": ["a", "a"]}, "distinct"),
        ({"prices": [1.0]}, "1 prices for 2 names"),
        ({"prices": {"cheap": 1.0}}, "prices lack"),
        ({"reasoning": {"zzz"}}, "not in the pool"),
    ]:
        with pytest.raises(ConfigError, match=message):
            make_pool(**kwargs)


def test_make_outcome_table_is_seeded_and_stronger_models_score_higher():
    table = make_outcome_table(400, ("weak", "mid", "strong"), seed=5)
    again = make_outcome_table(400, ("weak", "mid", "strong"), seed=5)
    other = make_outcome_table(400, ("weak", "mid", "strong"), seed=6)
    assert table.models == ("weak", "mid", "strong") and len(table.frame) == 400
    assert table.frame.equals(again.frame) and not table.frame.equals(other.frame)
    means = table.matrix(list(table.models)).mean(axis=0)
    assert means[0] < means[1] < means[2]
    assert set(table.frame["subject"]) == {"algebra", "history"}
    assert table.frame["prompt"].str.len().nunique() > 5
    with pytest.raises(ConfigError, match="2 accuracies for 3 models"):
        make_outcome_table(10, ("a", "b", "c"), accuracy=[0.1, 0.2])


async def test_scripted_client_serves_a_list_in_order_and_records(pool):
    client = ScriptedChatClient(
        ["one", {"model": "gpt-4.1"}, LLMError("down", kind="api_error")], pool=pool
    )
    first = await client.acomplete("gpt-4.1", USER, temperature=0)
    second = await client.acomplete("gpt-4.1-nano", USER, response_format=Pick)
    with pytest.raises(LLMError, match="down"):
        await client.acomplete("o4-mini", USER)
    with pytest.raises(AssertionError, match="only 3 replies were scripted"):
        await client.acomplete("o4-mini", USER)
    assert first.text == "one" and first.cost_usd == pytest.approx(
        pool.cost("gpt-4.1", client.usage)
    )
    assert second.parsed == Pick(model="gpt-4.1") and second.text == '{"model": "gpt-4.1"}'
    assert client.models == ["gpt-4.1", "gpt-4.1-nano", "o4-mini", "o4-mini"]
    assert client.prompts() == ["hello"] * 4


async def test_scripted_client_callable_text_parsing_and_results(pool):
    usage = Usage(10, 1)
    client = ScriptedChatClient(
        lambda request: request.model.upper(), pool=pool, usage=usage, cost_usd=0.5, stand_in=True
    )
    result = await client.acomplete("gpt-4.1", USER)
    assert (result.text, result.usage, result.cost_usd, result.stand_in) == (
        "GPT-4.1",
        usage,
        0.5,
        True,
    )
    strict = ScriptedChatClient("not json", pool=pool)
    with pytest.raises(LLMError) as info:
        await strict.acomplete("gpt-4.1", USER, response_format=Pick)
    assert info.value.kind == "invalid_output"
    loose = ScriptedChatClient("not json", pool=pool, parse=False)
    assert (await loose.acomplete("gpt-4.1", USER, response_format=Pick)).parsed is None
    whole = ChatResult("as is", "gpt-4.1", "elsewhere", Usage(1, 1), 0.0, 0.0)
    assert await ScriptedChatClient(whole, pool=pool).acomplete("gpt-4.1", USER) is whole
    with pytest.raises(ConfigError, match="a scripted reply must be"):
        await ScriptedChatClient([3], pool=pool).acomplete("gpt-4.1", USER)  # type: ignore[list-item]


async def test_scripted_client_counts_calls_in_flight(pool):
    client = ScriptedChatClient("ok", pool=pool, delay_s=0.01)
    await asyncio.gather(*(client.acomplete("gpt-4.1", USER) for _ in range(5)))
    assert client.peak == 5 and client.active == 0
    serial = ScriptedChatClient("ok", pool=pool, delay_s=0.01)
    for _ in range(3):
        await serial.acomplete("gpt-4.1", USER)
    assert serial.peak == 1


async def test_scripted_client_streams_word_by_word_and_reports_the_result(pool):
    client = ScriptedChatClient(lambda r: f"streamed from {r.model}", pool=pool, usage=Usage(7, 3))
    results: list[ChatResult] = []
    deltas = [
        d async for d in client.astream("gpt-4.1", USER, on_result=results.append, cacheable=True)
    ]
    assert deltas == ["streamed ", "from ", "gpt-4.1"]
    assert [r.text for r in results] == ["streamed from gpt-4.1"] and results[0].usage == Usage(
        7, 3
    )
    await client.acomplete("gpt-4.1", USER)
    assert client.streamed == [True, False] and client.cacheable == [True, None]
    assert [d async for d in ScriptedChatClient("", pool=pool).astream("gpt-4.1", USER)] == []
    failing = ScriptedChatClient(LLMError("down", kind="api_error"), pool=pool)
    with pytest.raises(LLMError, match="down"):
        await anext(failing.astream("gpt-4.1", USER))
    assert failing.streamed == [True]


async def test_fail_first_fails_n_times_then_answers(pool):
    client = ScriptedChatClient(
        fail_first(
            2, lambda: LLMError("flaky", kind="api_error", status=503), then=lambda r: r.model
        ),
        pool=pool,
    )
    for _ in range(2):
        with pytest.raises(LLMError, match="flaky") as info:
            await client.acomplete("gpt-4.1", USER)
        assert info.value.status == 503
    assert (await client.acomplete("o4-mini", USER)).text == "o4-mini"
    assert len(client.calls) == 3
    same = ScriptedChatClient(fail_first(1, TimeoutError("slow")), pool=pool)
    with pytest.raises(TimeoutError):
        await same.acomplete("gpt-4.1", USER)
    assert (await same.acomplete("gpt-4.1", USER)).text == "ok"
    for bad in (-1, True):
        with pytest.raises(ConfigError, match="n must be"):
            fail_first(bad, TimeoutError())
    with pytest.raises(ConfigError, match="not a list"):
        fail_first(1, TimeoutError(), then=["a", "b"])


# The two tests below run in this order (pytest keeps file order): the first registers a router,
# the second sees that the registry fixture removed it.
def test_a_router_registered_in_a_test(router_registry):
    @register_router("_testing_helpers_router")
    class Temporary(Router):
        name = "_testing_helpers_router"

        def _decide(self, request):
            return Decision(model=self.pool.names[0], router=self.name)

    assert "_testing_helpers_router" in router_names()
    assert router_registry["_testing_helpers_router"] is Temporary


def test_is_gone_in_the_next_test():
    assert "_testing_helpers_router" not in router_names()
    assert {"fixed", "random", "length"} <= set(router_names())  # built-ins stay


def test_registry_fixture_restores_an_overwritten_builtin(router_registry):
    router_names()  # loads the built-ins
    builtin = router_registry["fixed"]
    register_router("fixed")(lambda pool, **kw: None)  # type: ignore[arg-type,return-value]
    assert router_registry["fixed"] is not builtin  # put back after this test: see the next one


def test_builtin_is_back():
    from routerlab.routers import make_router

    assert make_router("fixed", make_pool(["a", "b"]), model="b").route("x").model == "b"
