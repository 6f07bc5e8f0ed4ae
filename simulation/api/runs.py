"""Running scenarios in memory, and saving what ran: `load_scenario`, `run`, `compare`.

    sc = load_scenario("baseline")            # a shipped scenario by name, or any file
    r = run(sc, runs=200, seed=1)             # in memory; nothing is written
    r.scores                                  # tidy: run, year, country, goal, score
    r.plot()                                  # fan chart of the SDG index
    r.save("results/my-run")                  # a results folder with report.html

Every result object has tidy pandas frames, `.plot(ax=None)` and `.save(path)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..analysis.comparison import Comparison
from ..analysis.comparison import compare as paired_comparison
from ..errors import InputError, OptionError, Problem, ScenarioError, for_file
from ..experiments.replications import run_scenario
from ..experiments.sizing import check_size
from ..model import RunResult
from ..outcomes.registry import ALL, outcome_table
from ..outcomes.registry import summary as run_summary
from ..report import plots
from ..report.html import build_report
from ..results.folders import atomic_folder, check_target
from ..results.runs import manifest, write_run
from ..scenario import Scenario
from ..scenario.catalog import resolve
from ..scenario.loading import load_scenario as _load_file


def load_scenario(name_or_path: str | Path, sets: Sequence[str] = ()) -> Scenario:
    """A validated scenario from a file, or a shipped scenario by name (`"baseline"`).

    `sets` are overrides `"field.path=value"` (list items by id), applied after `extends:`.
    Raises ScenarioError with located problems.
    """
    try:
        return _load_file(resolve(str(name_or_path)), list(sets))
    except ScenarioError:
        raise
    except InputError as err:
        raise ScenarioError(err.problems) from None


@dataclass
class Run:
    """All replications of one scenario, in memory.

    Frames (tidy, one row per value): `scores` (run, year, country, goal, score),
    `balance` (run, year, account, amount_usd), `adoption` (run, year, country,
    technology, adoption), `flows` (run, year, source, recipient, goal, instrument,
    amount_usd; None when not recorded), `outcomes` (outcome, country, goal, run, value)
    and `summary` (country, metric, mean, p05, p95, runs). `arrays` gives the raw arrays
    with a leading replication axis.
    """

    result: RunResult
    scenario_file: str | None = None
    sets: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def scenario(self) -> Scenario:
        """The validated scenario that ran."""
        return self.result.scenario

    @property
    def runs(self) -> int:
        """Number of replications."""
        return self.result.runs

    @property
    def seed(self) -> int:
        """Root seed of the run."""
        return self.result.seed

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """Scores (N, Y, C, G), adoption (N, Y, C, K), capacity (N, Y, C), trl (N, Y, K),
        private and public_external (N, T) in USD, balance (N, T, accounts) in USD.
        """
        r = self.result
        return {k: getattr(r, k) for k in ("scores", "adoption", "capacity", "trl", "private", "public_external",
                                           "balance")}

    @property
    def scores(self) -> pd.DataFrame:
        """Tidy scores: run, year, country, goal, score (0-100)."""
        return self.result.scores_frame()

    @property
    def balance(self) -> pd.DataFrame:
        """Tidy money balance: run, year, account, amount_usd."""
        return self.result.balance_frame()

    @property
    def adoption(self) -> pd.DataFrame:
        """Tidy adoption: run, year, country, technology, adoption (share 0-1)."""
        return self.result.adoption_frame()

    @property
    def flows(self) -> pd.DataFrame | None:
        """Tidy money flows: run, year, source, recipient, goal, instrument, amount_usd (None if not recorded)."""
        return self.result.flows

    @property
    def outcomes(self) -> pd.DataFrame:
        """Per-run outcomes in long form: outcome, country, goal, run, value."""
        return outcome_table(self.result)

    @property
    def summary(self) -> pd.DataFrame:
        """Summary over runs: country, metric, mean, p05, p95, runs."""
        return run_summary(self.result)

    def plot(self, ax=None):
        """Fan chart of the SDG index over time (median, 50 % and 90 % bands); returns the axes."""
        return plots.draw_fan_chart(ax, {self.scenario.name: self.scores})

    def save(self, path: str | Path, *, force: bool = False, report: bool = True,
             command: list[str] | None = None) -> Path:
        """Write a results folder (atomically; an existing one only with `force`), with
        plots and report.html unless `report=False`. Returns the folder.
        """
        out = write_run(self.result, self.summary, path, force=force, scenario_file=self.scenario_file,
                        sets=self.sets, started=self.started, command=command)
        if report:
            build_report(out)
        return out


def run(scenario: Scenario | str | Path, runs: int = 100, seed: int = 0, *, workers: int = 1,
        executor: str | None = None, scheduler: str | None = None, flows: bool = True,
        batch_size: int | None = None, sets: Sequence[str] = (),
        progress: Callable[[int], None] | None = None, force_size: bool = False) -> Run:
    """Run `runs` replications of a scenario (object, file or shipped name) in memory.

    Replication i uses `SeedSequence(seed).spawn(runs)[i]`: the result is identical for any
    executor ("serial", "process", "dask"), number of workers or batch size. `flows=False`
    skips recording every money flow. `progress(n)` is called as n more runs finish.
    A run whose estimated memory exceeds what is available raises TooLarge before it
    starts, unless `force_size`.
    """
    started = datetime.now(timezone.utc)
    file = None
    if not isinstance(scenario, Scenario):
        file = str(resolve(str(scenario)))
        scenario = load_scenario(file, sets)
    elif sets:
        raise OptionError([Problem("sets", 1, "sets", "overrides apply when loading; pass a file or name, or use "
                                                      "load_scenario(path, sets) first")])
    if runs < 1:
        raise OptionError([Problem("runs", 1, "runs", f"got {runs} (allowed: at least 1)")])
    if not force_size:
        check_size([scenario], runs, workers=workers, batch=batch_size, flows=flows)
    res = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                       record_flows=flows, progress=progress, executor=executor, scheduler=scheduler)
    return Run(res, file, list(sets), started)


def unique_names(names: list[str]) -> list[str]:
    """Names made unique for folders, in order: the first of each name keeps it, later ones get
    the smallest suffix -2, -3, ... that no given name and no earlier result uses.
    """
    given = set(names)
    out: list[str] = []
    for n in names:
        name, k = n, 1
        while name in out or (k > 1 and name in given):
            k += 1
            name = f"{n}-{k}"
        out.append(name)
    return out


@dataclass
class ComparisonRun:
    """Scenarios run with common random numbers and compared with paired statistics.

    `runs`: name → Run; `table`: the comparison (scenario, outcome, country, goal, mean and
    CI, paired difference to the reference with CI, P(better), P(first)); `reference`.
    """

    runs: dict[str, Run]
    comparison: Comparison
    files: list[str | None]
    sets: list[str]
    started: datetime

    @property
    def table(self) -> pd.DataFrame:
        """The comparison table (one row per scenario, outcome, country and goal)."""
        return self.comparison.table

    @property
    def reference(self) -> str:
        """Name of the reference scenario."""
        return self.comparison.reference

    @property
    def warnings(self) -> list[str]:
        """Why some rows are not like for like (different countries, goals or years)."""
        return self.comparison.warnings

    def plot(self, ax=None, outcome: str = "sdg_index_end"):
        """Paired difference to the reference per scenario with 95 % CIs (all countries)."""
        return plots.draw_difference(ax, self.table, outcome)

    def save(self, path: str | Path, *, force: bool = False, command: list[str] | None = None) -> Path:
        """Write the comparison folder: one run folder per scenario, comparison.csv/.parquet,
        manifest.json, plots/ and report.html (atomically).
        """
        with atomic_folder(path, force) as tmp:
            for name, r in self.runs.items():
                write_run(r.result, r.summary, tmp / name, force=False, scenario_file=r.scenario_file,
                          sets=self.sets, started=self.started, command=command)
            self.table.to_parquet(tmp / "comparison.parquet", index=False)
            self.table.to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
            first = next(iter(self.runs.values())).result
            base = manifest(first, scenario_file=None, sets=self.sets, started=self.started, command=command)
            man = {k: base[k] for k in ("sdgsim_version", "seed", "runs", "seeding", "started", "finished",
                                        "command", "versions", "overrides")}
            c = self.comparison
            man.update(kind="compare", reference=c.reference, interval=c.method, warnings=c.warnings,
                       scenarios=[{"name": n, "file": f, "hash": r.scenario.content_hash()}
                                  for (n, r), f in zip(self.runs.items(), self.files)])
            (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
            build_report(tmp)
        return Path(path)


def compare(scenarios: Sequence[Scenario | str | Path], runs: int = 100, seed: int = 0, *,
            reference: str | None = None, interval: str = "t", sets: Sequence[str] = (), workers: int = 1,
            executor: str | None = None, scheduler: str | None = None, flows: bool = True,
            progress: Callable[[int], None] | None = None, force_size: bool = False) -> ComparisonRun:
    """Run scenarios with the same seed (common random numbers) and compare them, in memory.

    `reference`: the scenario name to compare against (default: the first); `interval`:
    "t" or "bootstrap". Scenario names are made unique (a, a-2, ...).
    """
    started = datetime.now(timezone.utc)
    problems, loaded, files = [], [], []
    for s in scenarios:
        if isinstance(s, Scenario):
            loaded.append(s)
            files.append(None)
            continue
        f = str(resolve(str(s)))
        try:
            loaded.append(load_scenario(f, sets))
            files.append(f)
        except InputError as err:
            problems += for_file(err.problems, f) if len(scenarios) > 1 else err.problems
    if problems:
        raise ScenarioError(problems)
    if not loaded:
        raise OptionError([Problem("scenarios", 1, "scenarios", "no scenario given (allowed: one or more)")])
    names = unique_names([s.name for s in loaded])
    if reference is not None and reference not in names:
        raise OptionError([Problem("reference", 1, "reference",
                                   f"'{reference}' is not one of the scenarios ({', '.join(names)})")])
    if interval not in ("t", "bootstrap"):
        raise OptionError([Problem("interval", 1, "interval", f"got {interval!r} (allowed: t, bootstrap)")])
    if not force_size:  # every scenario's runs are kept in memory together
        check_size(loaded, runs, workers=workers, flows=flows)
    results = {}
    for name, sc, f in zip(names, loaded, files):
        res = run_scenario(sc, runs=runs, seed=seed, workers=workers, record_flows=flows, progress=progress,
                           executor=executor, scheduler=scheduler)
        results[name] = Run(res, f, list(sets), started)
    comp = paired_comparison({n: r.result for n, r in results.items()}, reference=reference, method=interval,
                             seed=seed)
    return ComparisonRun(results, comp, files, list(sets), started)


__all__ = ["ALL", "ComparisonRun", "Run", "check_target", "compare", "load_scenario", "run", "unique_names"]
