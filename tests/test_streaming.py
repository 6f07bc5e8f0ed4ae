"""Runs and comparisons streamed to disk: bounded memory, the same numbers.

`run(out=)` and `compare(out=)` keep only per-run outcome values; the report reduces the
Parquet tables batch by batch (simulation/report/aggregates.py). These tests check that
the reduced tables equal what the full tables give, that a streamed comparison does not
depend on the batch size or executor, and that memory does not grow with the runs beyond
the per-run outcome values.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import simulation as sim
from simulation.experiments.sizing import check_size, estimate_size
from simulation.outcomes import metrics
from simulation.outcomes.values import RunValues, values_per_run
from simulation.report import aggregates
from simulation.report.aggregates import read_run_tables

ROOT = Path(__file__).resolve().parents[1]


def full_table_reductions(folder: Path) -> dict:
    """What the plots used to compute from the whole tables (pandas groupbys)."""
    scores = pd.read_parquet(folder / "scores.parquet")
    adoption = pd.read_parquet(folder / "adoption.parquet")
    index = scores.groupby(["run", "year"]).score.mean().unstack("year")
    y0, y1 = scores.year.min(), scores.year.max()
    a = scores[scores.year == y0].groupby(["country", "goal"]).score.mean()
    b = scores[scores.year == y1].groupby(["country", "goal"]).score.mean()
    gains = (b - a).unstack("goal").loc[list(dict.fromkeys(scores.country))]
    adopt = adoption.groupby(["technology", "year"]).adoption.mean().unstack("year")
    adopt = adopt.loc[list(dict.fromkeys(adoption.technology))]
    return {"index": index, "gains": gains, "adoption": adopt}


@pytest.mark.parametrize("rows", [aggregates.BATCH_ROWS, 997])
def test_the_reports_reduced_tables_equal_those_of_the_full_tables(tmp_path, monkeypatch, rows):
    monkeypatch.setattr(aggregates, "BATCH_ROWS", rows)
    r = sim.run("baseline", runs=23, seed=4, batch_size=5, flows="full", out=tmp_path / "r", report=False)
    if rows == 997:  # row groups (so pieces read) that cut runs and years apart
        for name in ("scores", "adoption", "flows"):
            path = tmp_path / "r" / f"{name}.parquet"
            pq.write_table(pq.read_table(path), path, row_group_size=997)
        assert pq.ParquetFile(tmp_path / "r" / "scores.parquet").num_row_groups == -(-23 * 440 // 997)
    got = read_run_tables(tmp_path / "r", r.scenario, 23)
    want = full_table_reductions(tmp_path / "r")
    memory = sim.run("baseline", runs=23, seed=4).result
    assert got.index.shape == (23, len(r.scenario.years))
    # the report's SDG index is the registry's: population-weighted over countries, as sdg_index_end's ALL value
    weighted = metrics.per_run(memory)["overall_weighted"]
    np.testing.assert_allclose(got.index.to_numpy(), weighted, rtol=1e-13)
    np.testing.assert_allclose(got.index[r.scenario.end_year], r.outcomes.query(
        "outcome == 'sdg_index_end' and country == 'ALL'").value, rtol=1e-13)
    assert not np.allclose(got.index.to_numpy(), want["index"].to_numpy(), rtol=1e-6)  # not the plain mean
    assert list(got.index.columns) == list(want["index"].columns) and list(got.index.index) == list(range(23))
    pd.testing.assert_frame_equal(got.gains, want["gains"], check_names=False, check_index_type=False,
                                  check_column_type=False, rtol=1e-12)
    pd.testing.assert_frame_equal(got.adoption, want["adoption"], check_names=False, check_index_type=False,
                                  check_column_type=False, rtol=1e-12)
    # full flows summed over the runs: the yearly table of the same run, up to rounding
    full = pd.read_parquet(tmp_path / "r" / "flows.parquet")
    keys = ["year", "source", "recipient", "goal", "instrument"]
    sums = full.groupby(keys, observed=True).amount_usd.sum()
    mine = got.flows.set_index(keys).amount_usd
    assert int(got.flows.runs.iloc[0]) == 23 and len(mine) == len(sums)
    np.testing.assert_allclose(mine.loc[sums.index].to_numpy(), sums.to_numpy(), rtol=1e-12)
    assert list(got.flows.source.cat.categories) == list(full.source.cat.categories)  # stacking order kept
    # the in-memory fan chart index is the same numbers
    mem = aggregates.index_per_run(memory)
    np.testing.assert_allclose(mem.to_numpy(), got.index.to_numpy(), rtol=1e-13)


def test_a_streamed_run_keeps_outcome_values_equal_to_those_of_the_whole_run(tmp_path):
    streamed = sim.run("partnership-in-action", runs=17, seed=2, batch_size=3, out=tmp_path / "s", report=False)
    memory = sim.run("partnership-in-action", runs=17, seed=2)
    assert streamed.data._result is None and streamed.values.runs == 17
    whole = RunValues.of(memory.result)
    for name, (v, cs, gs) in whole.values.items():
        got, gcs, ggs = streamed.values.values[name]
        assert (gcs, ggs) == (cs, gs)
        assert np.array_equal(got, v, equal_nan=True), name  # bit for bit, whatever the batches
    assert np.array_equal(streamed.values.extra_money, whole.extra_money)
    assert streamed.summary.equals(memory.summary)
    assert pd.read_csv(tmp_path / "s" / "summary.csv").shape == memory.summary.shape


def compare_folder(tmp_path: Path, name: str, **kw) -> Path:
    out = tmp_path / name
    c = sim.compare(["baseline", "partnership-in-action"], runs=30, seed=9, out=out, **kw)
    assert c.folder == out
    return out


def test_a_streamed_comparison_does_not_depend_on_batch_size_or_executor(tmp_path):
    a = compare_folder(tmp_path, "b7", batch_size=7)
    b = compare_folder(tmp_path, "b64", batch_size=64)
    c = compare_folder(tmp_path, "proc", batch_size=7, workers=2, executor="process")
    for other in (b, c):
        for f in ("comparison.csv", "costs.csv", "baseline/summary.csv", "partnership-in-action/summary.csv"):
            assert (a / f).read_bytes() == (other / f).read_bytes(), f
        assert pd.read_parquet(a / "comparison.parquet").equals(pd.read_parquet(other / "comparison.parquet"))
        assert pd.read_parquet(a / "baseline" / "scores.parquet").equals(
            pd.read_parquet(other / "baseline" / "scores.parquet"))
    memory = sim.compare(["baseline", "partnership-in-action"], runs=30, seed=9)
    assert memory.table.equals(pd.read_parquet(a / "comparison.parquet"))  # as in memory, bit for bit
    memory.comparison.costs.to_csv(tmp_path / "costs.csv", index=False, float_format="%.6g")
    assert (tmp_path / "costs.csv").read_bytes() == (a / "costs.csv").read_bytes()
    assert (a / "report.html").is_file() and (a / "baseline" / "manifest.json").is_file()


def test_a_streamed_comparison_saved_elsewhere_copies_its_tables(tmp_path):
    c = sim.compare(["baseline", "baseline"], runs=12, seed=1, out=tmp_path / "c", interval="bootstrap")
    assert c.folder == tmp_path / "c" and all(r.data._result is None for r in c.runs.values())
    c.save(tmp_path / "copy")
    for f in ("comparison.csv", "baseline/scores.parquet", "baseline-2/flows.parquet", "baseline/summary.csv"):
        assert (tmp_path / "c" / f).read_bytes() == (tmp_path / "copy" / f).read_bytes(), f
    assert (c.table.diff_mean == 0).all()  # identical scenarios, paired: exactly zero
    assert (tmp_path / "copy" / "report.html").is_file()


def peak_traced(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_only_by_the_outcome_values_per_run(tmp_path, monkeypatch):
    """run(out=) and the report's reading of its tables: peak traced memory grows by a few kB
    per run (the outcome values, the report's index per run and year), not by the run's
    histories (16 kB a run of the baseline, more as tidy tables) nor by dead batch models."""
    sc = sim.load_scenario("baseline")
    small, big = 50, 650

    def go(n: int, force: bool = True) -> None:
        sim.run(sc, runs=n, seed=1, batch_size=25, out=tmp_path / f"r{n}", report=False, force=force)

    go(small)  # warm-up: first-use allocations (imports, caches) are not per run
    per_run = -(peak_traced(lambda: go(small)) - peak_traced(lambda: go(big))) / (big - small)
    kept = values_per_run(sc) * 8
    assert per_run < 1.5 * kept, (per_run, kept)  # was 20 kB a run with dead models waiting for the GC
    monkeypatch.setattr(aggregates, "BATCH_ROWS", 5000)  # both tables read a row group (25 runs) at a time
    reading = (peak_traced(lambda: read_run_tables(tmp_path / f"r{big}", sc, big))
               - peak_traced(lambda: read_run_tables(tmp_path / f"r{small}", sc, small))) / (big - small)
    assert reading < 4 * len(sc.years) * 8, reading  # sums, counts and means per run and year


def test_size_estimates_follow_what_is_kept():
    sc = sim.load_scenario("baseline")
    streamed = estimate_size(sc, 100_000, flows="yearly", streamed=True)
    memory = estimate_size(sc, 100_000, flows="yearly")
    assert streamed.total < 2**30 < memory.total  # 10^5 streamed runs fit in 1 GiB; in memory they do not
    assert streamed.results >= 100_000 * values_per_run(sc) * 8
    assert estimate_size(sc, 200_000, flows="yearly", streamed=True).results > streamed.results
    check_size([sc], 100_000, flows="yearly", streamed=True, available=2**30)
    with pytest.raises(sim.TooLarge):
        check_size([sc], 100_000, flows="yearly", available=2**30)
    with pytest.raises(sim.TooLarge):  # every scenario's values are kept together
        check_size([sc] * 4, 100_000, flows="yearly", streamed=True, available=2**30)
    assert estimate_size(sc, 1000, flows="full").flows > 100 * estimate_size(sc, 1000, flows="yearly").flows
    assert estimate_size(sc, 1000, flows="full", streamed=True).flows == 0  # full flows go to disk


def test_a_table_without_rows_in_its_first_batch_takes_later_batches():
    """A scenario without technologies has empty adoption and trl tables: their first batch
    fixes null-typed label columns, which later batches must fill with nulls, not labels
    (a 12-country `sdgsim new` scenario failed with 'ArrowInvalid: Invalid null value')."""
    import pyarrow as pa

    from simulation.model.result import tidy
    from simulation.results.runs import tidy_arrow

    axes = {"year": [2020, 2021], "country": ["SEN", "MWI"], "technology": []}
    values = {"adoption": np.zeros((3, 2, 2, 0))}
    schema = pa.Table.from_pandas(tidy(0, axes, values), preserve_index=False).schema
    assert pa.types.is_null(schema.field("country").type)
    later = tidy_arrow(3, axes, values, schema)
    assert later.num_rows == 0 and later.schema == schema
