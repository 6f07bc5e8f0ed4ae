"""`sdgsim new`: a complete scenario for any countries and donors, built from the evidence base.

The building is `simulation.api.new.new_scenario`; this command parses options and writes the file.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ..errors import InputError
from .common import fail as _fail


@click.command()
@click.argument("name", required=False)
@click.option("--countries", "-c", metavar="ISO3,...", help="Countries (ISO3 codes or names, comma-separated).")
@click.option("--group", "-g", metavar="GROUP", help="A group instead: ldc, oda-recipients, gpp, ssf, lic, ... "
                                                     "(--list-groups); members without population or GDP are left out.")
@click.option("--donors", metavar="ID,...|all-dac", default="", help="DAC1 donors (ISO3 such as JPN, EUI for EU "
                                                                     "institutions) or all-dac (every DAC member).")
@click.option("--goals", metavar="all|SDG2,SDG3,...", default=None,
              help="Goals [default: those with a start score for every country: SDG 2/3/6/7 from the indicators, "
                   "plus every goal of an imported SDR file].")
@click.option("--start", type=click.IntRange(2001, 2100), default=2024, show_default=True,
              help="Start year: only data up to it is read (no look-ahead; 2010 gives a back-test).")
@click.option("--end", type=click.IntRange(2002, 2300), default=2035, show_default=True, help="Last year.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario file to write [default: NAME.yaml].")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.option("--list-groups", is_flag=True, help="Print the groups --group accepts and exit.")
def new(name: str | None, countries: str | None, group: str | None, donors: str, goals: str | None, start: int,
        end: int, out: Path | None, force: bool, list_groups: bool) -> None:
    """Write a scenario NAME for some countries and donors, built from the evidence base.

    Countries get population and GDP (level and growth) from WDI, start values of the
    indicators (undernourishment, under-5 mortality, basic water, electricity) with trends
    fitted by the calibration machinery on their history up to --start, goal start scores
    (imported SDR scores, else the goal's indicator on the SDR scale), and domestic spending
    from government health and education spending. Donors get budgets from OECD DAC1 and
    their sector shares, spread over the chosen countries by an imported DAC2a file (else by
    the countries' share of all ODA received), and with DAC2a each donor's allocation rule
    fitted on its record (`sdgsim donors fit`). Every value's source and year, or
    "default: reason", is in the file's `sources:`; the command prints what was defaulted.

    \b
    Examples:
      sdgsim new sahel --countries SEN,MLI,BFA,NER --donors FRA,USA,DEU --start 2024 --end 2035
      sdgsim new ldcs --group ldc --donors all-dac
      sdgsim new sahel-2010 --countries SEN,MLI,BFA,NER --donors FRA --start 2010 --end 2023
    """
    from simulation.api import new as api

    try:
        if list_groups:
            for key, n, text in api.list_groups():
                click.echo(f"{key:<16} {n:>4}  {text}")
            return
        path = out or Path(f"{name}.yaml")
        if name or out:
            api.refuse_existing(path, force)  # before the build, which takes a while for a large group
        command = "sdgsim new " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["new"] else ""
        built = api.new_scenario(name or "", countries=countries, group=group, donors=donors, goals=goals,
                                 start=start, end=end, command=command)
        built.save(path, force=force)
    except InputError as err:
        _fail(err)
    lines = built.summary()
    click.echo(f"Wrote {path}: {lines[0]}")
    for line in lines[1:]:
        click.echo(line)
    click.echo(f"Check it: sdgsim validate {path}; run it: sdgsim run {path}")
