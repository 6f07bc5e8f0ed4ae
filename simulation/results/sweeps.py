"""Sweep folders: created atomically, filled chunk by chunk, resumable, locked while written."""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from ..errors import Problem, ResultsError
from .folders import (
    _readable_parquet,
    check_target,
    folder_lock,
    new_temp_folder,
    read_manifest,
    swap_into_place,
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


def read_sweep_runs(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """All stored runs of a sweep folder, sorted by point, policy order and replication."""
    import pyarrow.dataset as ds

    path = Path(path)
    files = sorted((path / SWEEP_RUNS).glob("part-*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns or [])
    table = ds.dataset([str(f) for f in files], format="parquet").to_table(columns=columns)
    df = table.to_pandas()
    man = read_manifest(path)
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
        tmp = new_temp_folder(path)
        try:
            (tmp / SWEEP_RUNS).mkdir()
            pd.DataFrame(design).to_parquet(tmp / "design.parquet", index=False)
            (tmp / "sweep.yaml").write_text(text)
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            if path.exists():  # force (checked above) or an empty/foreign folder under --resume
                check_target(path, force)
            swap_into_place(tmp, path, force)
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
        design = pd.read_parquet(path / "design.parquet")
        unit = np.stack([design[f"u:{d}"].to_numpy() for d in dims], axis=1) if dims else \
            np.zeros((len(design), 0))
        plan = plan_of(man["plan"])
        (path / SWEEP_RUNS).mkdir(exist_ok=True)
        return cls(path, man, unit, plan)  # leftovers are cleaned up once the lock is held (lock)

    def _tidy(self) -> None:
        """Remove what a killed writer left behind; only ever called with the lock held, so
        the temp files of a sweep that is still running are never touched."""
        runs = self.path / SWEEP_RUNS
        for leftover in runs.glob(".part-*"):  # temp files of a killed writer
            leftover.unlink(missing_ok=True)
        for part in runs.glob("part-*.parquet"):  # a damaged chunk (disk full, bad copy) is run again
            if not _readable_parquet(part):
                part.unlink()

    # -- writing ---------------------------------------------------------------
    def done_chunks(self) -> set[int]:
        out = set()
        for f in (self.path / SWEEP_RUNS).glob("part-*.parquet"):
            try:
                c = int(f.stem.split("-", 1)[1])
            except ValueError:
                continue
            if 0 <= c < self.plan.chunks:
                out.add(c)
        return out

    def write_chunk(self, chunk: int, columns: dict) -> Path:
        """Write one finished chunk atomically (temp file, fsync, rename)."""
        import pyarrow.parquet as pq

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
