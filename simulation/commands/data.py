"""`sdgsim data`: the shipped evidence base (list, show a series) and imports of newer downloads."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError, OptionError, Problem
from .common import fail as _fail

TABLE_VIEWS = ("countries", "donors", "indicators", "dac1", "dac_sectors", "debt_service", "groups")


@click.group(invoke_without_command=True)
@click.pass_context
def data(ctx: click.Context) -> None:
    """The evidence base: sourced public data for every country (lists the datasets).

    Shipped: World Bank WDI and UN SDG series 2000 to the latest year, the country table
    (regions, income groups, LDC, ODA recipients), OECD DAC1 donor totals and donor x sector
    shares, World Bank IDS debt service. `sdgsim data import` adds newer WDI, OECD DAC1/DAC2a
    or SDR downloads to your data folder. Sources, licences and gaps: docs/data.md.

    \b
    Examples:
      sdgsim data
      sdgsim data show SH.DYN.MORT --countries KEN,ETH
      sdgsim data import API_SH.DYN.MORT_DS2_en_csv_v2_1234.csv
    """
    if ctx.invoked_subcommand is not None:
        return
    from simulation import data as ev

    try:
        rows = ev.datasets()
    except InputError as err:
        _fail(err)
    click.echo(f"{'dataset':<22} {'origin':<9} {'rows':>7}  {'years':<10} {'coverage':<28} licence / source")
    for d in rows:
        years = f"{d.years[0]}-{d.years[1]}" if d.years else ""
        click.echo(f"{d.id:<22} {d.origin:<9} {d.rows:>7}  {years:<10} {d.coverage:<28} {d.licence}")
        click.echo(f"{'':<22} {'':<9} {'':>7}  {'':<10} {'':<28} from {d.source}")
    click.echo(f"\nSeries: {len(ev.INDICATORS)} indicators (sdgsim data show indicators); "
               f"your imports go to {ev.user_dir()}")


def _split(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


@data.command()
@click.argument("code")
@click.option("--countries", "-c", metavar="ISO3,...", help="Countries (ISO3 codes or names, comma-separated).")
@click.option("--group", "-g", metavar="GROUP", help="A group of countries instead (see `sdgsim data show groups`).")
@click.option("--donors", metavar="ID,...", help="Donors, for dac1 and dac_sectors (e.g. JPN,FRA,DAC).")
@click.option("--measure", default="oda_ge_current", show_default=True, help="DAC1 measure, for dac1.")
@click.option("--start", type=click.IntRange(1960, 2100), default=None, help="First year shown.")
@click.option("--end", type=click.IntRange(1960, 2100), default=None, help="Last year shown.")
def show(code: str, countries: str | None, group: str | None, donors: str | None, measure: str,
         start: int | None, end: int | None) -> None:
    """Print CODE as a table: an indicator (countries x years) or a table name.

    CODE is an indicator code (sdgsim data show indicators lists them) or one of
    countries, donors, indicators, dac1, dac_sectors, debt_service, groups. Without
    --start/--end the last ten years with data are shown.

    \b
    Examples:
      sdgsim data show SH.DYN.MORT --countries KEN,ETH
      sdgsim data show EG.ELC.ACCS.ZS --group ldc --start 2015
      sdgsim data show dac1 --donors JPN,FRA,USA --measure oda_gni_pct
      sdgsim data show countries --group gpp
    """
    import pandas as pd

    from simulation import data as ev

    try:
        if countries and group:
            raise OptionError([Problem("--group", 1, group, "give either --countries or --group, not both")])
        chosen = ev.resolve(countries) if countries else ev.group_members(group) if group else None
        key = code.strip()
        with pd.option_context("display.max_rows", 400, "display.max_columns", 40, "display.width", 200):
            if key.lower() in TABLE_VIEWS:
                click.echo(_table_view(ev, key.lower(), chosen, _split(donors), measure, start, end))
                return
            if key.upper() not in ev.INDICATORS:
                raise OptionError([Problem("CODE", 1, key, f"not a series or table (allowed: {', '.join(TABLE_VIEWS)}, "
                                                           f"or an indicator: {', '.join(ev.INDICATORS)})")])
            s = ev.series(key, chosen, start, end)
            if not len(s):
                raise OptionError([Problem("<indicator>", 1, key, "no values for these countries and years")])
            ind = ev.INDICATORS[key.upper()]
            click.echo(f"{ind.code}: {ind.name} ({ind.unit}); source {', '.join(sorted(set(s.source)))}")
            click.echo(_years_table(s, "country", start, end).to_string(na_rep="."))
    except InputError as err:
        _fail(err)


def _years_table(frame, rows: str, start: int | None, end: int | None):
    wide = frame.pivot_table(index=rows, columns="year", values="value", aggfunc="first")
    if start is None and end is None:
        wide = wide[sorted(wide.columns)[-10:]]
    return wide.map(lambda v: f"{v:.4g}" if v == v else v)


def _table_view(ev, name: str, chosen, donors, measure: str, start, end) -> str:
    if name == "groups":
        return "\n".join(f"{k:<16} {len(ev.group_members(k)):>4}  {v[0]}" for k, v in ev.groups().items())
    if name in ("countries", "donors", "indicators"):
        t = ev.table(name)
        if name == "countries" and chosen is not None:
            t = t[t.country.isin(chosen)]
        if name == "donors" and donors:
            t = t[t.donor.isin(donors)]
        return t.to_string(index=False)
    if name == "debt_service":
        t = ev.debt_service()
        if chosen is not None:
            t = t[t.country.isin(chosen)]
        t = t[(t.year >= (start or 0)) & (t.year <= (end or 9999))]
        t = t.groupby(["country", "year"], as_index=False).usd.sum().rename(columns={"usd": "value"})
        t["value"] = t.value / 1e6
        return "Public external debt service, US$ million (IDS; later years are scheduled)\n" + \
            _years_table(t, "country", start, end).to_string(na_rep=".")
    if name == "dac1":
        t = ev.dac1(measure)
        if donors:
            t = t[t.donor.isin(donors)]
        t = t[(t.year >= (start or 0)) & (t.year <= (end or 9999))]
        if not len(t):
            raise OptionError([Problem("--measure", 1, measure, "no values (measures: oda_ge_current, "
                                                                "oda_ge_constant, oda_net_current, oda_gni_pct, ...)")])
        return f"DAC1 {measure}\n" + _years_table(t, "donor", start, end).to_string(na_rep=".")
    t = ev.dac_sectors()
    if donors:
        t = t[t.donor.isin(donors)]
    year = end or int(t.year.max())
    t = t[t.year == year].pivot_table(index="sector", columns="donor", values="share")
    return f"Share of bilateral ODA by sector, {year}\n" + t.map(lambda v: f"{v:.1%}").to_string(na_rep=".")


@data.command()
@click.argument("codes", nargs=-1)
@click.option("--countries", "-c", metavar="ISO3,...", help="Countries (ISO3 codes or names, comma-separated).")
@click.option("--group", "-g", metavar="GROUP", help="A group of countries instead (sdgsim data show groups).")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV file to write (tidy: country, indicator, year, value, source, retrieved).")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def export(codes: tuple[str, ...], countries: str | None, group: str | None, out: Path, force: bool) -> None:
    """Write series CODES (default: all) for some countries as a history file.

    The file is what `sdgsim calibrate --history` and `sdgsim backtest --history` read, so a
    scenario built with `sdgsim new --start 2010` can be back-tested on what happened after.

    \b
    Example:
      sdgsim data export --countries SEN,MLI --out sahel-history.csv
      sdgsim backtest sahel-2010.yaml --history sahel-history.csv --fit-until 2010 --to 2023
    """
    import pandas as pd

    from simulation import data as ev
    from simulation.data.tables import write_bytes_atomic

    try:
        if countries and group:
            raise OptionError([Problem("--group", 1, group, "give either --countries or --group, not both")])
        if out.exists() and not force:
            raise OptionError([Problem(str(out), 1, "<output>", "file exists (use --force to replace it)")])
        chosen = ev.resolve(countries) if countries else ev.group_members(group) if group else None
        frames = [ev.series(code, chosen) for code in (codes or ev.INDICATORS)]
        t = pd.concat(frames, ignore_index=True)
        t["source"] = [_source_text(ev, s) for s in t.source]
        t["retrieved"] = ""
        write_bytes_atomic(t[["country", "indicator", "year", "value", "source", "retrieved"]]
                           .to_csv(index=False, float_format="%.10g").encode(), out)
    except InputError as err:
        _fail(err)
    click.echo(f"Wrote {out}: {len(t)} rows, {t.country.nunique()} countries, {t.indicator.nunique()} series")


def _source_text(ev, source: str) -> str:
    kind, _, ident = source.partition(":")
    if kind == "shipped":
        return f"sdgsim evidence base ({ident}; simulation/data/evidence/SOURCES.md)"
    return f"imported file ({ident})"


@data.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(["wdi", "dac1", "dac2a", "sdr"]), default=None,
              help="The file's format [default: recognised from its header].")
@click.option("--force", is_flag=True, help="Replace an earlier import of a file of the same name.")
def import_(file: Path, kind: str | None, force: bool) -> None:
    """Check FILE (a WDI, OECD DAC1/DAC2a or SDR download) and add it to your data folder.

    Values are checked like the shipped data (known ISO3 codes, units and ranges); a bad row
    is named as FILE:LINE: column: problem. The table is written atomically to the folder
    $SDGSIM_DATA_DIR (default ~/.local/share/sdgsim) and used from then on in place of the
    shipped values for the same country, series and year. docs/data.md says where to download.

    \b
    Example:
      sdgsim data import API_SH.DYN.MORT_DS2_en_csv_v2_1234.csv
    """
    from simulation import data as ev

    try:
        d, skipped = ev.import_file(file, kind, force)
    except InputError as err:
        _fail(err)
    years = f", {d.years[0]}-{d.years[1]}" if d.years else ""
    click.echo(f"Imported {d.id}: {d.rows} rows ({d.coverage}{years}) -> {d.file}")
    for reason, n in skipped.items():
        click.echo(f"  left out {n} rows: {reason}")
