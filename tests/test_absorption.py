"""Absorption: capacity building raises how much external money a country can put to use
(issue "Decision-grade comparisons", item 4). The ceiling is ceiling_share_of_gdp · GDP ·
capacity / reference_capacity, and capacity grows with capacity-building spending."""

from __future__ import annotations

import numpy as np

from simulation.mechanisms import indicators
from simulation.model import impact
from tests import factory


def _model(capacity_share: float):
    d = factory.no_noise(factory.small_dict())
    for donor in d["donors"]:
        donor["capacity_share"] = capacity_share
    d["absorption"] = {"ceiling_share_of_gdp": 0.005, "reference_capacity": 0.5}  # a binding ceiling
    return factory.run_model(factory.scenario(d), runs=2, seed=1)


def test_capacity_building_raises_capacity_and_the_absorption_ceiling():
    low, high = _model(0.0), _model(0.15)
    cap_low, cap_high = low.history["capacity"][-1], high.history["capacity"][-1]
    assert (cap_high > cap_low).all()  # every country: more capacity spending, more capacity
    gdp = low.p.countries.gdp0
    ceiling_low, ceiling_high = impact.absorption_ceiling(low, gdp), impact.absorption_ceiling(high, gdp)
    assert (ceiling_high > ceiling_low).all()
    money = np.full((2, gdp.shape[-1], 4), 2e8)  # the same external money meets the two ceilings
    used_low = indicators.absorbed(money, ceiling_low).sum()
    used_high = indicators.absorbed(money, ceiling_high).sum()
    assert used_high > used_low


def test_absorbed_money_is_smooth_and_never_more_than_given():
    x = np.array([[[1e6, 2e6]], [[1e9, 1e9]]])
    ceiling = np.array([[1e8], [1e8]])
    used = indicators.absorbed(x, ceiling)
    assert (used <= x).all()
    np.testing.assert_allclose(used[0], x[0], rtol=0.02)  # far below the ceiling: almost all is used
    assert used[1].sum() < 1e8  # far above: at most the ceiling
