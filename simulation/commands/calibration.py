"""`sdgsim calibrate` and `sdgsim backtest`: indicators fitted on history, forecasts scored."""

from __future__ import annotations

from pathlib import Path

import click

import simulation as sim

from ..errors import InputError
from .common import fail as _fail


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--history", "history_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tidy history (CSV or Parquet): country, indicator, year, value[, source, retrieved].")
@click.option("--fit-until", type=click.IntRange(1800, 2300), required=True,
              help="Last year of history the fit may use (nothing later is read).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for calibrated.yaml, fit.csv, pooling.csv [default: results/<scenario>-calibration].")
@click.option("--force", is_flag=True, help="Replace an existing folder.")
def calibrate(scenario: Path, history_file: Path, fit_until: int, out: Path | None, force: bool) -> None:
    """Fit SCENARIO's indicator trends to history and write a calibrated scenario.

    Each country's indicators get a trend (the yearly rate at which the gap to the best
    value closed) with its uncertainty and noise, fitted with partial pooling across
    countries, and a start value from history at the scenario's start year. Series the
    history lacks are listed as skipped and use the pooled trend. calibrated.yaml extends
    SCENARIO, so run, compare and sweep use it directly (the trend uncertainty is drawn
    per replication).

    \b
    Example:
      sdgsim calibrate scenarios/baseline.yaml --history scenarios/history/wdi.csv --fit-until 2019
    """
    from simulation.api.calibration import calibrate as run_calibration
    from simulation.results.folders import check_target

    try:
        sc = sim.load_scenario(scenario)
        out = out or Path("results") / f"{sc.name}-calibration"
        check_target(out, force)
        cal = run_calibration(scenario, history_file, fit_until)
        cal.save(out, force=force)
    except InputError as err:
        _fail(err)
    t = cal.table
    click.echo(f"Calibrated {len(t)} series of {t.country.nunique()} countries on {history_file} up to {fit_until} "
               f"({int(t.pooled.sum())} from the pooled trend).")
    for key, g in t.groupby("indicator", sort=False):
        own = g[~g.pooled]
        click.echo(f"  {key:<16} trend {g.trend.min():+.3f} .. {g.trend.max():+.3f} /yr (log gap), "
                   f"in-sample RMSE {own.rmse_fit.mean():.3g} over {len(own)} fitted series")
    if cal.skipped:
        click.echo(f"Skipped or filled: {len(cal.skipped)} (see {out / 'skipped.txt'})")
    click.echo(f"Scenario: {out / 'calibrated.yaml'}  (sdgsim run {out / 'calibrated.yaml'})")


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--history", "history_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Tidy history (CSV or Parquet): country, indicator, year, value[, source, retrieved] "
                   "[default: the evidence base's series of the scenario's countries and indicators].")
@click.option("--fit-until", type=click.IntRange(1800, 2300), required=True, help="Last year used for fitting.")
@click.option("--to", "to_year", type=click.IntRange(1800, 2300), required=True, help="Last year forecast.")
@click.option("--runs", "-n", default=1000, show_default=True, type=click.IntRange(2, 100_000),
              help="Replications (parameter and noise uncertainty).")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1))
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for forecast.csv, skill.csv and report.html [default: results/backtest-<fit-until>].")
@click.option("--force", is_flag=True, help="Replace an existing folder.")
def backtest(scenario: Path, history_file: Path | None, fit_until: int, to_year: int, runs: int, seed: int,
             out: Path | None, force: bool) -> None:
    """Calibrate on history up to --fit-until only, forecast to --to, score against what happened.

    Writes forecast.csv (country, indicator, year, observed, mean, p05, p50, p95, money_off,
    trend, persistence, crd), skill.csv (RMSE, MAE, 90 % interval coverage and CRPS per
    indicator for the model, the model with money off, a linear trend, persistence and the
    constant rate of decline), series.csv (bias, RMSE and coverage per country and indicator),
    skill_by_group.csv (the RMSE of the model, the trend and persistence by World Bank region
    and income group) and report.html
    with every series and a map of skill by country. Values at a reporting floor are scored as
    published. Without --history the observations are the evidence base's (`sdgsim data`).

    \b
    Examples:
      sdgsim backtest scenarios/backtest.yaml --history scenarios/history/wdi.csv --fit-until 2015 --to 2022
      sdgsim new sahel-2010 --countries SEN,MLI,BFA,NER --start 2010 --end 2023
      sdgsim backtest sahel-2010.yaml --fit-until 2010 --to 2023
    """
    from simulation.api.calibration import backtest as run_backtest
    from simulation.results.folders import check_target

    out = out or Path("results") / f"backtest-{fit_until}"
    try:
        check_target(out, force)
        bt = run_backtest(scenario, history_file, fit_until, to_year, runs=runs, seed=seed)
        bt.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(bt.summary())
    click.echo(f"\nReport: {out / 'report.html'}")
