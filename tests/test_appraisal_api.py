"""`sim.appraise` / `sdgsim appraise` on a comparison and `sim.voi` / `sdgsim voi` on a sweep:
paired per-run costs and effects, the same numbers from memory and from the folder, the files
written atomically, located errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.errors import InputError

RUNS = 12


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "cmp"
    comp = sim.compare(["baseline", "triangular-cooperation"], runs=RUNS, seed=3, flows="full", out=out)
    return comp, out


def test_costs_and_effects_are_paired_runs_of_the_comparison(compared):
    comp, _ = compared
    a = sim.appraise(comp, "people_gain:EG.ELC.ACCS.ZS", wtp=(0, 1000))
    runs = a.per_run[a.per_run.option == "triangular-cooperation"]
    ref, alt = comp.runs["baseline"].values, comp.runs["triangular-cooperation"].values
    assert np.allclose(runs.d_cost, alt.extra_money - ref.extra_money)
    costs = comp.comparison.costs.query("country == 'ALL'").set_index("indicator").loc["EG.ELC.ACCS.ZS"]
    row = a.table.set_index("option").loc["triangular-cooperation"]
    assert row.d_cost == pytest.approx(costs.extra_money_usd)
    assert row.d_effect == pytest.approx(costs.extra_people)
    assert a.ceac.groupby("wtp").probability.sum().to_numpy() == pytest.approx(1.0)


def test_the_folder_gives_the_same_numbers_as_memory(compared):
    comp, out = compared
    mem = sim.appraise(comp, "people_gain:EG.ELC.ACCS.ZS", wtp=(0, 1000))
    disk = sim.appraise(out, "people_gain:EG.ELC.ACCS.ZS", wtp=(0, 1000))
    assert np.allclose(mem.per_run[["cost", "effect"]], disk.per_run[["cost", "effect"]], rtol=1e-9)
    pd.testing.assert_frame_equal(mem.ceac, disk.ceac)
    assert not disk.notes  # full flows: private co-finance per run, paired


def test_every_registry_outcome_is_appraised_from_the_folder_as_in_memory(compared):
    comp, out = compared  # the folder keeps the per-run finance table: private co-finance, channel costs
    for outcome in ("private_per_public", "overhead_usd", "sdg_index_end"):
        mem, disk = sim.appraise(comp, outcome), sim.appraise(out, outcome)
        assert np.allclose(mem.per_run.effect, disk.per_run.effect, rtol=1e-9)
    with pytest.raises(InputError) as err:
        sim.appraise(out, "people_gain:NOPE")
    assert "NOPE" in err.value.problems[0].message


def test_sdgsim_appraise_writes_tables_plots_report_and_never_overwrites(compared, tmp_path):
    _, cmp = compared
    out = tmp_path / "ap"
    args = ["appraise", str(cmp), "--outcome", "people_gain:EG.ELC.ACCS.ZS", "--wtp", "0:500", "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "most likely the best buy" in res.output
    assert {"ce.csv", "ceac.csv", "runs.csv", "by_source.csv", "report.html", "manifest.json"} <= \
        {p.name for p in out.iterdir()}
    assert {"ce_plane.png", "ce_plane.svg", "ceac.png", "ceac.svg"} <= {p.name for p in (out / "plots").iterdir()}
    curve = pd.read_csv(out / "ceac.csv")
    assert list(curve.columns[:3]) == ["wtp", "option", "probability"] and curve.wtp.max() == 500
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "already exists" in again.output
    bad = CliRunner().invoke(main, ["appraise", str(cmp), "--wtp", "500", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--wtp" in bad.output


def test_without_wtp_the_curve_reaches_past_every_ratio_whatever_the_quadrant(compared, tmp_path):
    """On deaths, triangular-cooperation is cheaper but less effective (or dominated): the default
    range once fell back to US$0-1 per death, stating P(best) at US$0.50."""
    comp, cmp = compared
    a = sim.appraise(comp, "people_gain:SH.DYN.MORT")
    row = a.table.set_index("option").loc["triangular-cooperation"]
    prices = [v for v in (row.icer, row.icer_frontier, a.table.icer_frontier.max()) if np.isfinite(v) and v > 0]
    if prices:  # a price: the curve holds it with room either side, the threshold in the middle
        assert a.wtp == (0.0, pytest.approx(3 * max(prices)))
    else:  # none: money and effect both weigh in the range, and the notes say how it was chosen
        assert a.wtp[1] == pytest.approx(3 * abs(row.d_cost / row.d_effect))
        assert any("willingness-to-pay range" in n for n in a.notes)
    assert a.threshold == pytest.approx(a.wtp[1] / 2)
    res = CliRunner().invoke(main, ["appraise", str(cmp), "--outcome", "people_gain:SH.DYN.MORT",
                                    "--threshold", str(4 * a.wtp[1]), "--out", str(tmp_path / "ap")])
    assert res.exit_code == 0, res.output  # a threshold above the default range widens it to hold it
    assert pd.read_csv(tmp_path / "ap" / "ceac.csv").wtp.max() == pytest.approx(8 * a.wtp[1])


def test_without_a_range_to_read_appraise_asks_for_wtp_or_threshold():
    from simulation.api.appraisal import _default_range

    same = np.ones((4, 2))  # two options alike in money and effect in every run
    with pytest.raises(InputError) as err:
        _default_range(same, same, 0, ["a", "b"], "people_gain", None, [])
    assert err.value.problems[0].file == "wtp" and "--threshold" in err.value.problems[0].message
    assert _default_range(same, same, 0, ["a", "b"], "people_gain", 40.0, []) == (0.0, 80.0)


def test_the_comparison_report_shows_the_appraisal_in_its_folder(compared):
    comp, cmp = compared
    sim.appraise(cmp, "people_gain:EG.ELC.ACCS.ZS").save(cmp / "appraisal", force=True)
    from simulation.report.html import build_report

    page = build_report(cmp).read_text()
    assert "Cost-effectiveness" in page and "appraisal/ce.csv" in page


@pytest.fixture(scope="module")
def pooling_small(tmp_path_factory):
    """The shipped pooling sweep on 60 random points x 2 replications (its policies and parameters)."""
    from tests.factory import ROOT

    text = (ROOT / "scenarios" / "sweeps" / "pooling.yaml").read_text()
    text = text.replace("../baseline.yaml", str(ROOT / "scenarios" / "baseline.yaml"))
    text = text.replace("method: saltelli\n  samples: 64", "method: random\n  samples: 60")
    text = text.replace("replications: 4", "replications: 2")
    folder = tmp_path_factory.mktemp("sw")
    (folder / "pooling.yaml").write_text(text)
    return sim.run_sweep(folder / "pooling.yaml", out=folder / "pooling")


def test_voi_of_a_sweep_ranks_parameters_below_the_evpi(pooling_small, tmp_path):
    v = sim.voi(pooling_small, "people_gain:EG.ELC.ACCS.ZS", resamples=20,
                groups={"facility": ["facility.payout_rate", "facility.start_lag_years"]})
    t = v.table
    assert t.parameter.iloc[0] == "(all)" and {"facility", "facility.payout_rate"} <= set(t.parameter)
    assert (t.evppi.iloc[1:] <= t.evppi.iloc[0] + 3 * t.se.iloc[0]).all()
    assert v.samples == 60 * 2 and v.best in v.policies
    out = v.save(tmp_path / "voi.csv")
    assert list(pd.read_csv(out).columns[:3]) == ["parameter", "evppi", "se"]
    assert json.loads(out.with_suffix(".json").read_text())["outcome"] == "people_gain:EG.ELC.ACCS.ZS"


def test_sdgsim_voi_writes_voi_csv_and_the_sweep_report_shows_it(pooling_small):
    folder = pooling_small.folder
    res = CliRunner().invoke(main, ["voi", str(folder), "--outcome", "people_gain:EG.ELC.ACCS.ZS",
                                    "--resamples", "10"])
    assert res.exit_code == 0, res.output
    assert "EVPI" in res.output and (folder / "voi.csv").is_file() and (folder / "voi.png").is_file()
    from simulation.report.html import build_report

    assert "Value of information" in build_report(folder).read_text()
    bad = CliRunner().invoke(main, ["voi", str(folder), "--outcome", "nope", "--force"])
    assert bad.exit_code == 2 and "nope" in bad.output


def test_the_app_shows_the_plane_the_curve_and_the_voi_ranking(compared, pooling_small):
    pn = pytest.importorskip("panel")
    from simulation.app import appraisal_view

    _, cmp = compared
    sim.appraise(cmp, "people_gain:EG.ELC.ACCS.ZS").save(cmp / "appraisal", force=True)
    sim.voi(pooling_small, "people_gain:EG.ELC.ACCS.ZS", resamples=5).save(pooling_small.folder / "voi.csv",
                                                                           force=True)
    for panes in (appraisal_view.comparison_panes(cmp), appraisal_view.sweep_panes(pooling_small.folder)):
        figs = [p for p in panes if isinstance(p, pn.pane.Bokeh)]
        assert figs and all(f.get_root() is not None for f in figs)
    assert "No appraisal yet" in appraisal_view.comparison_panes(cmp.parent)[0].object
    assert all(not isinstance(p, pn.pane.Markdown) or "```" not in p.object for p in appraisal_view.comparison_panes(cmp))


def test_a_comparison_saved_with_yearly_flows_has_paired_totals_and_mean_costs_by_source(tmp_path):
    comp = sim.compare(["baseline", "triangular-cooperation"], runs=4, seed=3, flows="yearly", out=tmp_path / "c")
    mem, disk = sim.appraise(comp, wtp=(0, 100)), sim.appraise(tmp_path / "c", wtp=(0, 100))
    assert any("means over runs" in n for n in disk.notes)  # by source; the total per run is paired
    assert np.allclose(mem.per_run[["cost", "effect"]], disk.per_run[["cost", "effect"]], rtol=1e-9)
