"""A shareable report: executed notebooks rendered to a static, offline HTML site."""

from routerlab.report.render import KEY_FIGURES, Report, build_report, render_notebook

__all__ = ["KEY_FIGURES", "Report", "build_report", "render_notebook"]
