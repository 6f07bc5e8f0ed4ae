"""The results folder: written atomically, never overwritten without `force`.

A folder is built in a hidden temporary sibling and renamed into place when complete,
so a crash leaves either the old folder or the new one, never a half-written mix. With
`force`, the old folder is moved aside first and removed only after the new one is in
place.

Layout (README.md, "Using it"): manifest.json, scores.parquet (run, year, country, goal, score),
flows.parquet (run, year, source, recipient, goal, instrument, amount_usd),
balance.parquet (run, year, account, amount_usd), adoption.parquet, summary.csv.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
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


def _not_replaceable(path: Path, marker: str) -> Problem | None:
    """Why `force` may not replace `path`: only an empty folder or a results folder (one with
    `marker`, manifest.json by default) is ever deleted, never a folder of other files."""
    if not path.is_dir() or path.is_symlink():
        return Problem(str(path), 1, "<output>", "exists and is not a folder")
    if any(True for _ in path.iterdir()) and not (path / marker).is_file():
        return Problem(str(path), 1, "<output>", f"exists and is not an sdgsim results folder (no {marker}), so it "
                                                 "is never replaced; choose another folder, or move its files away")
    return None


def _location_problem(path: Path) -> Problem | None:
    """Why no results folder can be made at `path` at all: it is the current folder (or
    contains it), something on the way is a file, or the nearest existing folder cannot be
    written into (read-only, /proc, /sys). Tried with a real (removed) probe folder."""
    where = str(path)
    full = Path(os.path.abspath(path))
    try:
        cwd = Path.cwd()
    except OSError:
        cwd = None
    if cwd is not None and (full == cwd or full in cwd.parents):
        return Problem(where, 1, "<output>", "is the current folder or contains it, so it cannot be replaced by a "
                                             "results folder; choose a new folder below it (e.g. results/NAME)")
    anc = full.parent
    while not os.path.lexists(anc) and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        return Problem(where, 1, "<output>", f"{anc} is a file, not a folder, so no folder can be created in it")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".sdgsim-probe-", dir=anc))
    except OSError as exc:
        return Problem(where, 1, "<output>", f"cannot create a folder in {anc} ({exc.strerror or exc}); choose a "
                                             "writable location")
    return None


def write_error(path: Path, exc: OSError, saved: str = "nothing of it was saved") -> ResultsError:
    """An OSError while writing results under `path` (disk full, quota, removed folder) as a
    located error that says what was kept."""
    why = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or type(exc).__name__)
    name = f" ({exc.filename})" if exc.filename else ""
    return ResultsError([Problem(str(path), 1, "<output>", f"cannot write the results: {why}{name}; {saved}")])


def check_target(path: Path, force: bool, marker: str = "manifest.json") -> None:
    """Fail early (before any work) if no folder can be made at `path` (_location_problem),
    if `path` exists and `force` is not set, or if `force` may not replace it (see
    _not_replaceable), or a sweep is writing into it."""
    problem = _location_problem(Path(path))
    if problem:
        raise ResultsError([problem])
    if not os.path.lexists(path):
        return
    if not force:
        raise FolderExists(path)
    problem = _not_replaceable(path, marker)
    if problem:
        raise ResultsError([problem])
    if (path / LOCK_FILE).is_file():
        with folder_lock(path):  # a sweep is writing into it: refuse before any work
            pass


@contextmanager
def atomic_folder(path: str | Path, force: bool = False, marker: str = "manifest.json") -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces `path` atomically (swap_into_place).

    `marker`: the file that makes an existing `path` a results folder `force` may replace.
    """
    path = Path(path)
    check_target(path, force, marker)
    try:
        tmp = new_temp_folder(path)
    except OSError as exc:
        raise write_error(path, exc) from None
    try:
        yield tmp
        swap_into_place(tmp, path, force, marker)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_error(path, exc, "the partly written folder was removed, any previous one is unchanged; "
                                     "free space or choose another location, then run again") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]
_TEMP_NAME = re.compile(r"(?:tmp|old)-(\d+)\.([0-9a-f]{8})-[a-z0-9_]{8}")


def _temp_prefix(path: Path, kind: str) -> str:
    """`.NAME.tmp-PID.HOST-`: the process (and host, on a shared disk) that owns a temp folder."""
    return f".{path.name}.{kind}-{os.getpid()}.{_HOST}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete the temp folders `.NAME.tmp-*` / `.NAME.old-*` of `path` left by processes of this
    host that are gone (killed with SIGKILL, power loss); returns what was removed."""
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        m = _TEMP_NAME.fullmatch(entry.name[len(prefix):])
        if m and m.group(2) == _HOST and not _alive(int(m.group(1))) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def new_temp_folder(path: Path) -> Path:
    """A new hidden temp folder next to `path`, named after this process; stale ones of dead
    processes are removed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path, "tmp"), dir=path.parent))
    make_shareable(tmp, folder=True)
    return tmp


@contextmanager
def damaged_folder_errors(folder: str | Path) -> Iterator[None]:
    """Turn the errors a damaged or half-copied results folder raises while being read
    (missing or truncated files, manifests without the expected fields) into a located
    ResultsError, instead of a traceback."""
    try:
        yield
    except (OSError, KeyError, IndexError, ValueError, TypeError, AttributeError, pyarrow.ArrowException,
            pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
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


def _keep(tmp: Path, path: Path, why: str) -> ResultsError:
    """Refusing to put `tmp` in place: keep the finished results under a visible new name."""
    kept = Path(tempfile.mkdtemp(prefix=f"{path.name}.unsaved-", dir=path.parent))
    os.replace(tmp, kept)
    make_shareable(kept, folder=True)
    return ResultsError([Problem(str(path), 1, "<output>", f"{why}; it was left as it is, and these results were "
                                                           f"saved in {kept} instead")])


def swap_into_place(tmp: Path, path: Path, force: bool = False, marker: str = "manifest.json") -> None:
    """Move the finished folder `tmp` to `path`.

    Without `force`, `path` must not exist at this moment (another process may have created
    it since the work began): the name is claimed with mkdir, which fails if it exists, and
    only then is `tmp` renamed onto that empty folder of our own. With `force`, an existing
    `path` is replaced only if it is a results folder (`marker`) or empty, and only while
    holding its lock; it is moved aside and deleted once the new folder is in place.
    A refused `tmp` is kept under a visible name that the error states.
    """
    old = None
    if os.path.lexists(path):
        if not force:
            raise _keep(tmp, path, "another process created this folder while this one was running")
        problem = _not_replaceable(path, marker)
        if problem:
            raise _keep(tmp, path, problem.message)
        with folder_lock(path):  # never replace a folder a sweep is writing into
            old = Path(tempfile.mkdtemp(prefix=_temp_prefix(path, "old"), dir=path.parent))
            os.replace(path, old / "x")
    try:
        os.mkdir(path)
    except FileExistsError:
        raise _keep(tmp, path, "another process created this folder while this one was running") from None
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
