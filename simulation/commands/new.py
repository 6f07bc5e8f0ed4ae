"""`sdgsim new`: a complete scenario for any countries and donors, built from the evidence base."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..errors import InputError, OptionError, Problem
from .common import fail as _fail

TEMPLATE = "baseline-all-goals"   # the shipped scenario whose goal and indicator definitions `new` uses


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
    from simulation import data as ev

    try:
        if list_groups:
            for key, (text, _) in ev.groups().items():
                click.echo(f"{key:<16} {len(ev.group_members(key)):>4}  {text}")
            return
        built, path, cal = _build(name, countries, group, donors, goals, start, end, out, force)
    except InputError as err:
        _fail(err)
    doc = built.doc
    click.echo(f"Wrote {path}: {len(doc['countries'])} countries, {len(doc['goals'])} goals "
               f"({', '.join(g['id'] for g in doc['goals'])}), {len(doc['donors'])} donors, {start}-{end}.")
    from simulation.data.newscenario import format_summary

    click.echo("Where the values come from (sources: in the file has each one):")
    for line in format_summary(built):
        click.echo(line)
    pooled = int(cal.table.pooled.sum())
    click.echo(f"Indicator trends: fitted on history up to {start} for {len(cal.table) - pooled} series, "
               f"{pooled} from the pooled trend (too little history).")
    for line in built.left_out:
        click.echo(f"  left out {line}")
    click.echo(f"Check it: sdgsim validate {path}; run it: sdgsim run {path}")


def _build(name, countries, group, donors, goals, start, end, out, force):
    import yaml

    import simulation as sim
    from simulation import data as ev
    from simulation.api.calibration import calibrate
    from simulation.api.donors import apply_fitted_rules
    from simulation.data.newscenario import Spec, Templates, build_scenario, plain, rescore
    from simulation.data.tables import write_bytes_atomic
    from simulation.scenario.history import History
    from simulation.scenario.loading import validate_data

    if not name:
        raise OptionError([Problem("NAME", 1, "<argument>", "a scenario name is required (e.g. sdgsim new sahel ...)")])
    if bool(countries) == bool(group):
        raise OptionError([Problem("--countries", 1, "<option>", "give either --countries or --group")])
    if end <= start:
        raise OptionError([Problem("--end", 1, str(end), f"must be after --start ({start})")])
    path = out or Path(f"{name}.yaml")
    if path.exists() and not force:
        raise OptionError([Problem(str(path), 1, "<output>", "file exists (use --force to replace it, or --out FILE)")])
    codes = ev.resolve(countries) if countries else ev.group_members(group)
    donor_ids = _donors(donors)
    goal_ids = _goals(goals)
    t = sim.load_scenario(TEMPLATE)
    templates = Templates(
        goals={g.id: g.model_dump(exclude_defaults=True) | {"id": g.id} for g in t.goals},
        indicators=[i.model_dump() for i in t.indicators],
        interlinkages=[x.model_dump() for x in t.interlinkages], uncertainty=t.uncertainty.model_dump(),
        origin=f"the shipped scenario {TEMPLATE}")
    spec = Spec(name, tuple(codes), tuple(donor_ids), goal_ids, start, end, skip_incomplete=bool(group),
                option="--group" if group else "--countries")
    built = build_scenario(spec, templates)
    doc = built.doc
    built.left_out += [f"donor rule {x}" for x in apply_fitted_rules(doc, start)]
    scenario = validate_data(doc, f"{name} (built)", plain=True)
    frame = built.history.assign(retrieved="", line=0)
    cal = calibrate(scenario, History("evidence base (simulation.data)", frame), fit_until=start)
    fitted = {c.id: c for c in cal.calibrated.countries}
    table = cal.table.set_index(["country", "indicator"])
    for entry in doc["countries"]:
        c = fitted[entry["id"]]
        entry["birth_rate_per_1000"] = round(c.birth_rate_per_1000, 2)
        key = f"countries.{entry['id']}.birth_rate_per_1000"
        got = ev.value_at(frame[frame.indicator == "SP.DYN.CBRT.IN"], entry["id"], start)
        doc["sources"][key] = (f"World Bank WDI SP.DYN.CBRT.IN, {got[1]}" if got else
                               "default: no crude birth rate in the data; the schema's default")
        for ind, v in c.indicators.items():
            r = table.loc[(entry["id"], ind)]
            entry["indicators"][ind] = {k: float(f"{getattr(v, k):.4g}") for k in
                                        ("value", "trend", "trend_sd", "noise_sd", "baseline_usd_per_capita")}
            k = f"countries.{entry['id']}.indicators.{ind}"
            how = "pooled trend (too little history)" if r.pooled else f"trend fitted on {int(r.n_obs)} observations"
            doc["sources"][k] = doc["sources"].get(k, "") + f"; carried to {start} along the {how} up to {start} " \
                                                             "(sdgsim calibrate machinery)"
    doc = built.doc = plain(doc)
    rescore(doc, start)
    validate_data(doc, f"{name} (calibrated)", plain=True)
    head = (f"# Written by `sdgsim new` on {date.today().isoformat()} from the sdgsim evidence base (docs/data.md).\n"
            f"# Data up to {start} only. `sources:` gives each value's source and year, or 'default: reason'.\n"
            f"# Goal and indicator definitions (effectiveness, unit costs, SDR bounds) are those of the shipped\n"
            f"# scenario {TEMPLATE}, calibrated on ten countries: assumptions, not data about these countries.\n")
    write_bytes_atomic((head + yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True)).encode(), path)
    sim.load_scenario(path)
    return built, path, cal


def _donors(text: str) -> list[str]:
    from simulation.data.donors import BY_ID

    if not text:
        return []
    if text.strip().lower() == "all-dac":
        return [d.id for d in BY_ID.values() if d.dac_member]
    out, problems = [], []
    for x in (y.strip().upper() for y in text.split(",") if y.strip()):
        if x in BY_ID and BY_ID[x].kind != "group":
            out.append(x)
        else:
            problems.append(Problem("--donors", 1, x, "not a DAC1 donor (allowed: an ISO3 code such as FRA, EUI, or "
                                                      "all-dac; sdgsim data show donors lists them)"))
    if problems:
        raise OptionError(problems)
    return list(dict.fromkeys(out))


def _goals(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if text.strip().lower() == "all":
        return tuple(f"SDG{i}" for i in range(1, 18))
    ids = [x.strip().upper() for x in text.split(",") if x.strip()]
    bad = [x for x in ids if x not in {f"SDG{i}" for i in range(1, 18)}]
    if bad:
        raise OptionError([Problem("--goals", 1, b, "not a goal (allowed: SDG1 ... SDG17, or all)") for b in bad])
    return tuple(dict.fromkeys(ids))
