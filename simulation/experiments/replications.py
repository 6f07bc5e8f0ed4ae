"""Run a scenario N times: batches of replications on an executor (serial, process, dask).

Replication i always uses `SeedSequence(seed).spawn(N)[i]` (see rng.py), so the results
are bit-identical whatever the batch size or number of workers. Batches are merged back
in replication order.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..model import FinancingModel, RunResult, result_arrays, rng
from ..scenario import Scenario
from .executors import make_executor

DEFAULT_BATCH = 64


def run_batch(scenario: Scenario, seed: int, runs: int, start: int, stop: int, record_flows: bool) -> dict:
    """Run replications start..stop-1 of a `runs`-replication run; picklable for workers."""
    seeds = rng.replication_seeds(seed, runs)[start:stop]
    m = FinancingModel(scenario, seeds, record_flows=record_flows).run()
    out = result_arrays(m)
    out["flows"] = m.ledger.flows_frame(np.arange(start, stop), scenario.years[:-1]) if record_flows else None
    return out


def _run_task(shared: tuple, task: tuple[int, int]) -> dict:
    """Executor task: replications task[0]..task[1]-1 of the run described by `shared`."""
    scenario, seed, runs, record_flows = shared
    return run_batch(scenario, seed, runs, task[0], task[1], record_flows)


def run_scenario(scenario: Scenario, runs: int = 100, seed: int = 0, workers: int = 1,
                 batch_size: int | None = None, record_flows: bool = True,
                 progress: Callable[[int], None] | None = None, executor: str | None = None,
                 scheduler: str | None = None) -> RunResult:
    """Run `runs` replications of `scenario`; `progress(n)` is called as n more finish.

    executor: "serial", "process" (local cores) or "dask" (a `scheduler` address or a
    LocalCluster of `workers`); default serial for one worker, process otherwise. The
    result is identical whatever the executor, workers or batch size.
    """
    if runs < 1:
        raise ValueError("runs must be >= 1")
    batch = batch_size or min(DEFAULT_BATCH, max(1, -(-runs // max(1, workers))))
    bounds = [(a, min(a + batch, runs)) for a in range(0, runs, batch)]
    name = executor or ("process" if workers > 1 else "serial")
    if name == "process" and len(bounds) == 1:
        name = "serial"  # one batch: a pool would only add start-up time
    order = {b: i for i, b in enumerate(bounds)}
    parts: list[dict] = [None] * len(bounds)  # type: ignore[list-item]
    with make_executor(name, workers, scheduler) as ex:
        for task, result in ex.map_unordered(_run_task, (scenario, seed, runs, record_flows), bounds):
            if isinstance(result, BaseException):
                raise result
            parts[order[task]] = result
            if progress:
                progress(task[1] - task[0])
    cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k != "flows"}
    flows = None
    if record_flows:  # rows by run and year, so the table is the same whatever the batching
        flows = pd.concat([p["flows"] for p in parts], ignore_index=True)
        flows = flows.sort_values(["run", "year"], kind="stable", ignore_index=True)
    return RunResult(scenario=scenario, seed=seed, flows=flows, **cat)
