"""Fitted indicator parameters from a file: a calibration's fit.csv applied to any scenario.

`sdgsim calibrate` writes fit.csv (country, indicator, value, trend, trend_sd, noise_sd,
baseline_usd_per_capita, ...). `run`, `compare` (`--parameters FILE`) and the API
(`with_parameters`) apply such a table to a scenario: each row sets that country's indicator
parameters, so the fitted values and their uncertainty (trend_sd is drawn per replication)
reach every run. Columns other than the five parameters are ignored; rows for countries or
indicators the scenario lacks are located errors, as are values the scenario refuses (at the
row that set them).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from ..errors import InputError, ParametersError, Problem
from .loading import validate_data
from .numbers import parse_number
from .schema import Scenario

FIELDS = ("value", "trend", "trend_sd", "noise_sd", "baseline_usd_per_capita")


MAX_BYTES = 50_000_000


def _rows(label: str, path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (line, cells) of each non-blank row of CSV file `path`."""
    if not path.is_file():
        raise ParametersError([Problem(label, 1, "<file>", "parameters file not found (allowed: a calibration's "
                                                           "fit.csv)")])
    if path.stat().st_size > MAX_BYTES:
        raise ParametersError([Problem(label, 1, "<file>", f"file of {path.stat().st_size} bytes is too large "
                                                           f"(allowed: at most {MAX_BYTES})")])
    try:
        text = path.read_bytes().decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader, [])]
        rows = [(reader.line_num, [c.strip() for c in cells]) for cells in reader if any(c.strip() for c in cells)]
    except (UnicodeDecodeError, csv.Error, OSError) as exc:
        raise ParametersError([Problem(label, 1, "<file>", f"not a readable CSV table ({type(exc).__name__})")]) \
            from None
    return header, rows


def load_parameters(path: str | Path) -> pd.DataFrame:
    """A parameters table (CSV) with at least country, indicator and one parameter column.

    Numbers follow the table rule (scenario.numbers: ASCII digits, no `True`); a header naming a
    column twice, a row with another number of cells, and a (country, indicator) given twice are
    located errors. The frame's `line` column holds each row's line in the file."""
    path = Path(path)
    label = str(path)
    header, rows = _rows(label, path)
    twice = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in ("country", "indicator") if c not in header]
    if twice:
        raise ParametersError([Problem(label, 1, "<header>", f"column(s) {', '.join(twice)} appear more than once "
                                                             "(each column once)")])
    fields = [f for f in FIELDS if f in header]
    if missing or not fields:
        raise ParametersError([Problem(label, 1, "<header>", f"needs columns country, indicator and at least one "
                                                             f"of {', '.join(FIELDS)}")])
    problems, records, seen = [], [], {}
    for line, cells in rows:
        if len(cells) != len(header):
            problems.append(Problem(label, line, "<row>", f"has {len(cells)} cells, the header {len(header)}"))
            continue
        row = dict(zip(header, cells))
        key = (row["country"], row["indicator"])
        if key in seen:
            problems.append(Problem(label, line, "indicator", f"{key[0]} {key[1]} appears twice (first at line "
                                                              f"{seen[key]}; each country and indicator once)"))
            continue
        seen[key] = line
        record = {"country": row["country"], "indicator": row["indicator"], "line": line}
        for f in fields:
            value = parse_number(row[f])
            if value is None:
                problems.append(Problem(label, line, f, f"got {row[f]!r} (allowed: a finite number in ASCII digits)"))
            record[f] = value
        records.append(record)
    if problems:
        raise ParametersError(problems[:50])
    table = pd.DataFrame(records, columns=["country", "indicator", "line", *fields])
    table.attrs["file"] = label
    return table


def with_parameters(scenario: Scenario, table: pd.DataFrame) -> tuple[Scenario, list[str]]:
    """The scenario with each (country, indicator) row's parameters set (validated again).

    A row naming a country or indicator the scenario lacks is a located error (a fit of another
    scenario, or a typo, would otherwise change nothing, silently); so is a value the scenario
    refuses, at the row that set it. The second item is kept for callers: always empty."""
    label = table.attrs.get("file", "<parameters>")
    data = scenario.model_dump()
    countries = {c["id"]: c for c in data["countries"]}
    problems, lines = [], {}
    for i, row in table.iterrows():
        line = int(row["line"]) if "line" in table.columns else int(i) + 2
        c = countries.get(row["country"])
        if c is None or row["indicator"] not in c["indicators"]:
            what = "country" if c is None else "indicator"
            problems.append(Problem(label, line, what, f"{row['country']} {row['indicator']} is not in scenario "
                                                       f"'{scenario.name}' (remove the row, or use the scenario that "
                                                       "was calibrated)"))
            continue
        lines[f"countries.{row['country']}.indicators.{row['indicator']}."] = line
        for f in FIELDS:
            if f in table.columns:
                c["indicators"][row["indicator"]][f] = float(row[f])
    if problems or table.empty:
        raise ParametersError(problems[:50] or [Problem(label, 1, "<file>", "no rows")])
    try:
        return validate_data(data, f"{scenario.name} with {label}"), []
    except InputError as err:
        raise ParametersError([_at_row(p, label, lines) for p in err.problems]) from None


def _at_row(p: Problem, label: str, lines: dict[str, int]) -> Problem:
    """A problem of the scenario with the file's values, at the file's row that set the value."""
    for prefix, line in lines.items():
        if p.field.startswith(prefix):
            return Problem(label, line, p.field[len(prefix):], p.message)
    return p
