"""Sweeps from the API.

Load a sweep file, run it (in memory or streamed to a resumable
folder), and analyse it (Sobol' / Morris indices, robustness and regret).

    sw = Sweep.load("scenarios/sweeps/baseline-sobol.yaml")
    runs = run_sweep(sw)                            # in memory: runs.runs is one row per run
    runs = run_sweep(sw, out="results/sobol")       # streamed to a folder; resume=True finishes it
    a = analyze(runs)                               # or analyze("results/sobol")
    a.frames["sobol"], a.plot(), a.save()
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis.contrast import Contrast, contrast_runs, parse_contrast
from ..analysis.discovery import outcome_names
from ..analysis.sensitivity import TABLE_TITLES, Analysis, SweepInfo, analyze_runs, summary_text
from ..errors import OptionError, Problem, ResultsError
from ..experiments.executors import Executor, make_executor
from ..experiments.sweep.running import SweepResult as SweepRecord
from ..experiments.sweep.running import run_sweep as _run_sweep
from ..experiments.sweep.spec import Sweep, load_sweep
from ..outcomes.registry import readable
from ..report import sweep_plots
from ..report.figures import axes_or_new
from ..results.folders import atomic_folder, damaged_folder_errors, read_manifest, write_file_atomic
from ..results.sweeps import read_sweep_runs
from .arguments import checked


@dataclass
class SweepResult:
    """A finished (or partly finished) sweep: one row per run, the design and the manifest."""

    runs: pd.DataFrame
    """policy, point, replication, seed, chunk, status, error, parameter columns, outcome columns."""
    design: pd.DataFrame
    """point, parameter values, unit sample u:<dim>."""
    manifest: dict
    folder: Path | None = None
    result: SweepRecord | None = None

    @property
    def complete(self) -> bool:
        """True when every planned run is stored."""
        return len(self.runs) == self.manifest["plan"]["runs"]

    def plot(self, ax=None, outcome: str | None = None):
        """Histogram of one outcome (default: the first analysed) per policy."""
        ax = axes_or_new(ax, figsize=(7, 3.5))
        outcome = outcome or self.manifest["outcomes"][0]
        for pol, t in self.runs[self.runs.status == "ok"].groupby("policy", sort=False):
            ax.hist(t[outcome].dropna(), bins=40, alpha=0.5, label=pol)
        ax.set_xlabel(outcome)
        ax.set_ylabel("runs")
        ax.legend(frameon=False)
        return ax

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the runs as a sweep folder (design, manifest, one Parquet file of runs)."""
        with atomic_folder(path, force) as tmp:
            (tmp / "runs").mkdir()
            self.design.to_parquet(tmp / "design.parquet", index=False)
            self.runs.to_parquet(tmp / "runs" / "part-000000.parquet", index=False)
            man = {**self.manifest, "status": "complete" if self.complete else self.manifest.get("status"),
                   "plan": {**self.manifest["plan"], "points_per_chunk": self.manifest["plan"]["points"],
                            "chunks": 1}}
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
        return Path(path)


@checked(needs={"resume": "out"})
def run_sweep(sweep: Sweep | str | Path, out: str | Path | None = None, *, executor: str | Executor = "serial",
              workers: int | None = None, scheduler: str | None = None, resume: bool = False, force: bool = False,
              progress: Callable[[int, int], None] | None = None, command: list[str] | None = None,
              groups: Sequence[str] | Mapping[str, Sequence[str]] = ()) -> SweepResult:
    """Run a sweep (object or file).

    Run a sweep (object or file). Without `out` everything stays in memory; with `out`
    each finished chunk streams to that folder, and `resume=True` completes a stopped one.
    `groups`: more country groups for a sweep file ("NAME=ISO3,..." or a shipped "NAME", as
    `--group`; docs/scenarios.md, "Country groups"): each run records their people outcomes
    as columns (`people_gain:KEY@group:NAME`), beside the scenarios' own `groups:`.

    Results are bit-identical for any executor ("serial", "process", "dask") and worker
    count. Raises SweepInterrupted on Ctrl-C (the folder stays resumable) and
    SweepIncomplete if some chunks could not run at all.
    """
    if isinstance(sweep, Sweep) and groups:
        raise OptionError([Problem("groups", 1, "groups", "groups apply when loading; pass the sweep file, or use "
                                                          "load_sweep(path, groups) first")])
    sw = sweep if isinstance(sweep, Sweep) else load_sweep(sweep, groups)
    ex = executor if isinstance(executor, Executor) else make_executor(executor, workers, scheduler)
    res = _run_sweep(sw, out, ex, resume=resume, force=force, progress=progress, command=command)
    if out is None:
        sink = res.sink
        return SweepResult(sink.runs(), sink.design, sink.manifest, None, res)
    return read_sweep(out, result=res)


@checked
def read_sweep(folder: str | Path, result: SweepRecord | None = None) -> SweepResult:
    """Read the runs, design and manifest of a sweep folder."""
    folder = Path(folder)
    man = read_manifest(folder)
    if man.get("kind") != "sweep":
        raise ResultsError([Problem(str(folder / "manifest.json"), 1, "kind", "not a sweep folder")])
    with damaged_folder_errors(folder):
        return SweepResult(read_sweep_runs(folder), pd.read_parquet(folder / "design.parquet"), man, folder, result)


@dataclass
class AnalysisResult:
    """Sensitivity indices, robustness and regret of a sweep (see simulation.analysis.sensitivity)."""

    analysis: Analysis
    contrast: Contrast | None = None
    """The policy difference analysed ("B − A", one pseudo-policy), or None: the policies themselves."""

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """points, sobol or morris, robustness, failures (when runs failed)."""
        return self.analysis.frames

    @property
    def notes(self) -> list[str]:
        """What the analysis skipped or noticed (failed runs, designs without indices)."""
        return self.analysis.notes

    def summary(self) -> str:
        """Describe in a few lines the most influential parameter and the most robust policy per outcome.

        For a contrast, first the difference's spread across the design and where it is above 0.
        """
        text = summary_text(self.analysis)
        if self.contrast is None:
            return text
        pts = self.frames["points"]
        lines = [f"{self.contrast.name} across the design (point means of the paired differences; + = "
                 f"{self.contrast.policy} higher):"]
        for oc in self.analysis.info.outcomes:
            v = pts[oc].dropna().to_numpy(dtype=float)
            if not v.size:
                continue
            p10, p50, p90 = (readable(oc, x, signed=True) for x in np.percentile(v, [10, 50, 90]))
            lines.append(f"  {oc:<30} median {p50} (p10 {p10}, p90 {p90}); above 0 at {(v > 0).mean():.0%} "
                         f"of {v.size} points")
        return "\n".join([*lines, text])

    def plot(self, ax=None, outcome: str | None = None):
        """Mean regret of each policy on one outcome (default: the first analysed)."""
        ax = axes_or_new(ax, figsize=(6, 3.5))
        rob = self.frames["robustness"]
        outcome = outcome or rob.outcome.iloc[0]
        t = rob[rob.outcome == outcome]
        ax.bar(t.policy, t.regret_mean)
        ax.set_ylabel(f"mean regret in {outcome}")
        return ax

    def save(self, folder: str | Path | None = None, *, force: bool = False, plots: bool = True) -> Path:
        """Write the analysis tables, plots and their index.

        Write `folder/analysis/` (CSV tables, PNG + SVG plots) and `folder/analysis.json`
        (their index for `sdgsim report`); `folder` defaults to the sweep's own folder.
        """
        a = self.analysis
        folder = Path(folder) if folder is not None else a.folder
        if folder is None:
            raise ResultsError([Problem("folder", 1, "folder", "this sweep ran in memory: give a folder to save to")])
        a.tables, a.plots = [], []
        with atomic_folder(folder / "analysis", force=force, marker="points.csv") as tmp:
            for name, frame in a.frames.items():
                frame.to_csv(tmp / f"{name}.csv", index=False, float_format="%.8g" if name == "points" else "%.6g")
                title = TABLE_TITLES[name] + (f" ({len(frame)})" if name == "failures" else "")
                a.tables.append({"title": title, "file": f"analysis/{name}.csv"})
            if plots:
                sweep_plots.draw_all(a, tmp)
        a.folder = folder
        write_file_atomic(folder / "analysis.json", json.dumps(a.index(), indent=2))
        return folder


@checked
def analyze(source: SweepResult | str | Path, outcomes: Sequence[str] | None = None,
            contrast: str | None = None) -> AnalysisResult:
    """Analyse a complete sweep (a SweepResult or a sweep folder) in memory.

    Parameters
    ----------
    source : SweepResult, str or Path
        The sweep, or its folder.
    outcomes : sequence of str, optional
        Outcome columns to analyse (default: the sweep file's `outcomes:`).
    contrast : str, optional
        "B - A": analyse policy B minus policy A instead of the policies, the difference taken
        per (point, replication) from the paired runs (`simulation.analysis.contrast`); its
        Sobol' or Morris indices say which parameters decide by how much B beats A.

    Returns
    -------
    AnalysisResult
        The tables (points, sobol or morris, robustness, contrasts, failures) and notes.

    Raises
    ------
    ResultsError
        The sweep is incomplete or damaged.
    OptionError
        An outcome is not a column of the sweep, or the contrast names an unknown policy.
    """
    sr = source if isinstance(source, SweepResult) else read_sweep(source)
    man = sr.manifest
    where = str(sr.folder / "manifest.json") if sr.folder else "sweep"
    if not sr.complete or sr.runs.duplicated(["policy", "point", "replication"]).any():
        raise ResultsError([Problem(where, 1, "status",
                                    f"sweep is incomplete ({len(sr.runs)} of {man['plan']['runs']} runs stored); "
                                    "finish it by resuming the sweep into this folder")])
    info = SweepInfo.from_manifest(man)
    known = outcome_names(sr.runs, man)
    problems = [Problem("outcome", 1, o, f"not an outcome column of this sweep (allowed: {', '.join(known)})")
                for o in outcomes or () if o not in known]
    diff = None
    if contrast is not None:
        try:
            diff = parse_contrast(contrast, info.policies)
        except OptionError as err:
            problems += err.problems
    if problems:
        raise OptionError(problems)
    runs = sr.runs
    if outcomes:
        info = dataclasses.replace(info, outcomes=list(dict.fromkeys(outcomes)))
    if diff is not None:
        runs = contrast_runs(runs, info.outcomes, diff)
        info = dataclasses.replace(info, policies=[diff.name])
    a = analyze_runs(runs, sr.design.set_index("point"), info)
    a.folder = sr.folder
    return AnalysisResult(a, diff)


__all__ = ["AnalysisResult", "Sweep", "SweepResult", "analyze", "read_sweep", "run_sweep"]
