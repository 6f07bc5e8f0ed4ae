"""`sdgsim ppi run` and `sdgsim ppi calibrate`: PPI 3.0.7-compatible indicator dynamics."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from ..errors import InputError
from .common import fail as _fail


def _ppi_tables(f):
    """Options shared by `sdgsim ppi run` and `sdgsim ppi calibrate`: the PPI-style input tables."""
    path = click.Path(dir_okay=False, path_type=Path)
    for opt in reversed([
        click.option("--indicators", "-i", type=path, required=True,
                     help="Indicators CSV: id, I0, [IF, success_rate], instrumental, goal, qm, rl, Imax, Imin, ..."),
        click.option("--network", type=path, default=None, help="Network CSV: origin, destination, weight."),
        click.option("--expenditure", type=path, default=None,
                     help="Expenditure CSV: program, then one budget column per period."),
        click.option("--relations", type=path, default=None,
                     help="Programme-indicator CSV: indicator, program (needs --expenditure)."),
        click.option("--periods", "-T", type=click.IntRange(1, 100_000), default=None,
                     help="Periods without an expenditure table [default: 50]."),
        click.option("--qm-indicator", default=None, metavar="ID",
                     help="Endogenous monitoring: the indicator (level in [0, 1]) that measures it."),
        click.option("--rl-indicator", default=None, metavar="ID",
                     help="Endogenous rule of law: the indicator (level in [0, 1]) that measures it."),
        click.option("--compat", type=click.Choice(["3.0.7", "fixed"]), default="3.0.7", show_default=True,
                     help="3.0.7 reproduces PPI 3.0.7 with its quirks; fixed corrects them (docs/ppi.md)."),
        click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(0, 2**63 - 1),
                     help="Root seed; run r uses SeedSequence(seed) child r."),
        click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Results folder [default: results/ppi-<indicators file name>]."),
        click.option("--force", is_flag=True, help="Replace an existing results folder."),
    ]):
        f = opt(f)
    return f


@click.group()
def ppi() -> None:
    """Policy Priority Inference (PPI 3.0.7) indicator dynamics: run and calibrate.

    Bring a PPI model as CSV tables (docs/ppi.md): indicators, optional network,
    expenditure by programme and programme-indicator relations.

    \b
    Examples:
      sdgsim ppi calibrate -i indicators.csv --network network.csv --out results/cal
      sdgsim ppi run -i indicators.csv --params results/cal/parameters.csv --runs 1000
    """


@ppi.command("run")
@_ppi_tables
@click.option("--params", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Parameters CSV (id, alpha, alpha_prime, beta), e.g. a calibration's parameters.csv.")
@click.option("--runs", "-n", default=100, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Monte Carlo runs.")
@click.option("--keep", type=click.Choice(["series", "mean", "final"]), default=None,
              help="What to store: every run's series, their means over runs, or final values only "
                   "[default: series up to 5 million values (runs x periods x indicators), else mean].")
def ppi_run(indicators, network, expenditure, relations, periods, qm_indicator, rl_indicator, compat, seed, out,
            force, params, runs, keep) -> None:
    """Run a PPI model RUNS times and write a results folder (Parquet, summary.csv, PNG plots)."""
    from simulation.api.ppi import ppi_run

    try:
        with tqdm(total=runs, unit="run", disable=runs < 1000, file=sys.stderr, leave=False) as bar:
            done = ppi_run(indicators, network=network, expenditure=expenditure, relations=relations,
                                       params=params, periods=periods, qm_indicator=qm_indicator,
                                       rl_indicator=rl_indicator, runs=runs, seed=seed, compat=compat, keep=keep,
                                       out=out, force=force, progress=bar.update)
    except InputError as err:
        _fail(err)
    click.echo(run_text(done))
    files = ", ".join(sorted(p.name for p in done.folder.iterdir() if p.is_file()))
    click.echo(f"\nResults: {done.folder}/  ({files})")


@ppi.command("calibrate")
@_ppi_tables
@click.option("--threshold", default=0.8, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Worst goodness of fit (PPI's GoF) to reach on independent runs.")
@click.option("--runs", "-n", default=100, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Runs per evaluation in the first stage (x4 per further stage).")
@click.option("--check-runs", default=1000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Independent runs on which the goodness of fit is measured.")
@click.option("--opposite", default=0.0, show_default=True, type=click.FloatRange(0, None),
              help="Fixed step against each indicator's observed direction (see docs/ppi.md).")
def ppi_calibrate(indicators, network, expenditure, relations, periods, qm_indicator, rl_indicator, compat, seed,
                  out, force, threshold, runs, check_runs, opposite) -> None:
    """Calibrate alpha, alpha_prime, beta to IF and success_rate; writes parameters.csv and fit.png.

    Exit code 0 also when the threshold is not met (the fit is reported); 2 on bad input.
    """
    from simulation.api.ppi import ppi_calibrate

    try:
        done = ppi_calibrate(indicators, network=network, expenditure=expenditure,
                                            relations=relations, periods=periods, qm_indicator=qm_indicator,
                                            rl_indicator=rl_indicator, threshold=threshold, runs=runs,
                                            check_runs=check_runs, opposite=opposite, seed=seed, compat=compat,
                                            out=out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(calibration_text(done))
    click.echo(f"\nResults: {done.folder}/  (parameters.csv, history.csv, fit.png, manifest.json)")


def run_text(done) -> str:
    """A PPI run for the terminal: its size, then the 15 indicators that moved most."""
    inp, res, summary = done.inputs, done.result, done.summary
    lines = [f"PPI run: {len(inp.ids)} indicators ({len(res.instrumental)} instrumental), {res.T} periods, "
             f"{done.runs} runs, seed {done.seed}, compat {done.compat}, kept: {done.keep}", "",
             f"{'indicator':<24}{'I0':>10}{'final':>10}{'90% of runs':>24}{'mean γ':>9}"]
    s = summary.reindex(summary.change_mean.abs().sort_values(ascending=False).index)
    for _, r in s.head(15).iterrows():
        lines.append(f"{str(r.indicator)[:23]:<24}{r.I0:10.4g}{r.final_mean:10.4g}"
                     f"{'[' + format(r.final_p05, '.4g') + ', ' + format(r.final_p95, '.4g') + ']':>24}"
                     f"{r.gamma_mean:9.3f}")
    if len(s) > 15:
        lines.append(f"... {len(s) - 15} more in summary.csv (sorted here by |mean change|)")
    return "\n".join(lines)


def calibration_text(done) -> str:
    """A PPI calibration for the terminal: its size, its goodness of fit, the five worst fitted."""
    import numpy as np

    inp, res = done.inputs, done.result
    gof = np.minimum(res.gof_alpha, res.gof_beta)
    worst = np.argsort(gof)[:5]
    lines = [f"PPI calibration: {len(inp.ids)} indicators, {res.T} periods, {res.iterations} iterations, "
             f"{res.runs_simulated} runs simulated in {res.seconds:.1f} s",
             f"goodness of fit on {res.check_runs} independent runs: worst {res.worst_gof:.3f}, median "
             f"{done.median_gof:.3f} (threshold {done.threshold:g}: {'met' if done.converged else 'NOT met'})", "",
             f"{'worst fitted':<24}{'alpha':>11}{'alpha_prime':>12}{'beta':>9}{'GoF final':>10}{'GoF rate':>9}"]
    for i in worst:
        lines.append(f"{inp.ids[i][:23]:<24}{res.alphas[i]:11.4g}{res.alphas_prime[i]:12.4g}{res.betas[i]:9.4g}"
                     f"{res.gof_alpha[i]:10.3f}{res.gof_beta[i]:9.3f}")
    return "\n".join(lines)
