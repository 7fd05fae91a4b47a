"""Every notebook executes headlessly (papermill, offline profile, [ci] parameters) and its
source is lint-clean as data: kernel python3, one `parameters` cell, no stored outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from routerlab.notebooks import load_params, notebook_paths, run_notebook

NOTEBOOKS = notebook_paths()


@pytest.fixture(scope="session")
def shared_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


def test_there_are_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == sorted(p.stem[:2] for p in NOTEBOOKS)
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_source_is_clean(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    assert "PROFILE" in source and "OUTPUT_DIR" in source
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), "notebook sources must not store outputs"
            assert cell.get("execution_count") is None
    for key in load_params(path, "ci"):
        assert key in source, f"[ci] parameter {key} is not in the parameters cell"


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_offline(path: Path, shared_outputs: Path):
    # One OUTPUT_DIR for the whole session, so 05 finds the classifier 04 saved, and the
    # committed outputs/ of the full run are never overwritten by CI-sized runs.
    run = run_notebook(
        path,
        profile="offline",
        param_set="ci",
        output_dir=shared_outputs / "notebooks",
        extra_params={"OUTPUT_DIR": str(shared_outputs)},
    )
    assert run.ok, run.error
    assert Path(run.output).is_file()
