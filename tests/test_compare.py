"""Comparison statistics: common random numbers, interval coverage, ranking, and the compare command."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from simulation.analysis.comparison import compare
from simulation.analysis.decisions import paired_interval
from simulation.experiments.replications import run_scenario
from simulation.outcomes.registry import NO_GOAL
from tests.factory import BASELINE, scenario, small_dict


def _coverage(draw, truth: float, method: str, trials: int, rng) -> float:
    hits = 0
    for chunk in range(0, trials, 100):
        x = draw(min(100, trials - chunk))
        lo, hi = paired_interval(x, method, 0.95, rng)
        hits += int(((lo <= truth) & (truth <= hi)).sum())
    return hits / trials


@pytest.mark.parametrize("name,draw,truth", [
    ("normal", lambda rs, k: rs.normal(3.0, 2.0, (k, 30)), 3.0),
    ("skewed gamma", lambda rs, k: rs.gamma(4.0, 1.0, (k, 40)), 4.0),
    ("paired differences", lambda rs, k: (lambda z: (z + rs.normal(0.5, 0.3, z.shape)) - z)(
        rs.normal(60, 5, (k, 25))), 0.5),
])
def test_t_intervals_cover_the_true_mean_95_percent_of_the_time(name, draw, truth):
    rs = np.random.default_rng(2024)
    cov = _coverage(lambda k: draw(rs, k), truth, "t", 4000, rs)
    assert 0.93 <= cov <= 0.97, f"{name}: coverage {cov:.3f}"


def test_bootstrap_intervals_cover_the_true_mean_95_percent_of_the_time():
    rs = np.random.default_rng(7)
    cov = _coverage(lambda k: rs.normal(10.0, 1.0, (k, 80)), 10.0, "bootstrap", 1500, rs)
    assert 0.93 <= cov <= 0.97, f"coverage {cov:.3f}"


@pytest.fixture(scope="module")
def three():
    base = scenario(small_dict())
    rich = small_dict()
    rich["name"] = "rich"
    for d in rich["donors"]:
        d["budget_usd"] *= 3
    res = {"base": run_scenario(base, runs=40, seed=4, record_flows=False),
           "same": run_scenario(base, runs=40, seed=4, record_flows=False),
           "rich": run_scenario(scenario(rich), runs=40, seed=4, record_flows=False)}
    return res, compare(res, reference="base")


def test_identical_scenarios_differ_by_exactly_zero(three):
    _, comp = three
    same = comp.table[comp.table.scenario == "same"]
    assert (same.diff_mean == 0).all() and (same.diff_ci_low == 0).all() and (same.diff_ci_high == 0).all()
    assert np.allclose(same.p_superior, 0.5)


def test_common_random_numbers_make_paired_differences_precise(three):
    res, comp = three
    a = res["base"].scores[:, -1].mean(axis=(1, 2))
    b = res["rich"].scores[:, -1].mean(axis=(1, 2))
    # (the volatility loss of unpredictable budgets grows with the money: the richer twin is noisier)
    assert np.std(b - a) < 0.3 * np.std(a), "pairing removes most of the shared noise"
    row = comp.table[(comp.table.scenario == "rich") & (comp.table.outcome == "sdg_index_end_unweighted")
                     & (comp.table.country == "ALL")].iloc[0]
    assert row.diff_mean == pytest.approx((b - a).mean())
    assert row.diff_ci_low > 0 and row.p_superior == 1.0 and row.p_best == 1.0


def test_rank_probabilities_sum_to_one_per_outcome(three):
    _, comp = three
    sums = comp.table.groupby(["outcome", "country", "goal"]).p_best.sum()
    np.testing.assert_allclose(sums, 1.0)


def test_lower_is_better_outcomes_are_oriented(three):
    _, comp = three
    t = comp.table[(comp.table.outcome == "overhead_usd") & (comp.table.scenario == "rich")].iloc[0]
    assert t.diff_mean > 0 and t.p_superior == 0.0  # more money, more overhead: worse on this outcome


def test_too_few_runs_gives_a_warning():
    base = scenario(small_dict())
    res = {"a": run_scenario(base, runs=4, seed=1, record_flows=False),
           "b": run_scenario(base, runs=4, seed=1, record_flows=False)}
    comp = compare(res)
    assert comp.warnings and "too few" in comp.warnings[0]


@pytest.fixture(scope="module")
def compare_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")
    alt = root / "alt.yaml"
    alt.write_text(f"extends: {BASELINE}\nname: more-japan\ndonors:\n  - {{id: JPN-ODA, budget_usd: 6.0e9}}\n")
    out = root / "out"
    res = CliRunner().invoke(main, ["compare", str(BASELINE), str(alt), "--runs", "20", "--seed", "1",
                                    "--out", str(out), "-m", "sdg_index_end", "-m", "goal_score_end:SDG3@ETH"])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_compare_writes_tables_folders_plots_and_report(compare_dir):
    out, _ = compare_dir
    for f in ("comparison.csv", "comparison.parquet", "report.html", "manifest.json",
              "baseline/scores.parquet", "more-japan/flows.parquet"):
        assert (out / f).exists(), f
    for stem in ("fan_chart", "difference_fan", "difference_bars", "flows_by_source", "adoption_curves",
                 "gains_heatmap"):
        assert (out / "plots" / f"{stem}.png").stat().st_size > 5000
        assert (out / "plots" / f"{stem}.svg").exists()
    table = pd.read_parquet(out / "comparison.parquet")
    assert table.notna()[["mean", "diff_mean", "p_superior", "p_best"]].all().all()
    assert set(table.scenario) == {"baseline", "more-japan"}
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "compare" and man["reference"] == "baseline" and len(man["scenarios"]) == 2


def test_compare_prints_an_80_column_table_with_the_best_marked(compare_dir):
    _, output = compare_dir
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert max(len(ln) for ln in lines if not ln.startswith(("Report:", "Tables:"))) <= 80
    best = [ln for ln in lines if re.match(r"^more-japan\*", ln)]
    assert best, output  # more Japanese money ranks best on the SDG index


def test_report_has_headline_differences_and_embedded_images(compare_dir):
    out, _ = compare_dir
    html = (out / "report.html").read_text()
    assert "class=headline" in html and "more-japan does best" in html
    assert "donors.JPN-ODA.budget_usd" in html  # what differs between the files
    assert html.count("data:image/png;base64,") == 8  # six plots, the slide and the world map
    assert "http://" not in html and "https://" not in html
    # money by funder from yearly flows has no interval: said once above its table, not on each row
    assert "(no interval)" not in html and "no interval: run with --flows full" in html


def test_reports_people_section_leads_with_each_options_difference_and_verdict(compare_dir):
    out, _ = compare_dir
    html = (out / "report.html").read_text()
    section = html.split("<h2>People, all countries</h2>", 1)[1].split("<h2>", 1)[0]
    lead = section.split("<details>", 1)[0]  # the full table (means, ranges) comes after, folded
    assert "<details>" in section and "P(ranks first)" in section.split("<details>", 1)[1]
    t = pd.read_parquet(out / "comparison.parquet")
    d = t[(t.country == "ALL") & t.outcome.isin(["people_gain", "people_years_gain"]) & (t.scenario == "more-japan")]
    rows = [r for r in lead.split("<tr>")[2:]]  # after the header
    assert len(rows) == len(d) > 0
    for r, x in zip(rows, d.itertuples()):
        assert f"({x.goal})" in r and x.period in r, r
        cell = r.split("</td>")[2]
        assert cell.endswith(x.verdict) and (f"class={x.verdict}" in cell) == (x.verdict in ("better", "worse"))
        shown = f"{x.diff_mean / 1e6:+.2f} M" if abs(x.diff_mean) >= 1e6 else f"{x.diff_mean:+,.0f}"
        assert f">{shown} [" in cell, (shown, cell)


def test_reports_outcomes_section_is_a_row_per_outcome_with_the_full_table_folded(compare_dir):
    out, _ = compare_dir
    html = (out / "report.html").read_text()
    section = html.split("<h2>Outcomes, all countries</h2>", 1)[1].split("<h2>", 1)[0]
    lead, folded = section.split("<details>", 1)
    t = pd.read_parquet(out / "comparison.parquet")
    mine = t[(t.country == "ALL") & (t.goal == NO_GOAL) & (t.scenario == "more-japan")]
    rows = lead.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) == len(mine) > 10  # one per outcome, not one per outcome and option
    for row, x in zip(rows, mine.itertuples()):
        assert row.startswith(f"<td>{x.outcome}</td>") and row.split("</td>")[-2].endswith(x.verdict), row
    assert "P(ranks first)" in folded  # the means, ranges and probabilities are all still there


def test_report_sets_each_headline_statement_on_its_own_line_with_its_label_in_bold(compare_dir):
    out, _ = compare_dir
    html = (out / "report.html").read_text()
    box = re.search(r"<div class=headline>(.*?)</div>", html, re.S).group(1)
    statements = re.findall(r"<p>(.*?)</p>", box, re.S)
    labels = [re.match(r"<b>([^<]*):</b>", x).group(1) for x in statements if x.startswith("<b>")]
    # the option's people over the horizon, its money, its people at the horizon, the index
    assert labels[:2] == ["People", "Money"] and "At the horizon" in labels and labels[-1] == "Index", box
    assert "".join(statements) == box.replace("<p>", "").replace("</p>", "")  # nothing outside a statement


def test_report_command_rebuilds_any_results_folder(compare_dir, tmp_path):
    out, _ = compare_dir
    (out / "report.html").unlink()
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").exists()
    res = CliRunner().invoke(main, ["report", str(out / "baseline")])
    assert res.exit_code == 0 and (out / "baseline" / "report.html").exists()
    bad = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert bad.exit_code == 2 and "no manifest.json" in bad.output


def test_compare_rejects_an_unknown_reference(tmp_path):
    res = CliRunner().invoke(main, ["compare", str(BASELINE), "--runs", "2", "--reference", "nope",
                                    "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "not one of the scenarios" in res.output


@pytest.mark.parametrize("damage", ["no scores", "empty scores", "manifest list", "manifest empty",
                                    "no comparison table", "no scenario folder"])
def test_report_on_a_damaged_folder_is_a_located_error_not_a_traceback(compare_dir, tmp_path, damage):
    import shutil

    out, _ = compare_dir
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    target = copy
    if damage == "no scores":
        target = copy / "baseline"
        (target / "scores.parquet").unlink()
    elif damage == "empty scores":
        target = copy / "baseline"
        (target / "scores.parquet").write_bytes(b"")
    elif damage == "manifest list":
        (copy / "manifest.json").write_text("[]")
    elif damage == "manifest empty":
        (copy / "manifest.json").write_text("{}")
    elif damage == "no comparison table":
        (copy / "comparison.parquet").unlink()
    else:
        shutil.rmtree(copy / "more-japan")
    res = CliRunner().invoke(main, ["report", str(target)])
    assert res.exit_code == 2, (res.output, res.exception)
    assert "Traceback" not in res.output
    assert re.match(r"^[^:]+:\d+: \S+: .+", res.output.strip().splitlines()[-1])


def test_compare_checks_metrics_before_running(tmp_path):
    res = CliRunner().invoke(main, ["compare", str(BASELINE), "--runs", "2", "--out", str(tmp_path / "x"),
                                    "-m", "goal_score_end:SDG99@ETH", "-m", "sdg_index_end@XXX"])
    assert res.exit_code == 2
    assert "unknown goal 'SDG99'" in res.output and "unknown country 'XXX'" in res.output
    assert not (tmp_path / "x").exists()


def test_scenarios_with_different_goals_compare_on_what_they_share_with_a_warning(tmp_path):
    small = tmp_path / "one-goal.yaml"
    small.write_text("name: one-goal\nstart_year: 2020\nend_year: 2030\n"
                     "goals: [{id: SDG3, effectiveness: 0.03, spend_scale_usd_per_capita: 40}]\n"
                     "countries:\n  - {id: KEN, population_m: 55, gdp_usd_bn: 107, domestic_sdg_share: 0.02, "
                     "scores: {SDG3: 51.0}}\n")
    res = CliRunner().invoke(main, ["compare", str(small), str(BASELINE), "--runs", "3", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "differ in countries (10 vs 1), goals (4 vs 1)" in res.output
    assert (tmp_path / "o" / "report.html").exists()
