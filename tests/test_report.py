"""`routerlab report`: executed notebooks → an offline HTML site, checked in a real headless
Chromium (pages load, every image decodes, no console errors, screenshot of the index).

The fixture (tests/fixtures/report/outputs) is hand-made: one executed notebook with a PNG
output, an HTML table, a stream and a saved tqdm widget, plus a metrics table and one figure."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from routerlab.cli import main
from routerlab.report import build_report
from routerlab.report.browser import check_pages, find_browser

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "outputs"
IN_CI = bool(os.environ.get("CI") or os.environ.get("ROUTERLAB_CI"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def needs_browser() -> None:
    if find_browser() is None:
        if IN_CI:
            pytest.fail("chromium + chromedriver are missing in CI (.ci/run installs them)")
        pytest.skip(
            "chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
        )


@pytest.fixture()
def report(tmp_path: Path):
    return build_report(
        FIXTURE / "notebooks",
        tmp_path / "report",
        key_figures=("evaluation/quality_vs_cost.png", "evaluation/absent.png"),
    )


def test_report_pages_are_self_contained(report):
    assert [p.name for p in report.pages] == ["01_fixture.html"]
    page = report.pages[0].read_text(encoding="utf-8")
    index = report.index.read_text(encoding="utf-8")
    for html in (page, index):
        # Nothing the page needs comes from the network: no remote script, stylesheet or image.
        remote = re.findall(r"<(?:script|img|link|iframe)\b[^>]*(?:src|href)=\"https?://", html)
        assert remote == []
        assert 'src="data:image/png;base64,' in html
    # every output the notebook shows is on its page
    assert "0.9876" in page and "all checks passed" in page
    # the saved progress bar is rendered from its widget state, not left as a widget script
    bar = re.search(r"<progress\b[^>]*>", page)
    assert bar and 'value="4.0"' in bar.group() and 'max="4.0"' in bar.group()
    assert "labeling with fixture: 100%" in page
    assert "application/vnd.jupyter.widget" not in page
    # the index links every page, shows the headline table and the figures that exist
    assert 'href="01_fixture.html"' in index and "Fixture · a rendered notebook" in index
    assert "0.5012" in index and "1.2850" in index
    assert report.missing == ["evaluation/absent.png"] and "evaluation/absent.png" in index


def test_report_refuses_an_empty_folder(tmp_path: Path):
    from routerlab.errors import ConfigError

    with pytest.raises(ConfigError, match="no executed notebooks"):
        build_report(tmp_path, tmp_path / "report")


def test_report_opens_in_headless_chromium(report, tmp_path: Path):
    needs_browser()
    shot = tmp_path / "shots" / "index.png"
    checks = check_pages([report.index, *report.pages], screenshot=shot)
    assert [c.page for c in checks] == ["index.html", "01_fixture.html"]
    for check in checks:
        assert check.ok, check
        assert check.images >= 1  # the figure (and on the index the key figure) decoded
    assert shot.read_bytes().startswith(PNG_MAGIC) and shot.stat().st_size > 1000


def test_browser_check_catches_broken_images_and_console_errors(tmp_path: Path):
    needs_browser()
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        '<img alt="not-a-png" src="data:image/png;base64,AAAA">'
        "<script>console.error('boom from the page')</script></body></html>",
        encoding="utf-8",
    )
    (check,) = check_pages([page])
    assert not check.ok
    assert check.broken_images == ["not-a-png"]
    assert any("boom from the page" in e for e in check.console_errors)


def test_cli_report_writes_site_and_screenshot(tmp_path: Path, capsys):
    needs_browser()
    notebooks = tmp_path / "outputs" / "notebooks"
    shutil.copytree(FIXTURE, tmp_path / "outputs")
    out = tmp_path / "site"
    code = main(["report", "--notebooks", str(notebooks), "--output-dir", str(out), "--screenshot"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert (out / "index.html").is_file() and (out / "01_fixture.html").is_file()
    assert (out / "index.png").read_bytes().startswith(PNG_MAGIC)
    assert "index.html: ok" in printed and "01_fixture.html: ok" in printed


def test_cli_report_names_a_missing_folder(tmp_path: Path, capsys):
    code = main(["report", "--notebooks", str(tmp_path / "nope"), "--output-dir", str(tmp_path)])
    assert code == 2
    assert "is not a folder" in capsys.readouterr().err


def test_rendered_notebooks_keep_widgets_and_gain_their_final_state():
    import nbformat

    from routerlab.report.render import WIDGET_VIEW, static_widgets

    nb = nbformat.read(FIXTURE / "notebooks" / "01_fixture.ipynb", as_version=4)
    assert static_widgets(nb, keep_views=True) == 1
    (bar,) = [o for c in nb.cells for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    assert "<progress" in bar["data"]["text/html"]
    assert bar["data"]["text/plain"].startswith("labeling with fixture: 100%")
    assert "4/4 [00:02<00:00]" in bar["data"]["text/plain"]
    assert "widgets" in nb.metadata  # JupyterLab can still restore the live widget
