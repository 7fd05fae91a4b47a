"""Test helpers shipped with the package.

- :func:`make_pool`, :func:`make_outcome_table`: a small pool / a seeded random outcome table.
- :class:`ScriptedChatClient`: the backend interface answering from a script, recording calls
  (streamed calls too); :func:`fail_first`: a script for an upstream that fails, then answers.
- ``routerlab.testing.pytest_plugin``: restores the router registry after each test.
- ``routerlab.testing.fake_openai``: a loopback OpenAI-compatible server (its answers:
  ``routerlab.testing.fake_completions``).

Nothing heavy is imported here: pandas loads when a table is made.
"""

from routerlab.testing.chat import ScriptedChatClient, fail_first
from routerlab.testing.pools import make_outcome_table, make_pool

__all__ = ["ScriptedChatClient", "fail_first", "make_outcome_table", "make_pool"]
