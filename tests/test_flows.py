"""Flow detail (full, yearly, none), compact flow tables, and run folders streamed batch by batch."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import simulation as sim
from benchmarks.synthetic import make_scenario
from cli import main
from simulation.errors import OptionError, ResultsError
from simulation.experiments.replications import run_scenario
from simulation.experiments.sizing import flow_cells, full_flows_batch
from simulation.model.ledger import Ledger, flow_mode
from simulation.scenario import validate_data
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
    """run(..., out=) writes the tables batch by batch; they equal those of RunResult.save."""
    streamed = sim.run("baseline", runs=11, seed=6, batch_size=4, flows="full", out=tmp_path / "s", report=False)
    memory = sim.run("baseline", runs=11, seed=6, batch_size=11, flows="full")
    memory.save(tmp_path / "m", report=False)
    for name in ("scores", "balance", "adoption", "indicators", "capacity", "trl", "finance", "indicator_money",
                 "flows"):
        s, m = (pd.read_parquet(tmp_path / d / f"{name}.parquet") for d in ("s", "m"))
        assert s.equals(m), name
        if name != "flows":  # batches after the first are built without pandas: same file schema
            assert pq.read_schema(tmp_path / "s" / f"{name}.parquet").equals(
                pq.read_schema(tmp_path / "m" / f"{name}.parquet"), check_metadata=True), name
    assert streamed.data._result is None and streamed.flows.equals(memory.flows)  # no arrays kept: read if asked
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


@st.composite
def ledgers(draw):
    """A ledger of S replications over T years with a few kinds of flow over random axes:
    amounts with zeros and negatives (neither is a flow), labels shared between kinds."""
    S, T = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    names = {"source": ["a", "b", "c"], "recipient": ["X", "Y"], "goal": ["g1", "g2", "g3"]}
    kinds = []
    for k in range(draw(st.integers(1, 4))):
        labels = {}
        for name, pool in names.items():
            labels[name] = (pool[:draw(st.integers(1, len(pool)))] if draw(st.booleans())
                            else draw(st.sampled_from(pool)))
        kinds.append((f"kind{k}", draw(st.sampled_from(["grant", "blended", "private"])), labels))
    seed = draw(st.integers(0, 2**32 - 1))
    return S, T, kinds, seed


@settings(max_examples=60, deadline=None)
@given(ledgers())
def test_full_flow_rows_equal_a_straightforward_listing(case):
    """Every positive amount becomes one row, by run, then year, then kind (first recorded
    first) and the kind's axes in order; labels and values as recorded."""
    S, T, kinds, seed = case
    rng = np.random.default_rng(seed)
    ledger = Ledger(S, T, "full")
    recorded = {}
    for t in range(T):
        for key, instrument, labels in kinds:
            shape = (S, *(len(v) for v in labels.values() if isinstance(v, list)))
            amount = rng.choice([0.0, -1.0, 1.5, 2.0e6, 3.25], size=shape) * (rng.random(shape) < 0.7)
            recorded[key, t] = amount
            ledger.flow(key, amount, instrument, labels["source"], labels["recipient"], labels["goal"])
    years = [2020 + t for t in range(T)]
    run_ids = np.arange(10, 10 + S)
    want = []
    for s in range(S):
        for t in range(T):
            for key, instrument, labels in kinds:
                axes = [(name, v) for name, v in labels.items() if isinstance(v, list)]
                amount = recorded[key, t][s]
                for cell in itertools.product(*(range(len(v)) for _, v in axes)):
                    if amount[cell] > 0:
                        lab = dict(labels) | {name: v[i] for (name, v), i in zip(axes, cell)}
                        want.append((run_ids[s], years[t], lab["source"], lab["recipient"], lab["goal"],
                                     instrument, amount[cell]))
    got = ledger.flows_frame(run_ids, years)
    assert list(got.columns) == ["run", "year", "source", "recipient", "goal", "instrument", "amount_usd"]
    assert [tuple(r) for r in got.astype(object).itertuples(index=False)] == want
    assert got.run.dtype == np.int32 and got.year.dtype == np.int16
    assert all(isinstance(got[c].dtype, pd.CategoricalDtype) for c in ("source", "recipient", "goal", "instrument"))


def test_full_flows_do_not_depend_on_the_batch_size_and_big_scenarios_get_small_batches():
    sc = baseline()
    runs = [run_scenario(sc, runs=7, seed=5, batch_size=b, record_flows="full").flows for b in (1, 3, 7)]
    assert runs[0].equals(runs[1]) and runs[0].equals(runs[2])
    large = validate_data(make_scenario(), "<synthetic large>")
    per_run = len(large.years) * flow_cells(large) * 8
    assert full_flows_batch(large) * per_run <= 64 << 20 < (full_flows_batch(large) + 1) * per_run
    assert full_flows_batch(sc) > 64  # the shipped scenarios keep the usual batch


def test_a_failed_write_is_raised_and_leaves_no_folder(tmp_path, monkeypatch):
    """Parquet is written on a writer thread: its error reaches the caller, worded, and the
    results folder is not left half-written."""
    def fail(self, table, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", fail)
    with pytest.raises(ResultsError, match="the disk is full; the partly written folder was removed"):
        sim.run("baseline", runs=6, seed=1, batch_size=2, flows="full", out=tmp_path / "r", report=False)
    assert not (tmp_path / "r").exists()
