"""The shared figure style, and ``figure()``, which sims call to draw.

Figures are built on ``matplotlib.figure.Figure`` directly, never through ``pyplot``: no global backend is chosen
and no window can open, so importing ``sims`` or drawing a figure inside a notebook leaves the notebook's own
backend (and its inline plots) alone, and a figure needs no ``close``.
"""

from __future__ import annotations

from typing import Any

from sims.engine.stats import mean_se

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


def regret_curves_figure(title: str, rows: dict, bounds: dict, dashed: str = "guarantee") -> object:
    """Mean regret curves (log-log) with a band of 2 standard errors where there are replicates, one colour per row
    (``rows``: label -> arrays with ``checkpoints`` and ``curve``), and the row's bound dashed (``bounds``: label ->
    a function of the checkpoints). Shared by the bandit and online-learning sims."""
    fig, ax = figure()
    for i, (name, r) in enumerate(rows.items()):
        cps, curve = r["checkpoints"], r["curve"]
        m = curve.mean(0)
        ax.plot(cps, m, color=f"C{i}", label=name)
        if curve.shape[0] > 1:  # full-information runs have one (deterministic) replicate: no band
            se = mean_se(curve, axis=0)[1]
            ax.fill_between(cps, m - 2 * se, m + 2 * se, color=f"C{i}", alpha=0.2)
        if name in bounds:
            ax.plot(cps, bounds[name](cps), "--", color=f"C{i}", lw=1)
    ax.set(xscale="log", yscale="log", xlabel="round t", ylabel="pseudo-regret (mean ± 2 SE)", title=title)
    ax.legend(fontsize=8, ncols=2, title=f"dashed: {dashed}")
    return fig
