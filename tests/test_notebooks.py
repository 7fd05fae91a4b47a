"""Every notebook executes headlessly (papermill, offline profile, [ci] parameters) and its
source is lint-clean as data: kernel python3, one `parameters` cell, no stored outputs. The
rendered notebooks are then scanned: every figure-making cell shows a PNG, no `<Figure size …>`
text, no warnings, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from routerlab.notebooks import NotebookRun, load_params, notebook_paths, run_notebook

NOTEBOOKS = notebook_paths()


@pytest.fixture(scope="session")
def shared_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("outputs")


@pytest.fixture(scope="session")
def executed(shared_outputs: Path) -> dict[str, NotebookRun]:
    """Notebook stem -> its run; filled by the execution test, read by the output scan, so each
    notebook executes once per session."""
    return {}


def execute(path: Path, shared_outputs: Path, executed: dict[str, NotebookRun]) -> NotebookRun:
    if path.stem not in executed:
        # One OUTPUT_DIR for the whole session, so 05 finds the classifier 04 saved, and the
        # committed outputs/ of the full run are never overwritten by CI-sized runs.
        executed[path.stem] = run_notebook(
            path,
            profile="offline",
            param_set="ci",
            output_dir=shared_outputs / "notebooks",
            extra_params={"OUTPUT_DIR": str(shared_outputs)},
        )
    return executed[path.stem]


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
def test_notebook_executes_offline(path: Path, shared_outputs: Path, executed):
    run = execute(path, shared_outputs, executed)
    assert run.ok, run.error
    assert Path(run.output).is_file()


# A code cell makes a figure when it saves one or calls a library function that returns one.
FIGURE_CALL = re.compile(
    r"\.savefig\(|\bsave_figure\(|\bsave_agreement\(|\bsave_per_subject\(|\bplot_\w+\(|"
    r"\w+_figure\(|\bquality_vs_\w+\(|\busage_bars\("
)


def output_problems(rendered: dict) -> list[str]:
    """What a reader of the rendered notebook should not see, one line per problem."""
    problems = []
    for number, cell in enumerate(rendered["cells"]):
        if cell["cell_type"] != "code":
            continue
        outputs = cell.get("outputs", [])
        source = "".join(cell["source"])
        where = f"cell {number} ({source.strip().splitlines()[0][:60] if source.strip() else ''})"
        if FIGURE_CALL.search(source) and not any(
            "image/png" in o.get("data", {}) for o in outputs
        ):
            problems.append(f"{where}: makes a figure but shows no image/png")
        for out in outputs:
            if out["output_type"] == "error":
                problems.append(f"{where}: raised {out.get('ename')}")
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            if "<Figure size" in text:
                problems.append(f"{where}: shows {text.strip()[:60]!r} instead of the figure")
            data = out.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data and "text/html" not in data:
                problems.append(f"{where}: a widget without its final state as HTML")
            if "{'loss'" in text:
                problems.append(f"{where}: prints raw Trainer log dicts")
            if "Traceback (most recent call last)" in text:
                problems.append(f"{where}: prints a traceback")
            # any case: "UserWarning: ...", "warning: ...", "WARNING:root:..."
            is_stderr = out["output_type"] == "stream" and out.get("name") == "stderr"
            if is_stderr and "warning" in text.lower():
                problems.append(f"{where}: warns: {text.strip()[:120]!r}")
    return problems


def test_output_scan_catches_what_it_should():
    bad = {
        "cells": [
            {"cell_type": "code", "source": ["fig.savefig('x.png')"], "outputs": []},
            {
                "cell_type": "code",
                "source": ["fig"],
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "data": {"text/plain": "<Figure size 640x480 with 1 Axes>"},
                    },
                    {"output_type": "stream", "name": "stderr", "text": "TqdmWarning: IProgress"},
                    {"output_type": "stream", "name": "stderr", "text": "warning: lowercase too"},
                    {"output_type": "stream", "name": "stderr", "text": "WARNING:root:loud"},
                    {
                        "output_type": "stream",
                        "name": "stdout",
                        "text": "{'loss': 1.2, 'epoch': 1}",
                    },
                ],
            },
        ]
    }
    problems = output_problems(bad)
    assert len(problems) == 6, problems
    assert "no image/png" in problems[0] and "<Figure size" in problems[1]
    assert all("warns" in p for p in problems[2:5]) and "Trainer log" in problems[5]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_rendered_notebook_is_clean(path: Path, shared_outputs: Path, executed):
    run = execute(path, shared_outputs, executed)  # already executed above in a full run
    assert run.ok, run.error
    rendered = json.loads(Path(run.output).read_text(encoding="utf-8"))
    assert output_problems(rendered) == []
