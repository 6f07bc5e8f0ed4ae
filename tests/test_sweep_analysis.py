"""`sdgsim analyze`: Sobol' and Morris indices, robustness and regret, plots and their index."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from cli import main
from simulation.analysis.sensitivity import contrasts, near_best_text, paired_intervals, point_means, robustness
from simulation.experiments.executors import make_executor
from simulation.experiments.sweep.running import run_sweep
from simulation.experiments.sweep.spec import load_sweep
from simulation.results.sweeps import read_sweep_runs
from tests.factory import BASELINE

PARAMS = """\
parameters:
  donors.JPN-ODA.budget_usd: {low: 1.0e9, high: 3.0e9}
  facility.overhead_rate: {low: 0.01, high: 0.08}   # no donor pools money: no effect at all
  governance.leakage_max: {low: 0.1, high: 0.4}
"""
SALTELLI = f"""\
name: sa
set: {{facility: {{}}}}
policies:
  bilateral: {BASELINE}
  more-dac:
    scenario: {BASELINE}
    set: {{donors.DAC-OTHER.budget_usd: 8.0e9}}
design: {{method: saltelli, samples: 8}}
{PARAMS}replications: 2
seed: 5
common_random_numbers: true
outcomes: [sdg_index_end, adoption_end]
"""


def make(tmp: Path, text: str, name: str) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(text)
    out = tmp / name
    run_sweep(load_sweep(path), out, make_executor("serial"))
    return out


@pytest.fixture(scope="module")
def saltelli(tmp_path_factory):
    out = make(tmp_path_factory.mktemp("sa"), SALTELLI, "sa")
    res = CliRunner().invoke(main, ["analyze", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.output


def test_sobol_indices_come_with_confidence_intervals_and_an_unused_parameter_scores_zero(saltelli):
    out, output = saltelli
    sob = pd.read_csv(out / "analysis" / "sobol.csv")
    assert list(sob.columns) == ["policy", "outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert len(sob) == (2 + 1) * 2 * 3  # two policies and their difference, two outcomes, three parameters
    assert set(sob.policy) == {"bilateral", "more-dac", "more-dac − bilateral"}
    unused = sob[sob.parameter == "facility.overhead_rate"]
    assert (unused[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy() == 0).all()
    used = sob[(sob.parameter == "governance.leakage_max") & (sob.outcome == "sdg_index_end")]
    assert (used.ST > 0.1).all() and (used.ST_conf > 0).all()
    assert "Most influential parameter" in output


def test_robustness_reports_regret_against_the_best_policy_at_each_point(saltelli):
    out, output = saltelli
    rob = pd.read_csv(out / "analysis" / "robustness.csv").set_index(["outcome", "policy"])
    runs = read_sweep_runs(out)
    means = runs.groupby(["policy", "point"]).sdg_index_end.mean().unstack("policy")
    gap = means["more-dac"] - means["bilateral"]
    assert (gap > 0).all()  # more money from other donors: a higher index at every point
    bil, more = rob.loc[("sdg_index_end", "bilateral")], rob.loc[("sdg_index_end", "more-dac")]
    assert more.regret_mean == 0 and more.best_share == 1 and bil.best_share == 0
    np.testing.assert_allclose([bil.regret_mean, bil.regret_max], [gap.mean(), gap.max()], rtol=1e-5)
    np.testing.assert_allclose(bil.p10, np.percentile(means["bilateral"], 10), rtol=1e-6)
    assert bil.better == "higher" and bil.worst_decile == bil.p10
    assert "sdg_index_end          more-dac" in output
    con = pd.read_csv(out / "analysis" / "contrasts.csv").set_index(["outcome", "policy"])
    row = con.loc[("sdg_index_end", "more-dac")]
    assert row.reference == "bilateral" and row.points == len(gap)
    np.testing.assert_allclose([row.diff_mean, row.diff_p50], [gap.mean(), gap.median()], rtol=1e-5)
    assert row.min_effect_mean == 0.5  # the registry's smallest effect that matters for the index
    assert row.better_share == pytest.approx((gap > 0.5).mean())
    assert row.better_share + row.equivalent_share + row.worse_share == pytest.approx(1.0)
    assert row.replications_median == 2
    assert row.clearly_better_share + row.clearly_equivalent_share + row.clearly_worse_share + \
        row.undecided_share == pytest.approx(1.0)
    assert "undecided" in output and "(2 replications per point)" in output


def test_analysis_json_indexes_tables_and_plots_that_exist(saltelli):
    out, _ = saltelli
    index = json.loads((out / "analysis.json").read_text())
    assert {t["file"] for t in index["tables"]} == {"analysis/points.csv", "analysis/sobol.csv",
                                                    "analysis/robustness.csv", "analysis/contrasts.csv"}
    stems = {Path(p["png"]).stem for p in index["plots"]}
    assert stems == {"sobol", "robustness", "outcome_vs_parameters_sdg_index_end",
                     "outcome_vs_parameters_adoption_end"}
    for item in index["tables"] + index["plots"]:
        assert item["title"]
        for key in ("file", "png", "svg"):
            if key in item:
                assert (out / item[key]).stat().st_size > 0
    assert (out / "analysis" / "sobol.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "analysis" / "sobol.svg").read_text().lstrip().startswith("<?xml")
    points = pd.read_csv(out / "analysis" / "points.csv")
    assert len(points) == 2 * 8 * 5 and (points.runs_ok == 2).all()


def test_analysis_is_not_replaced_without_force(saltelli):
    out, _ = saltelli
    res = CliRunner().invoke(main, ["analyze", str(out), "--no-plots"])
    assert res.exit_code == 2 and "an analysis already exists (use --force to replace it)" in res.output


def test_morris_screening_and_failed_runs(tmp_path):
    text = (f"scenario: {BASELINE}\nset: {{facility: {{}}}}\ndesign: {{method: morris, samples: 3, levels: 4}}\n"
            f"{PARAMS}  donors.JPN-ODA.capacity_share: {{low: 0, high: 0.85}}\n"
            "  donors.JPN-ODA.blended_share: {low: 0, high: 0.95}\n"
            "replications: 1\ncommon_random_numbers: true\noutcomes: [sdg_index_end]\n")
    out = make(tmp_path, text, "morris")
    runs = read_sweep_runs(out)
    assert (runs.status == "failed").any()  # blended + capacity share above 1 at some points
    res = CliRunner().invoke(main, ["analyze", str(out), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert "Morris indices of sdg_index_end for baseline skipped" in res.output
    assert (out / "analysis" / "failures.csv").exists() and not (out / "analysis" / "morris.csv").exists()

    without_pooling = text.replace("  donors.JPN-ODA.capacity_share: {low: 0, high: 0.85}\n", "").replace(
        "  donors.JPN-ODA.blended_share: {low: 0, high: 0.95}\n", "")
    out2 = make(tmp_path, without_pooling, "morris-ok")
    res = CliRunner().invoke(main, ["analyze", str(out2)])
    assert res.exit_code == 0, res.output
    mor = pd.read_csv(out2 / "analysis" / "morris.csv").set_index("parameter")
    assert list(mor.columns) == ["policy", "outcome", "mu", "mu_star", "mu_star_conf", "sigma"]
    assert mor.loc["facility.overhead_rate", "mu_star"] == 0  # nobody pools: the facility's overhead is moot
    assert mor.loc["governance.leakage_max", "mu_star"] > 0
    assert (out2 / "analysis" / "morris.png").exists() and "Most influential parameter (largest Morris mu*)" in res.output


def test_an_incomplete_sweep_cannot_be_analysed(saltelli, tmp_path):
    out, _ = saltelli
    copy = tmp_path / "partial"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "analysis")
    next((copy / "runs").glob("part-*.parquet")).unlink()
    res = CliRunner().invoke(main, ["analyze", str(copy)])
    assert res.exit_code == 2 and "sweep is incomplete" in res.output and "--resume" in res.output


def test_report_shows_the_analysis_tables_and_plots(saltelli):
    out, _ = saltelli
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    index = json.loads((out / "analysis.json").read_text())
    assert html.count("data:image/png;base64,") == len(index["plots"])
    assert html.count("<table>") == len(index["tables"])
    assert "Sobol" in html and "http://" not in html


@pytest.mark.parametrize("damage", ["no design", "empty part file", "bare manifest"])
def test_analyze_on_a_damaged_sweep_folder_is_a_located_error(saltelli, tmp_path, damage):
    out, _ = saltelli
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    if damage == "no design":
        (copy / "design.parquet").unlink()
    elif damage == "empty part file":
        next((copy / "runs").glob("part-*.parquet")).write_bytes(b"")
    else:
        (copy / "manifest.json").write_text('{"kind": "sweep"}')
    res = CliRunner().invoke(main, ["analyze", str(copy), "--force", "--no-plots"])
    assert res.exit_code == 2, (res.output, res.exception)
    assert "Traceback" not in res.output and ":1: " in res.output


def test_the_sweep_report_says_how_often_a_policy_wins_and_what_decides_it(saltelli):
    out, _ = saltelli
    res = CliRunner().invoke(main, ["report", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    con = pd.read_csv(out / "analysis" / "contrasts.csv")
    # one table row per policy and outcome against the reference: the four shares and what decides it
    section = html.split("<h2>Each policy against bilateral</h2>", 1)[1].split("<h2>", 1)[0]
    rows = section.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) == len(con) > 0
    for row, r in zip(rows, con.itertuples()):
        assert f"<td>{r.outcome}</td><td>{r.policy}</td>" in row
        shares = re.findall(r">(\d+)%</td>", row)
        assert shares == [f"{x:.0%}"[:-1] for x in (r.clearly_better_share, r.clearly_equivalent_share,
                                                     r.clearly_worse_share, r.undecided_share)], row
    assert "interval of the paired difference over 2 replications per point" in section
    assert re.search(r"<td>[\w.\-]+ \(\d\.\d\d\)</td></tr>", section)  # decided most by: parameter (ST)
    assert ("more replications per point might decide those" in html) == (con.undecided_share > 0).any()
    assert re.search(r"most robust policy \S+ \(lowest mean regret across the design, best at \d+% of points", html)
    index = json.loads((out / "analysis.json").read_text())
    assert any("sobol" in p["png"] for p in index["plots"])


def test_contrasts_use_the_deaths_threshold_for_indicators_counted_over_births(saltelli):
    out, _ = saltelli
    man = json.loads((out / "manifest.json").read_text())
    assert man["births_indicators"] == ["SH.DYN.MORT"]  # the baseline's under-5 mortality
    idx = pd.MultiIndex.from_product([["a", "b"], range(4)], names=["policy", "point"])
    col = "people_gain:SH.DYN.MORT"
    means = pd.DataFrame({col: [0.0] * 4 + [5_000.0, 500.0, -5_000.0, 50_000.0]}, index=idx)
    runs = means.reset_index().assign(replication=0, status="ok")
    deaths = contrasts(means, runs, ["a", "b"], col, sense=1, births=frozenset({"SH.DYN.MORT"})).iloc[0]
    assert deaths.min_effect_mean == 1_000 and deaths.better_share == 0.5 and deaths.worse_share == 0.25
    people = contrasts(means, runs, ["a", "b"], col, sense=1).iloc[0]
    assert people.min_effect_mean == 100_000 and people.equivalent_share == 1.0


@given(margin=st.floats(0.0, 300_000.0), lower_is_better=st.booleans())
@settings(max_examples=40, deadline=None)
def test_a_policy_is_near_best_where_it_trails_the_best_by_less_than_the_smallest_effect(margin, lower_is_better):
    """`best_share` counts any lead, however small; `near_best_share` says where a policy is as good as
    the best for practical purposes (regret within the registry's smallest effect for people, 100,000),
    so a near-copy of the best policy is near-best everywhere whatever its tiny deficit."""
    assume(abs(margin - 100_000) > 1e-3)  # not within rounding of the threshold itself
    sense = -1 if lower_is_better else 1
    idx = pd.MultiIndex.from_product([["a", "b", "c"], range(5)], names=["policy", "point"])
    base = np.array([1e6, 2e6, 3e6, 4e6, 5e6])
    col = "people_gain:EG.ELC.ACCS.ZS"
    # b leads a by `margin`; c is a near-copy of b, one person behind
    means = pd.DataFrame({col: np.concatenate([base, base + sense * margin, base + sense * (margin - 1.0)])}, index=idx)
    rob = robustness(means, ["a", "b", "c"], col, sense=sense).set_index("policy")
    assert rob.loc["b", "best_share"] == 1.0 and rob.loc["b", "near_best_share"] == 1.0
    assert rob.loc["c", "near_best_share"] == 1.0 and rob.loc["c", "best_share"] == 0.0  # one person behind b
    assert rob.loc["a", "near_best_share"] == (1.0 if margin < 100_000 else 0.0)


def test_the_summary_names_the_policies_as_good_as_the_most_robust_one():
    idx = pd.MultiIndex.from_product([["a", "b"], range(4)], names=["policy", "point"])
    means = pd.DataFrame({"sdg_index_end": [50.0, 51.0, 52.0, 53.0, 50.01, 51.01, 52.01, 53.01]}, index=idx)
    rob = robustness(means, ["a", "b"], "sdg_index_end", sense=1)
    assert near_best_text(rob, "b") == "; also within the smallest effect that matters of the best: a at 100% of points"
    far = robustness(means.assign(sdg_index_end=means.sdg_index_end * [1, 1, 1, 1, 2, 2, 2, 2]), ["a", "b"],
                     "sdg_index_end", sense=1)
    assert near_best_text(far, "b") == ""


# --------------------------------------------------------------------------- contrasts with Monte Carlo error

PEOPLE = "people_gain:EG.ELC.ACCS.ZS"  # higher is better; smallest effect that matters: 100,000 people


def contrast(a: np.ndarray, b: np.ndarray, outcome: str = PEOPLE) -> pd.Series:
    """The contrast of policy b against a from values (points, replications) of each; NaN: a failed run."""
    points, reps = a.shape
    runs = pd.DataFrame([{"policy": pol, "point": i, "replication": r, "status": "ok" if np.isfinite(v[i, r]) else
                          "failed", outcome: v[i, r]} for pol, v in (("a", a), ("b", b))
                         for i in range(points) for r in range(reps)])
    means = point_means(runs, ["a", "b"], points, [outcome])
    return contrasts(means, runs, ["a", "b"], outcome).iloc[0]


SHARES = ["clearly_better_share", "clearly_equivalent_share", "clearly_worse_share", "undecided_share"]


def test_a_big_true_effect_with_several_replications_is_clearly_better_at_every_point():
    rng = np.random.default_rng(1)
    a = rng.normal(1e6, 2e5, (30, 4))
    con = contrast(a, a + 1e6 + rng.normal(0, 1e4, a.shape))
    assert con.clearly_better_share == 1 and con.undecided_share == 0 and con.replications_median == 4
    assert 0 < con.halfwidth_median < 1e5


def test_a_point_mean_beyond_the_threshold_by_noise_alone_is_undecided_not_better():
    a = np.zeros((5, 4))
    b = a + 130_000 + np.array([1, -1, 1, -1]) * 100_000  # mean 130,000 > 100,000, but the spread is wide
    con = contrast(a, b)
    assert con.better_share == 1  # the point means alone say better everywhere
    assert con.clearly_better_share == 0 and con.undecided_share == 1


def test_one_replication_per_point_leaves_every_point_undecided():
    a = np.zeros((6, 1))
    con = contrast(a, a + 1e6)
    assert con.better_share == 1 and con.undecided_share == 1 and con.replications_median == 1
    assert np.isnan(con.halfwidth_median)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=8), st.integers(1, 5))
def test_identical_policies_are_clearly_equivalent_and_never_clearly_better_or_worse(values, reps):
    a = np.repeat(np.array(values)[:, None], reps, axis=1) + np.arange(reps) * 1e5  # noise shared by both
    con = contrast(a, a.copy())
    assert con.clearly_better_share == 0 and con.clearly_worse_share == 0
    assert con.clearly_equivalent_share == (1 if reps >= 2 else 0)  # zero spread: the interval is the point 0


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.floats(-4e5, 4e5), min_size=1, max_size=10), st.floats(1e3, 3e5), st.integers(1, 8),
       st.integers(1, 8))
def test_more_replications_with_the_same_noise_never_leave_more_points_undecided(effects, noise, k1, k2):
    """Residuals ±noise alternate, so the spread stays put and the interval only narrows with n."""
    n1, n2 = 2 * min(k1, k2), 2 * max(k1, k2)

    def shares(n):
        a = np.zeros((len(effects), n))
        return contrast(a, a + np.array(effects)[:, None] + noise * (-1.0) ** np.arange(n))

    few, many = shares(n1), shares(n2)
    assert many.undecided_share <= few.undecided_share
    for decided in SHARES[:3]:  # nested intervals: what was decided stays decided the same way
        assert many[decided] >= few[decided]


def test_enough_replications_decide_a_point_that_few_leave_open():
    def con(n):
        a = np.zeros((1, n))
        return contrast(a, a + 150_000 + 100_000 * (-1.0) ** np.arange(n))

    assert con(2).undecided_share == 1 and con(32).clearly_better_share == 1


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(1, 6), st.integers(1, 5), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_the_four_shares_sum_to_one_even_with_failed_runs(points, reps, failed, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, 2e5, (2, points, reps))
    a[rng.random(a.shape) < failed / 2] = np.nan
    b[rng.random(b.shape) < failed / 2] = np.nan
    con = contrast(a, b)
    if con.points:
        assert sum(con[s] for s in SHARES) == pytest.approx(1.0)
        assert all(0 <= con[s] <= 1 for s in SHARES)


def test_differences_are_paired_by_replication_over_runs_both_policies_completed():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 1e6, (10, 4))  # the same random numbers for both policies, a large spread
    a, b = 1e7 + shared, 1e7 + shared + 200_000
    b[:, 0] = np.nan  # replication 0 of b failed everywhere: pairs only over replications 1-3
    con = contrast(a, b)
    assert con.clearly_better_share == 1 and con.replications_median == 3  # unpaired, this would be undecided


def test_the_interval_is_the_t_interval_of_the_paired_differences():
    rng = np.random.default_rng(4)
    diffs = rng.normal(50_000, 80_000, 5)
    runs = pd.DataFrame({"policy": ["a"] * 5 + ["b"] * 5, "point": 7, "replication": [*range(5)] * 2,
                         "status": "ok", PEOPLE: [*np.zeros(5), *diffs]})
    iv = paired_intervals(runs, "b", "a", PEOPLE, np.array([7])).loc[7]
    ci = stats.ttest_1samp(diffs, 0).confidence_interval(0.95)
    assert iv.n == 5 and iv["mean"] == pytest.approx(diffs.mean())
    assert (iv.low, iv.high) == pytest.approx((ci.low, ci.high))


def test_orientation_for_an_outcome_where_lower_is_better():
    rng = np.random.default_rng(5)
    a = rng.normal(1e9, 1e7, (8, 4))  # channel costs, USD: smallest effect that matters 5 % of the reference
    cheaper = contrast(a, a * 0.7, "overhead_usd")
    assert cheaper.better == "lower" and cheaper.clearly_better_share == 1 and cheaper.clearly_worse_share == 0
    dearer = contrast(a, a * 1.3, "overhead_usd")
    assert dearer.clearly_worse_share == 1 and dearer.clearly_better_share == 0
    close = contrast(a, a * 1.01, "overhead_usd")
    assert close.clearly_equivalent_share == 1


def test_the_report_of_an_analysis_written_before_intervals_says_its_shares_ignore_noise(saltelli, tmp_path):
    out, _ = saltelli
    copy = tmp_path / "old"
    shutil.copytree(out, copy)
    path = copy / "analysis" / "contrasts.csv"
    pd.read_csv(path).drop(columns=[*SHARES, "replications_median", "halfwidth_median"]).to_csv(path, index=False)
    res = CliRunner().invoke(main, ["report", str(copy)])
    assert res.exit_code == 0, res.output
    html = (copy / "report.html").read_text()
    assert "(point means, Monte Carlo error ignored)" in html and "<th>undecided</th>" not in html


def test_the_report_says_more_replications_would_decide_the_undecided_points(saltelli, tmp_path):
    out, _ = saltelli
    copy = tmp_path / "undecided"
    shutil.copytree(out, copy)
    path = copy / "analysis" / "contrasts.csv"
    con = pd.read_csv(path)
    con["clearly_equivalent_share"], con["undecided_share"] = 0.75, 0.25
    con.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["report", str(copy)])
    assert res.exit_code == 0, res.output
    html = (copy / "report.html").read_text()
    assert "more replications per point might decide those" in html
    table = html.split("<table class=contrasts>", 1)[1].split("</table>", 1)[0]
    assert table.count(">25%</td><td>") == len(con)  # the undecided column, before "decided most by"


def test_the_report_says_one_replication_per_point_gives_no_interval(saltelli, tmp_path):
    out, _ = saltelli
    copy = tmp_path / "one"
    shutil.copytree(out, copy)
    path = copy / "analysis" / "contrasts.csv"
    con = pd.read_csv(path)
    con["replications_median"], con["clearly_equivalent_share"], con["undecided_share"] = 1.0, 0.0, 1.0
    con.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["report", str(copy)])
    assert res.exit_code == 0, res.output
    html = (copy / "report.html").read_text()
    assert "1 replication per point: no interval, every point undecided; run 2 or more" in html
    assert "1 paired replications" not in html


def test_the_app_opens_a_sweep_from_its_saved_analysis_with_one_bar_per_parameter(saltelli, tmp_path):
    """The app's sweep page read every policy's Sobol' rows into one bar chart: a parameter twice on a
    categorical axis is an error in the browser, and the page showed nothing. One bar per parameter
    (the mean over policies); a saved analysis is read, not recomputed, unless runs came after it."""
    pytest.importorskip("panel")
    import os

    from simulation.app import Folders
    from simulation.app.sweeps_page import SweepsPage, index_bars, saved_analysis

    out, _ = saltelli
    sob = pd.read_csv(out / "analysis" / "sobol.csv")
    fig = index_bars(sob, "sdg_index_end", "ST")
    factors = list(fig.y_range.factors)
    assert len(factors) == len(set(factors)) == sob.parameter.nunique()
    mean = sob[(sob.outcome == "sdg_index_end") & ~sob.policy.str.contains(" − ")].groupby("parameter").ST.mean()
    np.testing.assert_allclose(fig.renderers[0].data_source.data["ST"], mean.loc[factors].to_numpy())

    copy = tmp_path / "results" / "sa"
    shutil.copytree(out, copy)
    analysis_time = (copy / "analysis.json").stat().st_mtime
    for part in (copy / "runs").glob("part-*.parquet"):  # written before the analysis, as by sdgsim
        os.utime(part, (analysis_time - 10, analysis_time - 10))
    assert set(saved_analysis(copy)) >= {"sobol", "robustness", "contrasts"}
    page = SweepsPage(Folders.make(tmp_path / "scenarios", tmp_path / "results"))
    page.pick.value = "sa"
    page._open()
    assert not page.status.objects  # no error
    shown = "".join(str(getattr(o, "object", "")) for o in page.body.objects)
    assert "From the saved analysis" in shown and "Each policy against bilateral" in shown
    os.utime(next((copy / "runs").glob("part-*.parquet")), (analysis_time + 10, analysis_time + 10))  # resumed
    assert saved_analysis(copy) is None
    page._open()
    shown = "".join(str(getattr(o, "object", "")) for o in page.body.objects)
    assert "Analysed now" in shown and "Each policy against bilateral" in shown
