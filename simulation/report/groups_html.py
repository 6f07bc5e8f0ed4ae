"""Country-group sections of the HTML reports, and the comparison's slide.

A run's report gets each group's people and index (mean and 90 % of runs, from summary.csv); a
comparison's report gets, per group, the paired differences of people reached, deaths averted
and the index with their intervals and verdicts, the cost per person reached per group and per
country (costs.csv, "no extra money" / "saves money" in words), and the slide (`slide.py`) drawn
into plots/slide.png and .svg.

Self-contained (no import of html.py, which includes these sections).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from ..outcomes.groups import is_group, name_of
from ..outcomes.registry import ALL, period, readable
from ..scenario import Scenario
from .figures import save
from .slide import slide_figure

PEOPLE = ("people_gain", "people_years_gain")
"""The people outcomes a group section shows: by the horizon, and summed over it."""
NO_MONEY_USD = 1.0


def _esc(x) -> str:
    return html.escape(str(x))


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_esc(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<div class=tw><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _members(scenario: Scenario) -> str:
    return "".join(f"<li><b>{_esc(name)}</b>: {_esc(', '.join(m))}</li>" for name, m in scenario.groups.items())


def _what(scenario: Scenario, outcome: str, key: str) -> str:
    """A people outcome's row in words, with when it is counted: "more people with electricity, in
    2030", "under-5 deaths averted, a year in 2030", "under-5 deaths averted, over 2021–2030"."""
    ind = next((i for i in scenario.indicators if i.id == key), None)
    when = period(outcome, scenario, key)
    if ind is None:
        return f"{outcome}:{key}, {when}"
    people = ind.people or ind.name
    if ind.denominator == "births":
        return f"{people} averted, {when}"
    if outcome == "people_years_gain":
        return f"{'people-years gained' if ind.higher_is_better else 'people-years avoided'}: {people}, {when}"
    return f"{'more' if ind.higher_is_better else 'fewer'} {people}, {when}"


def run_section(summary: pd.DataFrame, scenario: Scenario) -> list[str]:
    """A run's groups: people better off and the index per group, mean and 90 % of runs."""
    if not scenario.groups:
        return []
    rows = []
    for name in scenario.groups:
        s = summary[summary.country == f"group:{name}"]
        for r in s.itertuples():
            outcome, _, key = str(r.metric).partition(":")
            if outcome not in (*PEOPLE, "sdg_index_end"):
                continue
            rows.append({"group": name, "outcome": _what(scenario, outcome, key) if key else "SDG index at the "
                         f"horizon (population-weighted), in {scenario.end_year}",
                         "mean (90% of runs)": f"{readable(r.metric, r.mean)} ({readable(r.metric, r.p05, unit=False)}"
                                               f" to {readable(r.metric, r.p95, unit=False)})"})
    return ["<h2>Country groups</h2><p class=muted>Each group's value is computed run by run from its countries' "
            "(people added up, the index weighted by population), so its interval is the group's own.</p>",
            f"<ul>{_members(scenario)}</ul>", _table(rows)]


def _diff(r) -> str:
    lo, hi = (r.diff_p05, r.diff_p95) if "diff_p05" in r.index else (np.nan, np.nan)
    rng = f"; 90% of runs {readable(r.outcome, lo, True, False)} to {readable(r.outcome, hi, True, False)}" \
        if np.isfinite(lo) else ""
    return (f"{readable(r.outcome, r.diff_mean, True)} [95% CI {readable(r.outcome, r.diff_ci_low, True, False)}, "
            f"{readable(r.outcome, r.diff_ci_high, True, False)}{rng}]")


def _comparison_rows(table: pd.DataFrame, scenario: Scenario, ref: str) -> list[dict]:
    rows = []
    t = table[table.country.map(is_group) & (table.scenario != ref)]
    t = t[t.outcome.isin([*PEOPLE, "sdg_index_end"])]
    for r in t.itertuples(index=False):
        r = pd.Series(r._asdict())
        what = _what(scenario, r.outcome, r.goal) if r.outcome in PEOPLE else \
            f"SDG index at the horizon, in {scenario.end_year}"
        rows.append({"group": name_of(r.country), "outcome": what, "scenario": r.scenario,
                     f"Δ vs {ref}": _diff(r), "verdict": r.get("verdict", "")})
    order = list(scenario.groups)
    return sorted(rows, key=lambda x: (order.index(x["group"]) if x["group"] in order else len(order), x["scenario"]))


def _price(r) -> str:
    if np.isfinite(r.cost_per_person_usd):
        return (f"US${r.cost_per_person_usd:,.0f} [{r.cost_ci_low:,.0f}, {r.cost_ci_high:,.0f}]")
    if r.extra_people > 0:
        return "no extra money" if abs(r.extra_money_usd) < NO_MONEY_USD else "saves money"
    return r.note if isinstance(r.note, str) and r.note else "no more people reached"


def _folded_countries(rows: list[dict]) -> list[str]:
    """The groups' cost rows shown, the countries' (one per option, country and indicator: dozens) folded."""
    groups = [r for r in rows if r["where"].startswith("group ")]
    countries = [r for r in rows if not r["where"].startswith("group ")]
    out = [_table(groups)] if groups else []
    if countries:
        out.append(f"<details><summary>Per country: {len(countries)} rows, each option, country and indicator "
                   f"(also in costs.csv)</summary>{_table(countries)}</details>")
    return out


def cost_rows(costs: pd.DataFrame) -> list[dict]:
    """Cost per person reached per group, then per country (costs.csv's rows other than ALL)."""
    if costs is None or "country" not in costs.columns:
        return []
    c = costs[costs.country != ALL]
    c = pd.concat([c[c.country.map(is_group)], c[~c.country.map(is_group)]])
    return [{"where": f"group {name_of(r.country)}" if is_group(r.country) else r.country, "scenario": r.scenario,
             "people": r.people,
             "extra people [95% CI]": f"{readable('people_gain', r.extra_people, True)} "
                                      f"[{readable('people_gain', r.extra_people_ci_low, True, False)}, "
                                      f"{readable('people_gain', r.extra_people_ci_high, True, False)}]",
             "US$ per extra person [95% CI]": _price(r)} for r in c.itertuples()]


def _img(path: Path) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}" alt="{_esc(path.stem)}">'


def slide_section(table: pd.DataFrame, ref: str, scenario: Scenario, out: Path,
                  groups: list[str] | None = None) -> list[str]:
    """The slide (of `groups`, default every group), drawn into `out`/slide.png and .svg and embedded."""
    if table.scenario.nunique() < 2 or not scenario.indicators:
        return []
    fig = slide_figure(table, ref, scenario, groups)
    save(fig, out, "slide", dpi=130)
    return ["<h2>The slide</h2><p class=muted>People reached by the horizon and deaths averted over it, per option "
            "and group, as differences from the reference with where 90% of the paired runs' differences fall, "
            "and the money each option puts in (sdgsim compare ... --slide FILE.png draws it alone).</p>",
            f"<figure>{_img(out / 'slide.png')}<figcaption>(<a href='plots/slide.svg'>SVG</a>)</figcaption></figure>"]


def compare_section(table: pd.DataFrame, costs: pd.DataFrame | None, ref: str, scenario: Scenario) -> list[str]:
    """A comparison's groups: paired differences per group, and the cost per person per group and country."""
    parts = []
    if scenario.groups:
        parts += ["<h2>Country groups</h2><p class=muted>Differences from the reference per group, computed run by "
                  "run from the group's countries (people added up, the index weighted by population): the mean "
                  "with its 95% CI, and where 90% of the paired runs' differences fall. People better off are "
                  "counted at the horizon or summed over it, as each row says.</p>",
                  f"<ul>{_members(scenario)}</ul>", _table(_comparison_rows(table, scenario, ref))]
    rows = cost_rows(costs)
    if rows:
        parts += ["<h3>Cost per person reached, per group and per country</h3><p class=muted>The option's whole "
                  "extra money over the horizon over the extra people better off at the horizon in that place "
                  "(both paired against the reference): what the option costs per person it reaches there. "
                  "\"no extra money\" and \"saves money\" where there is no price to state.</p>",
                  *_folded_countries(rows)]
    return parts
