"""`sdgsim donors fit`: donors' allocation rules fitted to the aid record, tested out of sample."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from .common import fail as _fail


@click.group()
def donors() -> None:
    """Donors' behaviour from the aid record (OECD DAC2a, imported with `sdgsim data import`)."""


@donors.command("fit")
@click.option("--donors", "donor_ids", metavar="ID,...|all-dac", default="all-dac", show_default=True,
              help="DAC donors (ISO3 such as FRA, EUI for EU institutions) or all-dac (every DAC member).")
@click.option("--fit-until", type=click.IntRange(1960, 2100), default=2018, show_default=True,
              help="Last year the fit reads (no later allocation is used to fit).")
@click.option("--to", "to_year", type=click.IntRange(1960, 2100), default=2022, show_default=True,
              help="Last year forecast and scored.")
@click.option("--measure", type=click.Choice(["auto", "gross", "net"]), default="auto", show_default=True,
              help="DAC2a aid type: gross ODA disbursements (240), total net ODA (206); auto: gross where present.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for fit.csv, skill.csv, forecast.csv and report.html [default: results/donors-<fit-until>].")
@click.option("--force", is_flag=True, help="Replace an existing folder.")
def fit(donor_ids: str, fit_until: int, to_year: int, measure: str, out: Path | None, force: bool) -> None:
    """Fit each allocation strategy to each donor's DAC2a shares over recipients and test it.

    Every strategy of the model (equal, needs, performance, priority, impact, and
    persistence with drift) is fitted to the donor's shares of its flows over recipient
    countries up to --fit-until, then forecasts the years after it to --to. skill.csv scores
    each rule by the mean absolute error of recipient shares (share_mae) against holding the
    last fitted year's shares (persistence_mae) and the needs rule at its defaults
    (needs_mae), on the same rows. A donor for which no rule beats persistence gets
    persistence with drift. `sdgsim new` uses each donor's best rule.

    \b
    Examples:
      sdgsim data import Table2a_download.csv
      sdgsim donors fit --donors FRA,JPN,USA --fit-until 2018 --to 2022 --out results/donors
      sdgsim donors fit --donors all-dac
    """
    from simulation.api.donors import fit_donors
    from simulation.results.folders import check_target

    out = out or Path("results") / f"donors-{fit_until}"
    try:
        check_target(out, force)
        result = fit_donors(donor_ids, fit_until, to_year, measure)
        result.save(out, force=force)
    except InputError as err:
        _fail(err)
    click.echo(result.summary())
    click.echo(f"\nReport: {out / 'report.html'}")
