"""How money moves an indicator (simulation/mechanisms/money.py): properties of the pure functions.

- displacement only ever takes from increases, never from cuts;
- the next person costs more as the gap closes, and a technology only lowers that price;
- one-off money has a bounded effect that fades at the depreciation rate;
- the indicator never leaves its floor and ceiling, whatever the stock.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.mechanisms import money as impact
from simulation.mechanisms.uncertainty import truncated_normal

money = st.floats(-1e9, 1e9, allow_nan=False)
share = st.floats(0.0, 1.0)


@given(money, st.floats(0.0, 1.2))
def test_displacement_takes_only_from_increases(extra, rate):
    net = impact.displaced(np.array(extra), np.array(rate))
    if extra <= 0:
        assert net == extra  # a cut below the path is not made up by the government
    else:
        assert net == pytest.approx(extra * (1 - rate))
        assert net <= extra


@given(st.floats(1.0, 1e5), st.floats(0.01, 100.0), st.floats(0.01, 100.0), st.floats(0.0, 2.0),
       st.floats(0.0, 3.0))
def test_the_next_person_costs_more_as_the_gap_closes(cost, gap, ref, eta, gain):
    c = impact.marginal_unit_cost(cost, np.array([gap, gap / 2]), ref, eta)
    assert c[1] >= c[0]  # half the gap: at least as dear
    if eta == 0:
        assert c[0] == pytest.approx(cost)
    with_tech = impact.marginal_unit_cost(cost, gap, ref, eta, gain)
    assert with_tech <= c[0] * (1 + 1e-12)  # technology lowers the price of the money it is deployed with


@given(st.floats(1.0, 1e7), st.floats(0.01, 1.0), st.integers(1, 30))
def test_money_spent_once_fades_and_its_effect_is_bounded(people, d, years):
    stock, total = np.array(people), 0.0
    for _ in range(years):
        total += float(stock)
        stock = impact.reached_step(stock, 0.0, d)
    assert float(stock) == pytest.approx(people * (1 - d) ** years, rel=1e-9)
    assert total <= people / d * (1 + 1e-9)  # people-years reached: at most new / depreciation


@given(st.floats(0.0, 100.0), st.floats(-1e9, 1e9), st.floats(1e3, 1e9))
def test_the_indicator_stays_within_its_floor_and_ceiling(trend_gap, reached, pop):
    g = impact.gap_with_reached(np.array(trend_gap), np.array(reached), pop, 100.0, 0.05, 100.0)
    assert 0.05 <= g <= 100.0
    lo, hi = impact.stock_bounds(np.array(trend_gap), 100.0, pop, 100.0)
    assert lo <= 0.0 <= hi


def test_a_dollar_buys_the_same_people_from_any_source():
    """Before displacement, the price of a person does not depend on who paid: people_bought is linear."""
    cost = impact.marginal_unit_cost(400.0, 30.0, 50.0, 0.5)
    assert impact.people_bought(1e6, cost) == pytest.approx(impact.people_bought(5e5, cost) * 2)


@given(st.floats(-0.2, 0.2), st.floats(0.0, 0.3), st.floats(-0.1, 0.0), st.floats(0.0, 0.2))
def test_truncated_trend_draws_stay_in_the_range_history_shows(mean, sd, lo, hi):
    z = np.random.default_rng(1).standard_normal(2000)
    x = truncated_normal(mean, sd, z, lo, hi)
    assert np.all((x >= lo - 1e-12) & (x <= hi + 1e-12))
    # monotone in z: the same draw keeps its rank (common random numbers survive)
    order = np.argsort(z)
    assert np.all(np.diff(x[order]) >= -1e-12)


def test_untruncated_draws_are_exactly_the_normal_ones():
    z = np.random.default_rng(2).standard_normal(100)
    assert np.array_equal(truncated_normal(0.03, 0.05, z, np.nan, np.nan), 0.03 + 0.05 * z)


def test_persistent_budget_shocks_keep_their_spread_and_decay_at_rho():
    from simulation.mechanisms.uncertainty import ar1
    z = np.random.default_rng(3).standard_normal((20000, 12))
    u = ar1(z, 0.2, 0.6)
    assert u[:, 5].std() == pytest.approx(0.2, rel=0.03)  # the same spread every year
    assert np.corrcoef(u[:, 5], u[:, 6])[0, 1] == pytest.approx(0.6, abs=0.03)
    assert np.array_equal(ar1(z, 0.2, 0.0), 0.2 * z)  # no persistence: exactly the independent draws
