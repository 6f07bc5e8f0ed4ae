"""Reading any results folder back: `read_results(path)` → Run, ComparisonRun or SweepRuns."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ..analysis.comparison import Comparison
from ..errors import Problem, ResultsError
from ..results.folders import damaged_folder_errors, read_manifest
from ..results.runs import read_run_result
from .runs import ComparisonRun, Run
from .sweeps import SweepRuns, read_sweep


def _read_run(folder: Path, man: dict) -> Run:
    """A run folder as a Run: the tables are read back into the RunResult arrays."""
    result = read_run_result(folder, man)
    started = datetime.fromisoformat(man["started"]) if "started" in man else datetime.now(timezone.utc)
    return Run(result, man.get("scenario_file"), list(man.get("overrides", [])), started)


def read_results(path: str | Path) -> Run | ComparisonRun | SweepRuns:
    """Open a results folder written by sdgsim: a run, a comparison or a sweep.

    A run's tables (scores, adoption, balance, flows) come back as they were saved; arrays
    that are not saved (capacity, TRL, private and public external finance per year) are NaN.
    """
    folder = Path(path)
    man = read_manifest(folder)
    kind = man.get("kind", "run")
    with damaged_folder_errors(folder):
        if kind == "run":
            return _read_run(folder, man)
        if kind == "sweep":
            return read_sweep(folder)
        if kind == "compare":
            runs = {s["name"]: _read_run(folder / s["name"], read_manifest(folder / s["name"]))
                    for s in man["scenarios"]}
            table = pd.read_parquet(folder / "comparison.parquet")
            comp = Comparison(table, man["reference"], man["interval"], man["runs"], man.get("warnings", []))
            started = datetime.fromisoformat(man["started"])
            return ComparisonRun(runs, comp, [s["file"] for s in man["scenarios"]], man.get("overrides", []),
                                 started)
    raise ResultsError([Problem(str(folder / "manifest.json"), 1, "kind",
                                f"unknown results kind {kind!r} (allowed: run, compare, sweep)")])
