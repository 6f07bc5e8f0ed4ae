"""How much memory a run needs, estimated from its array shapes before anything runs.

The driver keeps every replication's history, (years + 1) x runs x (countries x goals
scores, countries x technologies adoption, countries x indicators, ...), plus the table
of money flows; each worker holds one batch's working arrays, donors x countries x goals
per replication (allocation) and the batch's dense flow arrays. `check_size` refuses a
run whose estimate exceeds the memory available now (psutil.virtual_memory().available).
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from ..errors import Problem, TooLarge
from ..scenario import Scenario

FLOAT = 8
FLOW_ROW = 64  # bytes per row of the flows table (7 columns, labels as categories)
WORK_COPIES = 8  # donors x countries x goals arrays alive at once while allocating


@dataclass(frozen=True)
class SizeEstimate:
    results: int  # bytes kept by the driver: histories of every replication
    flows: int  # bytes of the flows table (an upper bound: every flow non-zero)
    per_worker: int  # bytes of one batch's working arrays
    workers: int

    @property
    def total(self) -> int:
        return self.results + self.flows + self.per_worker * self.workers


def estimate_size(scenario: Scenario, runs: int, *, workers: int = 1, batch: int | None = None,
                  flows: bool = True) -> SizeEstimate:
    """Memory of `runs` replications of `scenario` (see the module docstring)."""
    C, G, D = len(scenario.countries), len(scenario.goals), len(scenario.donors) + 1  # + facility
    K, T, I = len(scenario.technologies), len(scenario.years), len(scenario.indicators)
    batch = max(1, min(batch or 64, runs))
    per_rep_year = C * G + C * K + C + K + C * I + 16
    results = 2 * runs * (T + 1) * per_rep_year * FLOAT  # the batches and their concatenation
    flow_cells = (D + 2) * C * G + C * K
    table = runs * T * flow_cells * FLOW_ROW if flows else 0
    work = batch * (WORK_COPIES * D * C * G + (T + 1) * per_rep_year) * FLOAT
    if flows:
        work += batch * T * flow_cells * FLOAT
    return SizeEstimate(results, table, work, max(1, workers))


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_size(scenarios: list[Scenario], runs: int, *, workers: int = 1, batch: int | None = None,
               flows: bool = True, available: int | None = None) -> SizeEstimate:
    """Raise TooLarge if running `runs` replications of every scenario (kept in memory together)
    would need more memory than is available; return the estimate otherwise."""
    parts = [estimate_size(s, runs, workers=workers, batch=batch, flows=flows) for s in scenarios]
    est = SizeEstimate(sum(p.results for p in parts), sum(p.flows for p in parts),
                       max(p.per_worker for p in parts), parts[0].workers)
    available = psutil.virtual_memory().available if available is None else available
    if est.total > available:
        what = f"{runs} runs" + (f" of {len(scenarios)} scenarios" if len(scenarios) > 1 else "")
        s = scenarios[0]
        shape = (f"{len(s.countries)} countries x {len(s.goals)} goals x {len(s.donors)} donors x "
                 f"{len(s.years)} years")
        flows_part = f", flows {_gb(est.flows)}" if flows else ""
        raise TooLarge([Problem("runs", 1, str(runs),
                                f"{what} ({shape}) need about {_gb(est.total)} of memory (results "
                                f"{_gb(est.results)}{flows_part}, {_gb(est.per_worker)} per worker) but "
                                f"{_gb(available)} is available; run fewer replications, without flows, "
                                "or a smaller scenario")], est.total, available)
    return est
