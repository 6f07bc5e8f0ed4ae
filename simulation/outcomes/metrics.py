"""Outcome arrays per replication, from which the registry's outcomes are computed.

Per run: SDG index (mean of goal scores) per country and year, its population-weighted
mean over countries, gap closure, indicators in natural units and the people they count, year the
target is reached, cost per index point, private finance mobilised per public dollar,
equity (Gini of country index), mean technology adoption, channel overhead. The outcomes
built from these arrays, and their summaries, are defined in registry.py.
"""

from __future__ import annotations

import numpy as np

from ..model import ACCOUNTS, RunArrays
from ..model.result import indicator_denominators, population_paths


def sdg_index(scores: np.ndarray) -> np.ndarray:
    """Mean over goals: (..., C, G) → (..., C)."""
    return scores.mean(axis=-1)


def gini(x: np.ndarray) -> np.ndarray:
    """Gini coefficient over the last axis (0 = equal, → 1 = concentrated)."""
    x = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = x.shape[-1]
    total = x.sum(axis=-1)
    ranks = np.arange(1, n + 1)
    g = (2.0 * (ranks * x).sum(axis=-1) / np.where(total > 0, total, 1.0) - (n + 1)) / n
    return np.where(total > 0, g, 0.0)


def gap_closure(start: np.ndarray, end: np.ndarray, target: np.ndarray | float = 100.0) -> np.ndarray:
    """(I_T − I_0) / (target − I_0); NaN where the start already meets the target."""
    gap = target - start
    return np.divide(end - start, gap, out=np.full(np.broadcast(end, gap).shape, np.nan), where=gap > 1e-9)


def year_reached(scores: np.ndarray, years: list[int], target: np.ndarray) -> np.ndarray:
    """First year each score reaches its target, NaN if never: (N, Y, C, G) → (N, C, G)."""
    hit = scores >= target
    first = hit.argmax(axis=1)
    return np.where(hit.any(axis=1), np.asarray(years)[first], np.nan)


def index_target(scenario) -> float:
    """Target of the SDG index: the mean of the goals' target scores (100 by default)."""
    return float(np.mean([g.target_score for g in scenario.goals]))


def scenario_key(scenario) -> tuple:
    """Everything the outcomes read from a scenario (here and in registry.py): the runs of two
    scenarios with the same key may be summarised together, as one RunArrays (sweeps do).
    tests/test_sweep_vectorised.py checks that no other scenario field changes an outcome."""
    return (tuple(scenario.years), tuple(scenario.country_ids), tuple(scenario.goal_ids),
            tuple(scenario.indicator_ids), tuple(k.id for k in scenario.technologies),
            tuple((c.population_m, c.population_growth, c.birth_rate_per_1000) for c in scenario.countries),
            tuple(g.target_score for g in scenario.goals),
            tuple((i.scale, i.denominator, i.higher_is_better) for i in scenario.indicators),
            tuple((name, tuple(members)) for name, members in scenario.groups.items()))


def indicator_people(result: RunArrays) -> np.ndarray:
    """(N, Y, C, I) people each indicator counts (people with electricity, undernourished
    people, under-5 deaths a year, ...): value / scale · denominator; (N, Y, C, 0) without indicators."""
    sc = result.scenario
    if result.indicators is None or not sc.indicators:
        return np.zeros(result.scores.shape[:3] + (0,))
    scale = np.array([i.scale for i in sc.indicators])
    return result.indicators / scale * indicator_denominators(sc)[None]


def people_gain(result: RunArrays, people: np.ndarray) -> np.ndarray:
    """(N, C, I) change of the people counted from the start year to the horizon, oriented so
    that positive is better: more people with access, fewer undernourished, fewer deaths."""
    sense = np.array([1.0 if i.higher_is_better else -1.0 for i in result.scenario.indicators])
    return (people[:, -1] - people[:, 0]) * sense


def extra_money(result: RunArrays) -> np.ndarray:
    """(N,) money put in over the horizon, USD: every source (donor, partnership, research and
    domestic budgets) except the private co-finance that blended finance mobilises."""
    sources = result.balance[..., ACCOUNTS.index("sources")].sum(axis=1)
    return sources - result.private.sum(axis=1)


class _PerRun(dict):
    """Outcome arrays of one result, each computed when first asked for (outcome -> array)."""

    def __init__(self, result: RunArrays):
        super().__init__()
        self.result = result

    def __missing__(self, key: str) -> np.ndarray:
        value = self[key] = _PER_RUN[key](self, self.result)
        return value


def _weighted(m: _PerRun, r: RunArrays) -> np.ndarray:
    pop = m["pop"]
    return (m["index"] * pop[None]).sum(axis=-1) / pop.sum(axis=-1)[None]  # (N, Y) population-weighted


def people_years(people: np.ndarray) -> np.ndarray:
    """(N, C, I) people counted, summed over the years after the start year (people-years with
    electricity; under-5 deaths over the whole horizon): (N, Y, C, I) -> (N, C, I)."""
    return people[:, 1:].sum(axis=1)


def people_years_gain(result: RunArrays, people: np.ndarray) -> np.ndarray:
    """(N, C, I) the cumulative counterpart of people_gain: the change from the start year, summed
    over the years after it and oriented so that positive is better (people-years of access gained,
    deaths averted in total against the start year's rate)."""
    sense = np.array([1.0 if i.higher_is_better else -1.0 for i in result.scenario.indicators])
    return ((people[:, 1:] - people[:, :1]) * sense).sum(axis=1)


def _cost_per_point(m: _PerRun, r: RunArrays) -> np.ndarray:
    idx = m["index"]
    points = (idx[:, -1] - idx[:, 0]).sum(axis=-1)  # index points gained, summed over countries
    sources = r.balance[..., ACCOUNTS.index("sources")].sum(axis=1)
    return np.divide(sources, points, out=np.full_like(sources, np.nan), where=points > 0)


def _private_per_public(m: _PerRun, r: RunArrays) -> np.ndarray:
    spent_public = r.public_external.sum(axis=1)
    return np.divide(r.private.sum(axis=1), spent_public, out=np.zeros_like(spent_public), where=spent_public > 0)


def _indicator_end_all(m: _PerRun, r: RunArrays) -> np.ndarray:
    sc = r.scenario
    denominators = indicator_denominators(sc) if sc.indicators else np.zeros(m["pop"].shape + (0,))
    scale = np.array([i.scale for i in sc.indicators])
    return m["people"][:, -1].sum(axis=1) / denominators[-1].sum(axis=0) * scale


def fiscal_totals(result: RunArrays, part: int) -> np.ndarray:
    """(N, C) one part of the fiscal history (model/fiscal.py FIELDS) summed over the spending years,
    US$; 0 for a country without it (no fiscal block: no debt service or fiscal space modelled), and
    for every country of a run saved before the fiscal table existed. 0, not NaN, so that comparisons
    and verdicts of scenarios without fiscal blocks stay exact (identical scenarios differ by 0)."""
    if result.fiscal is None:
        return np.zeros(result.scores.shape[:1] + result.scores.shape[2:3])
    return np.nansum(result.fiscal[..., part], axis=1)


def country_total(x: np.ndarray) -> np.ndarray:
    """(N,) the sum over countries of (N, C) values."""
    return x.sum(axis=1)


_PER_RUN = {
    "index": lambda m, r: sdg_index(r.scores),  # (N, Y, C)
    "overall": lambda m, r: m["index"].mean(axis=-1),  # (N, Y)
    "pop": lambda m, r: population_paths(r.scenario),  # (Y, C)
    "people": lambda m, r: indicator_people(r),
    "overall_weighted": _weighted,
    "gap_closure_weighted": lambda m, r: gap_closure(m["overall_weighted"][:, 0], m["overall_weighted"][:, -1],
                                                     index_target(r.scenario)),
    "indicator_end": lambda m, r: r.indicators[:, -1] if m["people"].shape[-1] else m["people"][:, -1],
    "indicator_end_all": _indicator_end_all,
    "people_end": lambda m, r: m["people"][:, -1],
    "people_gain": lambda m, r: people_gain(r, m["people"]) if m["people"].shape[-1] else m["people"][:, -1],
    "people_years": lambda m, r: people_years(m["people"]),
    "people_years_gain": lambda m, r: people_years_gain(r, m["people"]) if m["people"].shape[-1]
    else m["people"][:, -1],
    "money_usd": lambda m, r: extra_money(r),
    "gap_closure": lambda m, r: gap_closure(m["index"][:, 0], m["index"][:, -1], index_target(r.scenario)),
    "goal_end": lambda m, r: r.scores[:, -1],
    "year_reached": lambda m, r: year_reached(r.scores, r.years, np.array([g.target_score for g in r.scenario.goals])),
    "cost_per_point_usd": _cost_per_point,
    "private_per_public": _private_per_public,
    "gini_end": lambda m, r: gini(m["index"][:, -1]),
    "adoption_end": lambda m, r: r.adoption[:, -1].mean(axis=(-2, -1)) if r.adoption.shape[-1] else np.zeros(r.runs),
    "overhead_usd": lambda m, r: r.balance[..., ACCOUNTS.index("overhead")].sum(axis=1),
    "recipient_cost_usd": lambda m, r: r.channel_costs[..., 0].sum(axis=1),
    "volatility_loss_usd": lambda m, r: r.channel_costs[..., 1].sum(axis=1),
    "debt_service_usd": lambda m, r: fiscal_totals(r, 0),
    "fiscal_space_usd": lambda m, r: fiscal_totals(r, 1),
    "debt_relief_usd": lambda m, r: fiscal_totals(r, 2),
    "loans_usd": lambda m, r: fiscal_totals(r, 3),
    "grant_equivalent_usd": lambda m, r: fiscal_totals(r, 4),
}


def per_run(result: RunArrays) -> dict[str, np.ndarray]:
    """Outcome arrays per replication (leading axis N), each computed on first use: `index` and
    `overall` (SDG index per country and its mean), `overall_weighted` (population-weighted),
    gap closure, indicators and people, goal scores, year reached, cost per index point,
    private per public dollar, Gini, adoption, overhead."""
    return _PerRun(result)
