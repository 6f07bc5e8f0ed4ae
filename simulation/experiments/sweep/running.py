"""Running a sweep: chunks fed to an executor and streamed to a sweep folder; resume; estimates."""

from __future__ import annotations

import io
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ..._version import __version__
from ...errors import SweepIncomplete, SweepInterrupted
from ...extras import require
from ...outcomes.registry import outcome_sense
from ...results.folders import versions, write_error
from ...results.sweeps import SweepStore, chunk_table
from .chunks import ChunkTask, Plan, Runtime, error_text, param_columns, run_chunk, runtime, warm_up
from .designs import design_table, make_design
from .schema import REP_BATCH
from .spec import Sweep, check_values


class MemorySink:
    """Keeps a sweep's finished chunks in memory (a sweep run without a folder)."""

    def __init__(self, sweep: Sweep, unit: np.ndarray, plan: Plan):
        self.unit, self.plan = unit, plan
        self.manifest = sweep_manifest(sweep, unit, plan, command=[])
        self.design = pd.DataFrame(design_table(sweep, unit))
        self.chunks: dict[int, dict] = {}

    def done_chunks(self) -> set[int]:
        return set(self.chunks)

    def write_chunk(self, chunk: int, columns: dict) -> None:
        self.chunks[chunk] = columns

    def set_status(self, status: str, **extra: Any) -> None:
        self.manifest.update(status=status, **extra)

    def lock(self):
        return nullcontext()

    def runs(self) -> pd.DataFrame:
        """Every run, sorted by point, policy order and replication (as read from a folder)."""
        m = self.manifest
        tables = [chunk_table(self.chunks[c], m["columns"]["parameters"], m["columns"]["outcomes"])
                  for c in sorted(self.chunks)]
        if not tables:
            return pd.DataFrame()
        df = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        order = {name: i for i, name in enumerate(m["policies"])}
        df = df.assign(_p=df["policy"].map(order)).sort_values(["point", "_p", "replication"], kind="stable")
        return df.drop(columns="_p").reset_index(drop=True)


@dataclass
class SweepResult:
    """How a sweep run went; `sink` holds its runs (a SweepStore folder or a MemorySink)."""

    out: Path | None
    runs: int
    done_before: int
    failed: int
    seconds: float
    executor: str
    workers: int
    resumed: bool = False
    extra: dict = field(default_factory=dict)
    sink: Any = None


def prepare(sweep: Sweep) -> tuple[np.ndarray, Plan]:
    """Sample the design, check its values against the schema, and cut it into chunks."""
    if any(c.ppi is not None for p in sweep.policies for c in p.scenario.countries):
        require("ppi")  # else every run would fail in the workers: say so before the sweep starts
    unit = make_design(sweep)
    check_values(sweep, unit)
    plan = Plan.make(len(unit), len(sweep.policies), sweep.replications, sweep.spec.chunk_runs)
    return unit, plan


def run_sweep(sweep: Sweep, out: str | Path | None, executor: Any, *, resume: bool = False, force: bool = False,
              progress: Callable[[int, int], None] | None = None, command: list[str] | None = None,
              prepared: tuple[np.ndarray, Plan] | None = None) -> SweepResult:
    """Run (or resume) a sweep with `executor` (executors.make_executor), streaming each finished
    chunk to folder `out`, or keeping it in memory when `out` is None (`result.sink.runs()`).

    progress(done_runs, total_runs) is called once when the workers are ready and after each chunk.
    A run that raises is stored as a failed run (status, error) and the sweep goes on; a
    chunk whose task dies as a whole is left out and SweepIncomplete is raised at the end.
    On Ctrl-C the folder is left resumable and SweepInterrupted is raised.
    """
    out = Path(out) if out is not None else None
    t0 = time.perf_counter()
    rt = runtime(sweep)
    warm_up()
    failed = 0
    lost: list[tuple[int, str]] = []
    store = None
    running = False  # set once this process holds the folder and marked it running
    try:
        with executor:  # first: an unreachable scheduler fails before anything is written
            def create():
                unit, plan = prepared or prepare(sweep)
                return unit, plan, sweep_manifest(sweep, unit, plan, command), design_table(sweep, unit), sweep.text

            if out is None:
                store = MemorySink(sweep, *(prepared or prepare(sweep)))
            else:
                store = SweepStore.open(out, fingerprint=sweep.fingerprint(), dims=sweep.dims, resume=resume,
                                        force=force, create=create, plan_of=Plan.from_dict)
            plan, unit = store.plan, store.unit
            with store.lock():
                done = store.done_chunks()
                done_runs = before = sum(plan.chunk_runs(c) for c in done)
                store.set_status("running", executor=executor.describe())
                running = True
                if progress:  # workers are up: the clock of the progress bar starts here
                    progress(done_runs, plan.runs)
                tasks = (ChunkTask(c, plan.bounds(c)[0], unit[slice(*plan.bounds(c))])
                         for c in range(plan.chunks) if c not in done)
                for task, result in executor.map_unordered(run_chunk, rt, tasks):
                    if isinstance(result, BaseException):  # the task itself died (a lost worker, ...)
                        lost.append((task.chunk, error_text(result)))
                        continue
                    failed += sum(1 for s in result["status"] if s != "ok")
                    store.write_chunk(task.chunk, result)
                    done_runs += plan.chunk_runs(task.chunk)
                    if progress:
                        progress(done_runs, plan.runs)
    except KeyboardInterrupt:
        if not running:
            raise
        store.set_status("interrupted")
        raise SweepInterrupted(sum(plan.chunk_runs(c) for c in store.done_chunks()), plan.runs, out) from None
    except OSError as exc:  # disk full while writing a chunk: what is saved stays resumable
        if not running or out is None:
            raise write_error(out or Path("sweep"), exc) from None
        try:
            store.set_status("interrupted")
        except OSError:
            pass
        saved = sum(plan.chunk_runs(c) for c in store.done_chunks())
        raise write_error(out, exc, f"{saved} of {plan.runs} runs are saved in this folder; free space, then "
                                    "resume the sweep into it") from None
    except BaseException:
        if running:
            store.set_status("interrupted")
        raise
    if lost:
        store.set_status("incomplete", lost_chunks=[{"chunk": c, "error": e} for c, e in lost[:100]])
        raise SweepIncomplete(lost, done_runs, plan.runs, out)
    store.set_status("complete")
    return SweepResult(out, plan.runs, before, failed, time.perf_counter() - t0, executor.name, executor.workers,
                       resumed=before > 0, sink=store)


def estimate(sweep: Sweep, plan: Plan, unit: np.ndarray, workers: int = 1) -> dict:
    """Calibrate on the first design points: runs/s, seconds and bytes for the whole sweep.

    The points of a chunk run together (run_chunk batches them), so the calibration times
    chunks of the plan's size, from the first points, for at least half a second.
    """
    rt = runtime(sweep)
    R = min(sweep.replications, REP_BATCH)
    small = Runtime(rt.policies, rt.parameters, rt.seed, R, rt.outcome_columns, rt.common)
    run_chunk(small, ChunkTask(0, 0, unit[:1]))  # warm-up (imports, caches)
    step = max(1, min(plan.points_per_chunk, len(unit)))
    t = time.perf_counter()
    runs = 0
    rows: dict[str, list] = {}
    for i in range(0, len(unit), step):
        part = run_chunk(small, ChunkTask(0, i, unit[i:i + step]))
        rows = {k: rows.get(k, []) + v for k, v in part.items()}
        runs += len(unit[i:i + step]) * R * len(rt.policies)
        if time.perf_counter() - t > 0.5:
            break
    rate = runs / (time.perf_counter() - t)

    def size(n: int) -> int:
        buf = io.BytesIO()
        pq.write_table(chunk_table({k: v[:n] for k, v in rows.items()}, param_columns(sweep), rt.outcome_columns),
                       buf)
        return len(buf.getvalue())

    per_file = size(1)  # footer, schema and column metadata of one chunk file
    per_run = max(1.0, (size(runs) - per_file) / max(1, runs - 1))
    seconds = plan.runs / rate
    return {"runs": plan.runs, "rate_serial": rate, "seconds_serial": seconds,
            "seconds_parallel": seconds / max(1, workers), "workers": workers,
            "bytes": int(per_run * plan.runs + per_file * plan.chunks + 16 * unit.size + 20_000),
            "calibration_runs": runs}


def sweep_manifest(sweep, unit, plan, command: list[str] | None) -> dict:
    """The manifest of a new sweep folder: definition, design, policies, plan, versions."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    libs = versions()
    for dist in ("scipy", "SALib"):
        try:
            libs[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover
            pass
    spec = sweep.spec
    return {
        "sdgsim_version": __version__,
        "kind": "sweep",
        "sweep_name": sweep.name,
        "sweep_file": sweep.file,
        "fingerprint": sweep.fingerprint(),
        "seed": sweep.seed,
        "seeding": ("run (point p, replication r) uses numpy.random.SeedSequence(seed, spawn_key=(0, r)) at every "
                    "point (common random numbers across points and policies)" if spec.common_random_numbers else
                    "run (point p, replication r) uses numpy.random.SeedSequence(seed, spawn_key=(p, r)), the same "
                    "for every policy (common random numbers across policies)"),
        "design": {**spec.design.model_dump(mode="json"), "points": int(len(unit)), "dims": sweep.dims,
                   "groups": sweep.groups, "problem": sweep.problem()},
        "parameters": {p.path: {**p.spec.model_dump(mode="json", exclude_none=True), "distribution": p.dist,
                                "columns": p.dims} for p in sweep.parameters},
        "policies": {p.name: {"scenario_file": p.scenario_file, "scenario_hash": p.scenario_hash,
                              "set": p.overrides} for p in sweep.policies},
        "replications": sweep.replications,
        "outcomes": sweep.outcomes,
        # +1 where higher is better: indicator outcomes take it from the scenarios' indicators
        "senses": {c: outcome_sense(c, [p.scenario for p in sweep.policies]) for c in runtime(sweep).outcome_columns},
        # indicators counted over live births (under-5 deaths): their smallest effect that matters differs
        "births_indicators": sorted({i.id for p in sweep.policies for i in p.scenario.indicators
                                     if i.denominator == "births"}),
        "columns": {"parameters": param_columns(sweep), "outcomes": list(runtime(sweep).outcome_columns)},
        "plan": {"points": plan.points, "policies": plan.policies, "replications": plan.replications,
                 "points_per_chunk": plan.points_per_chunk, "chunks": plan.chunks, "runs": plan.runs},
        "runs_total": plan.runs,
        "status": "created",
        "started": now,
        "command": command if command is not None else sys.argv,
        "versions": libs,
        "sweep": spec.model_dump(mode="json"),
    }
