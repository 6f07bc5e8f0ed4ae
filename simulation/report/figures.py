"""Figures without pyplot: files are drawn on `matplotlib.figure.Figure` objects directly.

Nothing here selects a backend or touches pyplot's global state, so importing sdgsim in a
notebook leaves inline plotting as it was. `subplots` mirrors `pyplot.subplots`;
`save` writes PNG and SVG.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure


def subplots(*args, figsize: tuple[float, float] = (8, 4.5), **kw):
    """A new off-screen figure and its axes, like `pyplot.subplots` (same arguments)."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kw)


def save(fig: Figure, out: Path, stem: str, dpi: int = 110) -> None:
    """Write `<out>/<stem>.png` and `.svg`."""
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / f"{stem}.png", dpi=dpi, bbox_inches="tight")
    fig.savefig(out / f"{stem}.svg", bbox_inches="tight")


def axes_or_new(ax=None, figsize: tuple[float, float] = (8, 4.5)):
    """`ax` if given, else new axes on a pyplot figure (for interactive use: `.plot()` in a notebook)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the user asks for an on-screen plot

    return plt.subplots(figsize=figsize)[1]
