"""The one slide of a comparison: what each option gives, where, and what it costs, in words.

`slide_figure(table, reference, scenario)` draws one off-screen figure from a comparison table
(`analysis.comparison.compare`): a panel per indicator with, for each option and place (each
country group, then all countries), the paired difference to the reference in people, with
the 5th–95th percentile of the paired runs' differences as a 90 % range; a last panel gives
the extra money each option puts in over the horizon (one bar per option: the money is the
option's, not a group's). People with access are counted at the horizon ("by 2030"); deaths
are summed over the horizon ("averted over 2021–2030"), and every panel says which. The title
says in words what is true of every bar, never one bar as the headline: with one option and one
panel its difference in each place ("partnership-in-action reaches 1.2 M more people with
electricity in the pilot countries and 30 k fewer in all countries by 2030 for US$1.4 bn more than
baseline"), otherwise where each option gains and loses over the panels ("Against baseline:
partnership-in-action, for US$1.45 bn more, gains on all 4 indicators in the pilots group, but
loses on 2 of 4 in all countries (under-5 deaths averted, people with electricity)").

`write_slide` saves it to a .png or .svg atomically and never over a file without `force`.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OptionError, Problem
from ..outcomes.groups import is_group, name_of
from ..outcomes.registry import ALL, NO_GOAL, money_text
from ..scenario import Scenario
from .figures import money_axis, stable_color, subplots

FORMATS = (".png", ".svg")
NO_MONEY_USD = 1.0
"""Less extra money than this either way is none (as analysis.comparison.NO_MONEY_USD)."""


@dataclass(frozen=True)
class Panel:
    """One indicator's panel: which outcome, what it counts, and over when."""

    key: str
    outcome: str
    what: str
    when: str


def panels(scenario: Scenario) -> list[Panel]:
    """The slide's panels: people reached by the horizon for each indicator counted over people,
    deaths averted over the horizon for those counted over live births."""
    end, span = scenario.end_year, f"{scenario.years[1]}\u2013{scenario.end_year}"
    out = []
    for ind in scenario.indicators:
        people = ind.people or ind.name
        if ind.denominator == "births":
            out.append(Panel(ind.id, "people_years_gain", f"{people} averted", f"over {span} (cumulative)"))
        elif ind.higher_is_better:
            out.append(Panel(ind.id, "people_gain", f"more {people}", f"by {end}"))
        else:
            out.append(Panel(ind.id, "people_gain", f"fewer {people}", f"by {end}"))
    return out


SHIPPED_NAMES = {"gpp": "the pilot countries", "ldc": "the least developed countries",
                 "sids": "the small island developing states", "lldc": "the landlocked developing countries",
                 "fcs": "the fragile and conflict-affected countries", "oda-recipients": "the ODA recipients",
                 "lic": "the low-income countries", "lmc": "the lower-middle-income countries",
                 "umc": "the upper-middle-income countries", "hic": "the high-income countries",
                 "eas": "East Asia & Pacific", "ecs": "Europe & Central Asia", "lcn": "Latin America & Caribbean",
                 "mea": "the Middle East & North Africa", "nac": "North America", "sas": "South Asia",
                 "ssf": "Sub-Saharan Africa"}
"""The shipped groups (data.groups()) in words; a scenario's group may take a shipped name only
for exactly that group's countries (scenario/checks.py), so the words fit."""


def place_name(country: str) -> str:
    """A place in words: 'all countries', 'the pilot countries' (gpp), 'the east group', or the country's id."""
    if country == ALL:
        return "all countries"
    if not is_group(country):
        return country
    name = name_of(country)
    return SHIPPED_NAMES.get(name, f"the {name} group")


def places(table: pd.DataFrame, scenario: Scenario, groups: list[str] | None = None) -> list[str]:
    """The slide's places: the groups asked for (all of the table's when None, in the scenario's
    order), then ALL."""
    have = [c for c in dict.fromkeys(table.country) if is_group(c)]
    have = sorted(have, key=lambda c: list(scenario.groups).index(name_of(c)) if name_of(c) in scenario.groups
                  else len(scenario.groups))
    if groups is not None:
        wanted = [g if is_group(g) else f"group:{g}" for g in groups]
        missing = [name_of(g) for g in wanted if g not in have]
        if missing:
            raise OptionError([Problem("--group", 1, ", ".join(missing),
                                       f"no such group in these results (they have: "
                                       f"{', '.join(name_of(c) for c in have) or 'none'}; add one with "
                                       "--group NAME=ISO3,... when comparing)")])
        have = wanted
    return [*have, ALL]


def _rows(table: pd.DataFrame, outcome: str, key: str, where: list[str], options: list[str]) -> pd.DataFrame:
    t = table[(table.outcome == outcome) & (table.goal == key) & table.country.isin(where)
              & table.scenario.isin(options)]
    return t.set_index(["scenario", "country"])


def _range(r: pd.Series) -> tuple[float, float]:
    """5th–95th percentile of the paired differences (the CI of the mean in older tables)."""
    if "diff_p05" in r.index and np.isfinite(r.diff_p05):
        return float(r.diff_p05), float(r.diff_p95)
    return float(r.diff_ci_low), float(r.diff_ci_high)


def _count(x: float) -> str:
    return money_text(abs(x))


def _money_words(usd: float) -> str:
    if abs(usd) < NO_MONEY_USD:
        return "with no extra money"
    return f"for US${_count(usd)} more" if usd > 0 else f"while saving US${_count(usd)}"


def _short(p: Panel) -> str:
    """A panel's indicator in a few words: 'people with electricity', 'under-5 deaths averted'."""
    return p.what.split(" ", 1)[1] if p.what.startswith(("more ", "fewer ")) else p.what


def _diff(table: pd.DataFrame, p: Panel, place: str, name: str) -> float:
    r = _rows(table, p.outcome, p.key, [place], [name])
    return float(r.diff_mean.iloc[0]) if len(r) else float("nan")


def _amount(p: Panel, d: float, first: bool) -> str:
    """'reaches 1.2 M more people with electricity' (first place), '30 k fewer' (the next ones);
    a positive difference is good on every panel (more reached, fewer left, more averted)."""
    what = _short(p)
    if p.outcome != "people_gain":
        word = "more" if d >= 0 else "fewer"
        return f"averts {_count(d)} {word} {what.replace(' averted', '')}" if first else f"{_count(d)} {word}"
    if p.what.startswith("more"):
        word = "more" if d >= 0 else "fewer"
        return f"reaches {_count(d)} {word} {what}" if first else f"{_count(d)} {word}"
    word = "fewer" if d >= 0 else "more"
    return f"leaves {_count(d)} {word} {what}" if first else f"{_count(d)} {word}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _in_words(places: list[str]) -> str:
    return _and([place_name(c) for c in places])


def _tally(table: pd.DataFrame, name: str, ps: list[Panel], where: list[str]) -> str:
    """What one option gains and loses, place by place, over every panel: 'gains on all 4
    indicators in the pilot countries, but loses on 2 of 4 in all countries (...)'."""
    said: dict[tuple, list[str]] = {}
    for place in where:
        d = {p: _diff(table, p, place, name) for p in ps}
        shown = [p for p in ps if np.isfinite(d[p])]
        if not shown:
            continue
        lost = tuple(_short(p) for p in shown if d[p] < 0)
        gained = sum(d[p] > 0 for p in shown)
        said.setdefault((len(shown), gained, lost), []).append(place)
    parts = []
    for (n, gained, lost), at in said.items():
        noun = "indicator" if n == 1 else "indicators"
        if not lost and gained == n:
            parts.append(f"gains on {'the' if n == 1 else f'all {n}'} {noun} in {_in_words(at)}")
        elif len(lost) == n:
            parts.append(f"loses on {'the' if n == 1 else f'all {n}'} {noun} in {_in_words(at)}")
        else:
            parts.append(f"loses on {len(lost)} of {n} in {_in_words(at)} ({', '.join(lost)})" if lost
                         else f"gains on {gained} of {n} in {_in_words(at)}, no change on the others")
    return _and(parts) if parts else "has no people results"


def title(table: pd.DataFrame, reference: str, scenario: Scenario, where: list[str]) -> str:
    """The slide's answer in words, true of every bar it draws, never one bar picked as a headline.

    One option and one panel: its difference in each place, in people ("partnership-in-action
    reaches 63 k more people with electricity in the pilot countries and 12 k fewer in all countries
    by 2030 for US$1.4 bn more than baseline"). Otherwise, per option, where it gains and loses over
    the panels ("Against baseline: partnership-in-action, for US$1.45 bn more, gains on all 4
    indicators in the pilots group, but loses on 2 of 4 in all countries (under-5 deaths averted,
    people with electricity)"); the bars give the numbers."""
    options = [s for s in dict.fromkeys(table.scenario) if s != reference]
    ps = panels(scenario)
    if not options or not ps:
        return f"Compared with {reference}"

    def money(name: str) -> str:
        m = _rows(table, "money_usd", NO_GOAL, [ALL], [name])
        return _money_words(float(m.diff_mean.iloc[0])) if len(m) else ""

    if len(options) == 1 and len(ps) == 1:
        (name,), (p,) = options, ps
        d = {c: _diff(table, p, c, name) for c in where}
        shown = [c for c in where if np.isfinite(d[c])]
        if not shown:
            return f"{name} compared with {reference}"
        said = _and([f"{_amount(p, d[c], i == 0)} in {place_name(c)}" for i, c in enumerate(shown)])
        return f"{name} {said} {p.when.replace(' (cumulative)', '')} {money(name)} than {reference}".replace("  ", " ")
    clauses = [f"{name}{f', {money(name)},' if money(name) else ''} {_tally(table, name, ps, where)}"
               for name in options]
    return f"Against {reference}: " + "; ".join(clauses)


def slide_figure(table: pd.DataFrame, reference: str, scenario: Scenario, groups: list[str] | None = None):
    """The slide as a matplotlib Figure (no pyplot): people per option and place, money per option.

    `table`: a comparison table; `scenario`: the reference's (its indicators name the panels);
    `groups`: the groups to show (names or group:NAME; default every group in the table).
    """
    where = places(table, scenario, groups)
    options = [s for s in dict.fromkeys(table.scenario) if s != reference]
    ps = panels(scenario)
    fig, axes = subplots(1, len(ps) + 1, figsize=(3.0 * (len(ps) + 1) + 1.5,
                                                  max(3.2, 1.6 + 0.45 * len(options) * len(where))),
                         sharey=True, squeeze=False)
    axes = axes[0]
    labels = [place_name(c) if len(options) == 1 else f"{o}: {place_name(c)}" for o in options for c in where]
    y = np.arange(len(labels))[::-1]
    for ax, p in zip(axes, ps):
        rows = _rows(table, p.outcome, p.key, where, options)
        for i, (o, c) in enumerate((o, c) for o in options for c in where):
            if (o, c) not in rows.index:
                continue
            r = rows.loc[(o, c)]
            lo, hi = _range(r)
            ax.barh(y[i], r.diff_mean, color=stable_color(o), alpha=0.85 if c != ALL else 0.45, height=0.7)
            ax.errorbar(r.diff_mean, y[i], xerr=[[max(r.diff_mean - lo, 0)], [max(hi - r.diff_mean, 0)]],
                        color="black", capsize=3, linewidth=1)
            ax.annotate(money_text(r.diff_mean, signed=True), (hi, y[i]), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)
        ax.axvline(0, color="#888", linewidth=0.8)
        ax.set_title(f"{p.what}\n{p.when}", fontsize=9)
        ax.xaxis.set_major_formatter(lambda x, _pos: money_text(x))
        ax.margins(x=0.25)
    ax = axes[-1]
    money = _rows(table, "money_usd", NO_GOAL, [ALL], options)
    block = len(where)
    for k, o in enumerate(options):
        if (o, ALL) not in money.index:
            continue
        r = money.loc[(o, ALL)]
        lo, hi = _range(r)
        centre = float(np.mean(y[k * block:(k + 1) * block]))
        ax.barh(centre, r.diff_mean, height=0.8 * block, color=stable_color(o), alpha=0.6)
        ax.errorbar(r.diff_mean, centre, xerr=[[max(r.diff_mean - lo, 0)], [max(hi - r.diff_mean, 0)]],
                    color="black", capsize=3, linewidth=1)
        said = "no extra money" if abs(r.diff_mean) < NO_MONEY_USD else money_text(r.diff_mean, "US$", signed=True)
        ax.annotate(said, (max(hi, 0), centre), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.axvline(0, color="#888", linewidth=0.8)
    span = f"{scenario.years[1]}\u2013{scenario.end_year}"
    ax.set_title(f"extra money, US$\nover {span} (all countries)", fontsize=9)
    money_axis(ax.xaxis)
    ax.margins(x=0.3)
    axes[0].set_yticks(y, labels, fontsize=9)
    runs = int(table.runs.iloc[0]) if "runs" in table.columns and len(table) else 0
    head = title(table, reference, scenario, where)
    fig.suptitle(textwrap.fill(head, int(fig.get_figwidth() * 8.5)), fontsize=13, fontweight="bold", x=0.01, ha="left")
    who = f"{options[0]} " if len(options) == 1 else ""
    fig.text(0.01, -0.03, f"{who}compared with {reference}: mean difference over {runs} paired runs; black lines: "
             "where 90% of the runs' differences fall (5th-95th percentile). Groups solid, all countries pale.",
             fontsize=9, color="#444", ha="left")
    fig.tight_layout()
    return fig


def check_slide_path(path: str | Path, force: bool = False) -> Path:
    """`path` if a slide may be written there: a .png or .svg, not an existing file unless `force`."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise OptionError([Problem("--slide", 1, str(path), f"got a '{path.suffix or 'no'}' file (allowed: "
                                                            f"{', '.join(FORMATS)})")])
    if path.exists() and not force:
        raise OptionError([Problem("--slide", 1, str(path), "the file exists (add --force to replace it)")])
    if path.is_dir():
        raise OptionError([Problem("--slide", 1, str(path), "is a folder (allowed: a .png or .svg file)")])
    return path


def write_slide(fig, path: str | Path, force: bool = False, dpi: int = 150) -> Path:
    """Save `fig` to `path` (.png or .svg) atomically: a temporary file beside it, renamed over."""
    path = check_slide_path(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix.lower()[1:])
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
