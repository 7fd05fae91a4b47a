"""Figures made without pyplot.

Library plots build :class:`~matplotlib.figure.Figure` objects directly: no global backend is
chosen on import (notebooks keep their inline backend, headless runs need no display) and no
figure lingers in pyplot's registry to be shown a second time at the end of a notebook cell.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure


def subplots(
    nrows: int = 1,
    ncols: int = 1,
    *,
    sharex: bool = False,
    sharey: bool = False,
    **figure_kw: Any,
) -> tuple[Figure, Any]:
    """Like ``plt.subplots`` but detached from pyplot (``figure_kw`` go to ``Figure``)."""
    fig = Figure(**figure_kw)
    axes = fig.subplots(nrows, ncols, sharex=sharex, sharey=sharey)
    return fig, axes
