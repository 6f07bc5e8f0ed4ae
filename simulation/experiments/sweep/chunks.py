"""Chunks of whole design points: the plan, the worker runtime and the worker function."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import InputError
from ...model import FinancingModel, RunArrays, StructureMismatch, parameters, result_arrays, signature
from ...outcomes.metrics import scenario_key
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
    batch_points: bool = True
    """Advance the experiments of several design points together (False: one batch per point)."""


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
    return column_values(RunArrays(scenario=sc, seed=0, **result_arrays(m)), columns)


def _run_stacked(items: list[tuple[Scenario, list[np.random.SeedSequence], dict]],
                 columns: tuple[str, ...]) -> list[dict[str, np.ndarray]]:
    """Run several scenarios of the same structure in one batch (FinancingModel with variants);
    the outcome columns of each, exactly as `_run_outcomes` would give them. Consecutive
    scenarios the outcomes cannot tell apart (scenario_key) are summarised together, unless
    one has a single replication (NumPy sums a lone row in another order)."""
    seeds = [s for _, ss, _ in items for s in ss]
    m = FinancingModel(items[0][0], seeds, record_flows=False,
                       variants=[(params, len(ss)) for _, ss, params in items]).run()
    arrays = result_arrays(m)
    out: list[dict[str, np.ndarray]] = []
    a = k = 0
    while k < len(items):
        key, j, b = scenario_key(items[k][0]), k, a
        while j < len(items) and (j == k or (len(items[j][1]) > 1 < len(items[k][1])
                                             and scenario_key(items[j][0]) == key)):
            b += len(items[j][1])
            j += 1
        values = column_values(RunArrays(scenario=items[k][0], seed=0, **{n: v[a:b] for n, v in arrays.items()}),
                               columns)
        for i in range(k, j):
            n = len(items[i][1])
            out.append({c: v[:n] for c, v in values.items()})
            values = {c: v[n:] for c, v in values.items()}
        a, k = b, j
    return out


def _batches(items: list[tuple[Scenario, list, dict]], cap: int, hints: list | None = None) -> list[list[int]]:
    """Indices of `items` cut into batches of at most `cap` replications (a lone item may have
    more), in order, each of one structure (stacking.signature); or, given `hints`, of items
    with equal hints (a guess of the structure that costs nothing, e.g. the sweep's policy)."""
    groups: dict[Any, list[int]] = {}
    for i, (_, seeds, params) in enumerate(items):
        groups.setdefault(signature(params) if hints is None else hints[i], []).append(i)
    batches: list[list[int]] = []
    for group in groups.values():
        current, n = [], 0
        for i in group:
            k = len(items[i][1])
            if current and n + k > cap:
                batches.append(current)
                current, n = [], 0
            current.append(i)
            n += k
        batches.append(current)
    return batches


def run_many(items: list[tuple[Scenario, list[np.random.SeedSequence]]], columns: tuple[str, ...],
             cap: int = REP_BATCH, hints: list | None = None) -> list[dict[str, np.ndarray] | BaseException]:
    """The outcome columns of each (scenario, seeds) item, or the exception its run raised.

    Items advance together in batches of at most `cap` replications (results bit-identical
    to running each alone); a batch whose scenarios differ in structure is split by
    structure, and a batch that raises is re-run item by item, so an error belongs to the
    item that caused it. `hints`: items with different hints are not tried in one batch.
    """
    full = [(sc, seeds, parameters(sc)) for sc, seeds in items]
    results: list[dict[str, np.ndarray] | BaseException | None] = [None] * len(items)

    def run(batch: list[int], split: bool) -> None:
        if len(batch) > 1:
            try:
                for i, res in zip(batch, _run_stacked([full[i] for i in batch], columns)):
                    results[i] = res
                return
            except StructureMismatch:
                if split:
                    for part in _batches([full[i] for i in batch], cap):
                        run([batch[i] for i in part], False)
                    return
            except Exception:  # noqa: BLE001 - re-run one by one: each error goes to its own item
                pass
        for i in batch:
            try:
                results[i] = _run_outcomes(items[i][0], items[i][1], columns)
            except Exception as exc:  # noqa: BLE001 - recorded as failed runs
                results[i] = exc

    for batch in _batches(full, cap, hints or [0] * len(full)):  # most sweeps vary numbers only: try that first
        run(batch, True)
    return results  # type: ignore[return-value]


def error_text(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "invalid scenario: " + "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
    return f"{type(exc).__name__}: {exc}"


def run_chunk(rt: Runtime, task: ChunkTask) -> dict[str, list]:
    """Run every experiment of one chunk; return its rows as columns (the worker function).

    Experiments of all the chunk's points advance together in batches (`run_many`) unless
    `rt.batch_points` is off (then each point's replications form their own batch, as
    before); the rows are the same either way. A point whose scenario is invalid, or whose
    model raises, gives failed rows (status 'failed', the error text, NaN outcomes); the
    other points of the chunk still run.
    """
    # A chunk allocates many small objects (validated scenarios, parameter dicts) that all live
    # until its end: automatic garbage collection would traverse them again and again (a
    # quarter of a chunk's time). Collect once at the end instead: the chunk's models are
    # young, so a collection of the young generations frees them.
    automatic = gc.isenabled()
    gc.disable()
    try:
        return _run_chunk(rt, task)
    finally:
        if automatic:
            gc.enable()
        gc.collect(1)


def _run_chunk(rt: Runtime, task: ChunkTask) -> dict[str, list]:
    R = rt.replications
    cells = []  # (point, policy, replications, scenario or error, parameter columns)
    for i, unit_row in enumerate(task.unit):
        point = task.first_point + i
        assigns, pcols = _point_values(rt, unit_row)
        for name, data in rt.policies:
            try:
                sc: Scenario | BaseException = validate_data(with_values(data, assigns), f"{name} point {point}",
                                                             plain=True)  # policies' data: a model_dump
            except Exception as exc:  # noqa: BLE001 - recorded as failed runs; the sweep goes on
                sc = exc
            for a in range(0, R, REP_BATCH):
                cells.append((point, name, range(a, min(a + REP_BATCH, R)), sc, pcols))
    todo = [(k, (c[3], run_seeds(rt.seed, c[0], c[2], rt.common))) for k, c in enumerate(cells)
            if not isinstance(c[3], BaseException)]
    done = dict(zip((k for k, _ in todo), run_many([x for _, x in todo], rt.outcome_columns,
                                                   REP_BATCH if rt.batch_points else 0,
                                                   hints=[cells[k][1] for k, _ in todo])))
    rows: dict[str, list] = {c: [] for c in ID_COLUMNS}
    param_rows: dict[str, list] = {}
    outs: dict[str, list] = {c: [] for c in rt.outcome_columns}
    for k, (point, name, reps, sc, pcols) in enumerate(cells):
        res = sc if isinstance(sc, BaseException) else done[k]
        n = len(reps)
        if isinstance(res, BaseException):
            status, error = "failed", error_text(res)
            res = {c: np.full(n, np.nan) for c in rt.outcome_columns}
        else:
            status, error = "ok", None
        rows["policy"] += [name] * n
        rows["point"] += [point] * n
        rows["replication"] += list(reps)
        rows["seed"] += [rt.seed] * n
        rows["chunk"] += [task.chunk] * n
        rows["status"] += [status] * n
        rows["error"] += [error] * n
        for key, v in pcols.items():
            param_rows.setdefault(key, []).extend([v] * n)
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
