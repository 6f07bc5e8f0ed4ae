"""Moving a scenario's start year: what every growing quantity is worth in the new start year.

A scenario states budgets, GDP and population in its start year and lets them grow. A
back-test that forecasts from a later year needs the same world started there: the
quantities are grown to the new start year, shocks and partnerships that ended before it
are dropped, and the horizon is set. Nothing else changes.
"""

from __future__ import annotations

from .loading import validate_data
from .schema import Scenario


def rebase(scenario: Scenario, start_year: int, end_year: int | None = None) -> Scenario:
    """The scenario started in `start_year` (≥ its own start), run to `end_year` (default: its own)."""
    dt = start_year - scenario.start_year
    if dt < 0:
        raise ValueError(f"cannot move {scenario.name} back from {scenario.start_year} to {start_year}")
    data = scenario.model_dump()
    data["start_year"], data["end_year"] = start_year, end_year or scenario.end_year
    for c in data["countries"]:
        c["population_m"] *= (1 + c["population_growth"]) ** dt
        c["gdp_usd_bn"] *= (1 + c["gdp_growth"]) ** dt
    for d in data["donors"]:
        d["budget_usd"] *= (1 + d["growth"]) ** dt
    for r in data["research_bodies"]:
        r["budget_usd"] *= (1 + r["growth"]) ** dt
    data["shocks"] = [s for s in data["shocks"] if s["start_year"] + s["duration_years"] > start_year
                      and s["start_year"] <= data["end_year"]]
    for s in data["shocks"]:
        if s["start_year"] < start_year:
            s["duration_years"] -= start_year - s["start_year"]
            s["start_year"] = start_year
    for p in data["partnerships"]:
        if p["start_year"] is not None and p["start_year"] < start_year:
            p["start_year"] = start_year
    return validate_data(data, f"{scenario.name} (from {start_year})")
