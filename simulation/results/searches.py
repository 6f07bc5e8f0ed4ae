"""A search folder: one Parquet file per evaluated generation, so a stopped search resumes.

    DIR/manifest.json                 kind: search, fingerprint, status, search file, seed
    DIR/search.yaml                   the search file as given
    DIR/generations/gen-000000.parquet   every evaluation of that generation (levers, objectives)
    DIR/pareto.csv, convergence.csv, evaluations.csv, plots, report.html   when finished

Each generation file is written atomically (temporary file, rename), so a killed search
leaves whole generations only; `resume` reads them back and continues.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow

from ..errors import Problem, ResultsError
from .folders import (
    _location_problem,
    check_target,
    folder_lock,
    new_temp_folder,
    read_manifest,
    swap_into_place,
    versions,
    write_error,
    write_file_atomic,
)


class SearchStore:
    """Writes and reads the generations of one search folder.

    A new folder (or one replaced with `force`) is built in a temporary sibling and renamed
    into place, as a sweep folder is; while a search runs it holds the folder's lock
    (`lock`), so `force` or a second `resume` refuses the folder instead of deleting the
    files of a running search.
    """

    def __init__(self, folder: str | Path, manifest: dict, text: str, *, resume: bool = False, force: bool = False):
        self.folder = Path(folder)
        self.manifest = {**manifest, "kind": "search", "versions": versions(), "status": "running"}
        if resume and (self.folder / "manifest.json").exists():
            old = read_manifest(self.folder)
            if old.get("kind") != "search" or old.get("fingerprint") != manifest["fingerprint"]:
                raise ResultsError([Problem(str(self.folder / "manifest.json"), 1, "fingerprint",
                                            "this folder holds another search (its file or scenario changed); "
                                            "use a new output folder or replace it")])
            (self.folder / "generations").mkdir(exist_ok=True)
            return
        check_target(self.folder, force)
        try:
            tmp = new_temp_folder(self.folder)
        except OSError as exc:
            raise write_error(self.folder, exc) from None
        try:
            (tmp / "generations").mkdir()
            (tmp / "search.yaml").write_text(text, encoding="utf-8")
            (tmp / "manifest.json").write_text(json.dumps(self.manifest, indent=2, default=str))
            swap_into_place(tmp, self.folder, force)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise write_error(self.folder, exc) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's exclusive lock while the search writes into it (folders.folder_lock)."""
        with folder_lock(self.folder):
            if self.manifest.get("status") == "running":
                self.write_manifest()
            yield

    def write_manifest(self, **changes) -> None:
        self.manifest.update(changes)
        write_file_atomic(self.folder / "manifest.json", json.dumps(self.manifest, indent=2, default=str))

    def _path(self, gen: int) -> Path:
        return self.folder / "generations" / f"gen-{gen:06d}.parquet"

    def generation(self, gen: int, columns: list[str] | None = None) -> pd.DataFrame | None:
        """The stored evaluations of generation `gen`, or None if it was not stored, or the file
        is truncated, damaged or lacks one of `columns` (the generation is then evaluated again
        and its file replaced). A folder in its place is a located error."""
        p = self._path(gen)
        if p.is_dir():
            raise ResultsError([Problem(str(p), 1, "<generation>", "is a folder, not a generation file; move it "
                                                                   "away, then resume")])
        if not p.exists():
            return None
        try:
            frame = pd.read_parquet(p)
        except (OSError, ValueError, pyarrow.ArrowException):
            return None
        if columns is not None and not set(columns) <= set(frame.columns):
            return None
        return frame

    def write_generation(self, gen: int, frame: pd.DataFrame) -> None:
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        write_file_atomic(self._path(gen), buf.getvalue())

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        write_file_atomic(self.folder / name, frame.to_csv(index=False, float_format="%.8g"))


def read_search(folder: str | Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The manifest and tables (pareto, convergence, evaluations) of a finished search folder."""
    folder = Path(folder)
    man = read_manifest(folder)
    tables = {n: pd.read_csv(folder / f"{n}.csv") for n in ("pareto", "convergence", "evaluations")
              if (folder / f"{n}.csv").exists()}
    return man, tables


# --------------------------------------------------------------------------- discovery results

DISCOVERY_DIR = "discovery"


def _results_folder_of(path: Path) -> Path | None:
    """The nearest folder at or above `path` that is a results folder (holds manifest.json)."""
    for anc in (path, *path.parents):
        if (anc / "manifest.json").is_file():
            return anc
    return None


def discovery_files(path: Path) -> list[Path]:
    """The files written beside discovery result `path`: its box table and plots (report.search_plots)."""
    names = ["boxes.csv", *(f"{p}.{e}" for p in ("box", "trajectory", "scores") for e in ("png", "svg"))]
    return [path.parent / f"{path.stem}-{n}" for n in names]


def check_discovery_target(path: Path, files: list[Path], sweep: Path | None, force: bool) -> None:
    """Refuse to write a discovery result `path` (and its side `files`) where it would destroy
    something: inside a results folder other than its own sweep's `discovery/` folder (e.g. a
    sweep's manifest.json), over an existing file without `force`, over anything that is not
    a regular file, or where no file can be made at all (under a file, /proc, read-only)."""
    where = str(path)
    full = Path(os.path.abspath(path))
    if path.is_dir():
        raise ResultsError([Problem(where, 1, "<output>", "is a folder; give a file name such as result.json")])
    owner = _results_folder_of(full.parent)
    own = Path(os.path.abspath(sweep)) / DISCOVERY_DIR if sweep is not None else None
    if owner is not None and full.parent != own:
        allowed = f" (this sweep's results go to {own}/)" if own is not None else ""
        raise ResultsError([Problem(where, 1, "<output>", f"is inside the results folder {owner}, whose files are its "
                                                          f"own; choose a file outside it{allowed}")])
    if not full.parent.exists():
        problem = _location_problem(full.parent)
        if problem:
            raise ResultsError([Problem(where, 1, "<output>", problem.message)])
    elif not os.access(full.parent, os.W_OK) or str(full).startswith(("/proc/", "/sys/")):
        raise ResultsError([Problem(where, 1, "<output>", f"cannot create a file in {full.parent}; choose a "
                                                          "writable location")])
    for f in [path, *files]:
        if os.path.lexists(f) and (f.is_symlink() or not f.is_file()):
            raise ResultsError([Problem(str(f), 1, "<output>", "exists and is not a regular file, so it is never "
                                                               "replaced; choose another file name")])
        if os.path.lexists(f) and not force:
            raise ResultsError([Problem(str(f), 1, "<output>", "exists (replace it with force, or choose another "
                                                               "file name)")])


def read_discovery_index(folder: Path) -> dict:
    """FOLDER/discovery.json (the report's list of discovery results), or a new empty one; a
    damaged index (not JSON, not a mapping with a list of results, a folder) is a located error."""
    path = folder / "discovery.json"
    if not os.path.lexists(path):
        return {"kind": "discovery", "results": []}
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        index = exc
    if not isinstance(index, dict) or not isinstance(index.get("results"), list) \
            or not all(isinstance(e, dict) for e in index["results"]):
        raise ResultsError([Problem(str(path), 1, "<index>", "is damaged (not a JSON mapping with a list of results);"
                                                             " move it away (the discovery results themselves are "
                                                             "kept in discovery/), then run discover again")])
    return index
