"""Fitted indicator parameters from a file: a calibration's fit.csv applied to any scenario.

`sdgsim calibrate` writes fit.csv (country, indicator, value, trend, trend_sd, noise_sd,
baseline_usd_per_capita, ...). `run`, `compare` (`--parameters FILE`) and the API
(`with_parameters`) apply such a table to a scenario: each row sets that country's indicator
parameters, so the fitted values and their uncertainty (trend_sd is drawn per replication)
reach every run. Columns other than the five parameters are ignored; rows for countries or
indicators the scenario lacks are reported, as is a table that matches nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..errors import ParametersError, Problem
from .loading import validate_data
from .schema import Scenario

FIELDS = ("value", "trend", "trend_sd", "noise_sd", "baseline_usd_per_capita")


def load_parameters(path: str | Path) -> pd.DataFrame:
    """A parameters table (CSV) with at least country, indicator and one parameter column."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise ParametersError([Problem(label, 1, "<file>", "parameters file not found (allowed: a calibration's "
                                                           "fit.csv)")])
    try:
        table = pd.read_csv(path, dtype={"country": str, "indicator": str})
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise ParametersError([Problem(label, 1, "<file>", f"not a readable CSV table ({type(exc).__name__})")]) \
            from None
    missing = [c for c in ("country", "indicator") if c not in table.columns]
    if missing or not any(f in table.columns for f in FIELDS):
        raise ParametersError([Problem(label, 1, "<header>", f"needs columns country, indicator and at least one "
                                                             f"of {', '.join(FIELDS)}")])
    problems = []
    for i, row in table.iterrows():
        for f in FIELDS:
            if f in table.columns and not (isinstance(row[f], (int, float)) and math.isfinite(row[f])):
                problems.append(Problem(label, int(i) + 2, f, f"got {row[f]!r} (allowed: a finite number)"))
    if problems:
        raise ParametersError(problems[:50])
    table.attrs["file"] = label
    return table


def with_parameters(scenario: Scenario, table: pd.DataFrame) -> tuple[Scenario, list[str]]:
    """The scenario with each (country, indicator) row's parameters set (validated again), and the
    rows that named a country or indicator the scenario lacks (as messages)."""
    label = table.attrs.get("file", "<parameters>")
    data = scenario.model_dump()
    countries = {c["id"]: c for c in data["countries"]}
    problems, used = [], 0
    for i, row in table.iterrows():
        c = countries.get(row["country"])
        if c is None or row["indicator"] not in c["indicators"]:
            what = "country" if c is None else "indicator"
            problems.append(Problem(label, int(i) + 2, what, f"{row['country']} {row['indicator']} is not in "
                                                             f"scenario '{scenario.name}'"))
            continue
        for f in FIELDS:
            if f in table.columns:
                c["indicators"][row["indicator"]][f] = float(row[f])
        used += 1
    if not used:
        raise ParametersError(problems[:20] or [Problem(label, 1, "<file>", "no rows")])
    return validate_data(data, f"{scenario.name} with {label}"), [str(p) for p in problems]
