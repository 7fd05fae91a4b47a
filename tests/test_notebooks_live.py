"""Notebooks 01, 02, 03 and 05 run end to end in the LIVE profile, with their [ci] parameters,
against the loopback OpenAI-compatible server (no network: data from $ROUTERLAB_DATA_MIRROR,
the hub offline). The rendered notebooks must hold no trace of the API key and must say which
backend answered."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import pandas as pd
import pytest
from test_notebooks import output_problems  # the rendered-notebook scan of the offline renders

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
    assert output_problems(json.loads(raw)) == []
    if path.stem[:2] in CALLS_THE_API:
        assert server.stats["chat.completions"] > calls_before  # the calls reached the server
        assert f"openai-compatible {server.base_url}" in text  # and the notebook says so
    else:
        assert server.stats["chat.completions"] == calls_before  # 05 is a lookup: no calls


def _labeled(output_dir: Path) -> pd.DataFrame:
    """Notebook 03's labeled CSV without what may differ between two runs of the same labels."""
    frame = pd.read_csv(output_dir / "labeling" / "labeled_live.csv")
    varying = [c for c in frame.columns if "cost" in c or "latency" in c or c == "cached"]
    return frame.drop(columns=varying)


@pytest.mark.slow
@pytest.mark.notebook
def test_second_live_labeling_run_is_served_from_the_response_cache(
    live_env, tmp_path, monkeypatch
):
    """Notebook 03 twice, live, cache ON, temperature 0, a fresh OUTPUT_DIR each time (so no
    checkpoint explains it): the second run sends no chat call and saves the same labels."""
    server, _key, _outputs = live_env
    # conftest turns the cache off session-wide; this kernel (it inherits os.environ) gets it on
    monkeypatch.setenv("ROUTERLAB_NO_CACHE", "0")
    monkeypatch.setenv("ROUTERLAB_CACHE_DIR", str(tmp_path / "cache"))
    path = notebook_paths(only=["03"])[0]
    calls = []
    for attempt in ("first", "second"):
        before = server.stats["chat.completions"]
        run = run_notebook(
            path,
            profile="live",
            param_set="ci",
            output_dir=tmp_path / attempt / "notebooks",
            extra_params={"OUTPUT_DIR": str(tmp_path / attempt), "TEMPERATURE": 0.0},
        )
        assert run.ok, run.error
        calls.append(server.stats["chat.completions"] - before)
    assert calls[0] > 0 and calls[1] == 0, calls
    assert (tmp_path / "cache" / "responses.sqlite3").is_file()
    first, second = _labeled(tmp_path / "first"), _labeled(tmp_path / "second")
    assert (first["status"] == "ok").any()
    pd.testing.assert_frame_equal(first, second)
    again = pd.read_csv(tmp_path / "second" / "labeling" / "labeled_live.csv")
    assert again.loc[again["status"] == "ok", "cached"].all()  # and says so
