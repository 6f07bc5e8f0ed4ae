"""World maps (choropleths) of a value per country, drawn offline from the shipped outlines.

The outlines are Natural Earth's 1:110m countries (public domain; `simulation/data/geometry.py`),
in plain longitude and latitude (equirectangular), drawn with matplotlib as PolyCollections:
no map package and no internet. Countries with a value are coloured, the others light grey;
small states Natural Earth does not draw at 1:110m (most small islands) are listed in the
caption by the caller (`missing`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PolyCollection
from matplotlib.colors import Normalize

from ..data.geometry import world_shapes
from ..outcomes.registry import NO_GOAL
from .figures import axes_or_new, save, subplots
from .plots import Figure

NO_DATA = "#e6e6e6"
EDGE = "#ffffff"


def missing(values: pd.Series) -> list[str]:
    """The countries of `values` (indexed by ISO3) that the 1:110m outlines do not draw."""
    shapes = world_shapes()
    return [c for c in values.index if c not in shapes]


WORLD = ((-170.0, 190.0), (-57.0, 84.0))
"""The whole map (longitude, latitude), Antarctica left out."""


def extent(rings: list) -> tuple[tuple[float, float], tuple[float, float]]:
    """The part of the map to draw: the coloured countries with a margin when they span less than
    half the world's width (ten African pilots are not a dot on a world map), else the world. At
    least 60 by 35 degrees, never beyond the world's edges."""
    (wx0, wx1), (wy0, wy1) = WORLD
    if not rings:
        return WORLD
    pts = np.concatenate([np.asarray(r, float) for r in rings])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    if x1 - x0 > (wx1 - wx0) / 2:
        return WORLD

    def span(lo, hi, least, a, b):
        pad = max(0.12 * (hi - lo), 5.0)
        lo, hi = lo - pad, hi + pad
        grow = max(least - (hi - lo), 0.0) / 2
        lo, hi = lo - grow, hi + grow
        shift = max(a - lo, 0.0) - max(hi - b, 0.0)  # slide back inside the world
        return max(lo + shift, a), min(hi + shift, b)

    return span(x0, x1, 60.0, wx0, wx1), span(y0, y1, 35.0, wy0, wy1)


def draw_world(ax, values: pd.Series, label: str, cmap: str = "viridis", center: float | None = None,
               title: str | None = None):
    """Colour each country by `values` (a Series indexed by ISO3); grey where it has none; the
    view is the coloured countries' part of the world (`extent`).

    `center` makes the colour scale diverge around that value (e.g. 1 for a ratio, 0 for a
    change). Returns the axes.
    """
    ax = axes_or_new(ax, figsize=(10, 5))
    shapes = world_shapes()
    v = values.dropna()
    v = v[v.index.isin(list(shapes))]
    lo, hi = (float(v.min()), float(v.max())) if len(v) else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    if center is not None:  # symmetric around the centre, so equal distances get equal colours
        m = max(abs(lo - center), abs(hi - center)) or 1.0
        norm = Normalize(center - m, center + m)
    else:
        norm = Normalize(lo, hi)
    mappable = ScalarMappable(norm=norm, cmap=cmap)
    grey, coloured, colours = [], [], []
    for code, rings in shapes.items():
        if code == "ATA":  # Antarctica: no country, most of the picture
            continue
        if code in v.index:
            coloured += rings
            colours += [mappable.to_rgba(v[code])] * len(rings)
        else:
            grey += rings
    ax.add_collection(PolyCollection(grey, facecolors=NO_DATA, edgecolors=EDGE, linewidths=0.3))
    ax.add_collection(PolyCollection(coloured, facecolors=colours, edgecolors=EDGE, linewidths=0.3))
    (x0, x1), (y0, y1) = extent(coloured)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    bar = ax.figure.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02, aspect=40)
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def world_map(values: pd.Series, out: Path, stem: str, label: str, cmap: str = "viridis",
              center: float | None = None, title: str | None = None) -> Path:
    """Draw `draw_world` on its own figure and save `<out>/<stem>.png` and `.svg`; returns the SVG path."""
    fig, ax = subplots(figsize=(10, 5.4))
    draw_world(ax, values, label, cmap, center, title)
    fig.tight_layout()
    save(fig, out, stem)
    return out / f"{stem}.svg"


def finite(values: pd.Series) -> pd.Series:
    """`values` without NaN or infinite entries (what a map can colour)."""
    return values[np.isfinite(values.to_numpy(dtype=float))]


def index_map(summary: pd.DataFrame, out: Path, stem: str = "world_map") -> Figure | None:
    """Map of the change in each country's SDG index (mean over runs, start to end) from summary.csv.

    None when no country of the run is drawn on the map (ids that are not ISO3 codes).
    """
    s = summary[summary.metric.isin(["sdg_index_start", "sdg_index_end"])]
    piv = s.pivot_table(index="country", columns="metric", values="mean")
    if not {"sdg_index_start", "sdg_index_end"} <= set(piv.columns):
        return None
    change = finite(piv.sdg_index_end - piv.sdg_index_start)
    shapes = world_shapes()
    if not any(c in shapes for c in change.index):
        return None
    world_map(change, out, stem, "change in the SDG index, start to end (points, mean over runs)", cmap="RdYlGn",
              center=0.0)
    hidden = missing(change[[c for c in change.index if len(c) == 3]])
    return Figure(stem, "SDG index change by country",
                  "Mean over runs of each country's change in the SDG index from the first to the last year; "
                  "grey: not in the scenario. Outlines: Natural Earth 1:110m (public domain)"
                  + (f"; too small to draw at that scale: {', '.join(hidden)}" if hidden else "") + ".")


def difference_by_country(table: pd.DataFrame, outcome: str, reference: str) -> tuple[str, pd.Series, bool] | None:
    """From a comparison table: the first scenario other than the reference, its paired
    difference in `outcome` per country (diff_mean), and whether higher is better; None when
    the table has no per-country rows of it or none of its countries is on the map."""
    t = table[(table.outcome == outcome) & (table.country != "ALL") & (table.scenario != reference)
              & (table.goal == NO_GOAL)]
    if t.empty:
        return None
    first = str(t.scenario.iloc[0])
    diff = finite(t[t.scenario == first].set_index("country").diff_mean.astype(float))
    if not any(c in world_shapes() for c in diff.index):
        return None
    return first, diff, bool(t.higher_is_better.iloc[0])


def difference_map(table: pd.DataFrame, reference: str, out: Path, outcome: str = "sdg_index_end",
                   stem: str = "world_difference") -> Figure | None:
    """Map of a comparison's per-country difference in `outcome` (first scenario against the reference)."""
    got = difference_by_country(table, outcome, reference)
    if got is None:
        return None
    first, diff, higher = got
    world_map(diff, out, stem, f"{outcome}: {first} minus {reference} (mean paired difference over runs)",
              cmap="RdYlGn" if higher else "RdYlGn_r", center=0.0)
    hidden = missing(diff)
    return Figure(stem, f"Difference by country: {first} against {reference}",
                  f"Mean paired difference in {outcome} per country; green is better. Outlines: Natural Earth "
                  "1:110m (public domain)" + (f"; too small to draw at that scale: {', '.join(hidden)}" if hidden
                                               else "") + ".")
