"""Flow detail (full, yearly, none), compact flow tables, and run folders streamed batch by batch."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation.errors import OptionError
from simulation.experiments.replications import run_scenario
from simulation.model.ledger import flow_mode
from tests.factory import baseline

BASELINE = "scenarios/baseline.yaml"


def test_flow_mode_accepts_names_and_booleans():
    assert [flow_mode(v) for v in (True, False, None, "full", "yearly", "none")] == \
        ["full", "none", "none", "full", "yearly", "none"]
    with pytest.raises(ValueError):
        flow_mode("monthly")
    with pytest.raises(OptionError):
        sim.run(baseline(), runs=2, flows="monthly")


def test_full_flows_are_compact_and_yearly_flows_are_their_sums():
    sc = baseline()
    full = run_scenario(sc, runs=7, seed=4, batch_size=3, record_flows="full").flows
    yearly = run_scenario(sc, runs=7, seed=4, batch_size=3, record_flows="yearly").flows
    for col in ("source", "recipient", "goal", "instrument"):
        assert isinstance(full[col].dtype, pd.CategoricalDtype) and isinstance(yearly[col].dtype, pd.CategoricalDtype)
    keys = ["year", "source", "recipient", "goal", "instrument"]
    summed = full.groupby(keys, observed=True).amount_usd.sum()
    got = yearly.set_index(keys).amount_usd
    assert (yearly.runs == 7).all() and len(summed) == len(got)
    np.testing.assert_allclose(got.loc[summed.index].to_numpy(), summed.to_numpy(), rtol=1e-12)
    assert list(yearly.year) == sorted(yearly.year)


def test_yearly_flows_do_not_depend_on_workers_and_hardly_on_batching():
    sc = baseline()
    a = run_scenario(sc, runs=9, seed=2, batch_size=4, record_flows="yearly").flows
    b = run_scenario(sc, runs=9, seed=2, batch_size=4, workers=2, record_flows="yearly").flows
    c = run_scenario(sc, runs=9, seed=2, batch_size=9, record_flows="yearly").flows
    assert a.equals(b), "batch sums are added in replication order"
    assert a.drop(columns="amount_usd").equals(c.drop(columns="amount_usd"))
    np.testing.assert_allclose(a.amount_usd, c.amount_usd, rtol=1e-13)


def test_flows_none_and_the_scores_do_not_depend_on_the_detail():
    sc = baseline()
    runs = {m: run_scenario(sc, runs=5, seed=8, batch_size=2, record_flows=m) for m in ("full", "yearly", "none")}
    assert runs["none"].flows is None
    for r in runs.values():
        assert np.array_equal(r.scores, runs["none"].scores) and np.array_equal(r.balance, runs["none"].balance)


def test_a_streamed_run_folder_equals_a_saved_one(tmp_path):
    """run(..., out=) writes the tables batch by batch; they equal those of Run.save."""
    streamed = sim.run("baseline", runs=11, seed=6, batch_size=4, flows="full", out=tmp_path / "s", report=False)
    memory = sim.run("baseline", runs=11, seed=6, batch_size=11, flows="full")
    memory.save(tmp_path / "m", report=False)
    for name in ("scores", "balance", "adoption", "indicators", "flows"):
        s, m = (pd.read_parquet(tmp_path / d / f"{name}.parquet") for d in ("s", "m"))
        assert s.equals(m), name
    assert streamed.data is None and streamed.flows.equals(memory.flows)  # no arrays kept: read back if asked
    assert np.array_equal(streamed.result.scores, memory.result.scores)
    assert streamed.summary.equals(memory.summary) and streamed.outcomes.equals(memory.outcomes)
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["flows"] == "full"
    back = sim.read_results(tmp_path / "s")
    assert back.flows.equals(memory.flows) and back.result.flow_detail == "full"
    streamed.save(tmp_path / "copy", report=False)  # full flows come from the first folder
    assert pd.read_parquet(tmp_path / "copy" / "flows.parquet").equals(memory.flows)


def test_cli_flows_choice(tmp_path):
    for detail, present in (("full", True), ("none", False)):
        out = tmp_path / detail
        res = CliRunner().invoke(main, ["run", BASELINE, "--runs", "3", "--flows", detail, "--no-report",
                                        "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert (out / "flows.parquet").exists() == present
    out = tmp_path / "cmp"
    res = CliRunner().invoke(main, ["compare", BASELINE, BASELINE, "--runs", "3", "--flows", "none",
                                    "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert not (out / "baseline" / "flows.parquet").exists()
