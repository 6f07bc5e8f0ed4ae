"""Every outcome sdgsim reports, defined once.

`REGISTRY` maps each outcome's name to an `Outcome`: its unit, direction, description,
which dimensions it has (per country, per goal, an all-countries value) and how it is
computed from a run. Everything that reports outcomes derives from it: the comparison's
long table (`outcome_table`), the run summary (`summary`, summary.csv), a sweep's run
columns (`outcome_columns`, `column_values`), the check of a sweep file's `outcomes:`
and of `--metric` (`metric_problem`), and the direction of each outcome (`outcome_sense`).

One value of an outcome has one name everywhere: `NAME`, `NAME@COUNTRY`, `NAME:KEY`
or `NAME:KEY@COUNTRY` (`label` builds it, `parse` splits it). Without `@COUNTRY` the
value is the all-countries one (country `ALL`); a country group's (groups.py) has the
country `group:NAME` (`people_gain:EG.ELC.ACCS.ZS@group:pilots`), for the outcomes that
add up or average over countries (`Outcome.compute_group`); without `:KEY` the outcome has no goal
dimension (goal `NO_GOAL`). The key is a goal id, or an indicator id for the outcomes in
natural units and people (`indicator_end`, `people_end`, `people_gain`); tables keep it in
their `goal` column either way.

Each outcome also carries the smallest effect that matters (`min_effect`, in its unit, or
a share of the reference's own value where that is more meaningful): comparisons give a
verdict (better, worse, equivalent, inconclusive) against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from ..model import RunArrays
from ..model.ledger import NO_GOAL
from ..scenario import Scenario
from . import groups as groups_
from . import metrics

ALL = "ALL"
"""Country of an all-countries value."""
# NO_GOAL ("-", from the ledger, whose flows not aimed at a goal carry it too) is the goal of an
# outcome without a goal dimension.

Arrays = dict[str, np.ndarray]
Compute = Callable[[Arrays, RunArrays], np.ndarray]
ComputeGroup = Callable[[Arrays, RunArrays, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Outcome:
    """One outcome: what it means and how it is computed from a run.

    `compute(per_run_arrays, result)` returns the values per run, shape (N[, C][, G]):
    with a country axis if `by_country` (else the all-countries value), with a goal axis
    if `by_goal`. `compute_all` gives the all-countries value (N[, G]) of a by-country
    outcome that has one (`overall`).
    """

    name: str
    unit: str
    higher_is_better: bool
    description: str
    by_country: bool
    by_goal: bool
    overall: bool
    compute: Compute
    compute_all: Compute | None = None
    analyze_by_default: bool = False
    """Studied by `sdgsim analyze` when a sweep file names no `outcomes:`."""
    min_effect: float = 0.0
    """Smallest difference that matters, in `unit` (or a share of the reference's value if
    `min_effect_relative`); a comparison calls a difference within ± it `equivalent`."""
    min_effect_relative: bool = False
    """`min_effect` is a share of the reference's own mean (|value|) of the same row."""
    min_effect_births: float | None = None
    """`min_effect` for indicators counted over live births (under-5 deaths a year)."""
    by_indicator: bool = False
    """The key is an indicator id (the scenario's `indicators:`), not a goal."""
    sense_from_indicator: bool = False
    """Better is the indicator's own direction (people_end: more people with electricity is
    better, more under-5 deaths worse); `higher_is_better` is the fallback without a scenario."""
    cumulative: bool = False
    """Summed over the years after the start year ("over 2021-2030"), not a value at the horizon."""
    at_start: bool = False
    """A value of the start year ("in 2020"), not of the horizon."""
    compute_group: ComputeGroup | None = None
    """A country group's value per run (N[, keys]) from its countries' positions: a sum for people,
    a weighted mean for indices; None for outcomes not reported per group."""

    @property
    def keyed(self) -> bool:
        """Has a key dimension (goal or indicator)."""
        return self.by_goal or self.by_indicator

    def min_effect_text(self) -> str:
        """The default smallest effect that matters, in words."""
        if self.min_effect_relative:
            return f"{self.min_effect:.0%} of the reference's value"
        births = f" ({self.min_effect_births:,.0f} for deaths a year)" if self.min_effect_births else ""
        return f"{self.min_effect:,g} {self.unit}{births}"

    def default_min_effect(self, key: str, reference, births: Iterable[str] = ()):
        """The registry's smallest effect that matters for this outcome's value under `key`:
        min_effect_births for an indicator counted over live births, a share of |reference|
        if relative, else min_effect. `reference` may be a number or an array (same shape out)."""
        size = np.abs(np.asarray(reference, dtype=float))
        if self.min_effect_births is not None and key in births:
            return np.full_like(size, self.min_effect_births)
        return self.min_effect * size if self.min_effect_relative else np.full_like(size, self.min_effect)

    @property
    def sense(self) -> int:
        """+1 if higher is better, −1 if lower is better."""
        return 1 if self.higher_is_better else -1

    def keys(self, countries: list[str], goals: list[str], indicators: Iterable[str] = (),
             groups: Iterable[str] = ()) -> tuple[list[str], list[str]]:
        """Country and key labels of this outcome's values for these countries, goals, indicators
        and country groups (countries, then group:NAME, then ALL)."""
        gr = [groups_.label(g) for g in groups] if self.compute_group is not None else []
        cs = [*(countries if self.by_country else []), *gr, *([ALL] if self.overall else [])]
        return cs, list(indicators) if self.by_indicator else list(goals) if self.by_goal else [NO_GOAL]

    def values(self, m: Arrays, result: RunArrays) -> np.ndarray:
        """All values of one run set, (N, countries, keys) in the order of `keys` (groups, then ALL, last)."""
        sc = result.scenario
        cs, gs = self.keys(sc.country_ids, sc.goal_ids, sc.indicator_ids, sc.groups)
        N = result.runs
        if not gs:
            return np.zeros((N, len(cs), 0))
        parts = [np.asarray(self.compute(m, result), dtype=float).reshape(N, -1, len(gs))]
        if self.compute_group is not None:
            parts += [np.asarray(self.compute_group(m, result, idx), dtype=float).reshape(N, 1, len(gs))
                      for idx in groups_.positions(sc).values()]
        if self.by_country and self.overall:
            parts.append(np.asarray(self.compute_all(m, result), dtype=float).reshape(N, 1, len(gs)))
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]

    def sweep_keys(self, countries: list[str], goals: list[str], indicators: Iterable[str] = (),
                   groups: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(country, key) of the values a sweep stores per run: the all-countries value(s)
        (per key for keyed outcomes) and each country group's (per key), plus one per country
        for per-country outcomes without a key; an outcome without an all-countries value per
        country and key."""
        gs = self.keys([], goals, indicators)[1]
        if not self.overall:
            return [(c, g) for c in countries for g in gs]
        keys = [(ALL, g) for g in gs]
        if self.compute_group is not None:
            keys += [(groups_.label(name), g) for name in groups for g in gs]
        if self.by_country and not self.keyed:
            keys += [(c, NO_GOAL) for c in countries]
        return keys


def _index(m: Arrays, t: int) -> np.ndarray:
    return m["index"][:, t]


def _overall_closure(m: Arrays, r: RunArrays) -> np.ndarray:
    return metrics.gap_closure(m["overall"][:, 0], m["overall"][:, -1], metrics.index_target(r.scenario))


def _sum_countries(key: str) -> Compute:
    return lambda m, r: m[key].sum(axis=1)


def _year_reached(m: Arrays, r: RunArrays) -> np.ndarray:
    return np.where(np.isnan(m["year_reached"]), r.scenario.end_year + 1, m["year_reached"])


def _weighted_goal_end(m: Arrays, r: RunArrays) -> np.ndarray:
    """(N, G) each goal's score at the horizon, averaged over countries weighted by their population then."""
    pop = metrics.population_paths(r.scenario)[-1]
    return np.einsum("ncg,c->ng", m["goal_end"], pop / pop.sum())


def _per_run(key: str) -> Compute:
    return lambda m, r: m[key]


def _countries_total(key: str) -> Compute:
    return lambda m, r: metrics.country_total(m[key])


def _sum_group(key: str) -> ComputeGroup:
    """A group's value: the sum over its countries (people, deaths), run by run."""
    return lambda m, r, idx: m[key][:, idx].sum(axis=1)


def _index_group(t: int) -> ComputeGroup:
    """A group's SDG index in year t, weighted by its countries' population then."""
    return lambda m, r, idx: groups_.weighted_mean(m["index"][:, t], m["pop"][t], idx)


def _closure_group(m: Arrays, r: RunArrays, idx: np.ndarray) -> np.ndarray:
    start, end = _index_group(0)(m, r, idx), _index_group(-1)(m, r, idx)
    return metrics.gap_closure(start, end, metrics.index_target(r.scenario))


def _goal_group(m: Arrays, r: RunArrays, idx: np.ndarray) -> np.ndarray:
    """(N, G) a group's goal scores at the horizon, weighted by its countries' population then."""
    return groups_.weighted_mean(np.swapaxes(m["goal_end"], 1, 2), m["pop"][-1], idx)


def _indicator_group(m: Arrays, r: RunArrays, idx: np.ndarray) -> np.ndarray:
    """(N, I) a group's indicators at the horizon: its people over its denominators, in the indicator's unit."""
    sc = r.scenario
    scale = np.array([i.scale for i in sc.indicators])
    return m["people"][:, -1][:, idx].sum(axis=1) / metrics.indicator_denominators(sc)[-1][idx].sum(axis=0) * scale


POINTS = 0.5
"""Smallest index or score difference that matters (points): a year of the baseline's drift."""
PEOPLE = 100_000.0
"""Smallest difference in people that matters (people with access, undernourished people)."""
DEATHS = 1_000.0
"""Smallest difference in under-5 deaths a year that matters."""
HORIZON_YEARS = 10
"""Cumulative outcomes' smallest effect is the yearly one over a ten-year horizon (2021-2030)."""

_OUTCOMES = [
    Outcome("sdg_index_start", "index points", True,
            "SDG index in the start year (mean of goal scores, 0-100; all countries: population-weighted)",
            by_country=True, by_goal=False, overall=True,
            compute=lambda m, r: _index(m, 0), compute_all=lambda m, r: m["overall_weighted"][:, 0],
            compute_group=_index_group(0), min_effect=POINTS, at_start=True),
    Outcome("sdg_index_end", "index points", True,
            "SDG index at the horizon (mean of goal scores, 0-100; all countries: population-weighted)",
            by_country=True, by_goal=False, overall=True,
            compute=lambda m, r: _index(m, -1), compute_all=lambda m, r: m["overall_weighted"][:, -1],
            compute_group=_index_group(-1), analyze_by_default=True, min_effect=POINTS),
    Outcome("sdg_index_end_unweighted", "index points", True,
            "SDG index at the horizon, plain mean over countries (unweighted; each country counts once)",
            by_country=False, by_goal=False, overall=True, compute=lambda m, r: m["overall"][:, -1],
            min_effect=POINTS),
    Outcome("sdg_index_change", "index points", True,
            "change of the SDG index from the start year to the horizon (all countries: population-weighted)",
            by_country=True, by_goal=False, overall=True,
            compute=lambda m, r: _index(m, -1) - _index(m, 0),
            compute_all=lambda m, r: m["overall_weighted"][:, -1] - m["overall_weighted"][:, 0],
            compute_group=lambda m, r, idx: _index_group(-1)(m, r, idx) - _index_group(0)(m, r, idx),
            min_effect=POINTS),
    Outcome("gap_closure", "share", True,
            "share of the gap to the target index closed since the start year (all countries: of the "
            "population-weighted index)",
            by_country=True, by_goal=False, overall=True,
            compute=_per_run("gap_closure"), compute_all=_per_run("gap_closure_weighted"),
            compute_group=_closure_group, analyze_by_default=True, min_effect=0.01),
    Outcome("gap_closure_unweighted", "share", True,
            "share of the gap closed by the plain mean of the country indices (unweighted)",
            by_country=False, by_goal=False, overall=True, compute=_overall_closure, min_effect=0.01),
    Outcome("goal_score_end", "score points", True,
            "goal score at the horizon (0-100; all countries: population-weighted)",
            by_country=True, by_goal=True, overall=True,
            compute=_per_run("goal_end"), compute_all=_weighted_goal_end, compute_group=_goal_group,
            min_effect=POINTS),
    Outcome("year_target_reached", "year", False,
            "first year the goal score reaches its target (horizon + 1 = not reached)",
            by_country=True, by_goal=True, overall=False, compute=_year_reached, min_effect=1.0),
    Outcome("indicator_end", "natural units", True,
            "indicator value at the horizon in its own unit (% of population, per 1,000 live births; "
            "all countries: weighted by the people it is counted over); better is the indicator's direction",
            by_country=True, by_goal=False, overall=True, by_indicator=True, sense_from_indicator=True,
            compute=_per_run("indicator_end"), compute_all=_per_run("indicator_end_all"),
            compute_group=_indicator_group, min_effect=0.5),
    Outcome("people_end", "people", True,
            "people the indicator counts at the horizon (people with electricity, people with basic water, "
            "undernourished people, under-5 deaths a year; all countries: their sum); better is the "
            "indicator's direction",
            by_country=True, by_goal=False, overall=True, by_indicator=True, sense_from_indicator=True,
            compute=_per_run("people_end"), compute_all=_sum_countries("people_end"),
            compute_group=_sum_group("people_end"), min_effect=PEOPLE,
            min_effect_births=DEATHS),
    Outcome("people_gain", "people", True,
            "people better off at the horizon than in the start year, oriented so that higher is better: "
            "more people with electricity or basic water, fewer undernourished people, fewer under-5 deaths "
            "a year (all countries: their sum)",
            by_country=True, by_goal=False, overall=True, by_indicator=True,
            compute=_per_run("people_gain"), compute_all=_sum_countries("people_gain"),
            compute_group=_sum_group("people_gain"), min_effect=PEOPLE,
            min_effect_births=DEATHS),
    # cumulative over the years after the start year (the values above are at the horizon)
    Outcome("people_years", "people", True,
            "people the indicator counts, summed over the years after the start year: people-years with "
            "electricity or basic water, undernourished people-years, under-5 deaths in total (all countries: "
            "their sum); better is the indicator's direction",
            by_country=True, by_goal=False, overall=True, by_indicator=True, sense_from_indicator=True,
            compute=_per_run("people_years"), compute_all=_sum_countries("people_years"),
            compute_group=_sum_group("people_years"),
            min_effect=PEOPLE * HORIZON_YEARS, min_effect_births=DEATHS * HORIZON_YEARS, cumulative=True),
    Outcome("people_years_gain", "people", True,
            "people better off than in the start year, summed over the years after it and oriented so that "
            "higher is better: people-years of access gained, under-5 deaths averted in total (all countries: "
            "their sum)",
            by_country=True, by_goal=False, overall=True, by_indicator=True,
            compute=_per_run("people_years_gain"), compute_all=_sum_countries("people_years_gain"),
            compute_group=_sum_group("people_years_gain"),
            min_effect=PEOPLE * HORIZON_YEARS, min_effect_births=DEATHS * HORIZON_YEARS, cumulative=True),
    Outcome("money_usd", "US$", False,
            "money put in over the years after the start year (every source: donors, partnership, research and "
            "domestic budgets, except the private co-finance blended finance mobilises), USD",
            by_country=False, by_goal=False, overall=True, compute=_per_run("money_usd"),
            min_effect=0.05, min_effect_relative=True, cumulative=True),
    Outcome("cost_per_point_usd", "US$", False,
            "all money spent per SDG-index point gained (summed over countries), USD",
            by_country=False, by_goal=False, overall=True, compute=_per_run("cost_per_point_usd"),
            analyze_by_default=True, min_effect=0.05, min_effect_relative=True),
    Outcome("private_per_public", "US$ per US$", True, "private finance mobilised per public external dollar",
            by_country=False, by_goal=False, overall=True, compute=_per_run("private_per_public"),
            analyze_by_default=True, min_effect=0.01),
    Outcome("gini_end", "Gini (0-1)", False, "inequality of SDG index across countries at the horizon (Gini)",
            by_country=False, by_goal=False, overall=True, compute=_per_run("gini_end"), analyze_by_default=True,
            min_effect=0.005),
    Outcome("adoption_end", "share", True, "mean technology adoption at the horizon (share 0-1)",
            by_country=False, by_goal=False, overall=True, compute=_per_run("adoption_end"),
            analyze_by_default=True, min_effect=0.01),
    Outcome("overhead_usd", "US$", False,
            "channel costs over the whole horizon (funders' overhead, recipients' transaction costs, volatility "
            "losses), USD",
            by_country=False, by_goal=False, overall=True, compute=_per_run("overhead_usd"),
            min_effect=0.05, min_effect_relative=True),
    Outcome("recipient_cost_usd", "US$", False,
            "of the channel costs, what recipients spend servicing the money that arrives (transaction costs "
            "per channel, mechanisms/channels.py), USD over the whole horizon",
            by_country=False, by_goal=False, overall=True, compute=_per_run("recipient_cost_usd"),
            min_effect=0.05, min_effect_relative=True),
    Outcome("volatility_loss_usd", "US$", False,
            "of the channel costs, what unpredictable flows cost recipients (flows that differ from what was "
            "planned, mechanisms/channels.py), USD over the whole horizon",
            by_country=False, by_goal=False, overall=True, compute=_per_run("volatility_loss_usd"),
            min_effect=0.05, min_effect_relative=True),
]

_FISCAL = [  # per country and year in fiscal.parquet; here summed over the spending years
    ("debt_service_usd", False, "external public debt service paid to creditors over the horizon (IDS schedule, plus "
     "the service of new loans, less what debt levers cancel), USD; 0 for a country without a fiscal block"),
    ("fiscal_space_usd", True, "fiscal space over the horizon: government revenue less external debt service (and less "
     "what a debt swap commits), USD; 0 for a country without a fiscal block"),
    ("debt_relief_usd", False, "scheduled debt service cancelled by debt relief and debt-for-SDG swaps over the "
     "horizon, USD (the creditors' cost)"),
    ("loans_usd", False, "concessional loans disbursed by donors and the facility over the horizon (face value), USD"),
    ("grant_equivalent_usd", False, "external public money over the horizon as the DAC counts it: grants, blended and "
     "capacity money at face value, loans at their grant equivalent (DAC discount rates), USD"),
]
_OUTCOMES += [Outcome(name, "US$", better, text, by_country=True, by_goal=False, overall=True,
                      compute=_per_run(name), compute_all=_countries_total(name), min_effect=0.05,
                      min_effect_relative=True, cumulative=True) for name, better, text in _FISCAL]

REGISTRY: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}
"""Every outcome sdgsim reports, by name."""

DEFAULT_OUTCOMES = tuple(n for n, o in REGISTRY.items() if o.analyze_by_default)
"""Outcomes `sdgsim analyze` studies when a sweep file names none."""


# --------------------------------------------------------------------------- names


def label(name: str, country: str = ALL, goal: str = NO_GOAL) -> str:
    """The one name of a value: NAME[:GOAL][@COUNTRY] (no country = all countries)."""
    return name + ("" if goal in (NO_GOAL, "", None) else f":{goal}") + ("" if country in (ALL, "", None)
                                                                          else f"@{country}")


def period(name: str, scenario: Scenario, key: str = NO_GOAL) -> str:
    """When a value of outcome `name` is counted, in words: "over 2021-2030" for a cumulative
    outcome, "in 2020" for a start-year value, "a year in 2030" for people counted a year at the
    horizon (under-5 deaths), else "in 2030"."""
    o = REGISTRY[name]
    if o.cumulative:
        return f"over {scenario.years[1]}\u2013{scenario.end_year}"
    if o.at_start:
        return f"in {scenario.start_year}"
    per_year = o.by_indicator and any(i.id == key and i.denominator == "births" for i in scenario.indicators)
    return f"{'a year ' if per_year else ''}in {scenario.end_year}"


def parse(spec: str) -> tuple[str, str, str]:
    """NAME[:GOAL][@COUNTRY] → (name, country, goal); ALL and NO_GOAL where omitted."""
    rest, _, country = spec.partition("@")
    name, _, goal = rest.partition(":")
    return name, country or ALL, goal or NO_GOAL


def money_text(x: float, prefix: str = "", signed: bool = False) -> str:
    """A money amount to 3 significant digits in k / M / bn / tn: 750, 12 k, 3.5 M, -1.2 bn
    (rounded before the scale is chosen: 999,950 is 1 M, not 1e+03 k). `prefix`: e.g. "US$"
    after the sign; `signed`: a + before positive amounts."""
    a = float(f"{abs(float(x)):.3g}")
    sign = "" if a == 0 else "-" if x < 0 else "+" if signed else ""
    size, word = next(((s, w) for s, w in ((1e12, " tn"), (1e9, " bn"), (1e6, " M"), (1e3, " k")) if a >= s),
                      (1.0, ""))
    return f"{sign}{prefix}{a / size:.3g}{word}"


def readable(spec: str, value: float, signed: bool = False, unit: bool = True) -> str:
    """A value of sweep column or outcome `spec` as people read it, in its unit: US$ in k / M /
    bn / tn, people as a whole number, anything else to 4 significant digits with its unit
    ("n/a" when not finite). `signed`: a + before positive values (differences); `unit=False`
    leaves out the unit's name (for a range after a value that has it), not US$'s k / M / bn."""
    if not np.isfinite(value):
        return "n/a"
    o = REGISTRY.get(parse(spec)[0])
    kind = o.unit if o is not None else ""
    if kind == "US$":
        return money_text(value, "US$", signed)
    # rounded first, so the sign fits what is printed (-0.4 people is 0 people)
    a = round(abs(float(value))) if kind == "people" else float(f"{abs(float(value)):.4g}")
    sign = "" if a == 0 else "-" if value < 0 else "+" if signed else ""
    name = kind if unit else ""
    if kind == "people":
        return f"{sign}{a:,.0f} {name}".rstrip()
    return f"{sign}{a:.4g} {name}".rstrip()


def outcome_sense(spec: str, scenarios: Iterable[Scenario] = ()) -> int:
    """+1 if higher is better for the value named `spec` (any NAME[:KEY][@COUNTRY]), −1 if lower.

    Outcomes whose direction is their indicator's (`people_end`, `indicator_end`) take it from
    the first of `scenarios` that declares the indicator (the registry's default otherwise).
    """
    name, _, key = parse(spec)
    if name not in REGISTRY:
        raise KeyError(f"unknown outcome '{name}' (known: {', '.join(REGISTRY)})")
    o = REGISTRY[name]
    if o.sense_from_indicator:
        for sc in scenarios:
            for ind in sc.indicators:
                if ind.id == key:
                    return 1 if ind.higher_is_better else -1
    return o.sense


def _union(scenarios: Iterable[Scenario]) -> tuple[list[str], list[str], list[str]]:
    scenarios = list(scenarios)
    return (list(dict.fromkeys(c for s in scenarios for c in s.country_ids)),
            list(dict.fromkeys(g for s in scenarios for g in s.goal_ids)),
            list(dict.fromkeys(i for s in scenarios for i in s.indicator_ids)))


def _groups(scenarios: Iterable[Scenario]) -> list[str]:
    return list(dict.fromkeys(g for s in scenarios for g in s.groups))


def _country_problem(outcome: Outcome, country: str, countries: list[str], groups: list[str]) -> str | None:
    """Why @COUNTRY (a country id or group:NAME) names no value of `outcome`, or None."""
    if groups_.is_group(country):
        if outcome.compute_group is None:
            per_group = ", ".join(n for n, x in REGISTRY.items() if x.compute_group is not None)
            return f"{outcome.name} is not reported per group (per group: {per_group})"
        if groups_.name_of(country) not in groups:
            return (f"unknown group '{groups_.name_of(country)}' (the scenarios have: {', '.join(groups) or 'none'};"
                    " define one with groups: in the scenario or --group NAME=ISO3,...)")
        return None
    if not outcome.by_country:
        return f"{outcome.name} is reported for all countries only (drop @{country})"
    if country not in countries:
        return f"unknown country '{country}' (the scenarios have: {', '.join(sorted(countries))})"
    return None


def metric_problem(outcome: str, country: str, goal: str, scenarios) -> str | None:
    """Why (outcome, country, key) names no value of these scenarios, or None if it does."""
    scenarios = list(scenarios)
    countries, goals, indicators = _union(scenarios)
    o = REGISTRY.get(outcome)
    if o is None:
        return f"unknown outcome (allowed: {', '.join(REGISTRY)})"
    if o.by_indicator:
        if not indicators:
            return f"{outcome} needs indicators, and the scenarios declare none"
        if goal == NO_GOAL:
            return f"{outcome} needs an indicator, e.g. {outcome}:{indicators[0]}"
        if goal not in indicators:
            return f"unknown indicator '{goal}' (the scenarios have: {', '.join(indicators)})"
    elif o.by_goal and goal == NO_GOAL:
        return f"{outcome} needs a goal, e.g. {outcome}:{sorted(goals)[0]}"
    elif not o.by_goal and goal != NO_GOAL:
        per_goal = ", ".join(n for n, x in REGISTRY.items() if x.by_goal)
        per_ind = ", ".join(n for n, x in REGISTRY.items() if x.by_indicator)
        return f"{outcome} has no goal dimension (goals apply to: {per_goal}; indicators to: {per_ind})"
    elif goal != NO_GOAL and goal not in goals:
        return f"unknown goal '{goal}' (the scenarios have: {', '.join(sorted(goals))})"
    if country != ALL and (why := _country_problem(o, country, countries, _groups(scenarios))):
        return why
    if country == ALL and not o.overall:
        return f"{outcome} is per country: add @COUNTRY"
    return None


def partial_spec_problem(outcome: str, country: str, key: str, scenarios) -> str | None:
    """Why the key or country of NAME[:KEY][@COUNTRY] names nothing in these scenarios, or None.

    Unlike metric_problem, leaving out the key or the country is allowed (a smallest effect
    given for NAME applies to every key and country of it)."""
    scenarios = list(scenarios)
    countries, goals, indicators = _union(scenarios)
    o = REGISTRY[outcome]
    if key != NO_GOAL:
        if o.by_indicator and key not in indicators:
            return f"unknown indicator '{key}' (the scenarios have: {', '.join(indicators) or 'none'})"
        if o.by_goal and key not in goals:
            return f"unknown goal '{key}' (the scenarios have: {', '.join(sorted(goals))})"
        if not o.keyed:
            return f"{outcome} has no goal or indicator dimension (drop :{key})"
    if country != ALL:
        return _country_problem(o, country, countries, _groups(scenarios))
    return None


# --------------------------------------------------------------------------- values of a run set


def all_values(result: RunArrays, names: Iterable[str] | None = None
               ) -> dict[str, tuple[np.ndarray, list[str], list[str]]]:
    """Per outcome: its values (N, countries, goals) with their country and goal labels."""
    sc = result.scenario
    m = metrics.per_run(result)
    out = {}
    for name in (REGISTRY if names is None else names):
        o = REGISTRY[name]
        out[name] = (o.values(m, result), *o.keys(sc.country_ids, sc.goal_ids, sc.indicator_ids, sc.groups))
    return out


def outcome_table(result: RunArrays) -> pd.DataFrame:
    """Per-run outcomes in long form: outcome, country, goal, run, value (every value of every outcome)."""
    return values_table(all_values(result), result.runs)


def values_table(vals: dict[str, tuple[np.ndarray, list[str], list[str]]], runs: int) -> pd.DataFrame:
    """`outcome_table` of values already computed (`all_values`, or a run's kept `RunValues.values`)."""
    N = runs
    frames = []
    for name, (v, cs, gs) in vals.items():
        frames.append(pd.DataFrame({
            "outcome": name,
            "country": np.tile(np.repeat(np.array(cs, dtype=object), len(gs)), N),
            "goal": np.tile(np.array(gs, dtype=object), N * len(cs)),
            "run": np.repeat(np.arange(N), len(cs) * len(gs)),
            "value": v.reshape(-1),
        }))
    return pd.concat(frames, ignore_index=True)


def _stats(x: np.ndarray) -> tuple[float, float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    return float(x.mean()), float(np.percentile(x, 5)), float(np.percentile(x, 95))


def summary(result: RunArrays) -> pd.DataFrame:
    """The run summary (summary.csv): country, metric, mean, p05, p95, runs.

    One row per value of every outcome: `metric` is NAME or NAME:GOAL, `country` a
    country id or ALL; mean and 5th-95th percentile over the runs (non-finite runs left out).
    Rows per country in the scenario's order, then per country group (group:NAME), then ALL.
    """
    return values_summary(all_values(result), result.scenario, result.runs)


def values_summary(vals: dict[str, tuple[np.ndarray, list[str], list[str]]], scenario: Scenario,
                   runs: int) -> pd.DataFrame:
    """`summary` of values already computed (`all_values`, or a run's kept `RunValues.values`)."""
    rows = []
    for cid in [*scenario.country_ids, *map(groups_.label, scenario.groups), ALL]:
        for name, (v, cs, gs) in vals.items():
            if cid not in cs:
                continue
            c = cs.index(cid)
            rows += [(cid, label(name, goal=g), *_stats(v[:, c, k])) for k, g in enumerate(gs)]
    df = pd.DataFrame(rows, columns=["country", "metric", "mean", "p05", "p95"])
    df["runs"] = runs
    return df


def outcome_columns(scenarios: list[Scenario]) -> list[str]:
    """The outcome columns of a sweep's runs (see `Outcome.sweep_keys`), for these scenarios."""
    scenarios = list(scenarios)
    countries, goals, indicators = _union(scenarios)
    return [label(name, c, g) for name, o in REGISTRY.items()
            for c, g in o.sweep_keys(countries, goals, indicators, _groups(scenarios))]


def column_values(result: RunArrays, columns: Iterable[str]) -> dict[str, np.ndarray]:
    """The values (N,) of the named columns (NAME[:GOAL][@COUNTRY]); NaN for a country or
    goal this result does not have."""
    wanted = [(col, *parse(col)) for col in columns]
    vals = all_values(result, dict.fromkeys(name for _, name, _, _ in wanted))
    out = {}
    for col, name, country, goal in wanted:
        v, cs, gs = vals[name]
        out[col] = (v[:, cs.index(country), gs.index(goal)].astype(float) if country in cs and goal in gs
                    else np.full(result.runs, np.nan))
    return out
