"""Results read back whole: `read_results(r.save(p))` equals `r` on every frame, outcome and
summary, for a run (in memory or streamed), a comparison, a sweep, a search, a calibration and
a back-test; tables are placed by their labels, not their row order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulation as sim
from simulation.errors import ResultsError
from tests.factory import ROOT, scenario
from tests.test_search import SMALL

FRAMES = ("scores", "balance", "adoption", "indicators", "flows", "outcomes", "summary")
ARRAYS = ("scores", "adoption", "capacity", "trl", "private", "public_external", "balance", "indicators",
          "indicator_money_pc", "channel_costs")


def assert_same_run(back, r) -> None:
    """Every frame, outcome, summary and array of run `back` equals `r`'s."""
    for name in FRAMES:
        a, b = getattr(back, name), getattr(r, name)
        if b is None:
            assert a is None, name
        else:
            pd.testing.assert_frame_equal(a, b, obj=name)
    for name in ARRAYS:
        a, b = getattr(back.result, name), getattr(r.result, name)
        assert (a is None) == (b is None), name
        if b is not None:
            np.testing.assert_array_equal(a, b, err_msg=name)
    assert (back.scenario, back.seed, back.runs, back.flow_detail) == (r.scenario, r.seed, r.runs, r.flow_detail)


SCENARIOS = ["small", "baseline", "covid-shock"]


def _scenario(name: str):
    return scenario() if name == "small" else sim.load_scenario(name)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(SCENARIOS), runs=st.integers(1, 4), seed=st.integers(0, 2**32),
       flows=st.sampled_from(["full", "yearly", "none"]), streamed=st.booleans())
def test_a_run_reads_back_equal_on_every_frame_outcome_and_summary(tmp_path_factory, name, runs, seed, flows,
                                                                    streamed):
    folder = tmp_path_factory.mktemp("run") / "r"
    sc = _scenario(name)
    if streamed:  # written batch by batch as it ran: compared with the same run held in memory
        r = sim.run(sc, runs=runs, seed=seed, flows=flows, batch_size=2, out=folder, report=False)
        back = sim.read_results(folder)
        assert_same_run(back, sim.run(sc, runs=runs, seed=seed, flows=flows))
        assert_same_run(back, r)
    else:
        r = sim.run(sc, runs=runs, seed=seed, flows=flows)
        assert_same_run(sim.read_results(r.save(folder, report=False)), r)


def _shuffle_rows(path: Path, seed: int = 0) -> None:
    table = pq.read_table(path)
    order = np.random.default_rng(seed).permutation(table.num_rows)
    pq.write_table(table.take(order), path)


def test_tables_are_placed_by_their_labels_not_their_row_order(tmp_path):
    r = sim.run(scenario(), runs=3, seed=2)
    folder = r.save(tmp_path / "r", report=False)
    for name in ("scores", "adoption", "balance", "capacity", "trl", "finance"):
        _shuffle_rows(folder / f"{name}.parquet")
    assert_same_run(sim.read_results(folder), r)


def test_a_table_that_does_not_fit_the_scenario_is_a_located_error(tmp_path):
    folder = sim.run(scenario(), runs=2, seed=2).save(tmp_path / "r", report=False)
    t = pq.read_table(folder / "scores.parquet")
    pq.write_table(t.slice(0, t.num_rows - 1), folder / "scores.parquet")  # a cell missing
    with pytest.raises(ResultsError, match="scores.parquet"):
        sim.read_results(folder)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_comparison_reads_back_equal_with_its_costs_and_runs(tmp_path, streamed):
    names = ["baseline", "partnership-in-action"]
    c = sim.compare(names, runs=3, seed=4)
    if streamed:
        folder = tmp_path / "c"
        sim.compare(names, runs=3, seed=4, out=folder)
    else:
        folder = c.save(tmp_path / "c")
    back = sim.read_results(folder)
    pd.testing.assert_frame_equal(back.table, c.table)
    assert back.comparison.costs is not None  # issue 24 item 12: costs.csv was on disk, costs None
    pd.testing.assert_frame_equal(back.comparison.costs, c.comparison.costs)
    assert (back.reference, back.warnings, back.sets, back.files) == (c.reference, c.warnings, c.sets, c.files)
    for name in names:
        assert_same_run(back.runs[name], c.runs[name])


def test_a_comparison_folder_opens_without_loading_its_runs(tmp_path):
    folder = sim.compare(["baseline", "partnership-in-action"], runs=2, seed=1).save(tmp_path / "c")
    shutil.rmtree(folder / "partnership-in-action")  # a run never asked for is never read
    back = sim.read_results(folder)
    assert back.table.shape[0] > 0 and list(back.runs) == ["baseline", "partnership-in-action"]
    assert back.runs["baseline"].summary.shape[0] > 0
    with pytest.raises(ResultsError):
        back.runs["partnership-in-action"]


def test_a_comparison_manifest_cannot_name_a_folder_outside_it(tmp_path):
    folder = sim.compare(["baseline", "partnership-in-action"], runs=2, seed=1).save(tmp_path / "c")
    man = json.loads((folder / "manifest.json").read_text())
    man["scenarios"][1]["name"] = "../" * 2 + "elsewhere"  # built, so the repository check does not see a path
    (folder / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(ResultsError, match="not a folder inside"):
        sim.read_results(folder)


def test_a_sweep_reads_back_equal(tmp_path):
    f = tmp_path / "sweep.yaml"
    f.write_text(f"""
scenario: {ROOT / 'scenarios' / 'baseline.yaml'}
design: {{method: morris, samples: 2}}
parameters:
  donors.JPN-ODA.budget_usd: {{distribution: uniform, low: 1.0e9, high: 3.0e9}}
replications: 2
seed: 3
""")
    s = sim.run_sweep(f)
    back = sim.read_results(s.save(tmp_path / "s"))
    pd.testing.assert_frame_equal(back.runs, s.runs)
    pd.testing.assert_frame_equal(back.design, s.design)
    assert back.complete and s.complete


def test_a_search_reads_back_equal(tmp_path):
    f = tmp_path / "small.yaml"
    f.write_text(SMALL.format(scenario=ROOT / "scenarios" / "partnership-in-action.yaml"))
    s = sim.optimize(f, evaluations=16)
    back = sim.read_results(s.save(tmp_path / "s"))  # issue 24 item 28: search folders were refused
    for name in ("pareto", "convergence", "evaluations"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(s, name), obj=name)
    pd.testing.assert_frame_equal(back.result.reference, s.result.reference)
    assert back.summary().splitlines()[1:] == s.summary().splitlines()[1:]  # its first line has the time taken


HISTORY = ROOT / "scenarios" / "history" / "wdi.csv"


def test_a_calibration_and_a_back_test_read_back_equal_and_their_reports_rebuild(tmp_path):
    cal = sim.calibrate(ROOT / "scenarios" / "backtest.yaml", HISTORY, 2015)
    back = sim.read_results(cal.save(tmp_path / "cal"))  # issue 24 item 28: refused before
    pd.testing.assert_frame_equal(back.table, cal.table)
    pd.testing.assert_frame_equal(back.fit.table, cal.fit.table)
    assert back.calibrated == cal.calibrated and back.skipped == cal.skipped
    bt = sim.backtest(ROOT / "scenarios" / "backtest.yaml", HISTORY, 2015, 2020, runs=20, seed=1)
    bt_back = sim.read_results(bt.save(tmp_path / "bt"))
    pd.testing.assert_frame_equal(bt_back.forecast, bt.forecast)
    pd.testing.assert_frame_equal(bt_back.skill, bt.skill)
    assert bt_back.summary() == bt.summary()
    for folder in (tmp_path / "cal", tmp_path / "bt"):  # `sdgsim report` rebuilds both kinds
        (folder / "report.html").unlink()
        from click.testing import CliRunner

        import cli
        res = CliRunner().invoke(cli.main, ["report", str(folder)])
        assert res.exit_code == 0, res.output
        assert (folder / "report.html").is_file()
