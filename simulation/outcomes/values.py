"""Per-run outcome values of a run set, kept without the run's arrays.

A summary (summary.csv) and a paired comparison need, for each replication, the value of
every outcome (`registry.all_values`) and the money put in (`metrics.extra_money`): a few
hundred numbers per replication, against the thousands of its (year, country, goal, ...)
histories. `ValueCollector` computes them batch by batch as a run streams to disk, so a
run of any length keeps only these; every outcome is a per-replication computation, so the
values are identical to those computed from the whole run at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import RunArrays
from ..scenario import Scenario
from . import metrics
from .registry import REGISTRY, all_values, values_summary, values_table

Values = dict[str, tuple[np.ndarray, list[str], list[str]]]


@dataclass
class RunValues:
    """Every outcome value of every replication of one scenario (see `registry.all_values`).

    `values`: outcome name → (array (N, countries, keys), country labels, key labels);
    `extra_money`: (N,) US$ put in over the horizon except mobilised private co-finance.
    """

    scenario: Scenario
    seed: int
    values: Values
    extra_money: np.ndarray

    @property
    def runs(self) -> int:
        """Number of replications."""
        return int(self.extra_money.shape[0])

    @classmethod
    def of(cls, result: RunArrays) -> RunValues:
        """The values of a run held in memory."""
        return cls(result.scenario, result.seed, all_values(result), metrics.extra_money(result))

    def summary(self) -> pd.DataFrame:
        """The run summary (as `registry.summary`)."""
        return values_summary(self.values, self.scenario, self.runs)

    def table(self) -> pd.DataFrame:
        """Per-run outcomes in long form (as `registry.outcome_table`)."""
        return values_table(self.values, self.runs)

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return int(sum(v.nbytes for v, _, _ in self.values.values()) + self.extra_money.nbytes)


def values_per_run(scenario: Scenario) -> int:
    """How many numbers `RunValues` keeps per replication of `scenario` (for memory estimates)."""
    C, G, I = len(scenario.countries), len(scenario.goals), len(scenario.indicators)
    n = 1
    for o in REGISTRY.values():
        cs = (C if o.by_country else 0) + (1 if o.overall else 0) + (len(scenario.groups) if o.compute_group else 0)
        n += cs * (I if o.by_indicator else G if o.by_goal else 1)
    return n


class ValueCollector:
    """Receives a run's batches in replication order (`add(start, part)`, the batch's
    RunArrays arrays) and keeps only their outcome values; `done()` gives the RunValues."""

    def __init__(self, scenario: Scenario, seed: int, runs: int):
        self.scenario, self.seed, self.runs = scenario, seed, runs
        self.values: Values | None = None
        self.extra = np.empty(runs)
        self.filled = 0

    def add(self, start: int, part: dict) -> None:
        # contiguous, as the arrays of a whole run are: NumPy's summation order follows the memory
        # layout, and the values must not depend on how the run was cut into batches
        arrays = {k: None if v is None else np.ascontiguousarray(v) for k, v in part.items() if k != "flows"}
        batch = RunArrays(scenario=self.scenario, seed=self.seed, **arrays)
        vals = all_values(batch)
        stop = start + batch.runs
        if self.values is None:
            self.values = {k: (np.empty((self.runs, *v.shape[1:]), v.dtype), cs, gs) for k, (v, cs, gs) in vals.items()}
        for k, (v, _, _) in vals.items():
            self.values[k][0][start:stop] = v
        self.extra[start:stop] = metrics.extra_money(batch)
        self.filled += stop - start

    def done(self) -> RunValues:
        """The values of every replication added (all `runs` of them)."""
        if self.values is None or self.filled != self.runs:
            raise ValueError(f"{self.filled} of {self.runs} replications were added")
        return RunValues(self.scenario, self.seed, self.values, self.extra)
