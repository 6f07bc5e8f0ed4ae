"""Checks on the way in: units, ranges and country codes, each bad row named by file and line.

Every table entering the evidence base (the build script's raw files, a user's import) is
checked here, so a shipped or imported value is known to be in its indicator's valid range,
to belong to a known country and a plausible year. Problems are `Problem(file, line, column,
message)`; `line` is the row's line in the source file (1 is the header) when the reader knows
it, else the row number plus one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .catalog import INDICATORS

MAX_PROBLEMS = 50
YEARS = (1960, 2100)


class DataFileError(InputError):
    """A data file (raw source or import) is unreadable or has bad rows."""


def _lines(frame: pd.DataFrame) -> np.ndarray:
    if "line" in frame:
        return frame["line"].to_numpy()
    return np.arange(2, len(frame) + 2)


def _add(problems: list[Problem], label: str, frame: pd.DataFrame, bad: np.ndarray, column: str, message) -> None:
    """One problem per bad row (up to MAX_PROBLEMS in all); `message(row)` words it."""
    if not bad.any() or len(problems) >= MAX_PROBLEMS:
        return
    lines = _lines(frame)
    for i in np.flatnonzero(bad)[: MAX_PROBLEMS - len(problems)]:
        problems.append(Problem(label, int(lines[i]), column, message(frame.iloc[i])))


def check_codes(problems: list[Problem], label: str, frame: pd.DataFrame, column: str,
                known: Iterable[str], what: str = "country") -> None:
    """Every code in `column` is one of `known` (ISO3 for countries)."""
    known = set(known)
    bad = ~frame[column].astype(str).isin(known).to_numpy()
    _add(problems, label, frame, bad, column,
         lambda r: f"unknown {what} code {str(r[column])!r} (allowed: an ISO3 code of the country table, "
                   f"e.g. KEN; aggregates such as WLD or SSF are not countries)")


def check_years(problems: list[Problem], label: str, frame: pd.DataFrame, column: str = "year") -> None:
    years = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(years) | (years != np.floor(years)) | (years < YEARS[0]) | (years > YEARS[1])
    _add(problems, label, frame, bad, column,
         lambda r: f"got {r[column]!r} (allowed: a whole year, {YEARS[0]}-{YEARS[1]})")


def check_values(problems: list[Problem], label: str, frame: pd.DataFrame, lower: float = math.nan,
                 upper: float = math.nan, unit: str = "", column: str = "value") -> None:
    """Values are finite numbers within [lower, upper] (a NaN bound is no bound)."""
    v = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    _add(problems, label, frame, bad, column,
         lambda r: f"got {_plain(r[column])} (allowed: a finite number; leave a missing year out)")
    with np.errstate(invalid="ignore"):
        out = np.isfinite(v) & (((v < lower) if not math.isnan(lower) else False)
                                | ((v > upper) if not math.isnan(upper) else False))
    rng = f"[{_num(lower)}, {_num(upper)}]"
    _add(problems, label, frame, np.asarray(out, dtype=bool), column,
         lambda r: f"{_plain(r[column])} is outside the valid range {rng} {unit}".rstrip()
                   + (f" for {r['indicator']}" if "indicator" in r else ""))


def _num(x: float) -> str:
    return "…" if math.isnan(x) else f"{x:g}"


def _plain(x) -> str:
    """A cell as the file shows it: numbers as numbers (no numpy repr), text quoted."""
    if isinstance(x, (int, float, np.integer, np.floating)):
        return f"{float(x):g}"
    return repr(str(x))


def check_series(frame: pd.DataFrame, label: str, countries: Iterable[str]) -> None:
    """A tidy series table (country, indicator, year, value): raise DataFileError on any bad row.

    Indicators must be in the catalogue (their range is checked); a (country, indicator, year)
    may appear only once.
    """
    problems: list[Problem] = []
    missing = [c for c in ("country", "indicator", "year", "value") if c not in frame]
    if missing:
        raise DataFileError([Problem(label, 1, "<header>", f"missing column(s) {', '.join(missing)}")])
    known_ind = frame["indicator"].astype(str).isin(INDICATORS.keys()).to_numpy()
    _add(problems, label, frame, ~known_ind, "indicator",
         lambda r: f"unknown indicator {str(r['indicator'])!r} (allowed: {', '.join(sorted(INDICATORS))})")
    check_codes(problems, label, frame, "country", countries)
    check_years(problems, label, frame)
    for code, part in frame[known_ind].groupby("indicator", sort=False, observed=True):
        ind = INDICATORS[str(code)]
        check_values(problems, label, part, ind.lower, ind.upper, ind.unit)
    if not problems:
        dup = frame.duplicated(["country", "indicator", "year"], keep="first").to_numpy()
        _add(problems, label, frame, dup, "year",
             lambda r: f"{r['country']} {r['indicator']} {r['year']} appears twice")
    if problems:
        raise DataFileError(sorted(problems, key=lambda p: p.line)[:MAX_PROBLEMS])
