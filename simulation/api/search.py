"""Scenario discovery on a sweep, and robust policy search over levers and futures.

d = discover("results/baseline-sobol", "sdg_index_end", worst=0.2)   # PRIM boxes
d.boxes, d.trajectory, d.scores, d.plot(), d.save()                    # save: into the sweep folder
s = optimize("scenarios/searches/pia-levers.yaml", out="results/pia")  # NSGA-II, resumable
s.pareto, s.convergence, s.plot(), s.save("results/pia")
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from ..analysis.contrast import MINUS, contrast_runs, parse_contrast
from ..analysis.discovery import METHODS, Discovery, discover_cases, make_cases, outcome_names
from ..errors import OptionError, Problem, ResultsError
from ..experiments.executors import Executor, make_executor
from ..experiments.search.running import SearchResult as SearchRecord
from ..experiments.search.running import objective_columns, run_search, worker_count
from ..experiments.search.spec import Search, load_search
from ..report.figures import axes_or_new
from ..report.html import build_report
from ..report.search_plots import box_plot, draw_discovery, draw_search, parallel_plot
from ..results.folders import write_file_atomic
from ..results.searches import check_discovery_target, discovery_files, read_discovery_index
from .arguments import checked
from .sweeps import SweepResult, read_sweep


@dataclass
class DiscoveryResult:
    """Boxes of the uncertainty space where the chosen cases concentrate (PRIM or CART)."""

    discovery: Discovery
    folder: Path | None = None

    @property
    def base_rate(self) -> float:
        """Share of all cases that are of interest."""
        return self.discovery.base_rate

    @property
    def boxes(self) -> pd.DataFrame:
        """One row per box and restricted parameter: coverage, density, bounds, quasi-p."""
        return self.discovery.box_table

    @property
    def trajectory(self) -> pd.DataFrame:
        """PRIM's peeling trajectory of the first box: step, coverage, density, mass, restricted."""
        return self.discovery.trajectory

    @property
    def scores(self) -> pd.DataFrame:
        """Feature scores (ExtraTrees importances) per parameter."""
        return self.discovery.scores

    def to_json(self) -> dict:
        """base_rate, boxes (coverage, density, bounds, quasi_p), trajectory, feature scores."""
        return self.discovery.to_json()

    def summary(self) -> str:
        """Describe in a few lines the rule, the base rate and each box."""
        d = self.discovery
        lines = [f"{d.cases.rule}: {int(d.cases.y.sum())} of {len(d.cases.y)} cases (base rate {d.base_rate:.3f}); "
                 f"{d.method.upper()}"]
        for i, b in enumerate(d.boxes):
            lines.append(f"box {i + 1}: coverage {b['coverage']:.3f}, density {b['density']:.3f} "
                         f"({b['density'] / d.base_rate:.1f}x the base rate), {b['cases']} cases")
            for p, lim in b["bounds"].items():
                shown = (f"[{lim[0]:.4g}, {lim[1]:.4g}]" if all(isinstance(v, float) for v in lim)
                         else "{" + ", ".join(map(str, lim)) + "}")
                lines.append(f"  {p} in {shown}  (quasi-p {b['quasi_p'][p]:.2g})")
        if not d.boxes:
            lines.append("no box denser than the base rate was found")
        return "\n".join(lines)

    def plot(self, ax=None, box: int = 0):
        """Plot the box's bounds within each restricted parameter's range, with quasi-p."""
        return box_plot(axes_or_new(ax, figsize=(8, 3)), self.discovery, box)

    def save(self, path: str | Path | None = None, *, force: bool = False) -> Path:
        """Write the discovery result, its plots and its table.

        Write the JSON result to `path` (default: DIR/discovery/<outcome>-<selection>-<method>[-<policy>].json
        in the sweep folder, the selection as worst-0.2, below-0 or above-minus1.5, so that each
        rule on one outcome has its own file) with its PNG + SVG plots and a table beside it; in a sweep folder also
        list it in DIR/discovery.json, which `sdgsim report DIR` shows. Existing files are
        replaced only with `force`, and never inside a results folder other than the sweep's
        own discovery/ (results.searches.check_discovery_target).
        """
        d = self.discovery
        stem = (f"{d.outcome.replace(':', '_')}-{d.cases.selection or 'cases'}-{d.method}"
                + (f"-{d.policy.replace(MINUS, '-minus-')}" if d.policy else ""))
        if path is None:
            if self.folder is None:
                raise ResultsError([Problem("path", 1, "path", "this sweep is in memory: give a file to save to")])
            path = self.folder / "discovery" / f"{stem}.json"
        path = Path(path)
        check_discovery_target(path, discovery_files(path), self.folder, force)
        index = read_discovery_index(self.folder) if self.folder is not None else None
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file_atomic(path, json.dumps(self.to_json(), indent=2, default=str))
        stem = path.stem
        self.boxes.to_csv(path.parent / f"{stem}-boxes.csv", index=False, float_format="%.6g")
        plots = draw_discovery(d, path.parent, stem)
        if self.folder is not None and path.parent.resolve().is_relative_to(self.folder.resolve()):
            rel = path.parent.resolve().relative_to(self.folder.resolve())
            index_path = self.folder / "discovery.json"
            entry = {"file": str(rel / path.name), "outcome": d.outcome, "method": d.method, "policy": d.policy,
                     "rule": d.cases.rule, "base_rate": d.base_rate, "summary": self.summary().replace("\n", "; "),
                     "table": str(rel / f"{stem}-boxes.csv"),
                     "plots": [{**p, "png": str(rel / p["png"]), "svg": str(rel / p["svg"])} for p in plots]}
            index["results"] = [e for e in index["results"] if e.get("file") != entry["file"]] + [entry]
            write_file_atomic(index_path, json.dumps(index, indent=2, default=str))
        return path


@checked
def discover(source: SweepResult | str | Path, outcome: str, *, worst: float | None = None, below: float | None = None,
             above: float | None = None, policy: str | None = None, method: str = "prim", alpha: float = 0.05,
             min_coverage: float = 0.5, seed: int = 0, contrast: str | None = None) -> DiscoveryResult:
    """Find where in a sweep's uncertainty space the cases of interest lie.

    Scenario discovery on a sweep (folder or SweepResult): which parameter ranges hold the cases
    of interest? Give exactly one of `worst` (a fraction, by the outcome's direction), `below`
    or `above`. Cases are (policy, point) with the outcome averaged over replications; with
    `contrast` ("B - A", two of the sweep's policies) one case per point: the mean over the
    paired replications of B's outcome minus A's (`simulation.analysis.contrast`), e.g.
    ``discover(folder, "people_gain:EG.ELC.ACCS.ZS", contrast="pooled-20 - bilateral", below=0)``.
    """
    sr = source if isinstance(source, SweepResult) else read_sweep(source)
    if not sr.complete:  # a running or killed sweep: as analyze, refuse rather than discover in part of it
        raise ResultsError([Problem(str(sr.folder / "manifest.json") if sr.folder else "sweep", 1, "status",
                                    f"sweep is incomplete ({len(sr.runs)} of {sr.manifest['plan']['runs']} runs "
                                    "stored); finish it by resuming the sweep into this folder")])
    problems = []
    if sum(v is not None for v in (worst, below, above)) != 1:
        problems.append(Problem("selection", 1, "worst", "give exactly one of worst, below or above"))
    outcomes = outcome_names(sr.runs, sr.manifest)
    if outcome not in outcomes:
        problems.append(Problem("outcome", 1, outcome, f"not an outcome of this sweep (allowed: {', '.join(outcomes)})"))
    if policy is not None and policy not in set(sr.runs.policy):
        problems.append(Problem("policy", 1, policy, f"unknown policy (allowed: {', '.join(sorted(set(sr.runs.policy)))})"))
    diff = None
    if contrast is not None:
        if policy is not None:
            problems.append(Problem("contrast", 1, contrast, "give a policy or a contrast, not both (a contrast "
                                                             "names its two policies)"))
        try:
            diff = parse_contrast(contrast, list(dict.fromkeys(sr.manifest.get("policies") or sr.runs.policy)))
        except OptionError as err:
            problems += err.problems
    if method not in METHODS:
        problems.append(Problem("method", 1, method, f"unknown method (allowed: {', '.join(METHODS)})"))
    if problems:
        raise OptionError(problems)
    params = [c for c in sr.design.columns if c != "point" and not c.startswith("u:")]
    runs = contrast_runs(sr.runs, [outcome], diff) if diff is not None else sr.runs
    cases = make_cases(runs, sr.design, params, outcome, worst=worst, below=below, above=above, policy=policy,
                       sense=(sr.manifest.get("senses") or {}).get(outcome))
    if diff is not None:  # the rule names the difference: "pooled-20 − bilateral: people_gain:... < 0"
        cases = dataclasses.replace(cases, rule=f"{diff.name}: {cases.rule}")
    if not cases.y.any() or cases.y.all():
        raise OptionError([Problem("selection", 1, "worst" if worst else "below" if below is not None else "above",
                                   f"{cases.rule} selects {int(cases.y.sum())} of {len(cases.y)} cases; "
                                   "discovery needs some cases in and some out")])
    d = discover_cases(cases, method=method, outcome=outcome, policy=diff.name if diff else policy, alpha=alpha,
                       min_coverage=min_coverage, seed=seed)
    return DiscoveryResult(d, sr.folder)


@dataclass
class SearchResult:
    """A robust policy search: every evaluation, the Pareto set and the convergence record."""

    result: SearchRecord

    @property
    def pareto(self) -> pd.DataFrame:
        """One row per non-dominated policy: lever values and robust objective values."""
        return self.result.pareto

    @property
    def convergence(self) -> pd.DataFrame:
        """Per generation: policies evaluated, hypervolume, best value of each objective."""
        return self.result.convergence

    @property
    def evaluations(self) -> pd.DataFrame:
        """Every evaluated policy: generation, index, levers, objectives, feasibility."""
        return self.result.evaluations

    def summary(self) -> str:
        """Describe in a few lines the Pareto set's size and its range per objective."""
        r = self.result
        lines = [f"{len(r.evaluations)} policies evaluated ({r.resumed_generations} generations read back), "
                 f"{len(r.pareto)} non-dominated, in {r.seconds:.1f} s"]
        if r.pareto.empty:  # never 'nan .. nan'
            lines.append("  no policy met the constraints and ran: the columns feasible, constraint_violation and "
                         "error of evaluations.csv say why")
        for c in objective_columns(r.search) if not r.pareto.empty else ():
            lines.append(f"  {c}: {r.pareto[c].min():.6g} .. {r.pareto[c].max():.6g} "
                         f"(scenario as written: {r.reference[c].iloc[0]:.6g})")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Parallel coordinates of the Pareto set (levers, then objectives)."""
        s = self.result.search
        cols = [d for p in s.levers for d in p.dims] + objective_columns(s)
        return parallel_plot(axes_or_new(ax, figsize=(9, 4.5)), self.pareto, cols)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the search's tables, plots and report.

        Write pareto.csv, convergence.csv, evaluations.csv, plots and report.html into
        `path` (default: the search's own folder).
        """
        r = self.result
        folder = Path(path) if path is not None else r.folder
        if folder is None:
            raise ResultsError([Problem("path", 1, "path", "this search ran in memory: give a folder to save to")])
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in (("pareto", r.pareto), ("convergence", r.convergence), ("evaluations", r.evaluations),
                            ("reference", r.reference)):
            write_file_atomic(folder / f"{name}.csv", frame.to_csv(index=False, float_format="%.8g"))
            frame.to_parquet(folder / f".{name}.parquet.tmp", index=False)  # exact, for read_results
            (folder / f".{name}.parquet.tmp").replace(folder / f"{name}.parquet")
        s = r.search
        plots = draw_search(r.pareto, r.convergence, [d for p in s.levers for d in p.dims] + objective_columns(s),
                            folder)
        man_path = folder / "manifest.json"
        man = json.loads(man_path.read_text()) if man_path.is_file() else {
            "kind": "search", "search_name": s.name, "search_file": s.file, "fingerprint": s.fingerprint(),
            "seed": s.seed, "futures": s.spec.futures.count,
            "replications": s.spec.replications, "evaluations": len(r.evaluations), "status": "complete"}
        write_file_atomic(man_path, json.dumps({**man, "plots": plots, "seconds": r.seconds,
                                                "resumed_generations": r.resumed_generations}, indent=2, default=str))
        build_report(folder)
        return folder


@checked(needs={"resume": "out"})
def optimize(search: Search | str | Path, out: str | Path | None = None, *, evaluations: int | None = None,
             seed: int | None = None, executor: str | Executor = "serial", workers: int | None = None,
             scheduler: str | None = None, resume: bool = False, force: bool = False,
             progress: Callable[[int, int], None] | None = None, command: list[str] | None = None) -> SearchResult:
    """Search for robust policies (NSGA-II) over a search file's levers.

    Many-objective robust policy search (NSGA-II) over a search file's levers, each policy
    judged by a robustness measure over the sampled futures. With `out`, each generation is
    stored as it finishes (`resume=True` continues a stopped search) and the Pareto set, plots
    and report.html are written at the end. Identical results for any executor ("serial",
    "process", "dask": a running scheduler at `scheduler`, or a local cluster) and worker count.
    Raises SearchInterrupted on Ctrl-C.
    """
    s = search if isinstance(search, Search) else load_search(search)
    if seed is not None:
        s = dataclasses.replace(s, spec=s.spec.model_copy(update={"seed": seed}))
    ex = executor if isinstance(executor, Executor) else make_executor(executor, worker_count(s, workers), scheduler)
    run = SearchResult(run_search(s, out, ex, evaluations=evaluations, resume=resume, force=force, progress=progress,
                               command=command))
    if out is not None:
        run.save(out)
    return run




def read_search_result(folder: Path, man: dict) -> SearchResult:
    """Read a finished search folder back.

    A finished search folder read back: its tables (Parquet) and its search file (the
    manifest's `search_file`, which must still describe the same search).
    """
    where = str(folder / "manifest.json")
    file = man.get("search_file")
    if not file or not Path(file).is_file():
        raise ResultsError([Problem(where, 1, "search_file", f"the search file {file!r} is gone; a search folder is "
                                                             "read back with the search file that ran it")])
    s = load_search(file)
    if man.get("fingerprint") not in (None, s.fingerprint()):
        raise ResultsError([Problem(where, 1, "fingerprint", f"{file} has changed since this search ran")])
    tables = {name: pd.read_parquet(folder / f"{name}.parquet")
              for name in ("evaluations", "pareto", "convergence", "reference")}
    return SearchResult(SearchRecord(s, tables["evaluations"], tables["pareto"], tables["convergence"],
                                     tables["reference"], man.get("seconds", 0.0), man.get("resumed_generations", 0),
                                     folder))


__all__ = ["DiscoveryResult", "SearchResult", "discover", "optimize"]
