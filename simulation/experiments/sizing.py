"""How much memory a run needs, estimated from its array shapes before anything runs.

In memory (`run`, `compare` without a folder) the driver keeps every replication's
history, (years + 1) x runs x (countries x goals scores, countries x technologies adoption,
countries x indicators, ...), plus, for full flow detail, the table of money flows.
Streamed to a results folder (`sdgsim run`, `sdgsim compare`, `out=`), each batch's tables
go to disk and the driver keeps only the per-run outcome values (a few hundred numbers per
replication, `outcomes.values`) and, for the report, the SDG index per run and year; the
tables it writes and reads back are handled a batch at a time. Either way each worker holds
one batch's working arrays, donors x countries x goals per replication (allocation) and the
batch's dense flow arrays, and the batches waiting to be merged in order. `check_size`
refuses a run whose estimate exceeds the memory available now
(psutil.virtual_memory().available).
"""

from __future__ import annotations

from dataclasses import dataclass

import psutil

from ..errors import Problem, TooLarge
from ..outcomes.values import values_per_run
from ..scenario import Scenario

FLOAT = 8
FLOW_ROW = 64  # bytes per row of the flows table (7 columns, labels as categories)
WORK_COPIES = 8  # donors x countries x goals arrays alive at once while allocating
TIDY_ROW = 96  # bytes per row of a batch's tidy tables on their way to Parquet (pandas and Arrow copies)
BLOCKS = 64 << 20  # bytes of the comparison's and the report's blocks (rows x runs, 2^18-row table batches)
BOOTSTRAP = 4000  # resamples of a bootstrap interval (analysis.decisions.BOOTSTRAP_RESAMPLES)
FULL_FLOWS_BATCH = 64 << 20  # bytes of dense flow arrays a batch may hold when every flow is kept


def flow_cells(scenario: Scenario) -> int:
    """Flow amounts a replication records per year (an upper bound: every funder, the
    facility, domestic and private money to every country and goal, and technology transfers)."""
    C, G, D = len(scenario.countries), len(scenario.goals), len(scenario.donors) + 1  # + facility
    return (D + 2) * C * G + C * len(scenario.technologies)


def full_flows_batch(scenario: Scenario) -> int:
    """The largest batch whose dense flow arrays fit in FULL_FLOWS_BATCH (at least 1): with
    every flow kept, a large scenario's replication records millions of amounts, and smaller
    batches bound memory and let writing a batch overlap the next one's run (results do not
    depend on the batch size)."""
    return max(1, FULL_FLOWS_BATCH // (len(scenario.years) * flow_cells(scenario) * FLOAT))


@dataclass(frozen=True)
class SizeEstimate:
    results: int  # bytes kept by the driver: every replication's histories, or (streamed) its outcome values
    flows: int  # bytes of the flows table kept in memory (an upper bound: every flow non-zero)
    per_worker: int  # bytes of one batch's working arrays
    workers: int

    @property
    def total(self) -> int:
        return self.results + self.flows + self.per_worker * self.workers


def _detail(flows: bool | str) -> str:
    return {True: "full", False: "none"}.get(flows, flows) if isinstance(flows, bool) else str(flows)


def estimate_size(scenario: Scenario, runs: int, *, workers: int = 1, batch: int | None = None,
                  flows: bool | str = True, streamed: bool = False) -> SizeEstimate:
    """Memory of `runs` replications of `scenario` (see the module docstring); `flows`: the
    detail kept ("full"/True, "yearly", "none"/False); `streamed`: written to a folder as it runs."""
    detail = _detail(flows)
    C, G, D = len(scenario.countries), len(scenario.goals), len(scenario.donors) + 1  # + facility
    K, T, I = len(scenario.technologies), len(scenario.years), len(scenario.indicators)
    batch = max(1, min(batch or (64 if detail != "full" else full_flows_batch(scenario)), runs))
    per_rep_year = C * G + C * K + C + K + C * I + 16
    cells = flow_cells(scenario)
    if streamed:  # outcome values, the report's index (sums and counts, then means) and its blocks
        results = runs * (values_per_run(scenario) + 3 * (T + 1)) * FLOAT + BLOCKS
        table = T * cells * FLOW_ROW if detail == "yearly" else 0  # full flows go to disk
    else:  # the arrays, and the temporaries of computing the outcomes over all of them
        results = 2 * runs * (T + 1) * per_rep_year * FLOAT
        table = (runs if detail == "full" else 1) * T * cells * FLOW_ROW if detail != "none" else 0
    work = batch * (WORK_COPIES * D * C * G + (T + 1) * per_rep_year) * FLOAT
    if detail != "none":  # a batch records its flows densely whatever the detail kept
        work += batch * T * cells * FLOAT
    if streamed:  # the batch's tidy tables (and full flows) on their way to disk
        work += batch * (T + 1) * (per_rep_year + (T * cells // (T + 1) if detail == "full" else 0)) * TIDY_ROW
    return SizeEstimate(results, table, work, max(1, workers))


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_size(scenarios: list[Scenario], runs: int, *, workers: int = 1, batch: int | None = None,
               flows: bool | str = True, available: int | None = None, streamed: bool = False,
               interval: str = "t") -> SizeEstimate:
    """Raise TooLarge if running `runs` replications of every scenario (kept together: their
    arrays in memory, or streamed their outcome values) would need more memory than is
    available; return the estimate otherwise. A bootstrap comparison (`interval`) adds its
    resample means (outcome values x 4000)."""
    parts = [estimate_size(s, runs, workers=workers, batch=batch, flows=flows, streamed=streamed)
             for s in scenarios]
    results = sum(p.results for p in parts)
    if len(scenarios) > 1 and interval == "bootstrap":
        results += max(values_per_run(s) for s in scenarios) * BOOTSTRAP * FLOAT
    est = SizeEstimate(results, sum(p.flows for p in parts), max(p.per_worker for p in parts), parts[0].workers)
    available = psutil.virtual_memory().available if available is None else available
    if est.total > available:
        what = f"{runs} runs" + (f" of {len(scenarios)} scenarios" if len(scenarios) > 1 else "")
        s = scenarios[0]
        shape = (f"{len(s.countries)} countries x {len(s.goals)} goals x {len(s.donors)} donors x "
                 f"{len(s.years)} years")
        flows_part = f", flows {_gb(est.flows)}" if est.flows else ""
        raise TooLarge([Problem("runs", 1, str(runs),
                                f"{what} ({shape}) need about {_gb(est.total)} of memory (results "
                                f"{_gb(est.results)}{flows_part}, {_gb(est.per_worker)} per worker) but "
                                f"{_gb(available)} is available; run fewer replications, without flows, "
                                "or a smaller scenario")], est.total, available)
    return est
