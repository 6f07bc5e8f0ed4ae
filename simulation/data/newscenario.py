"""A scenario from the evidence base: countries, goals and donors with every value's provenance.

`build_scenario(spec, templates)` turns a choice of countries, donors, goals and years into the
body of a scenario file (a dict the scenario schema validates) and `sources` entries saying where
each value came from ("World Bank WDI SP.POP.TOTL, 2024", or "default: reason"). Only data up to
the start year is read (no look-ahead), so `start=2010` gives a back-testable scenario.

The goal and indicator definitions (effectiveness, unit costs, SDR bounds) are not data: they
come from `templates` (the shipped scenarios' calibrated definitions, passed in by the caller).
Indicator trends are fitted afterwards by the calibration machinery on `history` (the evidence
series up to the start year), which the caller runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Container

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .catalog import PILOT_COUNTRIES
from .donors import BY_ID
from .fiscal import fiscal_block
from .store import DAC2A_MEASURES, dac1, dac2a, dac2a_flows, dac_sectors, sdr_scores, series
from .store import countries as country_table

HISTORY_SERIES = ("SP.DYN.CBRT.IN",)  # read by the calibration (the under-5 mortality denominator)
# OECD sector groups (ONE's CRS chart) -> the SDG their money works on; the others (humanitarian,
# refugees in donor countries, administration, budget support, multi-sector, debt, unallocated) fund no goal.
SECTOR_GOALS = {
    "Agriculture and Forestry & Fishing": "SDG2", "Health": "SDG3", "Education": "SDG4",
    "Water Supply & Sanitation": "SDG6", "Energy": "SDG7", "Banking & Financial Services and Business": "SDG8",
    "Transport & Storage and communications": "SDG9", "Industry, Mining, Construction": "SDG9",
    "Social infrastructure, protection and services": "SDG1", "Environment Protection": "SDG13",
    "Government": "SDG16", "Civil society": "SDG16", "Conflict Peace and Security": "SDG16",
    "Trade Policies & Regulations": "SDG17",
}
WDI = "World Bank WDI"


@dataclass(frozen=True)
class Spec:
    """What to build: countries (ISO3), donors (ids of simulation.data.donors), goals, years."""

    name: str
    countries: tuple[str, ...]
    donors: tuple[str, ...] = ()
    goals: tuple[str, ...] | None = None      # None: the goals with a start score for every country
    start: int = 2024
    end: int = 2035
    skip_incomplete: bool = False              # a group: leave out countries without population or GDP
    option: str = "--countries"                # the option the countries came from (for messages)


@dataclass(frozen=True)
class Templates:
    """Definitions that are not data: goals and indicators (as dicts of the schema), interlinkages."""

    goals: dict[str, dict]
    indicators: list[dict]
    interlinkages: list[dict]
    uncertainty: dict
    origin: str                                  # e.g. "scenarios/baseline-all-goals.yaml"
    ranges: dict[str, Container[float]]          # the schema's bounds that data must meet, e.g. "fiscal.revenue_share"


@dataclass
class Built:
    doc: dict
    history: pd.DataFrame                         # country, indicator, year, value, source (years <= start)
    left_out: list[str] = field(default_factory=list)
    defaults: dict[str, int] = field(default_factory=dict)   # field -> how many values were defaulted


def _last(frame: pd.DataFrame, country: str, year: int) -> tuple[float, int] | None:
    s = frame[(frame.country == country) & (frame.year <= year)]
    if not len(s):
        return None
    i = s.year.idxmax()
    return float(s.value[i]), int(s.year[i])


def _growth(frame: pd.DataFrame, country: str, year: int, span: int, lo: float, hi: float) -> tuple[float, str] | None:
    """Compound yearly growth over the `span` years ending at the last value at or before `year`."""
    end = _last(frame, country, year)
    if end is None:
        return None
    start = frame[(frame.country == country) & (frame.year == end[1] - span)]
    if not len(start) or start.value.iloc[0] <= 0 or end[0] <= 0:
        return None
    g = (end[0] / float(start.value.iloc[0])) ** (1 / span) - 1
    clipped = min(max(g, lo), hi)
    note = "" if clipped == g else f", clipped from {g:+.3f} to [{lo:+g}, {hi:+g}]"
    return round(clipped, 4), f"{end[1] - span}-{end[1]}{note}"


def _r(x: float, digits: int = 4) -> float:
    return float(f"{x:.{digits}g}")


class _Sources:
    """The `sources:` map, and a count of defaulted values per field (printed by the command)."""

    def __init__(self) -> None:
        self.map: dict[str, str] = {}
        self.defaults: dict[str, int] = {}

    def data(self, path: str, text: str) -> None:
        self.map[path] = text

    def default(self, path: str, reason: str) -> None:
        self.map[path] = f"default: {reason}"
        key = path.split(".", 2)[-1] if path.startswith(("countries.", "donors.")) else path
        self.defaults[key] = self.defaults.get(key, 0) + 1


def _country_problems(spec: Spec, pop: pd.DataFrame, gdp: pd.DataFrame) -> tuple[list[str], list[str]]:
    keep, left_out, problems = [], [], []
    for c in spec.countries:
        missing = [code for code, f in (("SP.POP.TOTL", pop), ("NY.GDP.MKTP.CD", gdp)) if _last(f, c, spec.start) is None]
        if not missing:
            keep.append(c)
        elif spec.skip_incomplete:
            left_out.append(f"{c}: no {' or '.join(missing)} at or before {spec.start}")
        else:
            problems.append(Problem(spec.option, 1, c, f"no {' or '.join(missing)} at or before {spec.start} in the "
                                                       "evidence base (population and GDP have no defensible default)"))
    if problems:
        raise InputError(problems)
    return keep, left_out


def proxy_score(ind: dict, value: float) -> float:
    """A goal's start score from its headline indicator on the SDR scale (0-100, clipped)."""
    lb, ub = ind["bounds"]
    s = (value - lb) / (ub - lb) if ind["higher_is_better"] else (ub - value) / (ub - lb)
    return round(100 * min(max(s, 0.0), 1.0), 1)


def rescore(doc: dict, start: int) -> None:
    """After calibration: proxy goal scores from the indicators' start values as carried to `start`."""
    proxy = {i["goal"]: i for i in doc["indicators"]}
    for c in doc["countries"]:
        for g in c["scores"]:
            key = f"countries.{c['id']}.scores.{g}"
            if g in proxy and doc["sources"][key].startswith("default: no SDR score imported"):
                ind = proxy[g]
                c["scores"][g] = proxy_score(ind, c["indicators"][ind["id"]]["value"])
                doc["sources"][key] = (f"default: no SDR score imported; {ind['id']} at {start} (as calibrated) on "
                                       f"the SDR scale [{ind['bounds'][0]:g}, {ind['bounds'][1]:g}] stands for the goal")


def _goal_scores(spec: Spec, codes: list[str], templates: Templates, values: dict) -> tuple[list[str], dict]:
    """Start scores per country and goal: SDR goal scores where imported, else the indicator proxy."""
    sdr = sdr_scores()
    sdr = sdr[sdr.year <= spec.start] if len(sdr) else sdr
    proxy = {i["goal"]: i for i in templates.indicators}
    if spec.goals is None:
        have = [g for g in templates.goals if all(_last(sdr[sdr.goal == g], c, spec.start) for c in codes)] if len(sdr) \
            else []
        goals = sorted(set(have) | set(proxy), key=lambda g: int(g[3:]))
    else:
        goals = list(spec.goals)
    scores: dict = {c: {} for c in codes}
    problems = []
    for g in goals:
        for c in codes:
            got = _last(sdr[sdr.goal == g], c, spec.start) if len(sdr) else None
            if got is not None:
                scores[c][g] = (round(got[0], 1), f"SDSN SDR goal score (imported), data year {got[1]}")
            elif g in proxy and values.get((c, proxy[g]["id"])) is not None:
                ind = proxy[g]
                scores[c][g] = (proxy_score(ind, values[(c, ind["id"])][0]),
                                "default: no SDR score imported; its indicator stands for the goal")
            else:
                problems.append(Problem("--goals", 1, g, f"{c}: no start score (import the SDR goal scores with "
                                                         "`sdgsim data import`, see docs/data.md, or leave the goal out)"))
    if problems:
        raise InputError(problems[:20])
    return goals, scores


def build_scenario(spec: Spec, templates: Templates) -> Built:
    """The scenario body for `spec`, with `sources:` for every value, and the history to calibrate on."""
    src = _Sources()
    pop, gdp = series("SP.POP.TOTL", end=spec.start), series("NY.GDP.MKTP.CD", end=spec.start)
    codes, left_out = _country_problems(spec, pop, gdp)
    if not codes:
        raise InputError([Problem(spec.option, 1, ",".join(spec.countries[:5]), "no country with population and GDP "
                                                                                 f"at or before {spec.start}")])
    table = country_table().set_index("country")
    ind_ids = [i["id"] for i in templates.indicators]
    hist = pd.concat([series(code, codes, end=spec.start) for code in (*ind_ids, *HISTORY_SERIES)], ignore_index=True)
    values, medians = {}, {}
    for code in ind_ids:
        part = hist[hist.indicator == code]
        for c in codes:
            values[(c, code)] = _last(part, c, spec.start)
        have = [v[0] for (_, k), v in values.items() if k == code and v is not None]
        medians[code] = (_r(float(np.median(have))), len(have)) if have else None
    proxies = {k: (v if v is not None else (medians[k[1]][0], "median") if medians[k[1]] else None)
               for k, v in values.items()}
    goals, scores = _goal_scores(spec, codes, templates, proxies)
    indicators = [i for i in templates.indicators if i["goal"] in goals]

    countries = []
    health, expense = series("SH.XPD.GHED.GE.ZS", codes, end=spec.start), series("GC.XPN.TOTL.GD.ZS", codes, end=spec.start)
    educ = series("SE.XPD.TOTL.GD.ZS", codes, end=spec.start)
    for c in codes:
        p = f"countries.{c}"
        pv, py = _last(pop, c, spec.start)
        gv, gy = _last(gdp, c, spec.start)
        entry: dict = {"id": c, "name": str(table.name[c]), "pilot": c in PILOT_COUNTRIES,
                       "population_m": _r(pv / 1e6), "gdp_usd_bn": _r(gv / 1e9)}
        src.data(f"{p}.population_m", f"{WDI} SP.POP.TOTL, {py}")
        src.data(f"{p}.gdp_usd_bn", f"{WDI} NY.GDP.MKTP.CD (current US$), {gy}")
        for key, frame, lo, hi, what in (("population_growth", pop, -0.05, 0.05, "SP.POP.TOTL"),
                                         ("gdp_growth", gdp, -0.1, 0.15, "NY.GDP.MKTP.CD, nominal US$")):
            g = _growth(frame, c, spec.start, 5, lo, hi)
            if g is None:
                entry[key] = 0.0
                src.default(f"{p}.{key}", f"no {what} five years before the last value")
            else:
                entry[key] = g[0]
                src.data(f"{p}.{key}", f"{WDI} {what}, compound yearly growth {g[1]}")
        entry["domestic_sdg_share"] = _domestic_share(src, p, c, goals, health, expense, educ, spec.start)
        block, fiscal_sources = fiscal_block(c, spec.start, spec.end, gv,
                                             revenue_share=templates.ranges["fiscal.revenue_share"])
        if block is not None:
            entry["fiscal"] = block
        for key, text in fiscal_sources.items():
            (src.default(f"{p}.{key}", text[len("default: "):]) if text.startswith("default: ")
             else src.data(f"{p}.{key}", text))
        entry["governance"] = 50.0
        src.default(f"{p}.governance", "no governance data in the evidence base (the scale's midpoint)")
        entry["absorptive_capacity"] = 0.3
        src.default(f"{p}.absorptive_capacity", "no data; the schema's default")
        entry["scores"] = {g: scores[c][g][0] for g in goals}
        for g in goals:
            text = scores[c][g][1]
            (src.default(f"{p}.scores.{g}", text[len("default: "):]) if text.startswith("default: ")
             else src.data(f"{p}.scores.{g}", text))
        entry["indicators"] = {}
        for ind in indicators:
            got = values[(c, ind["id"])]
            if got is None:
                if medians[ind["id"]] is None:
                    raise InputError([Problem(spec.option, 1, c, f"no {ind['id']} for any chosen country at or "
                                                                 f"before {spec.start}")])
                median, n = medians[ind["id"]]
                entry["indicators"][ind["id"]] = {"value": median}
                src.default(f"{p}.indicators.{ind['id']}", f"no {ind['id']} at or before {spec.start}: the median "
                                                           f"of the {n} chosen countries with data")
            else:
                entry["indicators"][ind["id"]] = {"value": _r(got[0])}
                src.data(f"{p}.indicators.{ind['id']}", f"{WDI} {ind['id']}, {got[1]}")
        countries.append(entry)

    donors = []
    for d in spec.donors:
        entry = _donor(src, d, codes, goals, spec.start)
        if entry["eligible_countries"]:
            donors.append(entry)
        else:
            left_out.append(f"donor {d}: none of the chosen countries is an ODA recipient it funds")
            for key in [k for k in src.map if k.startswith(f"donors.{entry['id']}.")]:
                del src.map[key]
    doc = {
        "name": spec.name,
        "description": f"Built by `sdgsim new` from the evidence base: {len(codes)} countries, {len(donors)} donors, "
                       f"{len(goals)} goals, {spec.start}-{spec.end}.",
        "start_year": spec.start, "end_year": spec.end,
        "goals": [templates.goals.get(g, {"id": g}) for g in goals],
        "interlinkages": [x for x in templates.interlinkages if x["source"] in goals and x["target"] in goals],
        "indicators": indicators,
        "countries": countries, "donors": donors,
        "uncertainty": templates.uncertainty,
    }
    for g in goals:
        if g in templates.goals:
            src.data(f"goals.{g}", f"definition as in {templates.origin} (its calibration, not this data)")
        else:
            src.default(f"goals.{g}", f"not in {templates.origin}: the schema's defaults")
    src.data("indicators.*", f"definitions (SDR bounds, unit costs) as in {templates.origin}")
    src.data("uncertainty", f"as in {templates.origin}")
    doc["sources"] = src.map
    return Built(plain(doc), hist, left_out, src.defaults)


def _domestic_share(src: _Sources, p: str, c: str, goals: list[str], health, expense, educ, start: int) -> float:
    """Government spending on the goals, as a share of GDP: health (share of government expense x
    expense/GDP) for SDG3, education/GDP for SDG4. Other goals' domestic spending is not in the data."""
    parts, text = 0.0, []
    if "SDG3" in goals:
        h, e = _last(health, c, start), _last(expense, c, start)
        if h is not None and e is not None:
            parts += h[0] / 100 * e[0] / 100
            text.append(f"SH.XPD.GHED.GE.ZS {h[1]} x GC.XPN.TOTL.GD.ZS {e[1]}")
    if "SDG4" in goals:
        ed = _last(educ, c, start)
        if ed is not None:
            parts += ed[0] / 100
            text.append(f"SE.XPD.TOTL.GD.ZS {ed[1]}")
    if not text:
        src.default(f"{p}.domestic_sdg_share", "no government health or education spending data: 0.03 of GDP")
        return 0.03
    src.data(f"{p}.domestic_sdg_share", f"{WDI} government spending on the goals with data ({'; '.join(text)}), "
                                        "share of GDP; other goals' domestic spending is not in the data")
    return round(min(parts, 1.0), 4)


def _donor(src: _Sources, donor: str, codes: list[str], goals: list[str], start: int) -> dict:
    d = BY_ID[donor]
    ident = f"{donor}-ODA"
    p = f"donors.{ident}"
    bil = dac1("bilateral_ge_current")
    bil = bil[(bil.donor == donor) & (bil.year <= start)]
    measure = "bilateral ODA, grant equivalent"
    if not len(bil):
        bil = dac1("oda_net_current")
        bil = bil[(bil.donor == donor) & (bil.year <= start)]
        measure = "total ODA, net disbursements"
    if not len(bil):
        raise InputError([Problem("--donors", 1, donor, f"no DAC1 ODA at or before {start}")])
    row = bil.loc[bil.year.idxmax()]
    total_usd, year = float(row.value) * 1e6, int(row.year)
    share, share_text = _goal_share(donor, goals, start)
    recipients, rec_share, rec_text = _recipient_share(donor, codes, start, year)
    budget = total_usd * share * rec_share
    text = f"OECD DAC1 {measure} {year} (US$ {total_usd / 1e9:.2f} bn) x {share_text} x "
    if rec_text.startswith("default: "):
        src.default(f"{p}.budget_usd", text + rec_text[len("default: "):])
    else:
        src.data(f"{p}.budget_usd", text + rec_text)
    g = dac1("oda_ge_constant")
    g = g[(g.donor == donor) & (g.year <= start)].set_index("year").value
    entry = {"id": ident, "name": f"{d.name} ODA to these countries and goals", "kind": "bilateral"
             if d.kind == "country" else "multilateral", "budget_usd": _r(budget), "strategy": "needs",
             "eligible_countries": recipients}
    if len(g) >= 2 and g.index.max() - g.index.min() >= 3 and g.iloc[0] > 0:
        span = int(g.index.max() - g.index.min())
        rate = (g.iloc[-1] / g.iloc[0]) ** (1 / span) - 1
        entry["growth"] = round(min(max(rate, -0.1), 0.1), 4)
        src.data(f"{p}.growth", f"OECD DAC1 ODA grant equivalent, constant prices, compound growth "
                                f"{int(g.index.min())}-{int(g.index.max())} (clipped to +-0.1)")
    else:
        entry["growth"] = 0.0
        src.default(f"{p}.growth", "fewer than four years of DAC1 grant-equivalent ODA")
    src.default(f"{p}.strategy", "needs-based allocation (the model's default strategy): no DAC2a record to fit the "
                                 "donor's rule on (import DAC2a; `sdgsim donors fit`, docs/model.md)")
    return entry


def _goal_share(donor: str, goals: list[str], start: int) -> tuple[float, str]:
    s = dac_sectors()
    own = s[(s.donor == donor) & (s.year <= start)]
    who = donor
    if not len(own):
        own, who = s[(s.donor == "DAC") & (s.year <= start)], "the DAC total's"
    year = int(own.year.max())
    own = own[own.year == year]
    share = float(own[own.sector.map(SECTOR_GOALS).isin(goals)].share.sum())
    return share, f"{share:.1%} of {who} bilateral ODA in sectors of the chosen goals ({year}, OECD CRS via ONE)"


def _recipient_share(donor: str, codes: list[str], start: int, year: int) -> tuple[list[str], float, str]:
    """Which chosen countries get the donor's money, and the share of its bilateral ODA they get."""
    c = country_table().set_index("country")
    eligible = [x for x in codes if bool(c.oda_recipient.get(x, False))]
    flows = dac2a()
    if len(flows):
        flows = flows[flows.year <= start]
        flows = dac2a_flows(flows)[0] if flows.aidtype.astype(str).str.strip().isin(
            [x for m in DAC2A_MEASURES.values() for x in m]).any() else flows[flows.price == "current"]
        f = flows[flows.donor == donor]
        if len(f):
            fy = int(f.year.max())
            f = f[f.year == fy]
            got = f[f.recipient.isin(codes)].groupby("recipient").value.sum()
            total = float(f.value.clip(lower=0).sum())
            got = got[got > 0]
            if total > 0:
                return (sorted(got.index) or eligible, float(got.sum()) / total,
                        f"{got.sum() / total:.2%} of its DAC2a bilateral ODA to countries went to them ({fy}, imported)")
    oda = series("DT.ODA.ODAT.CD", end=year)
    oda = oda[oda.year == oda[oda.year <= year].year.max()] if len(oda) else oda
    everyone = float(oda[oda.country.isin(c.index[c.oda_recipient])].value.clip(lower=0).sum())
    chosen = float(oda[oda.country.isin(eligible)].value.clip(lower=0).sum())
    share = chosen / everyone if everyone > 0 else 0.0
    yr = int(oda.year.max()) if len(oda) else year
    return (eligible, share, f"default: (no DAC2a import) the donor's allocation follows all donors': the chosen "
                             f"countries' {share:.2%} of net ODA received by ODA recipients ({WDI} DT.ODA.ODAT.CD {yr})")


def format_summary(built: Built) -> list[str]:
    """What came from where: counts of data and defaulted values per field."""
    by_field: dict[str, list[int]] = {}
    for path, text in built.doc["sources"].items():
        key = path.split(".", 2)[-1] if path.startswith(("countries.", "donors.")) else path.split(".")[0]
        key = key.split(".")[0] if key.startswith(("scores", "indicators")) else key
        counts = by_field.setdefault(key, [0, 0])
        counts[1 if text.startswith("default:") else 0] += 1
    return [f"  {k:<22} {n_data:>5} sourced, {n_def:>5} defaulted" for k, (n_data, n_def) in by_field.items()]


def plain(x):
    """The document with numpy scalars as Python numbers (what YAML writes)."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


def nan_free(doc: dict) -> bool:
    """No NaN anywhere in the document (the schema rejects them; a guard for the builder's tests)."""
    def walk(x) -> bool:
        if isinstance(x, float):
            return not math.isnan(x)
        if isinstance(x, dict):
            return all(walk(v) for v in x.values())
        if isinstance(x, list):
            return all(walk(v) for v in x)
        return True
    return walk(doc)
