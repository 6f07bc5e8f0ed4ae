"""Reading any results folder back: `read_results(path)` gives the result object that wrote it.

A run, comparison, sweep, search, calibration or back-test folder comes back as the
`RunResult`, `ComparisonResult`, `SweepResult`, `SearchResult`, `Calibration` or `Backtest`
that saved it: every frame, outcome and summary equal to the saved object's
(tests/test_read_results.py). A comparison's runs load one by one, when first used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Union

import pandas as pd

from ..analysis.comparison import Comparison
from ..errors import Problem, ResultsError
from ..results.folders import damaged_folder_errors, read_manifest
from ..results.runs import read_run_result
from .arguments import checked
from .run_data import InMemory
from .runs import ComparisonResult, RunResult
from .sweeps import SweepResult, read_sweep

if TYPE_CHECKING:  # loaded when a search, calibration or back-test folder is read (scikit-learn, pymoo)
    from .calibration import Backtest, Calibration
    from .search import SearchResult

KINDS = ("run", "compare", "sweep", "search", "calibration", "backtest")
"""The kinds of results folder `read_results` opens (a manifest's `kind`)."""

AnyResult = Union[RunResult, ComparisonResult, SweepResult, "SearchResult", "Calibration", "Backtest"]


def _started(man: dict) -> datetime:
    return datetime.fromisoformat(man["started"]) if "started" in man else datetime.now(timezone.utc)


def _read_run(folder: Path, man: dict) -> RunResult:
    """Read a run folder back: its tables placed by their labels into the arrays."""
    with damaged_folder_errors(folder):
        result = read_run_result(folder, man)
    return RunResult(InMemory(result), man.get("scenario_file"), list(man.get("overrides", [])), _started(man))


class LazyRuns(Mapping[str, RunResult]):
    """A comparison folder's runs by scenario name, each read from its subfolder when first used."""

    def __init__(self, folder: Path, names: list[str]):
        self.folder = folder
        self.names = list(names)
        self.loaded: dict[str, RunResult] = {}

    def __getitem__(self, name: str) -> RunResult:
        if name not in self.names:
            raise KeyError(name)
        if name not in self.loaded:
            sub = self.folder / name
            self.loaded[name] = _read_run(sub, read_manifest(sub))
        return self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"LazyRuns({self.folder}, {self.names}, loaded={list(self.loaded)})"


def _costs(folder: Path) -> pd.DataFrame | None:
    """Read the cost per person reached: costs.parquet (exact), or costs.csv of older folders."""
    if (folder / "costs.parquet").is_file():
        return pd.read_parquet(folder / "costs.parquet")
    if (folder / "costs.csv").is_file():
        return pd.read_csv(folder / "costs.csv")
    return None


def _read_comparison(folder: Path, man: dict) -> ComparisonResult:
    names = [s["name"] for s in man["scenarios"]]
    for name in names:  # a name read from the manifest must name a folder inside this one
        if Path(name).name != name or name in ("", ".", ".."):
            raise ResultsError([Problem(str(folder / "manifest.json"), 1, "scenarios",
                                        f"scenario name {name!r} is not a folder inside the comparison")])
    table = pd.read_parquet(folder / "comparison.parquet")
    att = folder / "attribution.parquet"
    comp = Comparison(table, man["reference"], man["interval"], man["runs"], man.get("warnings", []),
                      costs=_costs(folder), attribution=pd.read_parquet(att) if att.is_file() else None,
                      shifts=list(man.get("shifts", [])))
    return ComparisonResult(LazyRuns(folder, names), comp, [s["file"] for s in man["scenarios"]],
                            list(man.get("overrides", [])), _started(man), folder=folder)


def _later(module: str, name: str):
    """Return a reader from this package's `module`, imported when first called."""
    return lambda folder, man: getattr(importlib.import_module(f"{__package__}.{module}"), name)(folder, man)


@checked
def read_results(path: str | Path) -> AnyResult:
    """Open any results folder written by sdgsim.

    Parameters
    ----------
    path : str or Path
        A run, comparison, sweep, search, calibration or back-test folder.

    Returns
    -------
    RunResult, ComparisonResult, SweepResult, SearchResult, Calibration or Backtest
        The result object that saved the folder, equal to it on every frame, outcome and
        summary. A comparison's runs are read when first used.

    Raises
    ------
    ResultsError
        The folder is not a results folder, or is damaged (the problem names the file).

    """
    folder = Path(path)
    man = read_manifest(folder)
    kind = man.get("kind", "run")
    readers = {"run": _read_run, "compare": _read_comparison, "sweep": lambda f, m: read_sweep(f),
               "search": _later("search", "read_search_result"), "calibration": _later("calibration", "read_calibration"),
               "backtest": _later("calibration", "read_backtest")}
    if kind not in readers:
        raise ResultsError([Problem(str(folder / "manifest.json"), 1, "kind",
                                    f"unknown results kind {kind!r} (allowed: {', '.join(KINDS)})")])
    with damaged_folder_errors(folder):
        return readers[kind](folder, man)


__all__ = ["read_results"]
