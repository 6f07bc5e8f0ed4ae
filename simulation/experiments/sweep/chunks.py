"""Chunks of whole design points: the plan, the worker runtime and the worker function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputError
from ...model import FinancingModel, RunResult, result_arrays
from ...outcomes.registry import column_values, outcome_columns
from ...scenario import Scenario, validate_data
from ...scenario.paths import with_values
from .designs import run_seeds
from .schema import REP_BATCH
from .spec import Parameter, Sweep

ID_COLUMNS = ("policy", "point", "replication", "seed", "chunk", "status", "error")


@dataclass(frozen=True)
class Plan:
    """How the experiments are cut into chunks of whole design points."""

    points: int
    policies: int
    replications: int
    points_per_chunk: int

    @property
    def runs_per_point(self) -> int:
        return self.policies * self.replications

    @property
    def runs(self) -> int:
        return self.points * self.runs_per_point

    @property
    def chunks(self) -> int:
        return -(-self.points // self.points_per_chunk)

    def bounds(self, chunk: int) -> tuple[int, int]:
        a = chunk * self.points_per_chunk
        return a, min(a + self.points_per_chunk, self.points)

    def chunk_runs(self, chunk: int) -> int:
        a, b = self.bounds(chunk)
        return (b - a) * self.runs_per_point

    @staticmethod
    def from_dict(d: dict) -> Plan:
        """The plan recorded in a sweep folder's manifest."""
        return Plan(d["points"], d["policies"], d["replications"], d["points_per_chunk"])

    @staticmethod
    def make(points: int, policies: int, replications: int, chunk_runs: int | None) -> Plan:
        per_point = policies * replications
        total = points * per_point
        if chunk_runs is None:  # about 16+ chunks for parallelism, at most ~1000 runs per file
            chunk_runs = min(1000, max(per_point, -(-total // 16)))
        return Plan(points, policies, replications, max(1, chunk_runs // per_point))


@dataclass(frozen=True)
class Runtime:
    """What a worker needs to run any chunk (picklable, sent with each task)."""

    policies: tuple[tuple[str, dict], ...]
    parameters: tuple[Parameter, ...]
    seed: int
    replications: int
    outcome_columns: tuple[str, ...]
    common: bool = False


@dataclass(frozen=True)
class ChunkTask:
    chunk: int
    first_point: int
    unit: np.ndarray
    """(points in chunk, dims) unit sample rows."""

    @property
    def runs_hint(self) -> int:
        return len(self.unit)


def decode_row(parameters, unit_row: np.ndarray) -> tuple[list[tuple[list[str], Any]], dict[str, Any]]:
    """Values to assign for one unit-cube row of `parameters` (sweep parameters or search levers),
    and their stored columns."""
    assigns, cols, col = [], {}, 0
    for p in parameters:
        k = len(p.dims)
        u = unit_row[None, col:col + k]
        col += k
        assigns.append((p.parts, p.value(p.decode(u)[0])))
        for name, arr in p.columns(u).items():
            cols[name] = arr[0]
    return assigns, cols


def _point_values(rt: Runtime, unit_row: np.ndarray) -> tuple[list[tuple[list[str], Any]], dict[str, Any]]:
    """Values to assign for one design point, and the stored parameter columns for it."""
    return decode_row(rt.parameters, unit_row)


def warm_up() -> None:
    """Import what running a chunk needs, so the first chunk of a worker does not pay for it
    (forked workers inherit the imports of the driver; Dask workers call this at start)."""
    # Everything a chunk needs is imported with this module; the design decoding's scipy
    # function is imported with spec.py. Nothing is left to load lazily.


def _run_outcomes(sc: Scenario, seeds: list[np.random.SeedSequence], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Run replications `seeds` of scenario `sc` together; the outcome columns per run (S,)."""
    m = FinancingModel(sc, seeds, record_flows=False).run()
    return column_values(RunResult(scenario=sc, seed=0, **result_arrays(m)), columns)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "invalid scenario: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    return f"{type(exc).__name__}: {exc}"


def run_chunk(rt: Runtime, task: ChunkTask) -> dict[str, list]:
    """Run every experiment of one chunk; return its rows as columns (the worker function).

    A point whose scenario is invalid, or whose model raises, gives failed rows (status
    'failed', the error text, NaN outcomes); the other points of the chunk still run.
    """
    rows: dict[str, list] = {c: [] for c in ID_COLUMNS}
    param_rows: dict[str, list] = {}
    outs: dict[str, list] = {c: [] for c in rt.outcome_columns}
    R = rt.replications
    for i, unit_row in enumerate(task.unit):
        point = task.first_point + i
        assigns, pcols = _point_values(rt, unit_row)
        for name, data in rt.policies:
            for a in range(0, R, REP_BATCH):
                reps = range(a, min(a + REP_BATCH, R))
                try:
                    sc = validate_data(with_values(data, assigns), f"{name} point {point}")
                    res = _run_outcomes(sc, run_seeds(rt.seed, point, reps, rt.common), rt.outcome_columns)
                    status, error = "ok", None
                except Exception as exc:  # noqa: BLE001 - recorded as failed runs; the sweep goes on
                    res = {c: np.full(len(reps), np.nan) for c in rt.outcome_columns}
                    status, error = "failed", error_text(exc)
                n = len(reps)
                rows["policy"] += [name] * n
                rows["point"] += [point] * n
                rows["replication"] += list(reps)
                rows["seed"] += [rt.seed] * n
                rows["chunk"] += [task.chunk] * n
                rows["status"] += [status] * n
                rows["error"] += [error] * n
                for k, v in pcols.items():
                    param_rows.setdefault(k, []).extend([v] * n)
                for c in rt.outcome_columns:
                    outs[c].extend(res[c].tolist())
    return {**rows, **param_rows, **outs}


def runtime(sweep: Sweep) -> Runtime:
    return Runtime(tuple((p.name, p.base) for p in sweep.policies), tuple(sweep.parameters), sweep.seed,
                   sweep.replications, tuple(outcome_columns([p.scenario for p in sweep.policies])),
                   sweep.spec.common_random_numbers)


def param_columns(sweep: Sweep) -> dict[str, str]:
    """Stored parameter columns and their type ('float' or 'string')."""
    out = {}
    for p in sweep.parameters:
        kind = "float" if p.numeric else "string"
        for name in p.dims:
            out[name] = kind
    return out
