"""Outcome arrays per replication, from which the registry's outcomes are computed.

Per run: SDG index (mean of goal scores) per country and year, its population-weighted
mean over countries, gap closure, indicators in natural units and the people they count, year the
target is reached, cost per index point, private finance mobilised per public dollar,
equity (Gini of country index), mean technology adoption, channel overhead. The outcomes
built from these arrays, and their summaries, are defined in registry.py.
"""

from __future__ import annotations

import numpy as np

from ..model import ACCOUNTS, RunResult
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


def indicator_people(result: RunResult) -> np.ndarray:
    """(N, Y, C, I) people each indicator counts (people with electricity, undernourished
    people, under-5 deaths a year, ...): value / scale · denominator; (N, Y, C, 0) without indicators."""
    sc = result.scenario
    if result.indicators is None or not sc.indicators:
        return np.zeros(result.scores.shape[:3] + (0,))
    scale = np.array([i.scale for i in sc.indicators])
    return result.indicators / scale * indicator_denominators(sc)[None]


def people_gain(result: RunResult, people: np.ndarray) -> np.ndarray:
    """(N, C, I) change of the people counted from the start year to the horizon, oriented so
    that positive is better: more people with access, fewer undernourished, fewer deaths."""
    sense = np.array([1.0 if i.higher_is_better else -1.0 for i in result.scenario.indicators])
    return (people[:, -1] - people[:, 0]) * sense


def extra_money(result: RunResult) -> np.ndarray:
    """(N,) money put in over the horizon, USD: every source (donor, partnership, research and
    domestic budgets) except the private co-finance that blended finance mobilises."""
    sources = result.balance[..., ACCOUNTS.index("sources")].sum(axis=1)
    return sources - result.private.sum(axis=1)


def per_run(result: RunResult) -> dict[str, np.ndarray]:
    """Outcome arrays per replication (leading axis N)."""
    sc = result.scenario
    idx = sdg_index(result.scores)  # (N, Y, C)
    overall = idx.mean(axis=-1)  # (N, Y)
    pop = population_paths(sc)  # (Y, C)
    weighted = (idx * pop[None]).sum(axis=-1) / pop.sum(axis=-1)[None]  # (N, Y) population-weighted
    people = indicator_people(result)
    denominators = indicator_denominators(sc) if sc.indicators else np.zeros(pop.shape + (0,))
    scale = np.array([i.scale for i in sc.indicators])
    target = np.array([g.target_score for g in sc.goals])
    spent_public = result.public_external.sum(axis=1)
    points = (idx[:, -1] - idx[:, 0]).sum(axis=-1)  # index points gained, summed over countries
    sources = result.balance[..., ACCOUNTS.index("sources")].sum(axis=1)
    return {
        "index": idx,
        "overall": overall,
        "overall_weighted": weighted,
        "gap_closure_weighted": gap_closure(weighted[:, 0], weighted[:, -1], index_target(sc)),
        "indicator_end": result.indicators[:, -1] if people.shape[-1] else people[:, -1],
        "indicator_end_all": people[:, -1].sum(axis=1) / denominators[-1].sum(axis=0) * scale,
        "people_end": people[:, -1],
        "people_gain": people_gain(result, people) if people.shape[-1] else people[:, -1],
        "gap_closure": gap_closure(idx[:, 0], idx[:, -1], index_target(sc)),
        "goal_end": result.scores[:, -1],
        "year_reached": year_reached(result.scores, result.years, target),
        "cost_per_point_usd": np.divide(sources, points, out=np.full_like(sources, np.nan), where=points > 0),
        "private_per_public": np.divide(result.private.sum(axis=1), spent_public,
                                        out=np.zeros_like(spent_public), where=spent_public > 0),
        "gini_end": gini(idx[:, -1]),
        "adoption_end": result.adoption[:, -1].mean(axis=(-2, -1)) if result.adoption.shape[-1] else
        np.zeros(result.runs),
        "overhead_usd": result.balance[..., ACCOUNTS.index("overhead")].sum(axis=1),
    }
