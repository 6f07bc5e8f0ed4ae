"""sdgsim command line: parse, call one function of `simulation`, print. No model logic."""

from __future__ import annotations

import os
import sys
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
from tqdm import tqdm

import simulation as sim
from simulation import __version__
from simulation.commands import app, appraisal, calibration, data, donors, new, ppi, search
from simulation.commands.common import Commands
from simulation.commands.common import fail as _fail
from simulation.commands.common import scheduler_needs_dask as _scheduler_needs_dask
from simulation.errors import InputError, Problem, for_file
from simulation.extras import require


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sdgsim")
def main() -> None:
    """sdgsim: what-if simulations of financing and technology for the SDGs.

    An agent-based model of countries, donors and research bodies that allocate money
    and technologies across SDG goals. Describe a world in a scenario file (YAML), then:

    \b
      sdgsim scenarios                          the shipped scenarios, one line each
      sdgsim validate scenarios/*.yaml          check files, with FILE:LINE errors
      sdgsim run scenarios/baseline.yaml        100 replications → results/baseline/
      sdgsim compare A.yaml B.yaml --runs 200   paired comparison → report.html
      sdgsim sweep SWEEP.yaml; sdgsim analyze   sensitivity analysis over parameters
      sdgsim appraise DIR; voi; portfolio       cost-effectiveness, value of information, budgets
      sdgsim ppi run ...                        PPI-compatible indicator dynamics

    Every command has --help with examples. Docs: README.md and docs/ in the project.

    Exit codes: 0 ok, 2 bad input (file, line and field are named), 1 internal error.
    """


GROUP_HELP = ("A country group reported like a country (repeatable): NAME=ISO3,ISO3,... defines one from the "
              "scenario's countries (--group pilots=ETH,GHA,IND,KEN,SRB,UKR); NAME alone selects a shipped "
              "group (gpp: the Global Pilot Programme; ldc, sids, lldc, fcs, oda-recipients; regions eas, ecs, "
              "lcn, mea, nac, sas, ssf; income groups lic, lmc, umc, hic), kept to the scenario's countries. "
              "Beside the scenario file's own groups:.")


def _group_option(help_text: str = GROUP_HELP):
    return click.option("--group", "groups", multiple=True, metavar="NAME[=ISO3,...]", help=help_text)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a field after loading, e.g. --set donors.JPN-ODA.budget_usd=2e9 (repeatable).")
def validate(files: tuple[Path, ...], sets: tuple[str, ...]) -> None:
    """Check scenario FILES against the schema and cross-references.

    Prints one line per valid file, or one line per problem as
    FILE:LINE: field.path: what is wrong (what is allowed), and exits 2.

    \b
    Example:
      sdgsim validate scenarios/*.yaml
    """
    problems = []
    for f in files:
        try:
            s = sim.load_scenario(f, sets)
        except InputError as err:
            problems += for_file(err.problems, f) if len(files) > 1 else err.problems
            continue
        click.echo(f"{f}: ok ({len(s.countries)} countries, {len(s.goals)} goals, {len(s.donors)} donors, "
                   f"{len(s.research_bodies)} research bodies, {len(s.technologies)} technologies, "
                   f"{s.start_year}-{s.end_year})")
    if problems:
        _fail(InputError(problems))


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--runs", "-n", default=100, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Replications (Monte Carlo runs) under the scenario's uncertainty.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Root seed; replication i uses SeedSequence(seed).spawn(runs)[i].")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes. Results are identical for any number of workers.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder [default: results/<scenario name>].")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set facility.overhead_rate=0.02 or "
                   "--set donors.JPN-ODA.pooled_share=0.2 (list items by id; repeatable).")
@click.option("--parameters", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A calibration's fit.csv (sdgsim calibrate): its indicator values, trends and their "
                   "uncertainty replace the scenario's.")
@click.option("--flows", "flows", type=click.Choice(["full", "yearly", "none"]), default=None,
              help="Money flows in flows.parquet: yearly = each (year, source, recipient, goal, instrument) "
                   "flow summed over the runs (column runs); full = every flow of every run (large); none "
                   "[default: yearly].")
@click.option("--no-flows", "no_flows", is_flag=True, help="Same as --flows none (not with another --flows).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Replications advanced together in one model (default: up to 64; with --flows full as many "
                   "as keep 64 MB of flow arrays).")
@click.option("--report/--no-report", default=True, show_default=True,
              help="Draw plots and write report.html into the folder (sdgsim report DIR redraws them).")
@click.option("--executor", "-e", type=click.Choice(["serial", "process", "dask"]), default=None,
              help="Where replications run [default: serial for 1 worker, process otherwise]; "
                   "dask uses --scheduler or a local cluster of --workers. Results are identical.")
@click.option("--scheduler", metavar="ADDR", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--force-size", is_flag=True, help="Run even if the estimated memory exceeds what is available.")
@_group_option()
def run(scenario: Path, runs: int, seed: int, workers: int, out: Path | None, force: bool,
        sets: tuple[str, ...], parameters: Path | None, flows: str, no_flows: bool, batch_size: int | None,
        report: bool, executor: str | None, scheduler: str | None, force_size: bool,
        groups: tuple[str, ...]) -> None:
    """Run SCENARIO many times and write a results folder.

    The folder holds manifest.json (scenario hash and content, seed, versions, command),
    scores.parquet, flows.parquet, balance.parquet, adoption.parquet, summary.csv, and
    plots/ with report.html. It is written atomically and never overwritten without --force;
    the per-run tables are written batch by batch as the runs finish.

    \b
    Examples:
      sdgsim run scenarios/baseline.yaml --runs 200 --seed 7
      sdgsim run scenarios/baseline.yaml --set donors.JPN-ODA.budget_usd=3e9 --out results/jpn-x2
      sdgsim run scenarios/baseline.yaml --group gpp --group east=ETH,KEN
    """
    from simulation.report.text import summary_table
    from simulation.results.folders import check_target

    try:
        _scheduler_needs_dask(scheduler, executor)
        if no_flows and flows not in (None, "none"):
            raise InputError([Problem("--no-flows", 1, f"--flows {flows}", "contradicts --flows "
                                                                            f"{flows}; give one of them")])
        flows = "none" if no_flows else flows or "yearly"
        sc = sim.load_scenario(scenario, sets)
        if groups:  # a bad --group before anything runs
            from simulation.outcomes.groups import resolve_groups
            resolve_groups(sc, groups)
        out = out or Path("results") / sc.name
        check_target(out, force)
    except InputError as err:
        _fail(err)
    with _stop_on_ctrl_c(out):  # also while the summary is printed: the folder is complete by then
        with tqdm(total=runs, unit="run", desc=sc.name, disable=runs < 50 or not sys.stderr.isatty(),
                  file=sys.stderr, leave=False) as bar:
            try:
                result = sim.run(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                                 flows=flows, sets=sets, parameters=parameters,
                                 progress=bar.update, executor=executor, scheduler=scheduler, out=out, force=force,
                                 report=report, command=sys.argv, force_size=force_size, groups=groups)
            except InputError as err:
                if getattr(err, "run", None) is not None:  # not saved: at least the summary is shown
                    click.echo(summary_table(err.run, err.run.summary))
                _fail(err)
        click.echo(summary_table(result, result.summary))
        files = ", ".join(sorted(p.name for p in out.iterdir() if p.is_file()))
        click.echo(f"\nResults: {out}/  ({files})")
        click.echo(f"Report:  {out / 'report.html'}" if report else f"Report:  sdgsim report {out}")


def _interrupted(out: Path) -> None:
    click.echo(f"\nInterrupted: {out} is as it was before, or complete if it was already in place "
               "(never half-written).", err=True)
    sys.exit(130)


@contextmanager
def _stop_on_ctrl_c(out: Path) -> Iterator[None]:
    """Ctrl-C while running: one line and exit 130 (the workers are already stopped)."""
    try:
        yield
    except KeyboardInterrupt:
        _interrupted(out)


def _parse_metric(spec: str) -> tuple[str, str, str]:
    """NAME[:GOAL][@COUNTRY] → (outcome, country, goal)."""
    from simulation.outcomes.registry import REGISTRY, parse

    name, country, goal = parse(spec)
    if name not in REGISTRY:
        raise click.BadParameter(f"unknown outcome '{name}' (allowed: {', '.join(REGISTRY)})", param_hint="--metric")
    return name, country, goal


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--runs", "-n", default=100, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Paired replications per scenario.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1),
              help="Root seed shared by all scenarios (common random numbers).")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 256), help="Worker processes.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=Path("results/compare"),
              show_default=True, help="Comparison folder.")
@click.option("--reference", "-r", default=None, help="Scenario name to compare against [default: the first].")
@click.option("--metric", "-m", "metric_specs", multiple=True, metavar="NAME[:GOAL][@COUNTRY]",
              help="Outcome(s) to print, e.g. sdg_index_end, goal_score_end:SDG3@ETH, overhead_usd "
                   "[default: sdg_index_end]. All outcomes are always written to comparison.csv.")
@click.option("--interval", type=click.Choice(["t", "bootstrap"]), default="t", show_default=True,
              help="Confidence interval method for means and paired differences.")
@click.option("--min-effect", "min_effect_specs", multiple=True, metavar="NAME[:KEY][@COUNTRY]=VALUE",
              help="Smallest effect that matters for an outcome, in its unit (e.g. sdg_index_end=0.5, "
                   "people_gain:EG.ELC.ACCS.ZS=1e6) or as a share of the reference's value (overhead_usd=5%). "
                   "Decides each row's verdict: better, worse, equivalent or inconclusive "
                   "[default: each outcome's own, see docs/model.md].")
@click.option("--force", is_flag=True, help="Replace an existing comparison folder.")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a field in every scenario.")
@click.option("--parameters", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A calibration's fit.csv (sdgsim calibrate): its indicator values, trends and their "
                   "uncertainty replace the scenario's.")
@click.option("--executor", "-e", type=click.Choice(["serial", "process", "dask"]), default=None,
              help="Where replications run [default: serial for 1 worker, process otherwise]; "
                   "dask uses --scheduler or a local cluster of --workers. Results are identical.")
@click.option("--scheduler", metavar="ADDR", default=None, help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--flows", "flows", type=click.Choice(["full", "yearly", "none"]), default="yearly", show_default=True,
              help="Money flows in each scenario's flows.parquet (as for sdgsim run).")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None,
              help="Replications advanced together in one model (default: up to 64; with --flows full as many "
                   "as keep 64 MB of flow arrays). Results are identical.")
@click.option("--force-size", is_flag=True, help="Run even if the estimated memory exceeds what is available.")
@_group_option(GROUP_HELP + " Each group gets its comparison rows (metric NAME:KEY@group:NAME), costs and "
               "report section.")
@click.option("--slide", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE.png|svg",
              help="Also draw the one-chart slide: people reached and deaths averted over the horizon per option "
                   "and group, with 90% ranges and the money it takes, titled in words (not overwritten "
                   "without --force).")
def compare(scenarios: tuple[Path, ...], runs: int, seed: int, workers: int, out: Path, reference: str | None,
            metric_specs: tuple[str, ...], interval: str, min_effect_specs: tuple[str, ...], force: bool,
            sets: tuple[str, ...], parameters: Path | None, executor: str | None, scheduler: str | None,
            flows: str, batch_size: int | None, force_size: bool, groups: tuple[str, ...],
            slide: Path | None) -> None:
    """Compare SCENARIOS with paired statistics, plots and an HTML report.

    Replication i of every scenario uses the same random streams, so differences are
    paired (identical scenarios differ by exactly 0). For each outcome: mean and 95%
    CI, paired difference to the reference with 95% CI, probability of beating the
    reference (by any amount, and by more than the smallest effect that matters),
    probability of ranking first, and a verdict: better, worse, equivalent or
    inconclusive against --min-effect. Each row's period says when it is counted ("in 2030", "a year in
    2030", "over 2021-2030"). Cost per person reached goes to costs.csv; who gains and who loses people
    and money, by country and by funder, to attribution.csv (money intervals need --flows full), with a
    warning when losses elsewhere offset 50 % or more of an option's gains. Writes comparison.csv/.parquet, one
    results folder per scenario, plots/ and report.html into --out (atomically; each scenario's runs are
    written batch by batch as they finish).

    \b
    Examples:
      sdgsim compare scenarios/baseline.yaml scenarios/partnership-in-action.yaml --runs 200
      sdgsim compare baseline partnership-in-action --group gpp --group east=ETH,KEN \\
          --metric people_years_gain:EG.ELC.ACCS.ZS@group:gpp --slide pia.png
    """
    from simulation.analysis.comparison import money_sentences
    from simulation.outcomes.registry import label
    from simulation.report.text import comparison_table

    metrics_wanted = [_parse_metric(m) for m in (metric_specs or ("sdg_index_end",))]
    min_effects = {}
    for spec in min_effect_specs:
        name, eq, value = spec.partition("=")
        if not eq or not value.strip():
            raise click.BadParameter(f"got {spec!r} (expected NAME=VALUE, e.g. sdg_index_end=0.5)",
                                     param_hint="--min-effect")
        if name.strip() in min_effects:  # the last one silently winning would hide a typo
            raise click.BadParameter(f"{name.strip()} is given twice ({min_effects[name.strip()]} and "
                                     f"{value.strip()}); give each outcome once", param_hint="--min-effect")
        min_effects[name.strip()] = value.strip()
    try:  # the API loads and checks every scenario, metric and smallest effect once, before any run
        _scheduler_needs_dask(scheduler, executor)
        if slide is not None:  # before anything runs: a bad name or an existing file
            from simulation.report.slide import check_slide_path
            check_slide_path(slide, force)
        quiet = runs * len(scenarios) < 50 or not sys.stderr.isatty()
        with tqdm(total=runs * len(scenarios), unit="run", disable=quiet, file=sys.stderr, leave=False) as bar, \
                _stop_on_ctrl_c(out):
            comp = sim.compare([str(s) for s in scenarios], sets=sets, parameters=parameters, runs=runs, seed=seed,
                               workers=workers, batch_size=batch_size,
                               reference=reference, interval=interval, progress=bar.update, executor=executor,
                               scheduler=scheduler, min_effects=min_effects, flows=flows, force_size=force_size,
                               out=out, force=force, command=sys.argv, groups=groups,
                               metrics=[label(o, c, g) for o, c, g in metrics_wanted])
    except InputError as err:
        _fail(err)
    with _stop_on_ctrl_c(out):  # the folder is complete by now
        for w in comp.warnings:
            click.secho(f"warning: {w}", fg="yellow", err=True)
        for outcome, country, goal in metrics_wanted:
            click.echo(comparison_table(comp.comparison, outcome, country, goal, color=sys.stdout.isatty()))
            click.echo()
        for said in money_sentences(comp.comparison):  # "no extra money" / "saves money", never US$0
            click.echo(textwrap.fill(said, 80, break_on_hyphens=False))
        for said in comp.shifts:  # most of a gain is a loss somewhere else (attribution.csv)
            click.secho(textwrap.fill(said, 80, break_on_hyphens=False), fg="yellow")
        if slide is not None:
            try:
                click.echo(f"Slide:   {comp.slide(slide, force=force)}")
            except InputError as err:
                _fail(err)
        click.echo(f"Report:  {out / 'report.html'}")
        click.echo(f"Tables:  {out / 'comparison.csv'}  (every outcome, country, group and goal)")
        click.echo(f"Tables:  {out / 'attribution.csv'}  (who gains and loses people and money)")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@_group_option("A comparison's country group its slide shows (repeatable; default: every group the folder has). "
               "Groups are made when comparing: sdgsim compare ... --group NAME=ISO3,... or --group gpp.")
def report(folder: Path, groups: tuple[str, ...]) -> None:
    """Rebuild report.html (and plots/) of any results FOLDER: run, compare, sweep, search, calibration or back-test.

    \b
    Examples:
      sdgsim report results/compare
      sdgsim report results/compare --group gpp
    """
    from simulation.report.html import build_report

    try:
        path = build_report(folder, list(groups) or None)
    except InputError as err:
        _fail(err)
    click.echo(f"Report: {path}")


# --- scenario library: `sdgsim scenarios` (alias `list`) and `sdgsim show` (simulation/catalog.py)
@main.command("scenarios")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
def scenarios_cmd(directory: Path | None) -> None:
    """List the shipped scenarios (or those in DIRECTORY) with one-line descriptions.

    Children are indented under the scenario they extend; docs/scenarios.md tells each
    scenario's story, its sources and its assumptions.

    \b
    Examples:
      sdgsim scenarios
      sdgsim show covid-shock
    """
    from simulation.scenario.catalog import listing

    try:
        click.echo(listing(directory))
    except InputError as err:
        _fail(err)


main.add_command(scenarios_cmd, name="list")


@main.command()
@click.argument("scenario")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
              help="Override a field after loading, e.g. --set facility.overhead_rate=0.02 (repeatable).")
def show(scenario: str, sets: tuple[str, ...]) -> None:
    """Print SCENARIO fully resolved (after extends: and --set) as YAML.

    SCENARIO is a file or the name of a shipped scenario. Every field is spelled out,
    defaults included; the output is itself a valid scenario file with the same content
    hash (printed in its header, as in a results folder's manifest.json).

    \b
    Examples:
      sdgsim show partnership-in-action
      sdgsim show scenarios/baseline.yaml --set donors.JPN-ODA.budget_usd=3e9 > my.yaml
    """
    from simulation.scenario.catalog import show as show_scenario

    try:
        click.echo(show_scenario(scenario, sets), nl=False)
    except InputError as err:
        _fail(err)


# --------------------------------------------------------------------------- sweeps (issue 5)


@main.command()
@click.argument("sweep_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--executor", "-e", type=click.Choice(["serial", "process", "dask"]), default="process",
              show_default=True, help="Where runs execute: this process, local worker processes, or Dask.")
@click.option("--workers", "-w", type=click.IntRange(1, 4096), default=None,
              help="Worker processes (process, or a Dask LocalCluster) [default: all cores].")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="Address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Sweep folder [default: results/<sweep name>].")
@click.option("--resume", is_flag=True, help="Finish a stopped or killed sweep in --out (runs only missing chunks).")
@click.option("--force", is_flag=True, help="Replace an existing sweep folder.")
@click.option("--dry-run", is_flag=True, help="Validate, print the number of runs and a time and disk estimate "
                   "(from a few timing runs); write nothing.")
@_group_option(GROUP_HELP + " Each run records the group's people outcomes as columns "
               "(people_gain:KEY@group:NAME) for analyze and discover; give the same --group to --resume.")
def sweep(sweep_file: Path, executor: str, workers: int | None, scheduler: str | None, out: Path | None,
          resume: bool, force: bool, dry_run: bool, groups: tuple[str, ...]) -> None:
    """Run a parameter sweep: design points x policies x replications.

    SWEEP_FILE is a sweep file, or the name of a shipped sweep (baseline-sobol, pooling).
    Results stream to OUT/runs/part-*.parquet (one file per finished chunk) with
    manifest.json and design.parquet. Ctrl-C or a crash leaves a folder that --resume
    completes, with no run duplicated or missing. Results are bit-identical for any
    executor and number of workers.

    \b
    Examples:
      sdgsim sweep pooling --dry-run
      sdgsim sweep scenarios/sweeps/baseline-sobol.yaml --dry-run
      sdgsim sweep scenarios/sweeps/baseline-sobol.yaml --workers 2
      sdgsim sweep big.yaml --executor dask --scheduler tcp://head-node:8786 --out /shared/big
      sdgsim sweep big.yaml --resume --out /shared/big
    """
    from simulation.experiments.executors import ExecutorBroken, make_executor
    from simulation.experiments.sweep.running import SweepIncomplete, SweepInterrupted, estimate, prepare, run_sweep
    from simulation.experiments.sweep.spec import load_sweep
    from simulation.experiments.sweep.text import describe, estimate_text
    from simulation.results.folders import check_target

    try:
        if resume and force:
            raise InputError([Problem("--resume", 1, "--force", "choose one: --resume continues a folder, "
                                                                 "--force replaces it")])
        if scheduler and executor != "dask":
            raise InputError([Problem("--scheduler", 1, scheduler, "a scheduler address needs --executor dask")])
        if executor == "dask" and not dry_run:
            require("dask")  # before the plan is printed: the one line is all the output
        sw = load_sweep(sweep_file, groups)
        out = out or Path("results") / sw.name
        if not resume and not dry_run:
            check_target(out, force)
        unit, plan = prepare(sw)
    except InputError as err:
        _fail(err)
    n_workers = 1 if executor == "serial" else (workers or os.cpu_count() or 1)
    click.echo(describe(sw, plan))
    if dry_run:
        click.echo(estimate_text(estimate(sw, plan, unit, n_workers), executor))
        click.echo(f"  output:      {out}/")
        return
    bar = None

    def progress(done: int, total: int) -> None:  # runs done, rate and ETA on stderr
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, initial=done, unit="run", desc=sw.name, file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)

    def close_bar() -> None:
        if bar is not None:
            bar.close()

    try:
        result = run_sweep(sw, out, make_executor(executor, workers, scheduler), resume=resume, force=force,
                           progress=progress, prepared=(unit, plan), command=sys.argv)
    except InputError as err:
        close_bar()
        _fail(err)
    except SweepInterrupted as stop:
        close_bar()
        click.echo(f"\nInterrupted: {stop.done} of {stop.total} runs are saved in {out}/. Resume with:\n"
                   f"  sdgsim sweep {sweep_file} --resume --out {out}", err=True)
        sys.exit(130)
    except SweepIncomplete as err:
        close_bar()
        click.echo(f"error: {err}. The other {err.done} of {err.total} runs are saved; retry the missing chunks "
                   f"with: sdgsim sweep {sweep_file} --resume --out {out}", err=True)
        sys.exit(1)
    except ExecutorBroken as err:
        close_bar()
        click.echo(f"error: {err}. Resume with: sdgsim sweep {sweep_file} --resume --out {out}", err=True)
        sys.exit(1)
    close_bar()
    ran = result.runs - result.done_before
    rate = ran / result.seconds if result.seconds > 0 else float("nan")
    again = f" (resumed: {result.done_before} were already done)" if result.resumed else ""
    click.echo(f"Done: {ran} runs{again}, {result.failed} failed, in {result.seconds:.1f} s "
               f"({rate:.0f} runs/s, {result.executor} x{result.workers}).")
    if result.failed:
        click.echo(f"{result.failed} runs failed: their 'status' and 'error' columns say why "
                   "(sdgsim analyze lists them in analysis/failures.csv).")
    click.echo(f"Results: {out}/  (manifest.json, design.parquet, runs/part-*.parquet)")
    click.echo(f"Next:    sdgsim analyze {out}")


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing FOLDER/analysis.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the PNG and SVG plots.")
@click.option("--outcome", "outcomes", multiple=True, metavar="NAME[:KEY][@COUNTRY]",
              help="Analyse only this outcome column (repeatable) [default: the sweep file's outcomes].")
@click.option("--contrast", default=None, metavar="'B - A'",
              help="Analyse the difference policy B minus policy A, per point from the paired replications "
                   "(Sobol'/Morris indices of the difference, its spread); written to "
                   "FOLDER/contrasts/B-minus-A/analysis/.")
def analyze(folder: Path, force: bool, plots: bool, outcomes: tuple[str, ...], contrast: str | None) -> None:
    """Analyse a finished sweep FOLDER: Sobol' or Morris indices, robustness, plots.

    Writes FOLDER/analysis/ (points.csv, sobol.csv or morris.csv, robustness.csv,
    PNG + SVG plots) and FOLDER/analysis.json, an index of them for `sdgsim report`.

    \b
    Examples:
      sdgsim analyze results/baseline-sobol
      sdgsim analyze results/pooling --outcome people_gain:EG.ELC.ACCS.ZS --contrast 'pooled-20 - bilateral'
    """
    from simulation.results.folders import damaged_folder_errors

    try:
        with damaged_folder_errors(folder):
            result = sim.analyze(folder, outcomes=list(outcomes) or None, contrast=contrast)
            target = folder / "contrasts" / result.contrast.stem if result.contrast else folder
            if (target / "analysis").exists() and not force:
                raise InputError([Problem(str(target / "analysis"), 1, "<output>",
                                          "an analysis already exists (use --force to replace it)")])
            target.mkdir(parents=True, exist_ok=True)
            result.save(target, force=force, plots=plots)
    except InputError as err:
        if any("sweep is incomplete" in p.message for p in err.problems):
            file = sim.read_sweep(folder).manifest.get("sweep_file", "SWEEP_FILE")
            err = InputError([Problem(p.file, p.line, p.field, f"{p.message}: sdgsim sweep {file} --resume --out "
                                      f"{folder}") for p in err.problems])
        _fail(err)
    click.echo(result.summary())


for _command in (search.discover, search.optimize, calibration.calibrate, calibration.backtest, ppi.ppi, app.app,
                 data.data, donors.donors, new.new, appraisal.appraise, appraisal.voi, appraisal.portfolio):
    main.add_command(_command)

if __name__ == "__main__":
    main()
