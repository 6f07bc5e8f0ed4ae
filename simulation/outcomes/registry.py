"""Outcomes (to be unified into one registry)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import ACCOUNTS, RunResult
from ..scenario import Scenario
from . import metrics

ALL = metrics.ALL
NO_GOAL = "-"

# outcome -> (higher is better, description)
OUTCOMES: dict[str, tuple[bool, str]] = {
    "sdg_index_end": (True, "SDG index at the horizon (mean of goal scores, 0-100)"),
    "goal_score_end": (True, "goal score at the horizon (0-100)"),
    "gap_closure": (True, "share of the gap to 100 closed since the start year"),
    "year_target_reached": (False, "first year the goal score reaches its target (horizon + 1 = not reached)"),
    "cost_per_point_usd": (False, "all money spent per SDG-index point gained (summed over countries), USD"),
    "private_per_public": (True, "private finance mobilised per public external dollar"),
    "gini_end": (False, "inequality of SDG index across countries at the horizon (Gini)"),
    "adoption_end": (True, "mean technology adoption at the horizon (share 0-1)"),
    "overhead_usd": (False, "channel overhead over the whole horizon, USD"),
}

OUTCOME_SENSE = {
    "sdg_index_end": +1, "sdg_index_change": +1, "gap_closure": +1, "cost_per_point_usd": -1,
    "private_per_public": +1, "gini_end": -1, "adoption_end": +1,
}
"""Scalar outcomes per run and their direction (+1: higher is better, −1: lower is better)."""
DEFAULT_OUTCOMES = ("sdg_index_end", "gap_closure", "cost_per_point_usd", "private_per_public", "gini_end",
                    "adoption_end")


def outcome_sense(name: str) -> int:
    """+1 if higher is better for outcome column `name` (per-country/goal columns follow their base)."""
    return OUTCOME_SENSE.get(name.split(":", 1)[0], +1)


def outcome_columns(scenarios: list[Scenario]) -> list[str]:
    """Outcome columns of a sweep's runs: overall scalars, then per country and per goal."""
    cols = ["sdg_index_start", "sdg_index_end", "sdg_index_change", "gap_closure", "cost_per_point_usd",
            "private_per_public", "gini_end", "adoption_end"]
    countries = list(dict.fromkeys(c for s in scenarios for c in s.country_ids))
    goals = list(dict.fromkeys(g for s in scenarios for g in s.goal_ids))
    cols += [f"sdg_index_end:{c}" for c in countries] + [f"gap_closure:{c}" for c in countries]
    cols += [f"goal_end:{g}" for g in goals]
    return cols


def outcome_table(result: RunResult) -> pd.DataFrame:
    """Per-run outcomes in long form: outcome, country, goal, run, value."""
    sc = result.scenario
    m = metrics.per_run(result)
    N = result.runs
    frames: list[pd.DataFrame] = []

    def add(name: str, values: np.ndarray, countries: list[str], goals: list[str]) -> None:
        """values: (N, len(countries), len(goals))."""
        v = np.asarray(values, dtype=float).reshape(N, len(countries), len(goals))
        frames.append(pd.DataFrame({
            "outcome": name,
            "country": np.tile(np.repeat(np.array(countries, dtype=object), len(goals)), N),
            "goal": np.tile(np.array(goals, dtype=object), N * len(countries)),
            "run": np.repeat(np.arange(N), len(countries) * len(goals)),
            "value": v.reshape(-1),
        }))

    cids, gids = sc.country_ids, sc.goal_ids
    idx_end = np.concatenate([m["index"][:, -1], m["overall"][:, -1:]], axis=1)
    add("sdg_index_end", idx_end, [*cids, ALL], [NO_GOAL])
    goal_end = m["goal_end"]
    add("goal_score_end", np.concatenate([goal_end, goal_end.mean(axis=1, keepdims=True)], axis=1),
        [*cids, ALL], gids)
    closure_all = metrics.gap_closure(m["overall"][:, 0], m["overall"][:, -1], metrics.index_target(sc))
    add("gap_closure", np.concatenate([m["gap_closure"], closure_all[:, None]], axis=1), [*cids, ALL], [NO_GOAL])
    reached = np.where(np.isnan(m["year_reached"]), sc.end_year + 1, m["year_reached"])
    add("year_target_reached", reached, cids, gids)
    for name in ("cost_per_point_usd", "private_per_public", "gini_end", "adoption_end"):
        add(name, m[name], [ALL], [NO_GOAL])
    add("overhead_usd", result.balance[..., ACCOUNTS.index("overhead")].sum(axis=1), [ALL], [NO_GOAL])
    return pd.concat(frames, ignore_index=True)


GOAL_OUTCOMES = ("goal_score_end", "year_target_reached")  # have a goal dimension
COUNTRY_OUTCOMES = ("sdg_index_end", "goal_score_end", "gap_closure", "year_target_reached")


def metric_problem(outcome: str, country: str, goal: str, scenarios) -> str | None:
    """Why (outcome, country, goal) names no row of the comparison, or None if it does."""
    countries = {c for s in scenarios for c in s.country_ids}
    goals = {g for s in scenarios for g in s.goal_ids}
    if outcome not in OUTCOMES:
        return f"unknown outcome (allowed: {', '.join(OUTCOMES)})"
    if outcome in GOAL_OUTCOMES and goal == NO_GOAL:
        return f"{outcome} needs a goal, e.g. {outcome}:{sorted(goals)[0]}"
    if outcome not in GOAL_OUTCOMES and goal != NO_GOAL:
        return f"{outcome} has no goal dimension (goals apply to: {', '.join(GOAL_OUTCOMES)})"
    if goal != NO_GOAL and goal not in goals:
        return f"unknown goal '{goal}' (the scenarios have: {', '.join(sorted(goals))})"
    if country != ALL and outcome not in COUNTRY_OUTCOMES:
        return f"{outcome} is reported for all countries only (drop @{country})"
    if country != ALL and country not in countries:
        return f"unknown country '{country}' (the scenarios have: {', '.join(sorted(countries))})"
    if country == ALL and outcome == "year_target_reached":
        return "year_target_reached is per country: add @COUNTRY"
    return None
