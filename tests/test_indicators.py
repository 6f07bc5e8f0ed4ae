"""Indicators in natural units: bounds hold, money and shocks move them the right way, lags lag.

The design (docs/model.md, "Indicators"): an indicator's gap to its best value follows a
random walk with drift in logs, plus what external money beyond the trend's own level buys
at a unit cost; it never passes its bound; a goal with indicators takes that share of its
score from them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiments.replications import run_scenario
from simulation.mechanisms import indicators as ind
from simulation.scenario import load_scenario, validate_data
from tests.factory import BASELINE, baseline

ELEC, U5, WATER, HUNGER = "EG.ELC.ACCS.ZS", "SH.DYN.MORT", "SH.H2O.BASW.ZS", "SN.ITK.DEFC.ZS"


def run(sc, runs=8, seed=3):
    return run_scenario(sc, runs=runs, seed=seed, record_flows=False)


def end_value(res, indicator, country=None):
    sc = res.scenario
    v = res.indicators[:, -1, :, sc.indicator_ids.index(indicator)]
    return v[:, sc.country_ids.index(country)] if country else v


def test_normalisation_follows_the_sdr_bounds_and_direction():
    lb, ub = np.array([9.1, 2.6]), np.array([100.0, 130.1])
    higher = np.array([True, False])
    assert ind.normalise(np.array([9.1, 130.1]), lb, ub, higher).tolist() == [0.0, 0.0]
    assert ind.normalise(np.array([100.0, 2.6]), lb, ub, higher).tolist() == [100.0, 100.0]
    assert ind.normalise(np.array([150.0, -5.0]), lb, ub, higher).tolist() == [100.0, 100.0]  # clipped


@settings(max_examples=200, deadline=None)
@given(gap0=st.floats(0.01, 100), trend=st.floats(-1, 1), delta=st.floats(-1e4, 1e4), shock=st.floats(-5, 5),
       noise=st.floats(-3, 3))
def test_an_access_rate_never_passes_100_percent(gap0, trend, delta, shock, noise):
    floor = ind.GAP_FLOOR * 90.9
    g = ind.gap_step(np.array([gap0]), trend, np.array([delta]), shock, noise, floor)
    value = ind.value_of(g, 100.0, True)
    assert np.isfinite(value).all() and (value <= 100.0 - floor + 1e-12).all()


@settings(max_examples=100, deadline=None)
@given(x=st.floats(0, 1e12), a=st.floats(1.0, 1e11))
def test_absorbed_money_never_exceeds_what_came_or_the_ceiling(x, a):
    used = ind.absorbed(np.array([[[x, x / 2]]]), np.array([[a]]))
    assert used.sum() <= min(1.5 * x, a) * (1 + 1e-12) + 1e-9
    assert (used >= 0).all()


def test_the_shipped_baseline_has_calibrated_indicators_for_every_country():
    sc = baseline()
    assert sc.indicator_ids == [HUNGER, U5, WATER, ELEC]
    for c in sc.countries:
        assert set(c.indicators) == set(sc.indicator_ids)
    assert sc.countries[sc.country_ids.index("KEN")].indicators[ELEC].trend > 0  # Kenya connected people fast


def test_indicators_start_from_their_values_and_stay_in_bounds():
    res = run(baseline())
    sc = res.scenario
    start = np.array([[c.indicators[i].value for i in sc.indicator_ids] for c in sc.countries])
    np.testing.assert_allclose(res.indicators[:, 0], np.broadcast_to(start, res.indicators[:, 0].shape))
    v = res.indicators
    assert (v[..., sc.indicator_ids.index(ELEC)] <= 100).all() and (v[..., sc.indicator_ids.index(WATER)] <= 100).all()
    assert (v[..., sc.indicator_ids.index(U5)] > 0).all() and (v[..., sc.indicator_ids.index(HUNGER)] >= 2.5).all()


def test_more_external_money_means_more_people_with_electricity():
    base = run(baseline())
    rich = run(load_scenario(BASELINE, ["donors.DAC-OTHER.budget_usd=8e9"]))
    diff = end_value(rich, ELEC, "KEN") - end_value(base, ELEC, "KEN")  # paired: same seeds
    assert (diff >= 0).all()  # equal only where both runs' trend draws took access to its 0 % bound
    assert (diff[end_value(base, ELEC, "KEN") > 1] > 0).all() and diff.mean() > 0.5
    deaths = end_value(rich, U5, "NGA") - end_value(base, U5, "NGA")
    assert (deaths < 0).all()


def test_a_funding_cut_slows_progress_below_the_trend():
    base = run(baseline())
    cut = run(load_scenario(BASELINE, ["donors.DAC-OTHER.budget_usd=1e8", "donors.JPN-ODA.budget_usd=1e8"]))
    assert (end_value(cut, ELEC, "ETH") < end_value(base, ELEC, "ETH")).all()


def test_an_indicator_shock_widens_the_gap_in_its_years():
    data = baseline().model_dump()
    data["shocks"] = [{"kind": "pandemic", "start_year": 2021, "duration_years": 2,
                       "indicator_shock": {HUNGER: 0.2}}]
    shocked, base = run(validate_data(data, "shock")), run(baseline())
    k = base.scenario.indicator_ids.index(HUNGER)
    years = base.scenario.years
    before = shocked.indicators[:, years.index(2021), :, k] - base.indicators[:, years.index(2021), :, k]
    after = shocked.indicators[:, years.index(2023), :, k] - base.indicators[:, years.index(2023), :, k]
    np.testing.assert_allclose(before, 0.0)  # the money of 2021 moves the 2022 value
    assert (after >= 0).all()  # more undernourishment, except where both sit at FAO's 2.5 % floor
    above_floor = base.indicators[:, years.index(2023), :, k] > 2.6
    assert (after[above_floor] > 0).all()


def test_money_takes_its_lag_to_show():
    data = baseline().model_dump()
    for i in data["indicators"]:
        i["lag_years"] = 3
    lagged = validate_data(data, "lagged")
    richer = load_scenario(BASELINE, ["donors.DAC-OTHER.budget_usd=8e9"]).model_dump()
    for i in richer["indicators"]:
        i["lag_years"] = 3
    a, b = run(lagged), run(validate_data(richer, "lagged richer"))
    k = a.scenario.indicator_ids.index(ELEC)
    y = a.scenario.years
    early = b.indicators[:, y.index(2023), :, k] - a.indicators[:, y.index(2023), :, k]
    late = b.indicators[:, y.index(2026), :, k] - a.indicators[:, y.index(2026), :, k]
    np.testing.assert_allclose(early, 0.0, atol=1e-9)  # money from 2020 shows from 2024 on
    assert (late.max(axis=1) > 0).all()


def test_goal_scores_of_covered_goals_are_the_indicator_scores():
    data = baseline().model_dump()
    for i in data["indicators"]:
        if i["goal"] == "SDG7":
            i["goal_weight"] = 1.0
    sc = validate_data(data, "covered")
    res = run(sc, runs=2)
    k = sc.indicator_ids.index(ELEC)
    d = sc.indicators[k]
    norm = ind.normalise(res.indicators[..., k], d.bounds[0], d.bounds[1], d.higher_is_better)
    np.testing.assert_allclose(res.scores[..., sc.goal_ids.index("SDG7")], norm)


def test_people_count_what_the_indicator_counts():
    res = run(baseline(), runs=2)
    f = res.indicators_frame()
    row = f[(f.indicator == ELEC) & (f.country == "KEN") & (f.run == 0) & (f.year == 2020)].iloc[0]
    ken = res.scenario.countries[res.scenario.country_ids.index("KEN")]
    assert row.people == pytest.approx(row.value / 100 * ken.population_m * 1e6)
    u5 = f[(f.indicator == U5) & (f.country == "KEN") & (f.run == 0) & (f.year == 2020)].iloc[0]
    assert u5.people == pytest.approx(u5.value / 1000 * ken.population_m * 1e6 * ken.birth_rate_per_1000 / 1000)


def test_money_is_still_conserved_with_indicators():
    res = run(baseline(), runs=3)
    b = res.balance
    sources, rest = b[..., 0], b[..., 1:].sum(axis=-1)
    np.testing.assert_allclose(rest, sources, rtol=1e-9)
