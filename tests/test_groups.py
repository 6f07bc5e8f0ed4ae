"""Country groups (issue 28, item 1): named sets of a scenario's countries, reported like a country.

A group's value is computed run by run from its countries' values (people added up, indices
weighted by population), so a group of one country is that country and a group's sum is the
sum of its countries in every run; groups come from the scenario file (checked with located
errors), from --group (NAME=ISO3,... or a shipped group) and reach every table: summaries,
comparison rows, costs, sweep columns, the report, and the slide.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation as sim
from cli import main
from simulation.errors import InputError, OptionError, ScenarioError
from simulation.experiments.sweep.spec import load_sweep
from simulation.outcomes.groups import group_sum, resolve_groups, with_groups
from simulation.outcomes.registry import ALL, all_values, outcome_columns
from tests.factory import BASELINE

PILOTS = ["ETH", "GHA", "IND", "KEN", "SRB", "UKR"]
ELEC = "EG.ELC.ACCS.ZS"
MORT = "SH.DYN.MORT"


def _file(tmp_path: Path, groups: str) -> Path:
    f = tmp_path / "grouped.yaml"
    f.write_text(f"extends: {BASELINE}\nname: grouped\ngroups:\n{groups}")
    return f


def _problem(tmp_path: Path, groups: str):
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(_file(tmp_path, groups))
    [p] = err.value.problems
    return p


# --------------------------------------------------------------------------- defining groups


def test_a_scenario_file_defines_groups_in_its_countries_order(tmp_path):
    sc = sim.load_scenario(_file(tmp_path, "  pilots: [UKR, ETH, GHA, IND, KEN, SRB]\n  east: [KEN]\n"))
    assert resolve_groups(sc) == {"pilots": PILOTS, "east": ["KEN"]}


def test_an_unknown_country_in_a_group_is_a_located_error(tmp_path):
    p = _problem(tmp_path, "  pilots: [ETH, GHA, XYZ]\n")
    assert (Path(p.file).name, p.line, p.field) == ("grouped.yaml", 4, "groups.pilots.2")
    assert "unknown country 'XYZ'" in p.message and "ETH" in p.message


@pytest.mark.parametrize("groups, says", [
    ("  ETH: [ETH, GHA]\n", "has a country's id"),
    ("  ldc: [ETH]\n", "is a shipped group"),
    ("  none: []\n", "empty group"),
    ("  twice: [ETH, ETH]\n", "listed twice"),
])
def test_a_group_clashing_with_a_country_or_a_shipped_group_is_an_error(tmp_path, groups, says):
    p = _problem(tmp_path, groups)
    assert says in p.message and p.line == 4 and p.field.startswith("groups.")


def test_a_shipped_name_with_exactly_its_members_is_allowed(tmp_path):
    """What --group gpp stores in a results folder's scenario reads back."""
    sc = sim.load_scenario(_file(tmp_path, f"  gpp: [{', '.join(PILOTS)}]\n"))
    assert sc.groups == {"gpp": PILOTS}


def test_command_line_groups_and_shipped_groups_are_resolved_to_the_scenarios_countries():
    sc = sim.load_scenario("baseline")
    got = resolve_groups(sc, ["gpp", "east=KEN,ETH", "ssf", "lcn"])
    assert got["gpp"] == PILOTS and got["east"] == ["ETH", "KEN"]
    assert got["ssf"] == ["ETH", "GHA", "KEN", "NGA", "RWA", "TZA", "UGA"]  # Sub-Saharan Africa
    assert "lcn" not in got  # Latin America: none of the scenario's countries, dropped


@pytest.mark.parametrize("spec, says", [
    ("east=KEN,FRA", "unknown country FRA"),
    ("ETH=ETH", "is a country's id"),
    ("ldc=ETH,KEN", "is a shipped group"),
    ("nosuch", "unknown group"),
    ("=ETH", "a group needs a name"),
    ("e=", "empty group"),
])
def test_a_bad_group_option_is_an_error_naming_what_is_allowed(spec, says):
    with pytest.raises(OptionError) as err:
        resolve_groups(sim.load_scenario("baseline"), [spec])
    [p] = err.value.problems
    assert p.file == "--group" and says in p.message


# --------------------------------------------------------------------------- group values


@pytest.fixture(scope="module")
def grouped():
    """Four runs of the baseline with three groups (one of a single country)."""
    sc = with_groups(sim.load_scenario("baseline"), ["gpp", "kenya=KEN", "east=KEN,ETH,UGA"])
    return sim.run(sc, runs=4, seed=3, flows=False)


def _at(values, outcome: str, country: str, key: str) -> np.ndarray:
    v, cs, ks = values[outcome]
    return v[:, cs.index(country), ks.index(key)]


@pytest.mark.parametrize("outcome", ["people_end", "people_gain", "people_years", "people_years_gain"])
def test_a_groups_people_are_the_sum_of_its_countries_in_every_run(grouped, outcome):
    vals = all_values(grouped.result, [outcome])
    for key in (ELEC, MORT):
        members = sum(_at(vals, outcome, c, key) for c in ["ETH", "KEN", "UGA"])
        np.testing.assert_allclose(_at(vals, outcome, "group:east", key), members, rtol=1e-12)
        assert not np.allclose(members, members[0])  # runs differ: the sum is per run, not of means


@pytest.mark.parametrize("outcome, key", [("people_gain", ELEC), ("people_years_gain", MORT), ("sdg_index_end", "-"),
                                          ("sdg_index_change", "-"), ("indicator_end", MORT), ("gap_closure", "-"),
                                          ("goal_score_end", "SDG3")])
def test_a_group_of_one_country_is_that_country(grouped, outcome, key):
    vals = all_values(grouped.result, [outcome])
    group, country = _at(vals, outcome, "group:kenya", key), _at(vals, outcome, "KEN", key)
    if outcome == "indicator_end":  # the group's is people / denominator, the country's the model's level: 1 ulp apart
        np.testing.assert_allclose(group, country, rtol=1e-14)
    else:
        np.testing.assert_array_equal(group, country)


def test_a_group_of_every_country_is_all_countries(grouped):
    sc = with_groups(grouped.scenario, {"every": grouped.scenario.country_ids})
    res = sim.run(sc, runs=4, seed=3, flows=False).result
    for outcome, key in [("people_gain", ELEC), ("sdg_index_end", "-"), ("indicator_end", MORT)]:
        vals = all_values(res, [outcome])
        np.testing.assert_allclose(_at(vals, outcome, "group:every", key), _at(vals, outcome, ALL, key), rtol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_group_sum_adds_up_any_subset_run_by_run_whatever_its_order(data):
    ids = ["A", "B", "C", "D", "E"]
    values = np.asarray(data.draw(st.lists(st.lists(st.floats(-1e9, 1e9), min_size=5, max_size=5), min_size=1,
                                           max_size=6)))
    subset = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=5, unique=True))
    got = group_sum(values, ids, {"g": subset, "h": list(reversed(subset))})
    want = values[:, [ids.index(c) for c in subset]].sum(axis=1)
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-12, atol=1e-3)
    np.testing.assert_allclose(got[:, 1], want, rtol=1e-12, atol=1e-3)


def test_the_summary_has_a_row_per_group_between_the_countries_and_all(grouped):
    s = grouped.summary
    order = list(dict.fromkeys(s.country))
    assert order[-4:] == ["group:gpp", "group:kenya", "group:east", ALL]
    row = s[(s.country == "group:gpp") & (s.metric == f"people_gain:{ELEC}")].iloc[0]
    assert row.p05 <= row["mean"] <= row.p95


def test_a_run_with_groups_reads_back_whole(grouped, tmp_path):
    back = sim.read_results(grouped.save(tmp_path / "r", report=False))
    assert back.scenario.groups == grouped.scenario.groups
    assert back.summary.equals(grouped.summary)


# --------------------------------------------------------------------------- comparisons, costs, sweeps


@pytest.fixture(scope="module")
def comparison():
    return sim.compare(["baseline", "partnership-in-action"], runs=10, seed=1, flows=False,
                       groups=["gpp", "east=KEN,ETH,UGA"])


def test_a_comparison_has_rows_per_group_with_intervals_from_the_paired_runs(comparison):
    t = comparison.table
    row = t[(t.scenario == "partnership-in-action") & (t.outcome == "people_years_gain") & (t.country == "group:gpp")
            & (t.goal == MORT)].iloc[0]
    assert row.diff_ci_low <= row.diff_mean <= row.diff_ci_high and row.diff_p05 <= row.diff_mean <= row.diff_p95
    assert row.verdict in ("better", "worse", "equivalent", "inconclusive")


def test_costs_are_per_group_and_per_country_with_words_where_there_is_no_price(comparison):
    c = comparison.comparison.costs
    assert {"ALL", "group:gpp", "group:east", "KEN", "NGA"} <= set(c.country)
    no_price = c[~np.isfinite(c.cost_per_person_usd)]
    assert (no_price.note != "").all()
    assert (c.extra_money_usd == c.extra_money_usd.iloc[0]).all()  # the option's money, wherever it lands


def test_a_group_metric_is_checked_before_anything_runs():
    with pytest.raises(OptionError, match="unknown group 'nosuch'"):
        sim.compare(["baseline", "baseline"], runs=2, metrics=["people_gain:EG.ELC.ACCS.ZS@group:nosuch"])
    with pytest.raises(OptionError, match="not reported per group"):
        sim.compare(["baseline", "baseline"], runs=2, groups=["gpp"], metrics=["year_target_reached:SDG3@group:gpp"])


def test_a_sweep_records_each_groups_people_as_columns():
    sw = load_sweep("pooling", groups=["gpp"])
    cols = outcome_columns([p.scenario for p in sw.policies])
    assert f"people_gain:{ELEC}@group:gpp" in cols and f"people_years_gain:{MORT}@group:gpp" in cols
    with pytest.raises(InputError, match="unknown countr"):
        load_sweep("pooling", groups=["x=FRA"])


# --------------------------------------------------------------------------- the slide


def test_the_slide_is_written_atomically_and_never_over_a_file_without_force(comparison, tmp_path):
    path = tmp_path / "slide.png"
    assert comparison.slide(path) == path and path.read_bytes()[:4] == b"\x89PNG"
    assert os.listdir(tmp_path) == ["slide.png"]  # no temporary file left beside it
    before = path.stat().st_mtime_ns
    with pytest.raises(OptionError, match="exists"):
        comparison.slide(path)
    assert path.stat().st_mtime_ns == before
    comparison.slide(path, force=True)
    with pytest.raises(OptionError, match="allowed: .png, .svg"):
        comparison.slide(tmp_path / "slide.pdf")
    assert comparison.slide(tmp_path / "s.svg", groups=["east"]).read_text().lstrip().startswith("<?xml")


def test_the_slides_title_is_true_of_every_bar_not_one_picked_as_the_headline(comparison):
    """The title once gave partnership-in-action's largest gain in the first group alone, which read
    as the answer while the same option reached fewer people elsewhere on the slide."""
    from simulation.report.slide import panels, places

    title = " ".join(comparison.slide()._suptitle.get_text().split())
    t, scenario = comparison.table, comparison.runs["baseline"].scenario
    assert title.startswith("Against baseline: partnership-in-action, for US$") and "bn more" in title
    for place in ("the pilot countries", "the east group", "all countries"):  # gpp, east, ALL in words
        assert place in title
    bars = [float(t[(t.scenario == "partnership-in-action") & (t.outcome == p.outcome) & (t.goal == p.key)
                    & (t.country == c)].diff_mean.iloc[0]) for p in panels(scenario) for c in places(t, scenario)]
    assert ("loses on" in title) == any(b < 0 for b in bars)
    assert ("gains on" in title) == any(all(b > 0 for b in bars[k::3]) for k in range(3))


def test_with_one_panel_the_title_gives_each_places_number(comparison):
    from simulation.report.slide import places, title

    t, scenario = comparison.table, comparison.runs["baseline"].scenario
    one = scenario.model_copy(update={"indicators": [i for i in scenario.indicators if i.id == "EG.ELC.ACCS.ZS"]})
    said = title(t, "baseline", one, places(t, scenario))
    assert said.startswith("partnership-in-action reaches ") and "people with electricity in the pilot countries" in said
    assert said.count(" in the east group") == 1 and said.endswith("than baseline")
    assert " by 2030 for US$" in said


def test_compare_refuses_an_existing_slide_before_running(tmp_path):
    (tmp_path / "s.png").write_bytes(b"mine")
    r = CliRunner().invoke(main, ["compare", "baseline", "baseline", "--runs", "2", "--out", str(tmp_path / "c"),
                                  "--slide", str(tmp_path / "s.png")])
    assert r.exit_code == 2 and "exists" in r.output and not (tmp_path / "c").exists()
    assert (tmp_path / "s.png").read_bytes() == b"mine"


def test_a_sweep_run_stores_group_columns_that_add_up_like_all_countries(tmp_path):
    f = tmp_path / "tiny.yaml"
    f.write_text(f"name: tiny\nscenario: {BASELINE}\ndesign: {{method: random, samples: 3}}\nparameters:\n"
                 "  donors.JPN-ODA.budget_usd: {low: 1.0e9, high: 3.0e9}\nreplications: 2\nseed: 5\n")
    every = "every=" + ",".join(sim.load_scenario("baseline").country_ids)
    runs = sim.run_sweep(f, groups=[every, "gpp"]).runs
    np.testing.assert_allclose(runs[f"people_gain:{ELEC}@group:every"], runs[f"people_gain:{ELEC}"], rtol=1e-9)
    assert runs[f"people_years_gain:{MORT}@group:gpp"].nunique() == len(runs)  # a value per run


def test_the_report_redraws_the_slide_for_some_groups(comparison, tmp_path):
    folder = comparison.save(tmp_path / "c")
    r = CliRunner().invoke(main, ["report", str(folder), "--group", "east"])
    assert r.exit_code == 0, r.output
    html = (folder / "report.html").read_text()
    assert "Country groups" in html and (folder / "plots" / "slide.png").is_file()
    # the groups' cost per person in sight, the countries' dozens of rows folded, every one of them there
    costs = html.split("Cost per person reached, per group and per country", 1)[1].split("<h2>", 1)[0]
    shown, folded = costs.split("<details>", 1)
    c = comparison.comparison.costs
    assert shown.count("<td>group ") == (c.country.str.startswith("group:") & (c.scenario != "baseline")).sum() > 0
    assert folded.count("<tr>") - 1 == (~c.country.str.startswith("group:") & (c.country != "ALL")).sum()
    bad = CliRunner().invoke(main, ["report", str(folder), "--group", "nosuch"])
    assert bad.exit_code == 2 and "they have: gpp, east" in bad.output


def test_the_app_shows_a_groups_rows_and_the_slide(comparison, tmp_path):
    pytest.importorskip("panel")
    from simulation.app.compare_page import ComparePage
    from simulation.app.folders import Folders

    folders = Folders.make(tmp_path / "sc", tmp_path / "res")
    page = ComparePage(folders)
    page.open(comparison.save(folders.results / "cmp"))
    assert page.group.options == ["", "gpp", "east"] and page.groups["east"] == ["ETH", "KEN", "UGA"]
    charts = page._charts([], "east", "all goals", "sdg_index_end", ELEC, "baseline")
    differences = charts.objects[1].object
    labels = differences.y_range.factors
    assert set(labels) == {"partnership-in-action · group:east", "partnership-in-action · ALL"}
    assert any(type(o).__name__ == "Matplotlib" for o in page.results.objects)  # the slide
