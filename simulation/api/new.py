"""A complete scenario for any countries and donors, built from the evidence base.

    built = new_scenario("sahel", countries=["SEN", "MLI", "BFA", "NER"], donors=["FRA", "USA"])
    built.scenario           # the validated Scenario (runs as it is: sim.run(built.scenario))
    built.summary()          # what came from where, what was defaulted, what was left out
    built.save("sahel.yaml") # the file, with every value's source in `sources:`

What is data and what is not: simulation/data/newscenario.py and docs/data.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Sequence

import yaml

from ..data import group_members, groups, resolve, value_at
from ..data.newscenario import Spec, Templates, build_scenario, format_summary, plain, rescore
from ..data.tables import write_bytes_atomic
from ..errors import OptionError, Problem
from ..scenario import Scenario
from ..scenario.history import History
from ..scenario.loading import validate_data
from ..scenario.schema import Fiscal
from ..scenario.typeinfo import field_range
from .arguments import checked
from .calibration import Calibration, calibrate
from .donors import apply_fitted_rules, parse_donors
from .scenarios import load_scenario

TEMPLATE = "baseline-all-goals"
"""The shipped scenario whose goal and indicator definitions `new_scenario` uses."""
GOAL_IDS = tuple(f"SDG{i}" for i in range(1, 18))


@dataclass
class NewScenario:
    """A scenario built from the evidence base, with the provenance of every value.

    Attributes
    ----------
    doc : dict
        The scenario file's body (what `save` writes as YAML), `sources:` included.
    scenario : Scenario
        `doc` validated: runs as it is.
    calibration : Calibration
        The trend fit of the indicators on history up to the start year.
    left_out : list of str
        Countries (of a group) and donors left out, each with the reason.
    command : str
        The command line that rebuilds it (written in the file's header).
    """

    doc: dict
    scenario: Scenario
    calibration: Calibration
    left_out: list[str] = field(default_factory=list)
    command: str = ""

    def summary(self) -> list[str]:
        """Describe in lines what the scenario holds and where its values come from.

        Returns
        -------
        list of str
            Counts of countries, goals, donors; per field, values sourced and defaulted;
            the fitted and pooled trends; what was left out.
        """
        d, t = self.doc, self.calibration.table
        pooled = int(t.pooled.sum())
        return [f"{len(d['countries'])} countries, {len(d['goals'])} goals "
                f"({', '.join(g['id'] for g in d['goals'])}), {len(d['donors'])} donors, "
                f"{d['start_year']}-{d['end_year']}.",
                "Where the values come from (sources: in the file has each one):",
                *format_summary(_Doc(d)),
                f"Indicator trends: fitted on history up to {d['start_year']} for {len(t) - pooled} series, "
                f"{pooled} from the pooled trend (too little history).",
                *(f"  left out {x}" for x in self.left_out)]

    def yaml_text(self) -> str:
        """Return the scenario file's text: a header saying how it was made, then the YAML body."""
        start = self.doc["start_year"]
        head = (f"# Written by `sdgsim new` on {date.today().isoformat()} from the sdgsim evidence base "
                "(docs/data.md).\n"
                + (f"# Rebuild: {self.command}\n" if self.command else "")
                + f"# Data up to {start} only. `sources:` gives each value's source and year, or 'default: reason'.\n"
                f"# Goal and indicator definitions (effectiveness, unit costs, SDR bounds) are those of the shipped\n"
                f"# scenario {TEMPLATE}, calibrated on ten countries: assumptions, not data about these countries.\n")
        return head + yaml.safe_dump(self.doc, sort_keys=False, width=120, allow_unicode=True)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the scenario file atomically and check that it loads.

        Parameters
        ----------
        path : str or Path
            The file to write.
        force : bool
            Replace an existing file.

        Returns
        -------
        Path
            The file written.

        Raises
        ------
        OptionError
            `path` exists and `force` is false.
        """
        path = Path(path)
        refuse_existing(path, force)
        write_bytes_atomic(self.yaml_text().encode(), path)
        load_scenario(path)
        return path


@dataclass
class _Doc:  # what format_summary reads
    doc: dict


def refuse_existing(path: Path, force: bool) -> None:
    """Raise OptionError if the file `path` exists and replacing it was not asked for."""
    if path.exists() and not force:
        raise OptionError([Problem(str(path), 1, "<output>", "file exists (use --force to replace it, or --out FILE)")])


def parse_goals(text: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Return goal ids from a list or "SDG2,SDG3" or "all"; None stays None (the default choice).

    Parameters
    ----------
    text : str, sequence of str or None
        Goal ids SDG1 ... SDG17, or "all".

    Returns
    -------
    tuple of str or None
        The goals, in the order given.

    Raises
    ------
    OptionError
        An id that is not a goal, located at `--goals`.
    """
    if text is None:
        return None
    items = [y.strip().upper() for y in (text.split(",") if isinstance(text, str) else text) if str(y).strip()]
    if items == ["ALL"]:
        return GOAL_IDS
    bad = [x for x in items if x not in GOAL_IDS]
    if bad:
        raise OptionError([Problem("--goals", 1, b, "not a goal (allowed: SDG1 ... SDG17, or all)") for b in bad])
    return tuple(dict.fromkeys(items))


def _templates() -> Templates:
    t = load_scenario(TEMPLATE)
    return Templates(goals={g.id: g.model_dump(exclude_defaults=True) | {"id": g.id} for g in t.goals},
                     indicators=[i.model_dump() for i in t.indicators],
                     interlinkages=[x.model_dump() for x in t.interlinkages], uncertainty=t.uncertainty.model_dump(),
                     origin=f"the shipped scenario {TEMPLATE}",
                     ranges={"fiscal.revenue_share": field_range(Fiscal, "revenue_share")})


def _check(name: str, countries, group, start: int, end: int) -> None:
    problems = []
    if not name:
        problems.append(Problem("NAME", 1, "<argument>", "a scenario name is required (e.g. sdgsim new sahel ...)"))
    if bool(countries) == bool(group):
        problems.append(Problem("--countries", 1, "<option>", "give either --countries or --group"))
    if end <= start:
        problems.append(Problem("--end", 1, str(end), f"must be after --start ({start})"))
    if problems:
        raise OptionError(problems)


def _calibrate_into(doc: dict, history, scenario: Scenario, start: int) -> Calibration:
    """Fit the indicator trends on history up to `start` and write them, with provenance, into `doc`."""
    frame = history.assign(retrieved="", line=0)
    cal = calibrate(scenario, History("evidence base (simulation.data)", frame), fit_until=start)
    fitted = {c.id: c for c in cal.calibrated.countries}
    table = cal.table.set_index(["country", "indicator"])
    births = frame[frame.indicator == "SP.DYN.CBRT.IN"]
    for entry in doc["countries"]:
        c = fitted[entry["id"]]
        entry["birth_rate_per_1000"] = round(c.birth_rate_per_1000, 2)
        got = value_at(births, entry["id"], start)
        doc["sources"][f"countries.{entry['id']}.birth_rate_per_1000"] = (
            f"World Bank WDI SP.DYN.CBRT.IN, {got[1]}" if got else
            "default: no crude birth rate in the data; the schema's default")
        for ind, v in c.indicators.items():
            r = table.loc[(entry["id"], ind)]
            entry["indicators"][ind] = {k: float(f"{getattr(v, k):.4g}") for k in
                                        ("value", "trend", "trend_sd", "noise_sd", "baseline_usd_per_capita")}
            k = f"countries.{entry['id']}.indicators.{ind}"
            how = "pooled trend (too little history)" if r.pooled else f"trend fitted on {int(r.n_obs)} observations"
            doc["sources"][k] = (doc["sources"].get(k, "") + f"; carried to {start} along the {how} up to {start} "
                                 "(sdgsim calibrate machinery)")
    return cal


@checked
def new_scenario(name: str, *, countries: str | Sequence[str] | None = None, group: str | None = None,
                 donors: str | Sequence[str] = (), goals: str | Sequence[str] | None = None,
                 start: int = 2024, end: int = 2035, command: str = "") -> NewScenario:
    """Build a complete, calibrated scenario for some countries and donors from the evidence base.

    Countries get population and GDP (level and growth) from WDI, indicator start values with
    trends fitted by the calibration machinery on their history up to `start` (nothing later is
    read), goal start scores, and domestic spending from government spending. Donors get
    budgets from OECD DAC1 and their sector shares, spread over the chosen countries. Every
    value's source and year, or "default: reason", is in the result's `doc["sources"]`.

    Parameters
    ----------
    name : str
        The scenario's name.
    countries : str or sequence of str, optional
        ISO3 codes or names ("SEN,MLI" or a list). Exactly one of `countries` and `group`.
    group : str, optional
        A group id (`simulation.data.groups()`: "oda-recipients", "ldc", "ssf", ...); members
        without population or GDP are left out and listed in `left_out`.
    donors : str or sequence of str
        DAC1 donor ids, or "all-dac" (every DAC member); none by default.
    goals : str or sequence of str, optional
        Goal ids or "all"; by default the goals with a start score for every country.
    start, end : int
        First and last year; `start=2010` gives a back-testable scenario.
    command : str
        The command line that built it, written in the file's header (the CLI passes its own).

    Returns
    -------
    NewScenario
        The document, the validated scenario, the calibration, what was left out.

    Raises
    ------
    OptionError
        A bad choice (unknown country, group, donor or goal; years), located at its option.
    InputError
        A required series missing with no defensible default (population or GDP of an
        explicitly chosen country; a goal without a start score), located at its option.
    """
    _check(name, countries, group, start, end)
    codes = resolve(countries if isinstance(countries, str) else list(countries)) if countries \
        else group_members(group or "")
    spec = Spec(name, tuple(codes), tuple(parse_donors(donors)), parse_goals(goals), start, end,
                skip_incomplete=bool(group), option="--group" if group else "--countries")
    built = build_scenario(spec, _templates())
    doc = built.doc
    built.left_out += [f"donor rule {x}" for x in apply_fitted_rules(doc, start)]
    cal = _calibrate_into(doc, built.history, validate_data(doc, f"{name} (built)", plain=True), start)
    doc = plain(doc)
    rescore(doc, start)
    scenario = validate_data(doc, f"{name} (calibrated)", plain=True)
    return NewScenario(doc, scenario, cal, list(built.left_out), command)


def list_groups() -> list[tuple[str, int, str]]:
    """Return the groups `new_scenario(group=...)` accepts.

    Returns
    -------
    list of (str, int, str)
        Group id, number of members, description.
    """
    return [(key, len(group_members(key)), text) for key, (text, _) in groups().items()]


__all__ = ["NewScenario", "new_scenario"]
