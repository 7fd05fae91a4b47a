"""Notebooks 01, 02, 03 and 05 run end to end in the LIVE profile, with their [ci] parameters,
against the loopback OpenAI-compatible server (no network: data from $ROUTERLAB_DATA_MIRROR,
the hub offline). The rendered notebooks must hold no trace of the API key and must say which
backend answered."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pytest

from routerlab.notebooks import notebook_paths, run_notebook
from routerlab.testing.fake_openai import FakeOpenAIServer

LIVE_NOTEBOOKS = notebook_paths(only=["01", "02", "03", "05"])
# notebooks that call the API, and so must name the backend that answered
CALLS_THE_API = {"01", "02", "03"}


@pytest.fixture(scope="module")
def live_env(tmp_path_factory: pytest.TempPathFactory):
    """The fake server plus the environment a researcher would set; restored afterwards."""
    key = f"sk-test-{secrets.token_hex(16)}"  # random: a leak of it cannot be a coincidence
    outputs = tmp_path_factory.mktemp("live_outputs")
    with FakeOpenAIServer(max_lifetime_s=1800) as server:
        saved = {
            k: os.environ.get(k) for k in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HF_HUB_OFFLINE")
        }
        # the papermill kernel inherits this process's environment
        os.environ |= {
            "OPENAI_API_KEY": key,
            "OPENAI_BASE_URL": server.base_url,
            "HF_HUB_OFFLINE": "1",
        }
        try:
            yield server, key, outputs
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _outputs_text(notebook: Path) -> str:
    """Every output of every cell (all MIME types, streams, tracebacks) as one string."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            parts.append(json.dumps(output, ensure_ascii=False))
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", LIVE_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_live_against_a_loopback_server(path: Path, live_env):
    server, key, outputs = live_env
    calls_before = server.stats["chat.completions"]
    run = run_notebook(
        path,
        profile="live",
        param_set="ci",
        output_dir=outputs / "notebooks",
        extra_params={"OUTPUT_DIR": str(outputs)},
    )
    assert run.ok, run.error
    rendered = Path(run.output)
    raw = rendered.read_text(encoding="utf-8")
    assert key not in raw  # not in any output, parameter or metadata
    assert key[8:] not in raw  # nor its random part
    text = _outputs_text(rendered)
    assert "Profile" in text and "live" in text
    if path.stem[:2] in CALLS_THE_API:
        assert server.stats["chat.completions"] > calls_before  # the calls reached the server
        assert f"openai-compatible {server.base_url}" in text  # and the notebook says so
    else:
        assert server.stats["chat.completions"] == calls_before  # 05 is a lookup: no calls
