"""Costs that read right (issue 28, item 4): where an option puts in no extra money, or less,
its cost per person reached says so in words ("no extra money", "saves money") in costs.csv,
the report and the terminal, never US$0 or 1e-10."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.analysis.comparison import NO_EXTRA_MONEY, SAVES_MONEY, Comparison, cost_per_person, money_sentences
from simulation.outcomes.values import RunValues
from simulation.report.html import _costs_table
from tests.factory import BASELINE


@pytest.fixture(scope="module")
def values():
    """The baseline and a budget-neutral alternative (greedy allocation): with the greedy one as the
    reference, the baseline is a budget-neutral option that reaches more people."""
    base = sim.load_scenario("baseline")
    impact = sim.load_scenario("baseline", sets=["donors.JPN-ODA.strategy=impact", "donors.DAC-OTHER.strategy=impact",
                                                 "name=impact"])
    return {s.name: RunValues.of(sim.run(s, runs=4, seed=1, flows=False).result) for s in (base, impact)}


def _shifted(v: RunValues, usd: float) -> RunValues:
    return dataclasses.replace(v, extra_money=v.extra_money + usd)


def _gainer(costs: pd.DataFrame) -> pd.Series:
    """The indicator in which the option reaches the most extra people (more than the reference)."""
    row = costs[costs.country == "ALL"].sort_values("extra_people").iloc[-1]  # all countries (also: groups, countries)
    assert row.extra_people > 0, costs
    return row


def test_rounding_in_sums_of_billions_is_no_extra_money(values):
    # a budget-neutral option's money differs from the reference's by float rounding (1e-4 of a dollar)
    costs = cost_per_person({"impact": values["impact"], "baseline": _shifted(values["baseline"], 2.4e-4)}, "impact")
    row = _gainer(costs)
    assert row.extra_people > 0 and row.extra_money_usd == 0.0  # stored as none, not 2.4e-4
    assert np.isnan(row.cost_per_person_usd) and row.note == NO_EXTRA_MONEY  # not US$ 0.00000003 per person


def test_less_money_for_more_people_saves_money(values):
    costs = cost_per_person({"impact": values["impact"], "baseline": _shifted(values["baseline"], -5e8)}, "impact")
    row = _gainer(costs)
    key = row.indicator
    assert row.extra_money_usd == pytest.approx(-5e8) and row.note == SAVES_MONEY and np.isnan(row.cost_per_person_usd)
    more = cost_per_person({"impact": values["impact"], "baseline": _shifted(values["baseline"], 5e8)}, "impact")
    row = more[more.country == "ALL"].set_index("indicator").loc[key]
    assert row.cost_per_person_usd == pytest.approx(5e8 / row.extra_people) and row.note == ""


def _costs(money: float, people: float = 7e6, cost: float = np.nan) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": "x", "indicator": "EG.ELC.ACCS.ZS", "people": "people with electricity",
                          "extra_money_usd": money, "extra_people": people, "extra_people_ci_low": people / 2,
                          "extra_people_ci_high": people * 2, "cost_per_person_usd": cost, "cost_ci_low": cost,
                          "cost_ci_high": cost, "model_unit_cost_usd": 400.0, "note": "", "reference": "base"}])


@pytest.mark.parametrize("money, says", [
    (1e-10, "puts in no extra money over the horizon compared with base, and reaches more people"),
    (0.0, "puts in no extra money"),
    (-3e8, "saves money: US$300.00 M less over the horizon than base, and reaches more people"),
])
def test_the_headline_says_no_extra_money_or_saves_money_never_us0(money, says):
    comp = Comparison(table=pd.DataFrame(), reference="base", method="t", runs=4, costs=_costs(money))
    [said] = money_sentences(comp)
    assert says in said and "US$0" not in said and "e-" not in said, said


def test_the_money_sentence_names_what_rises_and_what_falls():
    """Pooling once read 'reaches more people' with fewer people with electricity and water: one
    indicator rising is not more people overall."""
    two = pd.concat([_costs(0.0, people=9e3), _costs(0.0, people=-3e4).assign(indicator="SH.H2O.BASW.ZS",
                                                                             people="people with basic water")])
    [said] = money_sentences(Comparison(table=pd.DataFrame(), reference="base", method="t", runs=4, costs=two))
    assert "reaches more people (people with electricity)" in said and "fewer people with basic water" in said, said


@pytest.mark.parametrize("money, says", [(1e-10, NO_EXTRA_MONEY), (-3e8, SAVES_MONEY)])
def test_the_report_table_says_no_extra_money_or_saves_money(tmp_path, money, says):
    _costs(money).to_csv(tmp_path / "costs.csv", index=False)
    html = _costs_table(tmp_path / "costs.csv")
    assert html.count(says) >= 2 and "US$ +0" not in html and "e-10" not in html  # the money and the per-person cells


def test_compare_prints_the_money_in_words(tmp_path):
    impact = tmp_path / "impact.yaml"
    impact.write_text(f"extends: {os.path.relpath(BASELINE, tmp_path)}\nname: impact\n")
    res = CliRunner().invoke(main, ["compare", str(BASELINE), str(impact), "--runs", "4", "--seed", "1",
                                    "--set", "donors.JPN-ODA.strategy=impact", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())  # wrapped to 80 columns
    assert "Money: impact puts in no extra money over 2021–2030 compared with baseline" in said, res.output


def test_a_cost_interval_reaching_resamples_with_no_more_people_is_unbounded_not_nan():
    """Bootstrapped costs are inf where a resample reaches no more people; interpolating between two
    infinities gave NaN and a RuntimeWarning on every comparison of the shipped scenarios."""
    import warnings

    from simulation.analysis.comparison import _bounds

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = _bounds(np.array([100.0, 200.0, 300.0, np.inf, np.inf]), 0.95)
    assert low == pytest.approx(110.0) and high == np.inf
    assert _bounds(np.array([1.0, 2.0, 3.0, 4.0]), 0.95) == pytest.approx((1.075, 3.925))
