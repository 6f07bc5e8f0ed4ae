"""Cumulative outcomes named as such (issue 28, item 2): people-years, deaths averted in total and
money over the horizon beside the values at the horizon, each labelled with its period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulation as sim
from simulation.outcomes import metrics
from simulation.outcomes.registry import ALL, REGISTRY, period


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cum") / "run"
    r = sim.run("baseline", runs=3, seed=7, flows=False, out=out)
    return r, pd.read_parquet(out / "indicators.parquet"), r.summary.set_index(["country", "metric"])["mean"]


def test_people_years_are_the_sum_of_the_yearly_people_in_indicators_parquet(run):
    r, ind, s = run
    after = ind[ind.year > r.scenario.start_year]  # 2021-2030: the years the runs move
    for (country, indicator), g in after.groupby(["country", "indicator"]):
        assert s[country, f"people_years:{indicator}"] == pytest.approx(g.people.sum() / r.runs, rel=1e-9)
    for indicator, g in after.groupby("indicator"):
        assert s[ALL, f"people_years:{indicator}"] == pytest.approx(g.people.sum() / r.runs, rel=1e-9)


def test_deaths_averted_in_total_sum_the_yearly_fall_from_the_start_year(run):
    r, ind, s = run
    deaths = ind[ind.indicator == "SH.DYN.MORT"].groupby(["run", "year"]).people.sum().unstack()  # run x year
    averted = (deaths[r.scenario.start_year].to_numpy()[:, None] - deaths.loc[:, r.scenario.start_year + 1:]).sum(axis=1)
    assert s[ALL, "people_years_gain:SH.DYN.MORT"] == pytest.approx(averted.mean(), rel=1e-9)
    water = ind[ind.indicator == "SH.H2O.BASW.ZS"].groupby(["run", "year"]).people.sum().unstack()
    gained = (water.loc[:, r.scenario.start_year + 1:] - water[r.scenario.start_year].to_numpy()[:, None]).sum(axis=1)
    assert s[ALL, "people_years_gain:SH.H2O.BASW.ZS"] == pytest.approx(gained.mean(), rel=1e-9)


def test_money_over_the_horizon_is_the_money_put_in(run):
    r, _, s = run
    assert s[ALL, "money_usd"] == pytest.approx(metrics.extra_money(r.result).mean(), rel=1e-12)


def test_values_at_the_horizon_are_unchanged(run):
    r, ind, s = run
    end = ind[ind.year == r.scenario.end_year].groupby("indicator").people.sum() / r.runs
    for indicator, people in end.items():
        assert s[ALL, f"people_end:{indicator}"] == pytest.approx(people, rel=1e-9)


def test_labels_say_a_year_in_2030_or_over_2021_2030():
    sc = sim.load_scenario("baseline")
    assert period("people_gain", sc, "SH.DYN.MORT") == "a year in 2030"
    assert period("people_gain", sc, "EG.ELC.ACCS.ZS") == "in 2030"
    assert period("people_years_gain", sc, "SH.DYN.MORT") == "over 2021\u20132030"
    assert period("money_usd", sc) == "over 2021\u20132030"
    assert period("sdg_index_start", sc) == "in 2020" and period("sdg_index_end", sc) == "in 2030"  # was "in 2030"
    assert all(REGISTRY[n].cumulative for n in ("people_years", "people_years_gain", "money_usd"))
    assert not REGISTRY["people_end"].cumulative and np.isfinite(REGISTRY["people_years"].min_effect)
