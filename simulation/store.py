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
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=path.parent))
            os.replace(path, old / "x")
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
