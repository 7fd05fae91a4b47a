"""The new-backend example (quoted in the architecture docs): one class, one method."""

from __future__ import annotations

from typing import Any

# -- example: a backend ---------------------------------------------------------------------------
from routerlab.llm import ChatClient, ChatResult, LLMRequest
from routerlab.usage import Usage


class ShoutingClient(ChatClient):
    """Answers every request with its last message, shouted."""

    backend = "shout"

    async def _acomplete(self, request: LLMRequest) -> ChatResult[Any]:
        text = str(request.messages[-1]["content"]).upper()
        usage = Usage(prompt_tokens=len(request.messages), completion_tokens=len(text.split()))
        return self._priced(request.model, text, usage, latency_s=0.0)


# -- end of example --------------------------------------------------------------------------------
from routerlab.llm import Recorder, ReplayClient  # noqa: E402


def test_a_new_backend_is_one_method_and_works_with_every_wrapper(pool, tmp_path):
    client = ShoutingClient(pool)
    messages = [{"role": "user", "content": "route me"}]
    result = client.complete("gpt-4.1", messages, temperature=0)
    assert result.text == "ROUTE ME" and result.backend == "shout"
    assert result.cost_usd == pool.cost("gpt-4.1", Usage(1, 2))
    recorded = Recorder(client, tmp_path / "calls.jsonl").complete("gpt-4.1-nano", messages)
    replayed = ReplayClient(pool, tmp_path / "calls.jsonl").complete("gpt-4.1-nano", messages)
    assert replayed.text == recorded.text == "ROUTE ME" and replayed.usage == recorded.usage
