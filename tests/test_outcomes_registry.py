"""The outcome registry is the one definition of every outcome: comparisons, run summaries,
sweep columns and --metric all use its names, dimensions and directions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from simulation.analysis.comparison import compare
from simulation.errors import InputError
from simulation.experiments.replications import run_scenario
from simulation.experiments.sweep import chunks
from simulation.experiments.sweep.designs import run_seeds
from simulation.experiments.sweep.spec import load_sweep
from simulation.outcomes.registry import (
    ALL,
    DEFAULT_OUTCOMES,
    NO_GOAL,
    REGISTRY,
    Outcome,
    column_values,
    label,
    metric_problem,
    outcome_columns,
    outcome_sense,
    outcome_table,
    parse,
    readable,
    summary,
)
from tests.factory import BASELINE, scenario, small_dict

EVERY = ["sdg_index_start", "sdg_index_end", "sdg_index_end_unweighted", "sdg_index_change", "gap_closure",
         "gap_closure_unweighted", "goal_score_end", "year_target_reached", "indicator_end", "people_end",
         "people_gain", "people_years", "people_years_gain", "money_usd",
         "cost_per_point_usd", "private_per_public", "gini_end", "adoption_end", "overhead_usd",
         "recipient_cost_usd", "volatility_loss_usd", "debt_service_usd", "fiscal_space_usd", "debt_relief_usd",
         "loans_usd", "grant_equivalent_usd"]
NEEDS_INDICATORS = {n for n, o in REGISTRY.items() if o.by_indicator}


@pytest.fixture(scope="module")
def pair():
    base = scenario(small_dict())
    rich = small_dict()
    rich["name"] = "rich"
    for d in rich["donors"]:
        d["budget_usd"] *= 3
    res = {"base": run_scenario(base, runs=6, seed=3, record_flows=False),
           "rich": run_scenario(scenario(rich), runs=6, seed=3, record_flows=False)}
    return res, compare(res, reference="base")


def test_the_registry_has_every_outcome_once_with_its_dimensions():
    assert list(REGISTRY) == EVERY
    for name, o in REGISTRY.items():
        assert isinstance(o, Outcome) and o.name == name and o.unit and o.description
        assert o.by_country or o.overall, name  # every outcome has some value
        assert (o.compute_all is not None) == (o.by_country and o.overall), name
        with pytest.raises(dataclasses.FrozenInstanceError):
            o.name = "x"
    assert set(DEFAULT_OUTCOMES) <= set(REGISTRY)
    for name, o in REGISTRY.items():  # every outcome states the smallest effect that matters
        assert o.min_effect > 0 and o.min_effect_text(), name


@pytest.mark.parametrize("spec,parts", [
    ("sdg_index_end", ("sdg_index_end", ALL, NO_GOAL)),
    ("sdg_index_end@KEN", ("sdg_index_end", "KEN", NO_GOAL)),
    ("goal_score_end:SDG3", ("goal_score_end", ALL, "SDG3")),
    ("goal_score_end:SDG3@ETH", ("goal_score_end", "ETH", "SDG3")),
])
def test_parse_and_label_are_inverse(spec, parts):
    assert parse(spec) == parts
    assert label(*parts) == spec


def test_every_outcome_is_in_the_comparison_with_the_registry_direction(pair):
    res, comp = pair
    t = comp.table
    assert set(t.outcome) == set(REGISTRY) - NEEDS_INDICATORS  # the small scenario has no indicators
    for name, o in REGISTRY.items():
        if name in NEEDS_INDICATORS:
            continue
        rows = t[t.outcome == name]
        assert (rows.higher_is_better == o.higher_is_better).all(), name
        assert (ALL in set(rows.country)) == o.overall, name
        assert (set(rows.country) - {ALL} == set(res["base"].scenario.country_ids)) == o.by_country, name
        assert (set(rows.goal) == {NO_GOAL}) == (not o.keyed), name
    long = outcome_table(res["base"])
    assert set(long.outcome) == set(REGISTRY) - NEEDS_INDICATORS


def test_every_outcome_value_is_in_the_run_summary_under_its_label(pair):
    res, comp = pair
    r = res["base"]
    s = summary(r)
    names = {parse(m)[0] for m in s.metric}
    assert names == set(REGISTRY) - NEEDS_INDICATORS
    # the summary holds exactly the values the comparison has, with the same means
    t = comp.table[comp.table.scenario == "base"]
    expect = {(c, label(o, goal=g)): m for o, c, g, m in zip(t.outcome, t.country, t.goal, t["mean"])}
    got = {(c, m): v for c, m, v in zip(s.country, s.metric, s["mean"])}
    assert set(got) == set(expect)
    for k, v in expect.items():
        assert got[k] == pytest.approx(v, nan_ok=True, rel=1e-12), k
    assert {"sdg_index_start", "sdg_index_end", "sdg_index_change", "gap_closure", "goal_score_end:SDG3"} <= set(
        s[s.country == r.scenario.country_ids[0]].metric)


def test_sweep_columns_are_registry_names_and_match_the_comparison(pair):
    res, _ = pair
    r = res["base"]
    sc = r.scenario
    cols = outcome_columns([sc])
    assert len(cols) == len(set(cols))
    assert {parse(c)[0] for c in cols} == set(REGISTRY) - NEEDS_INDICATORS
    for c in cols:
        assert metric_problem(*parse(c), [sc]) is None, c
    assert {"sdg_index_end", f"sdg_index_end@{sc.country_ids[0]}", f"gap_closure@{sc.country_ids[0]}",
            "goal_score_end:SDG3", "overhead_usd"} <= set(cols)
    # a sweep stores the values the comparison reports for the same runs
    values = column_values(r, cols)
    long = outcome_table(r)
    for col in cols:
        name, country, goal = parse(col)
        rows = long[(long.outcome == name) & (long.country == country) & (long.goal == goal)].sort_values("run")
        np.testing.assert_array_equal(values[col], rows.value.to_numpy(), err_msg=col)
    # and a sweep chunk computes every column
    out = chunks._run_outcomes(sc, run_seeds(5, 0, range(2), False), tuple(cols))
    assert list(out) == cols and all(v.shape == (2,) for v in out.values())
    assert np.isfinite(out["overhead_usd"]).all() and np.isfinite(out["sdg_index_end"]).all()


def test_directions_come_from_the_registry():
    for name, o in REGISTRY.items():
        assert outcome_sense(name) == (1 if o.higher_is_better else -1)
        assert outcome_sense(label(name, "KEN", "SDG3")) == outcome_sense(name)
    with pytest.raises(KeyError):
        outcome_sense("goal_end:SDG3")


def test_metric_problems_follow_the_registry_dimensions():
    sc = scenario(small_dict())
    c = sc.country_ids[0]
    assert metric_problem("goal_score_end", ALL, NO_GOAL, [sc]).startswith("goal_score_end needs a goal")
    assert "no goal dimension" in metric_problem("sdg_index_end", ALL, "SDG3", [sc])
    assert "all countries only" in metric_problem("overhead_usd", c, NO_GOAL, [sc])
    assert "add @COUNTRY" in metric_problem("year_target_reached", ALL, "SDG3", [sc])
    assert metric_problem("year_target_reached", c, "SDG3", [sc]) is None
    assert metric_problem("sdg_index_start", c, NO_GOAL, [sc]) is None
    assert metric_problem("nope", ALL, NO_GOAL, [sc]).startswith("unknown outcome")


SWEEP = """\
scenario: {baseline}
design: {{method: lhs, samples: 2}}
parameters:
  governance.leakage_max: {{low: 0.1, high: 0.4}}
replications: 1
outcomes: [{outcomes}]
"""


def test_a_sweep_file_names_outcomes_as_the_registry_does(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SWEEP.format(baseline=BASELINE, outcomes="goal_score_end:SDG3, sdg_index_end@KEN, overhead_usd"))
    assert load_sweep(path).outcomes == ["goal_score_end:SDG3", "sdg_index_end@KEN", "overhead_usd"]
    path.write_text(SWEEP.format(baseline=BASELINE, outcomes="sdg_index_end, goal_end:SDG3, gini_end@KEN"))
    with pytest.raises(InputError) as info:
        load_sweep(path)
    msgs = [p.message for p in info.value.problems]
    assert len(msgs) == 2
    assert msgs[0].startswith("outcome 'goal_end:SDG3': unknown outcome")
    assert msgs[1].startswith("outcome 'gini_end@KEN': gini_end is reported for all countries only")


def test_the_model_docs_list_every_outcome():
    text = (Path(__file__).resolve().parents[1] / "docs" / "model.md").read_text()
    for name, o in REGISTRY.items():
        assert f"| `{name}` | {o.unit} | {'higher' if o.higher_is_better else 'lower'} |" in text, name


def test_all_countries_goal_scores_are_population_weighted():
    d = small_dict()
    sc = scenario(d)
    r = run_scenario(sc, runs=3, seed=2, record_flows=False)
    t = outcome_table(r)
    pop = np.array([c.population_m * (1 + c.population_growth) ** (sc.end_year - sc.start_year) for c in sc.countries])
    for j, g in enumerate(sc.goal_ids):
        got = t[(t.outcome == "goal_score_end") & (t.country == ALL) & (t.goal == g)].sort_values("run").value
        want = (r.scores[:, -1, :, j] * pop).sum(axis=1) / pop.sum()
        np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
        assert not np.allclose(want, r.scores[:, -1, :, j].mean(axis=1))  # countries differ in size


@pytest.mark.parametrize("spec, value, signed, text", [
    ("cost_per_point_usd", -4.316e7, True, "-US$43.2 M"),
    ("overhead_usd", 2.626e10, False, "US$26.3 bn"),
    ("overhead_usd", 512.0, True, "+US$512"),
    ("people_gain:EG.ELC.ACCS.ZS", 204_123.4, True, "+204,123 people"),
    ("sdg_index_end", -0.009824, True, "-0.009824 index points"),
    ("sdg_index_end", 0.0, True, "0 index points"),
    ("not_an_outcome", 3.25, False, "3.25"),
    ("sdg_index_end", float("nan"), True, "n/a"),
    ("overhead_usd", 999_950.0, True, "+US$1 M"),  # rounded before the unit is chosen
    ("overhead_usd", -999.7e6, True, "-US$1 bn"),
    ("people_gain:EG.ELC.ACCS.ZS", -0.4, True, "0 people"),  # no "-0"
])
def test_values_are_written_in_their_unit_money_and_people_first(spec, value, signed, text):
    assert readable(spec, value, signed) == text
    bare = readable(spec, value, signed, unit=False)  # a range's ends: no unit name, money keeps US$ and M
    assert bare == text.removesuffix(" people").removesuffix(" index points")


def _channel_costs(**channels) -> dict[str, np.ndarray]:
    data = small_dict()
    data["channels"] = {**data.get("channels", {}), **channels}
    res = run_scenario(scenario(data), runs=4, seed=5, record_flows=False)
    return column_values(res, ["overhead_usd", "recipient_cost_usd", "volatility_loss_usd"])


def test_recipients_costs_and_volatility_losses_are_parts_of_the_channel_costs():
    c = _channel_costs()
    assert (c["recipient_cost_usd"] > 0).all() and (c["volatility_loss_usd"] >= 0).all()
    assert (c["recipient_cost_usd"] + c["volatility_loss_usd"] <= c["overhead_usd"] * (1 + 1e-12)).all()
    none = _channel_costs(recipient_cost_share=0.0, volatility_cost=0.0)
    assert (none["recipient_cost_usd"] == 0).all() and (none["volatility_loss_usd"] == 0).all()
    assert (none["overhead_usd"] < c["overhead_usd"]).all()  # what is left is the funders' own overhead
    costly = _channel_costs(volatility_cost=12.0)  # unpredictability costs recipients more
    assert (costly["volatility_loss_usd"] >= c["volatility_loss_usd"]).all()
    assert (costly["volatility_loss_usd"] > c["volatility_loss_usd"]).any()
