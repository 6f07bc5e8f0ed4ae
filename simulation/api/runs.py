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
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..analysis.comparison import Comparison
from ..analysis.comparison import compare as paired_comparison
from ..analysis.decisions import min_effect_problems
from ..errors import InputError, OptionError, Problem, ScenarioError, for_file
from ..experiments.replications import run_scenario, stream_scenario
from ..experiments.sizing import check_size
from ..model import RunArrays
from ..model.ledger import FLOW_MODES, flow_mode
from ..outcomes.groups import with_groups
from ..outcomes.registry import metric_problem, parse
from ..outcomes.values import RunValues, ValueCollector
from ..report import plots
from ..report import slide as slides
from ..report.html import build_report
from ..results.folders import atomic_folder
from ..results.runs import RunInfo, RunWriter, finish_run, manifest, money_flows, write_run
from ..scenario import Scenario
from ..scenario.catalog import resolve
from ..scenario.parameters import load_parameters, with_parameters
from .arguments import checked
from .run_data import InFolder, InMemory
from .scenarios import load_scenario

Groups = Sequence[str] | Mapping[str, Sequence[str]]
"""Country groups given beside a scenario's own (`outcomes.groups.resolve_groups`'s `extra`)."""


@dataclass
class RunResult:
    """All replications of one scenario: in memory, or streamed to a results folder.

    Frames (tidy, one row per value): `scores` (run, year, country, goal, score),
    `balance` (run, year, account, amount_usd), `adoption` (run, year, country,
    technology, adoption), `indicators` (run, year, country, indicator, value, people),
    `flows` (see `run`'s `flows`; None when not recorded), `outcomes` (outcome, country,
    goal, run, value) and `summary` (country, metric, mean, p05, p95, runs). `arrays` gives
    the raw arrays with a leading replication axis.

    A run written as it ran (`run(..., out=)`) keeps only its per-run outcome values and its
    `folder`: the frames are read from the folder when asked for, and `result` / `arrays`
    read the saved tables back into arrays by their labels.

    Parameters
    ----------
    data : InMemory or InFolder
        Where the run's data is (`InMemory(arrays)` or `InFolder(folder, values, flows)`).
    scenario_file : str, optional
        The scenario file that ran (None for a scenario object).
    sets : list of str
        The `--set` overrides applied when loading it.
    started : datetime
        When the run started (UTC).

    """

    data: InMemory | InFolder
    scenario_file: str | None = None
    sets: list[str] = field(default_factory=list)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def folder(self) -> Path | None:
        """The results folder the run streamed to (None for a run in memory)."""
        return self.data.folder

    @property
    def result(self) -> RunArrays:
        """The run's arrays (read back from the folder for a streamed run)."""
        return self.data.result

    @property
    def values(self) -> RunValues:
        """Every outcome value of every replication."""
        return self.data.run_values()

    @property
    def scenario(self) -> Scenario:
        """The validated scenario that ran."""
        return self.data.scenario

    @property
    def runs(self) -> int:
        """Number of replications."""
        return self.data.runs

    @property
    def seed(self) -> int:
        """Root seed of the run."""
        return self.data.seed

    @property
    def flow_detail(self) -> str:
        """How much of the flows was kept: "full", "yearly" or "none"."""
        return self.data.info.flow_detail

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The raw arrays, with a leading replication axis.

        Scores (N, Y, C, G), adoption (N, Y, C, K), capacity (N, Y, C), trl (N, Y, K),
        private and public_external (N, T) in USD, balance (N, T, accounts) in USD.
        """
        r = self.result
        return {k: getattr(r, k) for k in ("scores", "adoption", "capacity", "trl", "private", "public_external",
                                           "balance")}

    @property
    def scores(self) -> pd.DataFrame:
        """Tidy scores: run, year, country, goal, score (0-100)."""
        return self.data.frame("scores")

    @property
    def balance(self) -> pd.DataFrame:
        """Tidy money balance: run, year, account, amount_usd."""
        return self.data.frame("balance")

    @property
    def adoption(self) -> pd.DataFrame:
        """Tidy adoption: run, year, country, technology, adoption (share 0-1)."""
        return self.data.frame("adoption")

    @property
    def indicators(self) -> pd.DataFrame:
        """Tidy indicators: run, year, country, indicator, value (natural units), people."""
        return self.data.frame("indicators")

    @property
    def flows(self) -> pd.DataFrame | None:
        """The money flows (None if not recorded).

        Money flows (labels as categoricals), None if not recorded. Full: run, year, source,
        recipient, goal, instrument, amount_usd; yearly: year, source, recipient, goal,
        instrument, amount_usd summed over the replications, runs. Flows of a run
        written as it ran are read from its folder.
        """
        return self.data.flows()

    @property
    def outcomes(self) -> pd.DataFrame:
        """Per-run outcomes in long form: outcome, country, goal, run, value."""
        return self.values.table()

    @property
    def summary(self) -> pd.DataFrame:
        """Summary over runs: country, metric, mean, p05, p95, runs."""
        return self.values.summary()

    def plot(self, ax=None):
        """Fan chart of the population-weighted SDG index over time (median, 50 % and 90 % bands).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on (a new figure's by default).

        Returns
        -------
        matplotlib.axes.Axes
            The axes drawn on.

        """
        return plots.draw_fan_chart(ax, {self.scenario.name: self.data.index_per_run()})

    def save(self, path: str | Path, *, force: bool = False, report: bool = True,
             command: list[str] | None = None) -> Path:
        """Write a results folder (atomically; an existing one only with `force`).

        Parameters
        ----------
        path : str or Path
            The folder to write.
        force : bool
            Replace an existing results folder.
        report : bool
            Also draw the plots and report.html.
        command : list of str, optional
            The command recorded in the manifest (default: this process's arguments).

        Returns
        -------
        Path
            The folder written.

        """
        out = write_run(self.data.info, self.summary, path, force=force, scenario_file=self.scenario_file,
                        sets=self.sets, started=self.started, command=command, flows_file=_flows_file(self),
                        tables_from=self.folder)
        if report:
            build_report(out)
        return out


def _flows_file(run: RunResult) -> Path | None:
    return run.folder / "flows.parquet" if run.folder is not None else None


def _stream(scenario: Scenario, folder: Path, *, runs: int, seed: int, workers: int, batch_size: int | None,
            mode: str, progress, executor: str | None, scheduler: str | None) -> tuple[RunValues, pd.DataFrame | None]:
    """Run `scenario` into `folder` batch by batch.

    Run `scenario` into `folder` batch by batch: tables to Parquet row groups, outcome values
    kept; nothing else of a batch outlives it. Returns the values and the yearly flows (or None).
    """
    values = ValueCollector(scenario, seed, runs)
    with RunWriter(folder, scenario, mode) as writer:
        def sink(start: int, part: dict) -> None:
            writer(start, part)
            values.add(start, part)

        flows = stream_scenario(scenario, sink, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                                record_flows=mode, progress=progress, executor=executor, scheduler=scheduler)
    return values.done(), flows


@checked
def run(scenario: Scenario | str | Path, runs: int = 100, seed: int = 0, *, workers: int = 1,
        executor: str | None = None, scheduler: str | None = None, flows: bool | str = "yearly",
        batch_size: int | None = None, sets: Sequence[str] = (), parameters: str | Path | None = None,
        progress: Callable[[int], None] | None = None, out: str | Path | None = None, force: bool = False,
        report: bool = True, command: list[str] | None = None, force_size: bool = False,
        groups: Groups = ()) -> RunResult:
    """Run `runs` replications of a scenario (object, file or shipped name) in memory.

    Replication i uses `SeedSequence(seed).spawn(runs)[i]`: the result is identical for any
    executor, number of workers or batch size.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, a scenario file, or a shipped scenario's name.
    runs : int
        Replications (at least 1).
    seed : int
        Root seed.
    workers, executor, scheduler, batch_size
        Where and how the replications run ("serial", "process", "dask"; a Dask scheduler
        address; replications advanced together); results do not depend on them.
    flows : bool or str
        How much of the money flows is kept: "yearly" (default; each year, source, recipient,
        goal and instrument summed over the replications, column `runs`), "full" (or True:
        every flow of every replication) or "none" (or False).
    sets : sequence of str
        Overrides "field.path=value", applied when loading a file or name.
    parameters : str or Path, optional
        A calibration's fit.csv whose indicator values and trends replace the scenario's.
    progress : callable, optional
        Called as `progress(n)` as n more replications finish.
    out : str or Path, optional
        Write the results folder while the replications run (as `RunResult.save` would,
        atomically; an existing one only with `force`; report.html unless `report=False`):
        only the per-run outcome values stay in memory, the frames and arrays are read back
        from the folder when asked for.
    force, report, command
        Replace an existing folder; write report.html; the command recorded in the manifest.
    force_size : bool
        Run even if the estimated memory exceeds what is available.
    groups : sequence of str, or mapping
        Country groups beside the scenario's own `groups:` ("NAME=ISO3,ISO3,..." defines one,
        a shipped "NAME" such as "gpp" or "ldc" selects one; or a mapping name -> ids): every
        outcome that adds up or averages over countries is reported for each (country label
        group:NAME). docs/scenarios.md, "Country groups".

    Returns
    -------
    RunResult
        The replications' tidy frames, outcomes, summary and arrays.

    Raises
    ------
    ScenarioError
        The scenario file or an override is invalid.
    OptionError
        An argument is not allowed; TooLarge (an OptionError) when the estimated memory
        exceeds what is available and `force_size` is not set.
    """
    started = datetime.now(timezone.utc)
    file = None
    if not isinstance(scenario, Scenario):
        file = str(resolve(str(scenario)))
        scenario = load_scenario(file, sets, parameters)
    elif parameters is not None:
        scenario = with_parameters(scenario, load_parameters(parameters))[0]
    if sets and isinstance(scenario, Scenario) and file is None:
        raise OptionError([Problem("sets", 1, "sets", "overrides apply when loading; pass a file or name, or use "
                                                      "load_scenario(path, sets) first")])
    scenario = with_groups(scenario, groups)
    mode = _flow_detail(flows)
    if not force_size:  # a batch records its flows in memory whatever the detail kept
        check_size([scenario], runs, workers=workers, batch=batch_size, flows=mode, streamed=out is not None)
    if out is None:
        res = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                           record_flows=mode, progress=progress, executor=executor, scheduler=scheduler)
        return RunResult(InMemory(res), file, list(sets), started)
    out = Path(out)
    done = None
    try:
        with atomic_folder(out, force) as tmp:
            values, yearly = _stream(scenario, tmp, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                                     mode=mode, progress=progress, executor=executor, scheduler=scheduler)
            done = RunResult(InFolder(out, values, mode), file, list(sets), started)
            finish_run(RunInfo(scenario, seed, runs, mode, yearly), done.summary, tmp, scenario_file=file,
                       sets=list(sets), started=started, command=command)
    except InputError as err:
        err.run = done  # the replications that did finish, for a caller that can still show them
        raise
    if report:
        build_report(out)
    return done


def _flow_detail(flows: bool | str) -> str:
    try:
        return flow_mode(flows)
    except ValueError:
        raise OptionError([Problem("flows", 1, "flows", f"got {flows!r} (allowed: {', '.join(FLOW_MODES)}, "
                                                        "True, False)")]) from None


def unique_names(names: list[str]) -> list[str]:
    """Make names unique for folders.

    Names made unique for folders, in order: the first of each name keeps it, later ones get
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
class ComparisonResult:
    """Scenarios run with common random numbers and compared with paired statistics.

    `runs`: name → RunResult (a folder read back loads each on first access); `table`: the
    comparison (scenario, outcome, country, goal, mean and
    CI, paired difference to the reference with CI, P(better), P(first)); `reference`.
    `folder`: the comparison folder when it was written as the runs ran (`compare(..., out=)`).
    """

    runs: Mapping[str, RunResult]
    comparison: Comparison
    files: list[str | None]
    sets: list[str]
    started: datetime
    folder: Path | None = None

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

    @property
    def attribution(self) -> pd.DataFrame | None:
        """Who gains and who loses people and money, option − reference (attribution.csv).

        One row per scenario, outcome and place: by country, by group, by funder (money, with
        the recipient in `to`) and the totals (gainers, losers, net; gainers − losers = net in
        every paired run), each a paired mean difference with its 95 % t-interval (money has
        intervals only with flows "full"). See `simulation.analysis.attribution`.
        """
        return self.comparison.attribution

    @property
    def shifts(self) -> list[str]:
        """Shift warnings: options whose gain in some countries is mostly (≥ 50 %) a loss in others."""
        return self.comparison.shifts

    def plot(self, ax=None, outcome: str = "sdg_index_end"):
        """Paired difference to the reference per scenario with 95 % CIs (all countries)."""
        return plots.draw_difference(ax, self.table, outcome)

    def slide(self, path: str | Path | None = None, *, groups: Sequence[str] | None = None, force: bool = False):
        """Draw the one-chart slide: people reached and deaths averted per option and group, and the money.

        Parameters
        ----------
        path : str or Path, optional
            A .png or .svg file to write (atomically; an existing one only with `force`);
            without it, the figure is returned and nothing is written.
        groups : sequence of str, optional
            The country groups to show (default: every group of the comparison), each beside
            all countries.
        force : bool
            Replace an existing file.

        Returns
        -------
        Path or matplotlib.figure.Figure
            The file written, or the figure when no `path` is given.

        Raises
        ------
        OptionError
            The file is not .png or .svg, exists without `force`, or a group is not in the comparison.
        """
        fig = slides.slide_figure(self.table, self.reference, self.runs[self.reference].scenario,
                                 None if groups is None else list(groups))
        return fig if path is None else slides.write_slide(fig, path, force)

    def save(self, path: str | Path, *, force: bool = False, command: list[str] | None = None) -> Path:
        """Write the comparison folder.

        Write the comparison folder: one run folder per scenario, comparison.csv/.parquet,
        manifest.json, plots/ and report.html (atomically).
        """
        with atomic_folder(path, force) as tmp:
            for name, r in self.runs.items():
                src = r.folder
                write_run(r.data.info, r.summary, tmp / name, force=False, scenario_file=r.scenario_file,
                          sets=self.sets, started=self.started, command=command, tables_from=src,
                          flows_file=src / "flows.parquet" if src is not None else None)
            self._finish(tmp, command)
        return Path(path)

    def _finish(self, tmp: Path, command: list[str] | None) -> None:
        """comparison.csv/.parquet, costs.csv, manifest.json and report.html into `tmp`."""
        self.table.to_parquet(tmp / "comparison.parquet", index=False)
        self.table.to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
        if self.comparison.costs is not None:  # Parquet: exact, for read_results; CSV for people
            self.comparison.costs.to_parquet(tmp / "costs.parquet", index=False)
            if len(self.comparison.costs):
                self.comparison.costs.to_csv(tmp / "costs.csv", index=False, float_format="%.6g")
        if self.comparison.attribution is not None:
            self.comparison.attribution.to_parquet(tmp / "attribution.parquet", index=False)
            self.comparison.attribution.to_csv(tmp / "attribution.csv", index=False, float_format="%.6g")
        first = next(iter(self.runs.values())).data.info
        base = manifest(first, scenario_file=None, sets=self.sets, started=self.started, command=command)
        man = {k: base[k] for k in ("sdgsim_version", "seed", "runs", "seeding", "started", "finished",
                                    "command", "versions", "overrides")}
        c = self.comparison
        man.update(kind="compare", reference=c.reference, interval=c.method, warnings=c.warnings, shifts=c.shifts,
                   scenarios=[{"name": n, "file": f, "hash": r.scenario.content_hash()}
                              for (n, r), f in zip(self.runs.items(), self.files)])
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
        build_report(tmp)


@checked
def compare(scenarios: Sequence[Scenario | str | Path], runs: int = 100, seed: int = 0, *,
            reference: str | None = None, interval: str = "t", sets: Sequence[str] = (),
            parameters: str | Path | None = None, workers: int = 1,
            executor: str | None = None, scheduler: str | None = None, flows: bool | str = "yearly",
            progress: Callable[[int], None] | None = None,
            min_effects: dict[str, float | str] | None = None, force_size: bool = False,
            batch_size: int | None = None, out: str | Path | None = None, force: bool = False,
            command: list[str] | None = None, metrics: Sequence[str] = (), groups: Groups = ()) -> ComparisonResult:
    """Run scenarios with the same seed (common random numbers) and compare them, in memory.

    Parameters
    ----------
    scenarios : sequence of Scenario, str or Path
        Scenarios, scenario files or shipped names; their names are made unique (a, a-2, ...).
    runs, seed : int
        Paired replications per scenario, and the root seed they share.
    reference : str, optional
        The scenario name to compare against (default: the first).
    interval : str
        "t" or "bootstrap" confidence intervals.
    min_effects : dict, optional
        The smallest effect that matters per value (NAME[:KEY][@COUNTRY] → a number in the
        outcome's unit, or "5%" of the reference's mean); the outcome registry's defaults
        otherwise. Each row gets a verdict against it (better, worse, equivalent, inconclusive).
    metrics : sequence of str
        Values the caller will show (NAME[:KEY][@COUNTRY], COUNTRY may be group:NAME); each is
        checked against the scenarios with everything else, before anything runs.
    groups : sequence of str, or mapping
        Country groups for every scenario, as for `run`: each gets its comparison rows, costs
        and report section (per group, with intervals from the paired runs), and the attribution
        (attribution.csv) sums countries into each of them too.
    out : str or Path, optional
        Write the comparison folder while the scenarios run (as `ComparisonResult.save` would,
        atomically; an existing one only with `force`): only each scenario's per-run outcome
        values stay in memory. Identical tables for any batch size, executor or workers.
    sets, parameters, workers, executor, scheduler, flows, progress, batch_size, force, command, force_size
        As for `run`.

    Returns
    -------
    ComparisonResult
        The comparison table (with verdicts and the cost per person reached) and each run.

    Raises
    ------
    ScenarioError
        A scenario file or an override is invalid (each problem names its file).
    OptionError
        A reference, interval, metric or smallest effect names nothing these scenarios have.
    """
    mode = _flow_detail(flows)
    started = datetime.now(timezone.utc)
    problems, loaded, files = [], [], []
    for s in scenarios:
        if isinstance(s, Scenario):
            loaded.append(with_parameters(s, load_parameters(parameters))[0] if parameters is not None else s)
            files.append(None)
            continue
        f = str(resolve(str(s)))
        try:
            loaded.append(load_scenario(f, sets, parameters))
            files.append(f)
        except InputError as err:
            problems += for_file(err.problems, f) if len(scenarios) > 1 else err.problems
    if problems:
        raise ScenarioError(problems)
    for i, sc in enumerate(loaded):
        try:
            loaded[i] = with_groups(sc, groups)
        except InputError as err:
            problems += err.problems
    if problems:
        raise OptionError(list(dict.fromkeys(problems)))
    if not loaded:
        raise OptionError([Problem("scenarios", 1, "scenarios", "no scenario given (allowed: one or more)")])
    resolved = {name: list(members) for sc in loaded for name, members in sc.groups.items()}  # for the attribution
    names = unique_names([s.name for s in loaded])
    if reference is not None and reference not in names:
        raise OptionError([Problem("reference", 1, "reference",
                                   f"'{reference}' is not one of the scenarios ({', '.join(names)})")])
    if interval not in ("t", "bootstrap"):
        raise OptionError([Problem("interval", 1, "interval", f"got {interval!r} (allowed: t, bootstrap)")])
    bad = [Problem("metrics", 1, spec, why) for spec in metrics if (why := metric_problem(*parse(spec), loaded))]
    bad += [Problem("min_effects", 1, spec, why) for spec, why in min_effect_problems(dict(min_effects or {}), loaded)]
    if bad:
        raise OptionError(bad)
    if not force_size:  # every scenario's runs (or, streamed, their outcome values) are kept together
        check_size(loaded, runs, workers=workers, batch=batch_size, flows=mode, streamed=out is not None,
                   interval=interval)
    options = dict(runs=runs, seed=seed, workers=workers, batch_size=batch_size, progress=progress,
                   executor=executor, scheduler=scheduler)
    if out is None:
        results = {}
        for name, sc, f in zip(names, loaded, files):
            res = run_scenario(sc, record_flows=mode, **options)
            results[name] = RunResult(InMemory(res), f, list(sets), started)
        comp = paired_comparison({n: r.result for n, r in results.items()}, reference=reference, method=interval,
                                 seed=seed, min_effects=min_effects, groups=resolved)
        return ComparisonResult(results, comp, files, list(sets), started)
    out = Path(out)
    with atomic_folder(out, force) as tmp:
        streamed, flows_of = {}, {}
        for name, sc, f in zip(names, loaded, files):
            (tmp / name).mkdir()
            values, yearly = _stream(sc, tmp / name, mode=mode, **options)
            flows_of[name] = money_flows(tmp / name, mode, yearly)
            finish_run(RunInfo(sc, seed, runs, mode, yearly), values.summary(), tmp / name, scenario_file=f,
                       sets=list(sets), started=started, command=command)
            streamed[name] = RunResult(InFolder(out / name, values, mode), f, list(sets), started)
        comp = paired_comparison({n: r.values for n, r in streamed.items()}, reference=reference,
                                 method=interval, seed=seed, min_effects=min_effects, flows=flows_of,
                                 groups=resolved)
        done = ComparisonResult(streamed, comp, files, list(sets), started, folder=out)
        done._finish(tmp, command)
    return done


__all__ = ["ComparisonResult", "RunResult", "compare", "run"]
