"""Run a scenario N times: batches of replications on an executor (serial, process, dask).

Replication i always uses `SeedSequence(seed).spawn(N)[i]` (see rng.py), so the results
are bit-identical whatever the batch size or number of workers. Batches are merged back
in replication order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from . import rng
from .executors import make_executor
from .ledger import ACCOUNTS
from .model import FinancingModel
from .scenario import Scenario

DEFAULT_BATCH = 64


@dataclass
class RunResult:
    """All replications of one scenario. Arrays have a leading replication axis (N)."""

    scenario: Scenario
    seed: int
    scores: np.ndarray  # (N, T+1, C, G)
    adoption: np.ndarray  # (N, T+1, C, K)
    capacity: np.ndarray  # (N, T+1, C)
    trl: np.ndarray  # (N, T+1, K)
    private: np.ndarray  # (N, T) private finance mobilised, USD
    public_external: np.ndarray  # (N, T) public external budgets, USD
    balance: np.ndarray  # (N, T, len(ACCOUNTS)) USD
    flows: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def runs(self) -> int:
        return self.scores.shape[0]

    @property
    def years(self) -> list[int]:
        return self.scenario.years

    def scores_frame(self) -> pd.DataFrame:
        """Tidy: run, year, country, goal, score."""
        N, Y, C, G = self.scores.shape
        sc = self.scenario
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), Y * C * G),
            "year": np.tile(np.repeat(np.array(self.years), C * G), N),
            "country": np.tile(np.repeat(np.array(sc.country_ids, dtype=object), G), N * Y),
            "goal": np.tile(np.array(sc.goal_ids, dtype=object), N * Y * C),
            "score": self.scores.reshape(-1),
        })

    def balance_frame(self) -> pd.DataFrame:
        """Tidy: run, year, account, amount_usd."""
        N, T, A = self.balance.shape
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), T * A),
            "year": np.tile(np.repeat(np.array(self.years[:-1]), A), N),
            "account": np.tile(np.array(ACCOUNTS, dtype=object), N * T),
            "amount_usd": self.balance.reshape(-1),
        })

    def adoption_frame(self) -> pd.DataFrame:
        """Tidy: run, year, country, technology, adoption (share 0..1)."""
        N, Y, C, K = self.adoption.shape
        sc = self.scenario
        techs = [k.id for k in sc.technologies]
        return pd.DataFrame({
            "run": np.repeat(np.arange(N), Y * C * K),
            "year": np.tile(np.repeat(np.array(self.years), C * K), N),
            "country": np.tile(np.repeat(np.array(sc.country_ids, dtype=object), K), N * Y),
            "technology": np.tile(np.array(techs, dtype=object), N * Y * C),
            "adoption": self.adoption.reshape(-1),
        })


def result_arrays(m: FinancingModel) -> dict[str, np.ndarray]:
    """A finished model's history and balance with the replication axis first (RunResult's fields)."""
    h = m.history
    out = {k: h[k].swapaxes(0, 1) for k in ("scores", "adoption", "capacity", "trl", "private", "public_external")}
    out["balance"] = m.ledger.balance.swapaxes(0, 1)
    return out


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
