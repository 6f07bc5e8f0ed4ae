"""`sdgsim appraise` and `sdgsim voi`: cost-effectiveness of a comparison, value of information of a sweep."""

from __future__ import annotations

from pathlib import Path

import click

import simulation as sim

from ..errors import InputError, Problem
from .common import fail as _fail


def _wtp_range(spec: str | None) -> tuple[float, float] | None:
    if spec is None:
        return None
    low, sep, high = spec.partition(":")
    try:
        if not sep:
            raise ValueError
        return float(low), float(high)
    except ValueError:
        raise InputError([Problem("--wtp", 1, spec, "expected LOW:HIGH in US$ per unit of effect, e.g. 0:5000")]) \
            from None


@click.command()
@click.argument("compare_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--outcome", default="people_gain", show_default=True, metavar="NAME[:KEY][@COUNTRY]",
              help="The effect: any outcome of the registry (people_gain takes the first indicator), e.g. "
                   "people_gain:SH.DYN.MORT (under-5 deaths averted a year), sdg_index_end.")
@click.option("--wtp", metavar="LOW:HIGH", default=None,
              help="Willingness to pay per unit of effect, US$, for the acceptability curve [default: 0 to "
                   "three times the largest ICER, against the reference or along the frontier; when every "
                   "option dominates or is dominated, three times the largest Δcost/Δeffect (the notes say "
                   "so); at least twice --threshold].")
@click.option("--threshold", type=float, default=None,
              help="The willingness to pay at which net benefit and P(best) are stated [default: mid-range].")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Appraisal folder [default: COMPARE_DIR/appraisal].")
@click.option("--force", is_flag=True, help="Replace an existing appraisal folder.")
def appraise(compare_dir: Path, outcome: str, wtp: str | None, threshold: float | None, out: Path | None,
             force: bool) -> None:
    """Cost-effectiveness of each scenario of a comparison against its reference.

    Per paired run (replication i of every scenario shares its random streams): incremental
    cost (money put in by every funder over the horizon, not mobilised private finance) and
    incremental effect. Writes ce.csv (ICERs with intervals, strict and extended dominance, net
    benefit, P(best)), ceac.csv (wtp, option, probability), runs.csv, by_source.csv, plots
    (plane, acceptability curve) and report.html; the comparison's report shows them after
    `sdgsim report COMPARE_DIR`. Methods: docs/appraisal.md.

    \b
    Example:
      sdgsim compare baseline partnership-in-action --runs 200 --flows full --out results/compare
      sdgsim appraise results/compare --outcome people_gain:EG.ELC.ACCS.ZS --wtp 0:20000
    """
    from ..results.folders import check_target  # when the command runs: `sdgsim --help` loads no engine

    out = out or compare_dir / "appraisal"
    try:
        check_target(out, force)
        result = sim.appraise(compare_dir, outcome, wtp=_wtp_range(wtp), threshold=threshold)
        result.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(result.summary())
    click.echo(f"\nTables:  {out / 'ce.csv'}, {out / 'ceac.csv'}")
    click.echo(f"Report:  {out / 'report.html'}  (sdgsim report {compare_dir} adds it to the comparison's)")


@click.command()
@click.argument("sweep_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--outcome", required=True, metavar="COLUMN",
              help="An outcome column of the sweep's runs, e.g. people_gain:EG.ELC.ACCS.ZS, sdg_index_end.")
@click.option("--wtp", type=float, default=None,
              help="Willingness to pay per unit of outcome, US$: values in US$ (needs --cost) instead of the "
                   "outcome's unit.")
@click.option("--cost", default=None, metavar="COLUMN", help="A US$ outcome column counted as cost with --wtp.")
@click.option("--group", "groups", multiple=True, metavar="NAME=P1,P2,...",
              help="A group of parameters whose joint EVPPI is wanted (repeatable).")
@click.option("--resamples", type=click.IntRange(2, 10_000), default=200, show_default=True,
              help="Bootstrap resamples (over design points) for the standard errors.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="voi.csv to write (its plot and voi.json beside it) [default: SWEEP_DIR/voi.csv].")
@click.option("--force", is_flag=True, help="Replace an existing voi.csv.")
def voi(sweep_dir: Path, outcome: str, wtp: float | None, cost: str | None, groups: tuple[str, ...],
        resamples: int, out: Path | None, force: bool) -> None:
    """Value of information for the choice among a sweep's policies.

    EVPI (perfect information on everything) and, per uncertain parameter and per --group,
    EVPPI by the regression method of Strong, Oakley & Brennan (2014) with a bootstrap SE,
    ranked, in the outcome's unit. Writes voi.csv (parameter, evppi, se; the first row,
    (all), is the EVPI), voi.png/.svg and voi.json; `sdgsim report SWEEP_DIR` shows them.

    \b
    Example:
      sdgsim sweep pooling --out results/pooling
      sdgsim voi results/pooling --outcome people_gain:EG.ELC.ACCS.ZS
    """
    out = out or sweep_dir / "voi.csv"
    try:
        named = {}
        for g in groups:
            name, eq, members = g.partition("=")
            if not eq or not members.strip():
                raise InputError([Problem("--group", 1, g, "expected NAME=P1,P2 (parameter columns of the sweep)")])
            named[name.strip()] = [m.strip() for m in members.split(",") if m.strip()]
        if out.exists() and not force:
            raise InputError([Problem(str(out), 1, "<output>", "already exists (use --force to replace it)")])
        result = sim.voi(sweep_dir, outcome, wtp=wtp, cost=cost, groups=named or None, resamples=resamples)
        result.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(result.summary())
    click.echo(f"\nTable:   {out}  (plot {out.with_suffix('.png')})")


@click.command()
@click.argument("file")
@click.option("--budget", type=float, default=None, help="Budget, US$ [default: the file's budget_usd].")
@click.option("--outcome", default=None, metavar="NAME[:KEY][@COUNTRY]",
              help="Outcome to maximise (its registry direction) [default: the file's outcome].")
@click.option("--runs", "-n", type=click.IntRange(2, 100_000), default=None, help="Paired runs [default: the file's].")
@click.option("--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=None, help="Root seed [default: the file's].")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Worker processes. Results are identical for any number of workers.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), required=True, help="Results folder.")
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
def portfolio(file: str, budget: float | None, outcome: str | None, runs: int | None, seed: int | None, workers: int,
              out: Path, force: bool) -> None:
    """Choose the options to fund together within a budget.

    FILE is a portfolio file (a base scenario, candidate options each a set of changes with a cost,
    a budget) or the name of a shipped one (pilots). Every combination whose cost fits the budget is
    simulated (exhaustively, up to 10 options) with common random numbers; interactions between
    options are simulated, not added up. Writes portfolios.csv (each combination: cost, mean outcome
    with CI and range, P(best)), options.csv (how often each option is in the best portfolio of a
    run), runs.csv, plots/portfolio and report.html. Methods: docs/appraisal.md.

    \b
    Example:
      sdgsim portfolio pilots --budget 1.6e9 --outcome people_gain:EG.ELC.ACCS.ZS --out results/pilots
    """
    from ..results.folders import check_target  # when the command runs: `sdgsim --help` loads no engine

    try:
        check_target(out, force)
        result = sim.portfolio(file, budget=budget, outcome=outcome, runs=runs, seed=seed, workers=workers,
                               executor="serial" if workers == 1 else "process")
        result.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(result.summary())
    click.echo(f"\nTables:  {out / 'portfolios.csv'}, {out / 'options.csv'}\nReport:  {out / 'report.html'}")
