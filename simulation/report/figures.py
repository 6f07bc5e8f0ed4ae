"""Figures without pyplot: files are drawn on `matplotlib.figure.Figure` objects directly.

Nothing here selects a backend or touches pyplot's global state, so importing sdgsim in a
notebook leaves inline plotting as it was. `subplots` mirrors `pyplot.subplots`;
`save` writes PNG and SVG.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..outcomes.registry import money_text

SOURCE_PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#7a5195", "#4d4d4d", "#c9a227", "#17becf",
                  "#8c564b", "#e377c2", "#6b8e23", "#ff7f50", "#4682b4", "#9acd32", "#bc8f8f", "#20b2aa"]
"""Colours of names that are not fixed below, picked by a hash of the name (never by order)."""

FIXED_COLORS = {
    # funding sources of the shipped scenarios: official donors, the facility, private money
    "JPN-ODA": "#1f5fa8", "IND-DPA": "#d9822b", "DAC-OTHER": "#7f7f7f", "facility": "#2e8b57",
    "private": "#c9a227", "domestic": "#4d4d4d",
    "JPN-FOUND": "#6baed6", "IND-FOUND": "#fdae6b", "AFR-FOUND": "#74c476",
    "JPN-PRIV": "#08519c", "IND-PRIV": "#a63603", "AFR-PRIV": "#006d2c",
    "RES-ORGS": "#9e9ac8", "THINK-TANKS": "#bcbddc",
    # research bodies
    "ICAR": "#8c564b", "ICMR": "#e377c2", "CSIR": "#bcbd22", "NISE": "#17becf", "JST": "#393b79",
    "IJ-AGRI": "#b5cf6b", "IJ-HEALTH": "#d6616b", "IJ-WATER": "#6b6ecf", "IJ-ENERGY": "#e7ba52",
    # shipped scenarios
    "baseline": "#4d4d4d", "covid-shock": "#b03a48", "india-japan-roadmaps": "#d9822b",
    "triangular-cooperation": "#2e8b57", "partnership-in-action": "#1f5fa8",
    "partnership-in-action-covid": "#7a5195",
}
"""One colour per funding source and shipped scenario, the same in every report."""


def stable_color(name: str) -> str:
    """The one colour of a funding source or scenario named `name`, the same in every report:
    its fixed colour, else crc32 of the name into `SOURCE_PALETTE` (independent of which
    other names are drawn or in what order)."""
    name = str(name)
    if name in FIXED_COLORS:
        return FIXED_COLORS[name]
    return SOURCE_PALETTE[zlib.crc32(name.encode("utf-8")) % len(SOURCE_PALETTE)]


def money(x: float, _pos=None) -> str:
    """A tick label for US$ amounts: 0, 750, 12 k, 3.5 M, 1.2 bn (no 1e10 multipliers)."""
    return money_text(x)


def money_axis(axis, label: str | None = None) -> None:
    """Label an x or y axis (`ax.xaxis` / `ax.yaxis`) in US$ k / M / bn, without an offset multiplier."""
    axis.set_major_formatter(FuncFormatter(money))
    if label is not None:
        axis.set_label_text(label)


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
