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

import fcntl
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import mesa
import numpy as np
import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from .._version import __version__
from ..errors import FolderExists, Problem, ResultsError


def _umask() -> int:
    """The process's umask (read without changing it for good)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_shareable(path: Path, *, folder: bool) -> None:
    """Give a file or folder made by `tempfile` (0600 / 0700) the permissions the user's
    umask asks for (0644 / 0755 under umask 022), as plain `open` and `mkdir` would."""
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


def versions() -> dict:
    """Versions of Python and the libraries that determine results, for manifests."""
    return {"sdgsim": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "pandas": pd.__version__, "mesa": mesa.__version__, "pyarrow": pyarrow.__version__}


LOCK_FILE = ".lock"


@contextmanager
def folder_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of results folder `path` (`path/.lock`), or raise ResultsError
    at once if another process holds it (a sweep writing into the folder).

    A POSIX record lock (lockf): released by the OS even on SIGKILL, owned by this process
    only (forked workers do not inherit it), and it works on NFS. After locking, the lock
    file must still be the one in `path`: a folder replaced meanwhile is refused too.
    """
    fh = open(path / LOCK_FILE, "a+")
    try:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fh.fileno()).st_ino != os.stat(path / LOCK_FILE).st_ino:
                raise OSError("replaced")
        except OSError:
            raise ResultsError([Problem(str(path), 1, "<output>",
                                        "another sweep is writing to this folder right now")]) from None
        yield
    finally:
        fh.close()


def check_target(path: Path, force: bool) -> None:
    """Fail early (before any work) if `path` exists and `force` is not set."""
    if path.exists() and not force:
        raise FolderExists(path)
    if path.exists() and not path.is_dir():
        raise ResultsError([Problem(str(path), 1, "<output>", "exists and is not a folder")])
    if force and (path / LOCK_FILE).is_file():
        with folder_lock(path):  # a sweep is writing into it: refuse before any work
            pass


@contextmanager
def atomic_folder(path: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `path` atomically."""
    path = Path(path)
    check_target(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    make_shareable(tmp, folder=True)
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
    ResultsError, instead of a traceback."""
    try:
        yield
    except (OSError, KeyError, TypeError, AttributeError, pyarrow.ArrowException, pd.errors.ParserError,
            pd.errors.EmptyDataError) as exc:
        what = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:200]
        raise ResultsError([Problem(str(folder), 1, "<folder>",
                                  f"results folder is incomplete or damaged ({what}); re-create it with the "
                                  "command recorded in its manifest.json")]) from None


def _readable_parquet(path: Path) -> bool:
    """True if `path` is a complete Parquet file (its footer and schema can be read)."""
    try:
        pq.read_metadata(path)
        return True
    except (OSError, pyarrow.ArrowException):
        return False


def swap_into_place(tmp: Path, path: Path) -> None:
    """Move the finished folder `tmp` to `path`; an existing `path` is moved aside first and
    deleted only once the new folder is in place."""
    if path.exists():
        with folder_lock(path):  # never replace a folder a sweep is writing into
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
        make_shareable(Path(tmp), folder=False)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(path: str | Path) -> dict:
    """The manifest.json of results folder `path`."""
    path = Path(path) / "manifest.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError([Problem(str(path.parent), 1, "<folder>", "no manifest.json (not a results folder)")]) from None
    except (OSError, ValueError) as exc:
        raise ResultsError([Problem(str(path), 1, "<manifest>", f"unreadable manifest ({exc})")]) from None
