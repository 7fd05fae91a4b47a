"""routerlab.display: in a real Jupyter kernel (papermill), every routerlab figure shows up once
as a PNG, Figure values never render as ``<Figure size …>``, and library logs stay out."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest

from routerlab import display
from routerlab.plots._figure import NotebookFigure, subplots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

CELLS = {
    "import": "import routerlab\nfrom routerlab.plots._figure import subplots\n"
    "from IPython.display import Image, display",
    # saved, never displayed by the cell: shown at the end of the cell
    "saved": "fig, ax = subplots(); ax.plot([1, 2, 3]); ax.set_title('saved only')\n"
    "fig.savefig(OUT + '/a.png')",
    # saved and returned: shown once (the value), not again at the end of the cell
    "returned": "fig, ax = subplots(); ax.plot([3, 2, 1]); fig.savefig(OUT + '/b.png'); fig",
    # discarded with ';': still shown
    "discarded": "fig, ax = subplots(); ax.plot([1, 1, 1]);",
    # two figures in one cell, one displayed explicitly
    "two": "f1, a1 = subplots(); a1.plot([0, 1]); display(f1)\nf2, a2 = subplots(); a2.plot([1, 0])",
    # saved and its file shown with IPython's Image: the file counts as the figure
    "as_image": "fig, ax = subplots(); ax.plot([2, 2]); fig.savefig(OUT + '/c.png', dpi=50)\n"
    "display(Image(filename=OUT + '/c.png'))",
    # a plain matplotlib Figure (not routerlab's) as a cell value
    "plain": "from matplotlib.figure import Figure\nf = Figure(); f.subplots().plot([1, 5]); f",
    # a library by-product made under display.not_shown(): saved, not shown
    "by_product": "from routerlab.display import not_shown\nwith not_shown():\n"
    "    fig, ax = subplots(); ax.plot([1, 3]); fig.savefig(OUT + '/d.png')",
    # saved by routerlab's own code and not displayed by the cell: a by-product file, not shown
    "library_saved": "from routerlab.labeling.pipeline import save_figure\n"
    "fig, ax = subplots(); ax.plot([0, 2]); saved = save_figure(fig, OUT, 'e')",
    # ... unless the cell returns it
    "library_saved_returned": "fig, ax = subplots(); ax.plot([0, 3]); save_figure(fig, OUT, 'f'); fig",
    # library warnings and bars are quiet; routerlab's own bar renders as a widget
    "quiet": "import logging\nlogging.getLogger('transformers').warning('hidden load report')\n"
    "import tqdm.auto\nfor _ in tqdm.auto.tqdm(range(3), desc='mine'): pass",
}
EXPECTED_PNGS = {
    "import": 0,
    "saved": 1,
    "returned": 1,
    "discarded": 1,
    "two": 2,
    "as_image": 1,
    "plain": 1,
    "by_product": 0,
    "library_saved": 0,
    "library_saved_returned": 1,
    "quiet": 0,
}


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    import papermill as pm

    folder = tmp_path_factory.mktemp("display")
    cells = [nbformat.v4.new_code_cell(f"OUT = {str(folder)!r}")]
    cells += [nbformat.v4.new_code_cell(src, metadata={"name": k}) for k, src in CELLS.items()]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source, rendered = folder / "in.ipynb", folder / "out.ipynb"
    nbformat.write(nb, source)
    pm.execute_notebook(str(source), str(rendered), kernel_name="python3", progress_bar=False)
    done = json.loads(rendered.read_text(encoding="utf-8"))
    return {c["metadata"]["name"]: c["outputs"] for c in done["cells"] if "name" in c["metadata"]}


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("name", list(CELLS))
def test_each_figure_is_shown_once_as_png(executed, name):
    outputs = executed[name]
    pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) == EXPECTED_PNGS[name], outputs
    for png in pngs:
        assert base64.b64decode(png).startswith(PNG_MAGIC)
    text = json.dumps(outputs)
    assert "<Figure size" not in text
    assert not [o for o in outputs if o["output_type"] == "error"]


@pytest.mark.slow
@pytest.mark.notebook
def test_library_logs_stay_out_and_bars_are_widgets(executed):
    outputs = executed["quiet"]
    streams = "".join("".join(o["text"]) for o in outputs if o["output_type"] == "stream")
    assert "hidden load report" not in streams
    assert "IProgress not found" not in streams  # ipywidgets is installed (notebooks extra)
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 1


def test_outside_a_kernel_nothing_is_tracked(tmp_path: Path):
    assert not display.in_kernel()
    fig, ax = subplots()
    ax.plot([1, 2])
    assert isinstance(fig, NotebookFigure)
    assert display._pending == []
    fig.savefig(tmp_path / "x.png")
    assert not hasattr(fig, "_routerlab_saved")  # no digests kept outside notebooks
    assert display.figure_png(fig).startswith(PNG_MAGIC)


def test_figure_text_names_the_figure():
    fig, ax = subplots()
    ax.set_title("Quality vs cost")
    assert display._describe(fig) == "[figure: Quality vs cost]"
    fig.suptitle("Overall")
    assert display._describe(fig) == "[figure: Overall]"


def test_quieted_restores_logging_and_environment(monkeypatch):
    import logging
    import os

    monkeypatch.delenv("TRANSFORMERS_VERBOSITY", raising=False)
    logger = logging.getLogger("datasets")
    before = logger.level
    with display.quieted():
        assert logger.level == logging.ERROR
        assert os.environ["TRANSFORMERS_VERBOSITY"] == "error"
    assert logger.level == before
    assert "TRANSFORMERS_VERBOSITY" not in os.environ
