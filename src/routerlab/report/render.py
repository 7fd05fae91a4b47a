"""Executed notebooks → a static, self-contained HTML site (one page each plus an index).

Pages are nbconvert's lab template minus every network script (``templates/offline``): figures
are embedded as data URIs, and progress-bar widgets are replaced by static HTML built from the
widget state the notebook saved, so nothing a notebook shows is hidden and nothing needs a CDN.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routerlab.errors import ConfigError

TEMPLATES = Path(__file__).parent / "templates"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

# The index page: the headline table and the figures that summarise the study, relative to the
# outputs folder; missing ones are listed as missing, never invented.
HEADLINE_TABLE = "evaluation/metrics.csv"
KEY_FIGURES = (
    "evaluation/quality_vs_cost.png",
    "evaluation/quality_vs_share.png",
    "classifier/comparison_study.png",
    "judge/02_compact_usage_accuracy.png",
    "labeling/confusion.png",
)


@dataclass
class Report:
    """What was written: the index, one page per notebook, and what the index could not show."""

    index: Path
    pages: list[Path]
    missing: list[str] = field(default_factory=list)


def build_report(
    notebooks_dir: Path,
    out_dir: Path,
    *,
    outputs_dir: Path | None = None,
    headline_table: str | None = HEADLINE_TABLE,
    key_figures: Sequence[str] = KEY_FIGURES,
    title: str = "routerlab report",
) -> Report:
    """Render every ``*.ipynb`` in ``notebooks_dir`` to ``out_dir``; ``outputs_dir`` (default: the
    parent of ``notebooks_dir``) holds the headline table and key figures named relative to it."""
    notebooks = sorted(notebooks_dir.glob("*.ipynb"))
    if not notebooks:
        raise ConfigError(
            f"no executed notebooks (*.ipynb) in {notebooks_dir}; run `routerlab notebooks` first"
        )
    outputs = outputs_dir or notebooks_dir.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = [render_notebook(path, out_dir / f"{path.stem}.html") for path in notebooks]
    missing: list[str] = []
    sections = []
    if headline_table:
        table = outputs / headline_table
        if table.is_file():
            sections.append(_table_section(table, headline_table))
        else:
            missing.append(headline_table)
    for name in key_figures:
        figure = outputs / name
        if figure.is_file():
            sections.append(_figure_section(figure, name))
        else:
            missing.append(name)
    index = out_dir / "index.html"
    index.write_text(_index_html(title, notebooks, pages, sections, missing), encoding="utf-8")
    return Report(index=index, pages=pages, missing=missing)


def render_notebook(notebook: Path, target: Path) -> Path:
    """One executed notebook as an offline HTML page."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    static_widgets(nb)
    exporter = HTMLExporter(
        template_name="offline", extra_template_basedirs=[str(TEMPLATES)], embed_images=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    target.write_text(body, encoding="utf-8")
    return target


def static_widgets(nb: Any, *, keep_views: bool = False) -> int:
    """Give widget outputs static HTML (and their final text) from the saved widget state, in
    place; returns how many were rendered. ``keep_views=False`` (pages) drops the live widget
    views and state; ``keep_views=True`` (rendered notebooks) keeps them, so JupyterLab still shows
    the widget while GitHub, Colab's viewer or nbconvert show the bar as it ended, not at 0 %.
    A widget without saved state keeps its plain-text fallback."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    replaced = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(WIDGET_VIEW)
            if not view:
                continue
            rendered = _widget_html(view.get("model_id", ""), state)
            if not keep_views:
                del data[WIDGET_VIEW]
            if rendered:
                data["text/html"] = rendered
                data["text/plain"] = html.unescape(re.sub(r"<[^>]+>", " ", rendered)).strip()
                replaced += 1
    if not keep_views:
        nb.metadata.pop("widgets", None)
    return replaced


def _widget_html(model_id: str, state: dict[str, Any], depth: int = 0) -> str:
    model = state.get(model_id)
    if model is None or depth > 8:
        return ""
    name, values = model.get("model_name", ""), model.get("state", {})
    if name in ("HTMLModel", "LabelModel"):
        # HTMLModel values are HTML already (tqdm escapes its text); labels are plain text.
        value = str(values.get("value", ""))
        return f"<span>{value if name == 'HTMLModel' else html.escape(value)}</span>"
    if name in ("FloatProgressModel", "IntProgressModel"):
        return (
            f'<progress value="{float(values.get("value", 0))}" '
            f'max="{float(values.get("max", 100) or 100)}"></progress>'
        )
    if name in ("HBoxModel", "VBoxModel", "BoxModel"):
        children = [_widget_html(_ref(c), state, depth + 1) for c in values.get("children", [])]
        direction = "row" if name == "HBoxModel" else "column"
        return (
            f'<div style="display:flex;flex-direction:{direction};gap:6px;align-items:center">'
            + "".join(children)
            + "</div>"
        )
    return ""


def _ref(child: Any) -> str:
    return str(child).removeprefix("IPY_MODEL_")


def _table_section(path: Path, name: str) -> str:
    import pandas as pd

    frame = pd.read_csv(path)
    table = frame.to_html(index=False, float_format=lambda v: f"{v:.4f}", border=0, na_rep="—")
    return f'<section><h2>{html.escape(name)}</h2><div class="wide">{table}</div></section>'


def _figure_section(path: Path, name: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f"<section><h2>{html.escape(name)}</h2>"
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{data}"></section>'
    )


def _notebook_title(path: Path) -> str:
    import json

    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            match = re.search(r"^#\s+(.+)$", "".join(cell.get("source", [])), re.MULTILINE)
            if match:
                return match.group(1).strip()
    return path.stem


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; }
section { margin: 2em 0; }
.missing { color: #a00; }
.wide { overflow-x: auto; }
"""


def _index_html(
    title: str,
    notebooks: list[Path],
    pages: list[Path],
    sections: list[str],
    missing: list[str],
) -> str:
    links = "".join(
        f'<li><a href="{html.escape(page.name)}">{html.escape(nb.stem)}</a> — '
        f"{html.escape(_notebook_title(nb))}</li>"
        for nb, page in zip(notebooks, pages, strict=True)
    )
    gaps = (
        '<p class="missing">Not in this run\'s outputs: '
        + ", ".join(html.escape(m) for m in missing)
        + "</p>"
        if missing
        else ""
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><h2>Notebooks</h2><ol>{links}</ol>"
        + "".join(sections)
        + gaps
        + "</body></html>\n"
    )
