"""Figures made without pyplot.

Library plots build :class:`~matplotlib.figure.Figure` objects directly: no global backend is
chosen on import (notebooks keep their inline backend, headless runs need no display) and no
figure lingers in pyplot's registry to be shown a second time at the end of a notebook cell.
Inside a Jupyter kernel they are still shown inline, once per cell (see :mod:`routerlab.display`).
"""

from __future__ import annotations

import sys
from typing import Any

from matplotlib.figure import Figure

from routerlab import display


class NotebookFigure(Figure):
    """A Figure that a notebook shows as a PNG: as a cell's value, with ``display()``, or at the
    end of the cell that made it (and saved files are remembered so they are not shown twice)."""

    def savefig(self, fname: Any, *args: Any, **kwargs: Any) -> None:
        super().savefig(fname, *args, **kwargs)
        if display.in_kernel():
            # Saved by routerlab's own code (not by the notebook cell): a by-product file.
            caller = sys._getframe(1).f_globals.get("__name__", "")
            display.mark_saved(self, fname, by_library=caller.startswith("routerlab."))

    def _ipython_display_(self) -> None:
        display.show(self)


def subplots(
    nrows: int = 1,
    ncols: int = 1,
    *,
    sharex: bool = False,
    sharey: bool = False,
    **figure_kw: Any,
) -> tuple[Figure, Any]:
    """Like ``plt.subplots`` but detached from pyplot (``figure_kw`` go to ``Figure``)."""
    fig = NotebookFigure(**figure_kw)
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey)
    display.track(fig)
    return fig, axes
