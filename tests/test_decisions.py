"""Decision-grade comparisons: verdicts against the smallest effect that matters, people-based
outcomes, population weighting and cost per person reached (issue "Decision-grade comparisons")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.analysis import decisions
from simulation.analysis.comparison import headline
from simulation.analysis.decisions import classify
from simulation.analysis.sensitivity import classify_intervals
from simulation.model.result import population_paths
from simulation.outcomes import metrics
from simulation.outcomes.registry import ALL, REGISTRY
from tests.factory import BASELINE


@pytest.fixture(scope="module")
def three():
    base = sim.load_scenario("baseline")
    twin = sim.load_scenario("baseline", sets=["donors.JPN-ODA.budget_usd=1500001000", "name=twin"])  # +US$1,000
    big = sim.load_scenario("baseline", sets=["donors.DAC-OTHER.budget_usd=2.0e10", "name=big"])  # 5x DAC money
    return sim.compare([base, twin, big], runs=20, seed=1, flows=False)


def test_a_thousand_dollars_more_is_never_better(three):
    t = three.table[three.table.scenario == "twin"]
    assert set(t.verdict) <= {"equivalent", "inconclusive"}, t.verdict.value_counts()
    assert (t.p_better_by_min == 0).all()


def test_a_large_budget_increase_is_better_on_the_index(three):
    t = three.table
    row = t[(t.scenario == "big") & (t.outcome == "sdg_index_end") & (t.country == ALL)].iloc[0]
    assert row.verdict == "better" and row.diff_ci_low > row.min_effect == 0.5
    assert row.p_better_by_min == 1.0
    people = t[(t.scenario == "big") & (t.outcome == "people_gain") & (t.country == ALL)]
    assert (people.verdict == "better").any()


def test_reference_rows_say_reference_and_verdicts_follow_the_interval(three):
    t = three.table
    assert (t[t.scenario == "baseline"].verdict == "reference").all()
    lo, hi, m = np.array([0.6, -2.0, -0.1, 0.2, 0.0]), np.array([0.9, -0.7, 0.1, 0.8, 0.0]), np.full(5, 0.5)
    assert list(classify(lo, hi, m)) == ["better", "worse", "equivalent", "inconclusive", "equivalent"]


def test_clearly_better_appears_only_for_a_better_verdict(three):
    base = sim.load_scenario("baseline")
    twin = sim.load_scenario("baseline", sets=["donors.JPN-ODA.budget_usd=1500001000", "name=twin"])
    c = sim.compare([base, twin], runs=12, seed=2, flows=False)
    text = headline(c.comparison)
    assert "clearly better" not in text and "Nothing differs from baseline" in text
    text = headline(three.comparison)
    assert text.index("People:") < text.index("Money:") < text.index("Index:")
    assert "big does best" in text and "clearly better" in text


def test_min_effect_overrides_change_the_verdict():
    # the pandemic costs the index about 0.7 points by 2030: worse at the default threshold (0.5),
    # equivalent when only a whole point would matter
    base = sim.load_scenario("baseline")
    covid = sim.load_scenario("covid-shock")
    c = sim.compare([base, covid], runs=12, seed=1, flows=False, min_effects={"sdg_index_end": 1.0})
    row = c.table[(c.table.scenario == covid.name) & (c.table.outcome == "sdg_index_end") & (c.table.country == ALL)]
    assert row.min_effect.iloc[0] == 1.0 and row.verdict.iloc[0] == "equivalent"
    d = sim.compare([base, covid], runs=12, seed=1, flows=False)
    row = d.table[(d.table.scenario == covid.name) & (d.table.outcome == "sdg_index_end") & (d.table.country == ALL)]
    assert row.min_effect.iloc[0] == 0.5 and row.verdict.iloc[0] == "worse"
    with pytest.raises(sim.InputError):
        sim.compare([base], runs=2, min_effects={"no_such_outcome": 1})


def test_people_outcomes_count_people_and_the_all_value_is_their_sum():
    r = sim.run("baseline", runs=3, seed=5, flows=False)
    s = r.summary.set_index(["country", "metric"])["mean"]
    sc = r.scenario
    for ind in sc.indicators:
        per_country = sum(s[c, f"people_gain:{ind.id}"] for c in sc.country_ids)
        assert s[ALL, f"people_gain:{ind.id}"] == pytest.approx(per_country)
    people = metrics.indicator_people(r.result)  # (N, Y, C, I)
    i = sc.indicator_ids.index("SH.DYN.MORT")  # lower is better: fewer deaths is a gain
    gain = (people[:, 0, :, i] - people[:, -1, :, i]).sum(axis=1).mean()
    assert s[ALL, "people_gain:SH.DYN.MORT"] == pytest.approx(gain)
    i = sc.indicator_ids.index("EG.ELC.ACCS.ZS")  # higher is better: more people with electricity
    gain = (people[:, -1, :, i] - people[:, 0, :, i]).sum(axis=1).mean()
    assert s[ALL, "people_gain:EG.ELC.ACCS.ZS"] == pytest.approx(gain)
    # population-weighted index for all countries; the plain mean kept, labelled
    pop = population_paths(sc)[-1]
    idx = np.array([s[c, "sdg_index_end"] for c in sc.country_ids])
    assert s[ALL, "sdg_index_end"] == pytest.approx((idx * pop).sum() / pop.sum())
    assert s[ALL, "sdg_index_end_unweighted"] == pytest.approx(idx.mean())
    assert "unweighted" in REGISTRY["sdg_index_end_unweighted"].description


def test_people_end_takes_the_indicators_direction(three):
    t = three.table
    rows = t[(t.outcome == "people_end") & (t.scenario == "big")].drop_duplicates("goal").set_index("goal")
    assert not rows.loc["SH.DYN.MORT", "higher_is_better"] and rows.loc["EG.ELC.ACCS.ZS", "higher_is_better"]


def test_cost_per_person_is_extra_money_over_extra_people(three):
    costs = three.comparison.costs.query("country == 'ALL'").set_index(["scenario", "indicator"])
    big = costs.loc[("big", "EG.ELC.ACCS.ZS")]
    assert big.extra_money_usd > 1e10 and big.extra_people > 0
    assert big.cost_per_person_usd == pytest.approx(big.extra_money_usd / big.extra_people)
    assert big.cost_ci_low <= big.cost_per_person_usd <= big.cost_ci_high


def test_compare_cli_takes_min_effect_and_writes_verdicts(tmp_path):
    out = tmp_path / "c"
    res = CliRunner().invoke(main, ["compare", str(BASELINE), "scenarios/partnership-in-action.yaml", "--runs", "10",
                                    "--out", str(out), "--min-effect", "sdg_index_end=0.01",
                                    "--min-effect", "overhead_usd=5%"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out / "comparison.csv")
    assert {"verdict", "min_effect", "p_better_by_min"} <= set(t.columns)
    assert (out / "costs.csv").exists()
    html = (out / "report.html").read_text()
    assert "verdict" in html and "people_gain" in html and "AMDA" in html
    bad = CliRunner().invoke(main, ["compare", str(BASELINE), "--runs", "2", "--out", str(tmp_path / "d"),
                                    "--min-effect", "nope=1"])
    assert bad.exit_code == 2 and "nope" in bad.output


@pytest.mark.parametrize("spec, why", [
    ("people_gain:SH.XYZ=1", "unknown indicator 'SH.XYZ'"),
    ("goal_score_end:SDG9=1", "unknown goal 'SDG9'"),
    ("sdg_index_end@FRA=1", "unknown country 'FRA'"),
    ("overhead_usd@KEN=1", "all countries only"),
    ("gini_end:SDG3=1", "no goal or indicator dimension"),
])
def test_min_effect_names_a_key_and_country_the_scenarios_have(tmp_path, spec, why):
    res = CliRunner().invoke(main, ["compare", str(BASELINE), "--runs", "2", "--out", str(tmp_path / "d"),
                                    "--min-effect", spec])
    assert res.exit_code == 2 and why in res.output and spec.partition("=")[0] in res.output
    assert not (tmp_path / "d").exists()


def test_min_effect_without_a_key_or_country_applies_to_all_of_them(tmp_path):
    res = CliRunner().invoke(main, ["compare", str(BASELINE), "--runs", "2", "--out", str(tmp_path / "d"),
                                    "--min-effect", "people_gain=200000", "--min-effect", "sdg_index_end@KEN=0.2"])
    assert res.exit_code == 0, res.output
    t = pd.read_csv(tmp_path / "d" / "comparison.csv", keep_default_na=False)
    gain = t[t.outcome == "people_gain"]
    assert gain.country.nunique() > 1 and gain.goal.nunique() > 1  # every country, and ALL; every indicator
    assert (gain.min_effect == 200000).all()  # NAME: every key and country
    index = t[t.outcome == "sdg_index_end"].set_index("country").min_effect
    assert index["KEN"] == 0.2 and (index.drop("KEN") == 0.5).all()  # NAME@COUNTRY: that country only
    people = t[t.outcome == "people_end"]
    assert set(people.min_effect) == {100000.0, 1000.0}  # not named: the registry's (deaths: 1,000)


def test_compare_and_analyze_decide_by_one_rule():
    """A comparison's verdicts and a sweep point's classes are one rule (analysis/decisions.py) under two
    sets of names: the same oriented interval and smallest effect give the same decision."""
    lo = np.array([0.6, -2.0, -0.1, 0.2, np.nan, -0.9])
    hi = np.array([0.9, -0.7, 0.1, 0.8, np.nan, -0.6])
    m = np.full(6, 0.5)
    verdicts = decisions.classify(lo, hi, m)
    assert list(verdicts) == ["better", "worse", "equivalent", "inconclusive", "inconclusive", "worse"]
    # a sweep point's interval is of policy − reference; lower is better turns it round
    assert list(classify_intervals(lo, hi, m, +1)) == [decisions.POINT_CLASS[v] for v in verdicts]
    assert list(classify_intervals(-hi, -lo, m, -1)) == [decisions.POINT_CLASS[v] for v in verdicts]
    assert list(decisions.POINT_CLASSES) == ["clearly_better", "clearly_equivalent", "clearly_worse", "undecided"]


def test_the_smallest_effect_is_never_rounding_noise():
    # a relative smallest effect on a reference of 0, a given 0, an outcome the registry does not know
    assert decisions.min_effect("overhead_usd", "-", 0.0) == 1e-9
    assert decisions.min_effect("sdg_index_end", "-", 60.0, given=0) == pytest.approx(6e-8)
    assert decisions.column_min_effect("no_such_column", np.array([0.0, 3e9]))[1] == pytest.approx(3.0)
    # otherwise the registry's, or what was given
    assert decisions.min_effect("overhead_usd", "-", -2e9) == pytest.approx(1e8)
    assert decisions.min_effect("people_gain", "SH.DYN.MORT", 5e6, births={"SH.DYN.MORT"}) == 1000
    assert decisions.min_effect("people_gain", "EG.ELC.ACCS.ZS", 5e6, given="5%") == pytest.approx(2.5e5)
    # and a comparison of a scenario with itself calls every row equivalent, against that floor
    base = sim.load_scenario("baseline")
    same = sim.load_scenario("baseline", sets=["name=same"])
    c = sim.compare([base, same], runs=3, seed=4, flows=False, min_effects={"overhead_usd": 0})
    rows = c.table[c.table.scenario == "same"]
    assert (rows.verdict == "equivalent").all() and (rows.min_effect > 0).all()
