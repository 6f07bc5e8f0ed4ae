"""The results folder: written atomically, never overwritten without `force`.

A folder is built in a hidden temporary sibling and renamed into place when complete,
so a crash leaves either the old folder or the new one, never a half-written mix. With
`force`, the old folder is moved aside first and removed only after the new one is in
place.

Layout (DESIGN.md): manifest.json, scores.parquet (run, year, country, goal, score),
flows.parquet (run, year, source, recipient, goal, instrument, amount_usd),
balance.parquet (run, year, account, amount_usd), adoption.parquet, summary.csv.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd

from . import __version__
from .yamlio import InputError, Problem


class FolderExists(InputError):
    def __init__(self, path: Path):
        super().__init__([Problem(str(path), 1, "<output>",
                                  "results folder already exists (use --force to replace it, or --out DIR)")])


def check_target(path: Path, force: bool) -> None:
    """Fail early (before any work) if `path` exists and `force` is not set."""
    if path.exists() and not force:
        raise FolderExists(path)
    if path.exists() and not path.is_dir():
        raise InputError([Problem(str(path), 1, "<output>", "exists and is not a folder")])


@contextmanager
def atomic_folder(path: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `path` atomically."""
    path = Path(path)
    check_target(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    try:
        yield tmp
        swap_into_place(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def damaged_folder_errors(folder: str | Path) -> Iterator[None]:
    """Turn the errors a damaged or half-copied results folder raises while being read
    (missing or truncated files, manifests without the expected fields) into a located
    InputError, instead of a traceback."""
    import pyarrow

    try:
        yield
    except (OSError, KeyError, TypeError, AttributeError, pyarrow.ArrowException, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        what = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200]
        raise InputError([Problem(str(folder), 1, "<folder>",
                                  f"results folder is incomplete or damaged ({what}); re-create it with the "
                                  "command recorded in its manifest.json")]) from None


def _readable_parquet(path: Path) -> bool:
    """True if `path` is a complete Parquet file (its footer and schema can be read)."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
        return True
    except (OSError, pyarrow.ArrowException):
        return False


def swap_into_place(tmp: Path, path: Path) -> None:
    """Move the finished folder `tmp` to `path`; an existing `path` is moved aside first and
    deleted only once the new folder is in place."""
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
        os.replace(path, old / "x")
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def write_file_atomic(path: str | Path, data: bytes | str) -> None:
    """Write one file atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def manifest(result, *, scenario_file: str | None, sets: list[str], started: datetime,
             command: list[str] | None = None, extra: dict | None = None) -> dict:
    import mesa
    import numpy as np

    sc = result.scenario
    return {
        "sdgsim_version": __version__,
        "kind": "run",
        "scenario_name": sc.name,
        "scenario_file": scenario_file,
        "scenario_hash": sc.content_hash(),
        "overrides": list(sets),
        "seed": result.seed,
        "runs": result.runs,
        "seeding": "numpy.random.SeedSequence(seed).spawn(runs)[i] for replication i",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command if command is not None else sys.argv,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
                     "mesa": mesa.__version__},
        "scenario": sc.model_dump(mode="json"),
        **(extra or {}),
    }


def write_run(result, summary: pd.DataFrame, out: str | Path, *, force: bool, scenario_file: str | None,
              sets: list[str], started: datetime, command: list[str] | None = None) -> Path:
    """Write a run's results folder atomically and return its path."""
    out = Path(out)
    with atomic_folder(out, force) as tmp:
        result.scores_frame().to_parquet(tmp / "scores.parquet", index=False)
        result.balance_frame().to_parquet(tmp / "balance.parquet", index=False)
        result.adoption_frame().to_parquet(tmp / "adoption.parquet", index=False)
        if result.flows is not None:
            result.flows.to_parquet(tmp / "flows.parquet", index=False)
        summary.to_csv(tmp / "summary.csv", index=False, float_format="%.6g")
        man = manifest(result, scenario_file=scenario_file, sets=sets, started=started, command=command)
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=False))
    return out


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


def read_manifest(path: str | Path) -> dict:
    path = Path(path) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError([Problem(str(path.parent), 1, "<folder>", "no manifest.json (not a results folder)")]) from None
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), 1, "<manifest>", f"unreadable manifest ({exc})")]) from None


class SweepStore:
    """A sweep's results folder: created atomically, then filled chunk by chunk.

    Memory stays bounded: each finished chunk is written to its own Parquet file and
    dropped; nothing accumulates in the driver.
    """

    def __init__(self, path: Path, manifest: dict, unit, plan):
        self.path, self.manifest, self.unit, self.plan = path, manifest, unit, plan

    # -- opening ---------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, sweep, *, resume: bool, force: bool, command: list[str] | None, prepare):
        """Create the folder (or reopen it with `resume`). `prepare()` -> (unit, plan)."""
        path = Path(path)
        if resume and (path / "manifest.json").exists():
            return cls._reopen(path, sweep)
        if path.exists() and not resume:
            check_target(path, force)
        unit, plan = prepare()
        man = sweep_manifest(sweep, unit, plan, command)
        from .sweep import design_table

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
        try:
            (tmp / SWEEP_RUNS).mkdir()
            pd.DataFrame(design_table(sweep, unit)).to_parquet(tmp / "design.parquet", index=False)
            (tmp / "sweep.yaml").write_text(sweep.text)
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            if path.exists():  # force (checked above) or an empty/foreign folder under --resume
                check_target(path, force)
            swap_into_place(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls(path, man, unit, plan)

    @classmethod
    def _reopen(cls, path: Path, sweep):
        import numpy as np

        from .sweep import Plan

        man = read_manifest(path)
        where = str(path / "manifest.json")
        if man.get("kind") != "sweep":
            raise InputError([Problem(where, 1, "kind", "not a sweep folder (cannot --resume it)")])
        if man.get("fingerprint") != sweep.fingerprint():
            raise InputError([Problem(where, 1, "fingerprint",
                                      "the sweep file or one of its scenarios changed since this folder was started "
                                      "(resuming would mix results); use --force to start over or --out for a new folder")])
        design = pd.read_parquet(path / "design.parquet")
        unit = np.stack([design[f"u:{d}"].to_numpy() for d in sweep.dims], axis=1) if sweep.dims else \
            np.zeros((len(design), 0))
        p = man["plan"]
        plan = Plan(p["points"], p["policies"], p["replications"], p["points_per_chunk"])
        runs = path / SWEEP_RUNS
        runs.mkdir(exist_ok=True)
        for leftover in runs.glob(".part-*"):  # temp files of a killed writer
            leftover.unlink(missing_ok=True)
        for part in runs.glob("part-*.parquet"):  # a damaged chunk (disk full, bad copy) is run again
            if not _readable_parquet(part):
                part.unlink()
        return cls(path, man, unit, plan)

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
        """Hold an exclusive lock on the folder (released by the OS even on SIGKILL).

        A POSIX record lock (lockf): owned by this process only, so forked worker
        processes do not inherit it, and it also works on NFS.
        """
        import fcntl

        fh = open(self.path / ".lock", "a+")
        try:
            try:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise InputError([Problem(str(self.path), 1, "<output>",
                                          "another sweep is writing to this folder right now")]) from None
            yield
        finally:
            fh.close()


def sweep_manifest(sweep, unit, plan, command: list[str] | None) -> dict:
    import mesa
    import numpy as np

    from .sweep import param_columns, runtime

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
                "mesa": mesa.__version__}
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("scipy", "SALib", "pyarrow"):
        try:
            versions[dist] = version(dist)
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
        "columns": {"parameters": param_columns(sweep), "outcomes": list(runtime(sweep).outcome_columns)},
        "plan": {"points": plan.points, "policies": plan.policies, "replications": plan.replications,
                 "points_per_chunk": plan.points_per_chunk, "chunks": plan.chunks, "runs": plan.runs},
        "runs_total": plan.runs,
        "status": "created",
        "started": now,
        "command": command if command is not None else sys.argv,
        "versions": versions,
        "sweep": spec.model_dump(mode="json"),
    }
