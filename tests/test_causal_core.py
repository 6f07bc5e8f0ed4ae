"""Causal core v2 (docs/model.md, "How money moves an indicator"): what the evidence says money does.

- the baseline's 2030 tails stay inside the envelope history draws (no run loses access, raises
  child mortality or more than doubles undernourishment beyond the range of decade-long changes);
- money spent once has a bounded effect that fades;
- cost per person reached from extra money lies in the bands of the evidence table;
- a pandemic that hits health raises child deaths (it used to lower them, through aid diverted to health).
"""

from pathlib import Path

import pytest

import simulation as sim
from simulation.scenario.loading import validate_data

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "baseline.yaml"


def people(result, key):
    f = result.indicators
    f = f[f.indicator == key]
    return f.groupby(["run", "year"]).people.sum().unstack()


def values(result, key):
    f = result.indicators
    return f[f.indicator == key].pivot_table(index=["run", "country"], columns="year", values="value")


@pytest.fixture(scope="module")
def baseline():
    return sim.run(sim.load_scenario(BASE), runs=100, seed=2030)


def test_baseline_tails_stay_inside_historys_envelope(baseline):
    ele = values(baseline, "EG.ELC.ACCS.ZS")
    start, end = ele[ele.columns[0]], ele[ele.columns[-1]]
    # history's decade-long trends of access are all positive; the yearly noise of survey-based series
    # still lets a bad run end a little below its start (Kenya's 5th percentile: -6.6 points), never a
    # decade of access lost (before: 0 % access in Ethiopia, Tanzania and Uganda at the 5th percentile)
    change = (end - start).groupby("country")
    assert (change.quantile(0.05) > -10.0).all() and (change.median() >= -0.5).all()
    u5 = values(baseline, "SH.DYN.MORT")
    assert ((u5[u5.columns[-1]] - u5[u5.columns[0]]).groupby("country").quantile(0.95) < 0).all()
    pou = values(baseline, "SN.ITK.DEFC.ZS")
    ratio = (pou[pou.columns[-1]] / pou[pou.columns[0]]).groupby("country").quantile(0.95)
    # Uganda's own history doubled it in a decade (17.6 % to 35.9 %); its 95th percentile, 2.5x, is beyond
    # that because the yearly noise adds to a trend truncated to history's range (open: docs/model.md)
    assert (ratio < 3.0).all(), ratio
    assert (ratio.drop("UGA") < 2.1).all(), ratio
    total = people(baseline, "SN.ITK.DEFC.ZS")
    assert total[total.columns[-1]].quantile(0.975) < 2.0 * total[total.columns[0]].mean()


def _with_donor(name, donor, shocks=()):
    d = sim.load_scenario(BASE).model_dump()
    d["name"] = name
    d["donors"].append(donor)
    d["shocks"] = list(d["shocks"]) + list(shocks)
    return validate_data(d, name)


AFRICA = ["ETH", "GHA", "KEN", "NGA", "RWA", "TZA", "UGA"]


def test_money_spent_once_fades():
    once = _with_donor("once", {"id": "ONCE", "budget_usd": 1e8, "goals": ["SDG3"], "eligible_countries": AFRICA},
                       [{"kind": "budget_cut", "start_year": 2021, "duration_years": 9, "cut": 1.0, "donors": ["ONCE"]}])
    c = sim.compare([sim.load_scenario(BASE), once], runs=20, seed=1)
    d = people(c.runs["baseline"], "SH.DYN.MORT") - people(c.runs["once"], "SH.DYN.MORT")  # deaths averted a year
    peak, last = d.mean().max(), d.mean().iloc[-1]
    assert peak > 100  # it did something
    assert last < 0.05 * peak  # and by 2030 almost nothing is left of it


@pytest.mark.parametrize("goal, key, low, high", [
    # US$ per person reached at the horizon from US$100 M a year for ten years (gross: the funder's
    # overhead, recipients' costs, leakage, displacement and the indicator's money share all come out
    # of it). Bands: docs/model.md evidence table.
    ("SDG7", "EG.ELC.ACCS.ZS", 160, 2_500),
    ("SDG6", "SH.H2O.BASW.ZS", 40, 1_500),
    ("SDG2", "SN.ITK.DEFC.ZS", 300, 3_000),
])
def test_cost_per_person_from_extra_money_lies_in_the_published_band(goal, key, low, high):
    extra = _with_donor("extra", {"id": "EXTRA", "budget_usd": 1e8, "goals": [goal], "eligible_countries": AFRICA})
    c = sim.compare([sim.load_scenario(BASE), extra], runs=20, seed=1)
    d = people(c.runs["extra"], key) - people(c.runs["baseline"], key)
    gain = d[d.columns[-1]].mean() * (-1 if key == "SN.ITK.DEFC.ZS" else 1)
    assert low <= 1e9 / gain <= high, 1e9 / gain


def test_cost_per_child_death_averted_lies_in_the_published_band():
    extra = _with_donor("extra", {"id": "EXTRA", "budget_usd": 1e8, "goals": ["SDG3"], "eligible_countries": AFRICA})
    c = sim.compare([sim.load_scenario(BASE), extra], runs=20, seed=1)
    d = people(c.runs["baseline"], "SH.DYN.MORT") - people(c.runs["extra"], "SH.DYN.MORT")
    averted = d[d.columns[1:]].sum(axis=1).mean()  # deaths averted over 2021-2030
    per_death = 1e9 / averted
    # the average public dollar, not the best programmes': from IHME's US$4,205 of child-health spending per
    # child life saved in low-income countries, 2000-2014 (Keeping score, Lancet 2015; 30 % of SDG 3 money works
    # on child survival, money_share, so 4,205 / 0.3 for all SDG 3 money), to Filmer & Pritchett's (1999)
    # US$50,000-100,000 of public health spending per child death averted. Before the price was fitted to the
    # elasticities (scenarios/history/health_cost_fit.py) it was US$12,300: GiveWell's best programmes' price
    assert 4_205 / 0.3 <= per_death <= 100_000, per_death


def test_a_pandemic_that_hits_health_costs_children_lives():
    c = sim.compare([BASE, ROOT / "scenarios" / "covid-shock.yaml"], runs=20, seed=1)
    a, b = people(c.runs["baseline"], "SH.DYN.MORT"), people(c.runs["covid-shock"], "SH.DYN.MORT")
    assert (b[2021] - a[2021]).mean() > 0  # more under-5 deaths in the pandemic year


def _with_technology(efficacy: float, donors: bool) -> dict:
    from tests.factory import no_noise, small_dict
    d = no_noise(small_dict())
    d["technologies"] = [{"id": "T1", "goals": {"SDG7": efficacy, "SDG2": efficacy}, "trl": 8, "deploy_trl": 7,
                          "bass_p": 0.2, "bass_q": 0.5, "base_access": 1.0}]
    d["research_bodies"] = []
    if not donors:
        d["donors"] = []
    return d


@pytest.mark.parametrize("donors", [False, True])
def test_technology_acts_on_the_money_it_is_deployed_with_not_on_national_budgets(donors):
    from tests.factory import run_model, scenario
    plain, better = (run_model(scenario(_with_technology(e, donors)), runs=1) for e in (0.0, 2.0))
    assert better.adoption.min() > 0.3, "the technology is widely adopted"
    if donors:  # external money goes further with it
        assert (better.scores[..., [0, 3]] > plain.scores[..., [0, 3]] + 1e-6).all()
    else:  # domestic budgets on their path carry no technology: the scores are those without it
        assert (better.scores == plain.scores).all()
