"""Run a scenario N times: batches of replications on an executor (serial, process, dask).

Replication i always uses `SeedSequence(seed).spawn(N)[i]` (see rng.py), so the results
are bit-identical whatever the batch size or number of workers. Batches are merged back
in replication order as they arrive: per-replication arrays are copied into the run's
arrays, and each batch is handed, in order, to an optional `sink` (the results layer's
folder writer), so full flows need not be kept in memory. `stream_scenario` keeps no
arrays at all: every batch goes to the sink and is dropped (memory bounded by the batches
in flight, whatever the number of runs).

Flow detail (`record_flows`, see ledger.FLOW_MODES): "full" keeps every flow of every
replication (rows by run and year, the same whatever the batching); "yearly" sums each
flow over the replications (batch sums added in replication order: identical for any
executor or worker count, equal to rounding across batch sizes); "none" records nothing.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..model import FinancingModel, RunArrays, result_arrays, rng
from ..model.ledger import FullFlows, flow_mode, flows_table, merge_yearly
from ..scenario import Scenario
from .executors import make_executor
from .sizing import full_flows_batch

DEFAULT_BATCH = 64

BatchSink = Callable[[int, dict], None]
"""sink(start, part): replications start.. of the run, in order; part holds the batch's
arrays (RunArrays fields) and "flows" (a full batch's FullFlows, yearly sums or None)."""


def run_batch(scenario: Scenario, seed: int, runs: int, start: int, stop: int, record_flows: bool | str) -> dict:
    """Run replications start..stop-1 of a `runs`-replication run; picklable for workers."""
    mode = flow_mode(record_flows)
    seeds = rng.replication_seeds(seed, runs, start, stop)
    m = FinancingModel(scenario, seeds, record_flows=mode).run()
    out = result_arrays(m)
    out["flows"] = (m.ledger.full_flows(np.arange(start, stop), scenario.years[:-1]) if mode == "full"
                    else m.ledger.yearly_blocks() if mode == "yearly" else None)
    _release(m)
    return out


def _release(m: FinancingModel) -> None:
    """Free a finished model now. Its agents and it refer to each other, so without this it
    waits for a full garbage collection, which comes rarer as the heap grows: a 1100-run run
    held 20 MB of dead batches at its peak against 6 MB with this (tests/test_streaming.py).
    The arrays returned are views that keep their own memory alive."""
    vars(m).clear()


def _run_task(shared: tuple, task: tuple[int, int]) -> dict:
    """Executor task: replications task[0]..task[1]-1 of the run described by `shared`."""
    scenario, seed, runs, record_flows = shared
    return run_batch(scenario, seed, runs, task[0], task[1], record_flows)


class _Merger:
    """Takes batches in any order; merges them in replication order (into the run's arrays
    unless `keep_arrays` is false)."""

    def __init__(self, runs: int, mode: str, sink: BatchSink | None, keep_flows: bool, keep_arrays: bool = True):
        self.runs, self.mode, self.sink, self.keep_flows = runs, mode, sink, keep_flows
        self.keep_arrays = keep_arrays
        self.arrays: dict[str, np.ndarray | None] | None = None
        self.pending: dict[int, tuple[int, dict]] = {}
        self.next = 0
        self.full: list[FullFlows] = []  # full flows of the batches, in order (keep_flows)
        self.yearly = None

    def add(self, start: int, stop: int, part: dict) -> None:
        self.pending[start] = (stop, part)
        while self.next in self.pending:
            stop, part = self.pending.pop(self.next)
            self._merge(self.next, stop, part)
            self.next = stop

    def _merge(self, start: int, stop: int, part: dict) -> None:
        if self.arrays is None and not self.keep_arrays:
            self.arrays = {}
        if self.arrays is None:
            self.arrays = {k: None if v is None else np.empty((self.runs, *v.shape[1:]), v.dtype)
                           for k, v in part.items() if k != "flows"}
        for k, out in self.arrays.items():
            if out is not None:
                out[start:stop] = part[k]
        flows = part["flows"]
        if self.mode == "yearly":
            self.yearly = merge_yearly(self.yearly, flows)
        if self.sink is not None:
            self.sink(start, part)
        if self.mode == "full" and self.keep_flows:
            self.full.append(flows)

    def flows(self, scenario: Scenario) -> pd.DataFrame | None:
        if self.mode == "yearly":
            return flows_table(self.yearly or {}, scenario.years[:-1], runs=self.runs)
        if self.mode == "full" and self.keep_flows:
            return FullFlows.frame_of(self.full)
        return None


def _execute(scenario: Scenario, runs: int, seed: int, workers: int, batch_size: int | None, mode: str,
             progress: Callable[[int], None] | None, executor: str | None, scheduler: str | None,
             merger: _Merger) -> None:
    batch = batch_size or min(DEFAULT_BATCH, max(1, -(-runs // max(1, workers))),
                              full_flows_batch(scenario) if mode == "full" else DEFAULT_BATCH)
    bounds = [(a, min(a + batch, runs)) for a in range(0, runs, batch)]
    name = executor or ("process" if workers > 1 else "serial")
    if name == "process" and len(bounds) == 1:
        name = "serial"  # one batch: a pool would only add start-up time
    with make_executor(name, workers, scheduler) as ex:
        for task, result in ex.map_unordered(_run_task, (scenario, seed, runs, mode), bounds):
            if isinstance(result, BaseException):
                raise result
            merger.add(task[0], task[1], result)
            if progress:
                progress(task[1] - task[0])


def run_scenario(scenario: Scenario, runs: int = 100, seed: int = 0, workers: int = 1,
                 batch_size: int | None = None, record_flows: bool | str = True,
                 progress: Callable[[int], None] | None = None, executor: str | None = None,
                 scheduler: str | None = None, sink: BatchSink | None = None,
                 keep_flows: bool = True) -> RunArrays:
    """Run `runs` replications of `scenario`; `progress(n)` is called as n more finish.

    executor: "serial", "process" (local cores) or "dask" (a `scheduler` address or a
    LocalCluster of `workers`); default serial for one worker, process otherwise. The
    result is identical whatever the executor, workers or batch size. `record_flows`: flow
    detail (True = "full", False = "none"). `sink(start, part)` receives every batch in
    replication order; `keep_flows=False` leaves full flows to the sink (result.flows None).
    """
    mode = flow_mode(record_flows)
    merger = _Merger(runs, mode, sink, keep_flows)
    _execute(scenario, runs, seed, workers, batch_size, mode, progress, executor, scheduler, merger)
    return RunArrays(scenario=scenario, seed=seed, flows=merger.flows(scenario), flow_detail=mode,
                     **merger.arrays)


def stream_scenario(scenario: Scenario, sink: BatchSink, runs: int = 100, seed: int = 0, workers: int = 1,
                    batch_size: int | None = None, record_flows: bool | str = True,
                    progress: Callable[[int], None] | None = None, executor: str | None = None,
                    scheduler: str | None = None) -> pd.DataFrame | None:
    """Run like `run_scenario` but keep no replication's arrays: every batch goes to `sink`, in
    replication order, and is dropped, so memory is bounded by the batches in flight whatever
    `runs`. Returns the flows summed over the replications for "yearly" detail, else None
    (full flows are the sink's)."""
    mode = flow_mode(record_flows)
    merger = _Merger(runs, mode, sink, keep_flows=False, keep_arrays=False)
    _execute(scenario, runs, seed, workers, batch_size, mode, progress, executor, scheduler, merger)
    return merger.flows(scenario)
