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
from pathlib import Path

import pandas as pd

from ..errors import Problem, ResultsError
from .folders import check_target, read_manifest, versions, write_file_atomic


class SearchStore:
    """Writes and reads the generations of one search folder."""

    def __init__(self, folder: str | Path, manifest: dict, text: str, *, resume: bool = False, force: bool = False):
        self.folder = Path(folder)
        if resume and (self.folder / "manifest.json").exists():
            old = read_manifest(self.folder)
            if old.get("kind") != "search" or old.get("fingerprint") != manifest["fingerprint"]:
                raise ResultsError([Problem(str(self.folder / "manifest.json"), 1, "fingerprint",
                                            "this folder holds another search (its file or scenario changed); "
                                            "use a new output folder or replace it")])
        else:
            check_target(self.folder, force)
            if self.folder.exists():
                for f in sorted(self.folder.rglob("*"), reverse=True):
                    f.unlink() if f.is_file() else f.rmdir()
        (self.folder / "generations").mkdir(parents=True, exist_ok=True)
        self.manifest = {**manifest, "kind": "search", "versions": versions(), "status": "running"}
        write_file_atomic(self.folder / "search.yaml", text)
        self.write_manifest()

    def write_manifest(self, **changes) -> None:
        self.manifest.update(changes)
        write_file_atomic(self.folder / "manifest.json", json.dumps(self.manifest, indent=2, default=str))

    def _path(self, gen: int) -> Path:
        return self.folder / "generations" / f"gen-{gen:06d}.parquet"

    def generation(self, gen: int) -> pd.DataFrame | None:
        """The stored evaluations of generation `gen`, or None."""
        p = self._path(gen)
        return pd.read_parquet(p) if p.exists() else None

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
