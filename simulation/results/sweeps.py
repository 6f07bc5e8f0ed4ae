"""Sweep folders: created atomically, filled chunk by chunk, resumable, locked while written."""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from ..errors import Problem, ResultsError
from .folders import (
    check_target,
    folder_lock,
    new_temp_folder,
    read_manifest,
    swap_into_place,
    write_error,
    write_file_atomic,
)

# --------------------------------------------------------------------------- sweep folders
#
# A sweep folder is written while the sweep runs, so it cannot be renamed into place at
# the end; instead every file in it is written atomically, and the folder itself appears
# (by rename) only once its manifest and design are complete:
#
#   manifest.json          sweep definition, design, policies and scenario hashes, seed,
#                          package versions, chunk plan, status (running/interrupted/complete)
#   design.parquet         point, parameter values, unit sample u:<dim>
#   sweep.yaml             the sweep file as given
#   runs/part-NNNNNN.parquet  one file per finished chunk: one row per run (policy, point,
#                          replication, seed, chunk, status, error, parameters, outcomes)
#
# A chunk's file exists only if the chunk finished, so `--resume` runs exactly the
# chunks without a file: no run is duplicated or missed.

SWEEP_RUNS = "runs"
_PART = "part-{:06d}.parquet"


def chunk_table(columns: dict, param_types: dict[str, str], outcome_columns):
    """A chunk's rows (dict of column lists) as a pyarrow.Table with the sweep's fixed schema."""
    import pyarrow as pa

    fields = [("policy", pa.string()), ("point", pa.int64()), ("replication", pa.int32()), ("seed", pa.int64()),
              ("chunk", pa.int32()), ("status", pa.string()), ("error", pa.string())]
    fields += [(name, pa.float64() if kind == "float" else pa.string()) for name, kind in param_types.items()]
    fields += [(name, pa.float64()) for name in outcome_columns]
    schema = pa.schema(fields)
    return pa.table({name: pa.array(columns[name], type=typ) for name, typ in fields}, schema=schema)


_PART_NAME = re.compile(r"part-(\d{6})\.parquet")


def plan_problem(path: Path, man: dict) -> Problem | None:
    """Why the `plan` of sweep manifest `man` (of folder `path`) cannot be used, if it cannot."""
    plan = man.get("plan")
    keys = ("points", "policies", "replications", "points_per_chunk", "chunks", "runs")
    if not isinstance(plan, dict) or not all(isinstance(plan.get(k), int) and plan[k] >= 0 for k in keys) \
            or plan["points_per_chunk"] < 1:
        return Problem(str(path / "manifest.json"), 1, "plan", "missing or damaged (it says how the runs are cut into "
                                                               "chunks); this folder cannot be resumed or analysed: "
                                                               "run the sweep again into a new folder")
    return None


def chunk_bounds(plan: dict, chunk: int) -> tuple[int, int]:
    """The design points [a, b) of `chunk` under manifest plan `plan`."""
    a = chunk * plan["points_per_chunk"]
    return a, min(a + plan["points_per_chunk"], plan["points"])


def chunk_files(path: Path, plan: dict) -> dict[int, Path]:
    """The chunk files of sweep folder `path` that the plan knows: runs/part-NNNNNN.parquet with
    NNNNNN < chunks. Anything else (`part-000001 (1).parquet`, a chunk number past the plan)
    is not a chunk of this sweep, for `--resume` and `analyze` alike."""
    out = {}
    for f in (path / SWEEP_RUNS).glob("part-*.parquet"):
        m = _PART_NAME.fullmatch(f.name)
        if m and int(m.group(1)) < plan["chunks"]:
            out[int(m.group(1))] = f
    return dict(sorted(out.items()))


def chunk_problem(file: Path, chunk: int, plan: dict) -> str | None:
    """Why `file` is not a complete chunk `chunk` of this plan (unreadable, truncated, or the
    runs of other design points: a copied or foreign file), or None if it is."""

    a, b = chunk_bounds(plan, chunk)
    expected = (b - a) * plan["policies"] * plan["replications"]
    try:
        pf = pq.ParquetFile(file)
        rows = pf.metadata.num_rows
        points = pf.read(columns=["point"]).column("point").to_pylist()
    except (OSError, KeyError, ValueError, pyarrow.ArrowException) as exc:
        return f"unreadable chunk file ({type(exc).__name__})"
    if rows != expected or any(p is None or not a <= p < b for p in points):
        return (f"holds {rows} runs (points {min(points, default='-')}-{max(points, default='-')}), expected {expected} "
                f"runs of points {a}-{b - 1}: a copied or foreign file")
    return None


def read_sweep_runs(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All stored runs of a sweep folder, sorted by point, policy order and replication.
    Only the chunk files of the plan are read (chunk_files); a damaged or foreign one is a
    located ResultsError naming it."""
    import pyarrow.dataset as ds

    path = Path(path)
    man = read_manifest(path)
    problem = plan_problem(path, man)
    if problem:
        raise ResultsError([problem])
    files = chunk_files(path, man["plan"])
    bad = [Problem(str(f), 1, "<chunk>", f"{why}; resume the sweep to run this chunk again")
           for c, f in files.items() if (why := chunk_problem(f, c, man["plan"]))]
    if bad:
        raise ResultsError(bad)
    if not files:
        return pd.DataFrame(columns=columns or [])
    table = ds.dataset([str(f) for f in files.values()], format="parquet").to_table(columns=columns)
    df = table.to_pandas()
    order = {name: i for i, name in enumerate(man.get("policies", {}))}
    if {"point", "policy", "replication"} <= set(df.columns):
        df = df.assign(_p=df["policy"].map(order)).sort_values(["point", "_p", "replication"], kind="stable")
        df = df.drop(columns="_p").reset_index(drop=True)
    return df


class SweepStore:
    """A sweep's results folder: created atomically, then filled chunk by chunk.

    Memory stays bounded: each finished chunk is written to its own Parquet file and
    dropped; nothing accumulates in the driver.
    """

    def __init__(self, path: Path, manifest: dict, unit, plan):
        self.path, self.manifest, self.unit, self.plan = path, manifest, unit, plan

    # -- opening ---------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, fingerprint: str, dims: list[str], resume: bool, force: bool,
             create: Callable[[], tuple[np.ndarray, Any, dict, dict, str]], plan_of: Callable[[dict], Any]):
        """Create the folder (or reopen it with `resume`).

        create() -> (unit, plan, manifest, design columns, sweep file text) for a new folder;
        plan_of(manifest["plan"]) rebuilds the plan of a folder being resumed. A plan is any
        object with `chunks` and `chunk_runs(chunk)`.
        """
        path = Path(path)
        if resume and (path / "manifest.json").exists():
            return cls._reopen(path, fingerprint, dims, plan_of)
        if path.exists() and not resume:
            check_target(path, force)
        unit, plan, man, design, text = create()
        try:
            tmp = new_temp_folder(path)
        except OSError as exc:
            raise write_error(path, exc) from None
        try:
            (tmp / SWEEP_RUNS).mkdir()
            pd.DataFrame(design).to_parquet(tmp / "design.parquet", index=False)
            (tmp / "sweep.yaml").write_text(text)
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            if path.exists():  # force (checked above) or an empty/foreign folder under --resume
                check_target(path, force)
            swap_into_place(tmp, path, force)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise write_error(path, exc) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(path, man, unit, plan)

    @classmethod
    def _reopen(cls, path: Path, fingerprint: str, dims: list[str], plan_of: Callable[[dict], Any]):
        man = read_manifest(path)
        where = str(path / "manifest.json")
        if man.get("kind") != "sweep":
            raise ResultsError([Problem(where, 1, "kind", "not a sweep folder (it cannot be resumed)")])
        if man.get("fingerprint") != fingerprint:
            raise ResultsError([Problem(where, 1, "fingerprint",
                                        "the sweep file or one of its scenarios changed since this folder was started "
                                        "(resuming would mix results); start over (force) or use a new folder")])
        problem = plan_problem(path, man)
        if problem:
            raise ResultsError([problem])
        plan = plan_of(man["plan"])
        try:
            design = pd.read_parquet(path / "design.parquet")
            unit = np.stack([design[f"u:{d}"].to_numpy(dtype=float) for d in dims], axis=1) if dims else \
                np.zeros((len(design), 0))
            if len(unit) != plan.points:
                raise ValueError(f"{len(unit)} points, the plan has {plan.points}")
        except (OSError, KeyError, ValueError, TypeError, pyarrow.ArrowException) as exc:
            what = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:160]
            raise ResultsError([Problem(str(path / "design.parquet"), 1, "<design>",
                                        f"missing or damaged ({what}); the sweep cannot be resumed: start over "
                                        "(--force) or use a new folder")]) from None
        (path / SWEEP_RUNS).mkdir(exist_ok=True)
        return cls(path, man, unit, plan)  # leftovers are cleaned up once the lock is held (lock)

    def _tidy(self) -> None:
        """Remove what a killed writer left behind; only ever called with the lock held, so
        the temp files of a sweep that is still running are never touched."""
        runs = self.path / SWEEP_RUNS
        for leftover in runs.glob(".part-*"):  # temp files of a killed writer
            if not leftover.is_dir():
                leftover.unlink(missing_ok=True)
        plan = self.manifest["plan"]
        parts = chunk_files(self.path, plan)
        folders = [Problem(str(f), 1, "<chunk>", "is a folder, not a chunk file; move it away, then resume")
                   for f in parts.values() if f.is_dir()]
        if folders:
            raise ResultsError(folders)
        for c, part in parts.items():  # a damaged chunk (disk full, bad or foreign copy) is run again
            if chunk_problem(part, c, plan):
                part.unlink()

    # -- writing ---------------------------------------------------------------
    def done_chunks(self) -> set[int]:
        return set(chunk_files(self.path, self.manifest["plan"]))

    def write_chunk(self, chunk: int, columns: dict) -> Path:
        """Write one finished chunk atomically (temp file, fsync, rename)."""

        m = self.manifest
        table = chunk_table(columns, m["columns"]["parameters"], m["columns"]["outcomes"])
        final = self.path / SWEEP_RUNS / _PART.format(chunk)
        tmp = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                pq.write_table(table, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final

    def set_status(self, status: str, **extra) -> None:
        self.manifest["status"] = status
        self.manifest.update(extra)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.manifest["updated"] = now
        if status == "complete":
            self.manifest["finished"] = now
        done = self.done_chunks()
        self.manifest["runs_done"] = sum(self.plan.chunk_runs(c) for c in done)
        self.manifest["chunks_done"] = len(done)
        write_file_atomic(self.path / "manifest.json", json.dumps(self.manifest, indent=2))

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (released by the OS even on SIGKILL); see
        folders.folder_lock."""
        with folder_lock(self.path):
            self._tidy()
            yield
