"""The examples in docs/architecture.md, run: a new router, a new outcome table (and, in
test_backend_example.py, a new backend). Each example is the code between its markers, and the
docs must quote it verbatim, so the page cannot drift from code that works."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from routerlab.cli import main
from routerlab.gateway import Gateway
from routerlab.routers.base import make_router
from routerlab.server import ServerConfig, create_app
from routerlab.tables import load_table, table_prices, unregister_table
from routerlab.testing import ScriptedChatClient

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "architecture.md"
EXAMPLES = ("a router that scores models", "an outcome table", "a backend")


# -- example: a router that scores models ---------------------------------------------------------
from routerlab.routers.base import ScoringRouter, register_router  # noqa: E402


@register_router("keyword")
class KeywordRouter(ScoringRouter):
    """Prompts with a hard word go to the strongest model, the rest to the cheapest."""

    name = "keyword"
    words = ("prove", "integral", "derive")

    def score_batch(self, prompts, metadata=None):
        hard = np.array([any(w in p.lower() for w in self.words) for p in prompts], dtype=float)
        scores = np.zeros((len(prompts), len(self.models)))  # self.models: cheapest first
        scores[:, 0], scores[:, -1] = 1.0 - hard, hard
        return scores


# -- end of example -------------------------------------------------------------------------------


# -- example: an outcome table --------------------------------------------------------------------
from routerlab.prices import ModelPrice  # noqa: E402
from routerlab.tables import OutcomeTable, register_table  # noqa: E402


def load_quiz(**_options) -> OutcomeTable:
    """A 40-prompt, three-model quiz: hard prompts only the big model gets right."""
    prompts = [f"{'prove' if i % 4 == 0 else 'name'} fact {i}" for i in range(40)]
    hard = np.array([p.startswith("prove") for p in prompts])
    frame = pd.DataFrame({"prompt": prompts, "topic": "facts", "small": ~hard,
                          "medium": ~hard, "big": True})  # fmt: skip
    return OutcomeTable.from_frame(frame, name="quiz")  # `topic` is text: kept as metadata


register_table("quiz", load_quiz, prices={"small": ModelPrice(0.1, 0.4),
               "medium": ModelPrice(1.0, 4.0), "big": ModelPrice(5.0, 20.0)})  # fmt: skip
# -- end of example -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _keep_the_quiz_table() -> Iterator[None]:
    # The registry plugin restores routers after every test; the examples register at import
    # time, so put "keyword" back for each test and drop "quiz" at the end of the module.
    register_router("keyword")(KeywordRouter)
    yield


@pytest.fixture(scope="module", autouse=True)
def _drop_the_quiz_table() -> Iterator[None]:
    yield
    unregister_table("quiz")


def example(title: str, text: str) -> str:
    """The code between ``# -- example: <title>`` and ``# -- end of example`` in ``text``."""
    match = re.search(rf"# -- example: {re.escape(title)} -+\n(.*?)# -- end of example", text, re.S)
    assert match, f"no example {title!r}"
    return match.group(1).strip()


def test_the_docs_quote_every_example_verbatim():
    docs = DOCS.read_text(encoding="utf-8")
    sources = {
        "a router that scores models": Path(__file__).read_text(encoding="utf-8"),
        "an outcome table": Path(__file__).read_text(encoding="utf-8"),
        "a backend": (ROOT / "tests" / "test_backend_example.py").read_text(encoding="utf-8"),
    }
    for title in EXAMPLES:
        code = example(title, sources[title])
        assert len(code.splitlines()) <= 20, f"the {title} example is over 20 lines"
        assert code in docs, f"docs/architecture.md does not quote the {title} example"


def test_the_new_router_is_evaluated_by_routerlab_eval(tmp_path, capsys):
    hard = [f"prove lemma {i}" for i in range(30)]
    easy = [f"name a colour {i}" for i in range(30)]
    frame = pd.DataFrame({"prompt": hard + easy, "gpt-4.1": [True] * 60,
                          "gpt-4.1-nano": [False] * 30 + [True] * 30})  # fmt: skip
    frame.to_csv(tmp_path / "t.csv", index=False)
    args = ["eval", str(tmp_path / "t.csv"), "--router", "keyword", "--router", "random",
            "--router", "oracle"]  # fmt: skip
    assert main([*args, "--train-rows", "20", "--json"]) == 0
    records = {r["router"]: r for r in json.loads(capsys.readouterr().out)["routers"]}
    assert records["keyword"]["apgr"] == pytest.approx(records["oracle"]["apgr"])
    assert records["keyword"]["apgr"] > records["random"]["apgr"] + 0.2


def test_the_new_router_is_served_by_the_gateway_and_the_server(pool):
    router = make_router("keyword", pool)
    client = ScriptedChatClient("done", pool=pool)
    gateway = Gateway(pool, client, router)
    assert gateway.route("Prove that 2 is prime").model == pool.names[-1]
    assert gateway.route("Name a colour").model == pool.cheapest.name

    app = create_app(ServerConfig(token="t0k3n-example", routers=("keyword",)), client=client)
    body = {"model": "router-keyword", "messages": [{"role": "user", "content": "derive it"}]}

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            headers = {"authorization": "Bearer t0k3n-example"}
            return await http.post("/v1/chat/completions", json=body, headers=headers)

    reply = asyncio.run(post())
    assert reply.status_code == 200, reply.text
    assert reply.json()["model"] == pool.names[-1] == client.calls[-1].model


def test_the_new_table_loads_by_name_with_its_prices():
    table = load_table("quiz")
    assert table.models == ("small", "medium", "big") and table.metadata_columns[-1] == "topic"
    assert table.accuracy() == {"small": 0.75, "medium": 0.75, "big": 1.0}
    assert table_prices("quiz")["big"] == ModelPrice(5.0, 20.0)
