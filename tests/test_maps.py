"""World maps show the countries they colour: zoomed to them when they are a region, the whole
world when they span it, never beyond its edges."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.data.geometry import world_shapes
from simulation.report.maps import WORLD, extent

SHAPES = world_shapes()
CODES = sorted(c for c in SHAPES if c != "ATA")


def _bounds(codes):
    pts = np.concatenate([np.asarray(r, float) for c in codes for r in SHAPES[c]])
    return pts.min(axis=0), pts.max(axis=0)


def test_the_pilot_countries_are_a_region_not_a_dot_on_the_world():
    codes = ["ETH", "GHA", "IND", "KEN", "SRB", "UKR", "NGA", "RWA", "TZA", "UGA"]
    (x0, x1), (y0, y1) = extent([r for c in codes for r in SHAPES[c]])
    assert (x1 - x0) < (WORLD[0][1] - WORLD[0][0]) / 2.5  # zoomed in
    (lo_x, lo_y), (hi_x, hi_y) = _bounds(codes)
    assert x0 < lo_x and x1 > hi_x and y0 < lo_y and y1 > hi_y  # every country inside, with a margin


def test_countries_across_the_world_get_the_whole_map():
    assert extent([r for c in ("MEX", "NGA", "IDN") for r in SHAPES[c]]) == WORLD
    assert extent([]) == WORLD


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(CODES), min_size=1, max_size=6, unique=True))
def test_the_view_holds_every_coloured_country_inside_the_world(codes):
    (x0, x1), (y0, y1) = extent([r for c in codes for r in SHAPES[c]])
    (wx0, wx1), (wy0, wy1) = WORLD
    assert wx0 <= x0 < x1 <= wx1 and wy0 <= y0 < y1 <= wy1
    (lo_x, lo_y), (hi_x, hi_y) = _bounds(codes)
    # inside the world's frame every coloured point is in view (outlines past 190°E are the world's)
    assert x0 <= max(lo_x, wx0) and x1 >= min(hi_x, wx1) and y0 <= max(lo_y, wy0) and y1 >= min(hi_y, wy1)
    assert x1 - x0 >= min(60.0, wx1 - wx0) - 1e-9 and y1 - y0 >= min(35.0, wy1 - wy0) - 1e-9
