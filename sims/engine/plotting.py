"""The shared figure style, and ``figure()``, which sims call to draw.

Figures are built on ``matplotlib.figure.Figure`` directly, never through ``pyplot``: no global backend is chosen
and no window can open, so importing ``sims`` or drawing a figure inside a notebook leaves the notebook's own
backend (and its inline plots) alone, and a figure needs no ``close``.
"""

from __future__ import annotations

from typing import Any

STYLE: dict[str, Any] = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,  # the report shows figures at ~700 px: smaller legends are unreadable
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "font.family": "DejaVu Sans",
}


def style():
    """A context manager applying ``STYLE`` (the report wraps drawing and saving in it)."""
    import matplotlib

    return matplotlib.rc_context(STYLE)


def figure(nrows: int = 1, ncols: int = 1, **kw: Any):
    """A new ``(figure, axes)`` pair in the shared style, like ``pyplot.subplots`` but without pyplot."""
    from matplotlib.figure import Figure

    with style():
        w, h = STYLE["figure.figsize"]
        kw.setdefault("figsize", (w * ncols if ncols > 1 else w, h * nrows if nrows > 1 else h))
        fig = Figure(figsize=kw.pop("figsize"), layout=kw.pop("layout", "constrained"))
        axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes
