"""History files: observed indicator series in a tidy table, checked with located errors.

Format (CSV, UTF-8, one header line; Parquet with the same columns also works):

    country,indicator,year,value[,source,retrieved]
    KEN,EG.ELC.ACCS.ZS,2015,41.6,World Bank WDI ...,2026-12-01

`country` is an ISO3 code as used in scenarios, `indicator` a scenario indicator id (a
World Bank code), `year` a whole number, `value` a finite number in the indicator's natural
unit. Any other columns are kept but not checked. Every problem is reported as
`FILE:LINE: column: message` (LINE is the line in the CSV file; 1 is the header).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

from ..errors import HistoryError, Problem
from .numbers import parse_number, parse_whole

REQUIRED = ("country", "indicator", "year", "value")
MAX_BYTES = 200_000_000
MAX_PROBLEMS = 50
MAX_ROWS = 1_000_000
"""Rows of a history file: 200 countries x 100 indicators x 50 years."""
BYTES_PER_ROW = 1_500
"""Peak memory per row while a file is read and checked (measured: 1.5 GB for 10^6 rows)."""


@dataclass
class History:
    """Observed series: a tidy frame (country, indicator, year, value, source, retrieved, line)."""

    file: str
    frame: pd.DataFrame

    def until(self, year: int) -> History:
        """Only the observations up to and including `year` (what a forecaster could know)."""
        return History(self.file, self.frame[self.frame.year <= year].reset_index(drop=True))

    def series(self, country: str, indicator: str) -> pd.Series:
        """Values by year of one country and indicator (empty if none)."""
        f = self.frame
        sel = f[(f.country == country) & (f.indicator == indicator)]
        return sel.set_index("year").value.sort_index()

    def value_at(self, country: str, indicator: str, year: int) -> tuple[float, int] | None:
        """The last observation at or before `year`, with its year; None if there is none."""
        s = self.series(country, indicator)
        s = s[s.index <= year]
        return (float(s.iloc[-1]), int(s.index[-1])) if len(s) else None

    def source_of(self, country: str, indicator: str) -> str:
        f = self.frame
        sel = f[(f.country == country) & (f.indicator == indicator)]
        return str(sel.source.iloc[0]) if len(sel) and "source" in sel else ""


def _fail(label: str, line: int, col: str, msg: str) -> HistoryError:
    return HistoryError([Problem(label, line, col, msg)])


def _check_rows(label: str, path: Path) -> None:
    """Refuse, before reading it, a file with more rows than MAX_ROWS, with the memory that
    reading and checking it would take (a compressed Parquet file of 1 MB can hold 4 million
    rows): counted from the Parquet metadata, or the CSV's line breaks."""
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq

            rows = pq.read_metadata(path).num_rows
        except Exception:  # noqa: BLE001 - an unreadable file is reported when it is read
            return
    else:
        with open(path, "rb") as fh:
            rows = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    need, free = rows * BYTES_PER_ROW, psutil.virtual_memory().available
    if rows > MAX_ROWS or need > free:
        raise _fail(label, 1, "<file>", f"{rows:,} rows would need about {need / 1e9:.1f} GB to read and check "
                                        f"(allowed: at most {MAX_ROWS:,} rows, and {free / 1e9:.1f} GB is "
                                        "available); keep the countries, indicators and years the scenario needs")


def load_history(path: str | Path) -> History:
    """Read and check a history file; raise HistoryError with located problems."""
    path = Path(path)
    label = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _fail(label, 1, "<file>", "history file not found") from None
    except OSError as exc:
        raise _fail(label, 1, "<file>", f"cannot be read ({exc.strerror or exc})") from None
    if path.is_dir():
        raise _fail(label, 1, "<file>", "is a folder (allowed: a CSV or Parquet file)")
    if not path.is_file():
        raise _fail(label, 1, "<file>", "not a regular file (allowed: a CSV or Parquet file)")
    if st.st_size > MAX_BYTES:
        raise _fail(label, 1, "<file>", f"file of {st.st_size} bytes is too large (allowed: at most {MAX_BYTES})")
    _check_rows(label, path)
    if path.suffix.lower() == ".parquet":
        try:
            raw = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a located message
            raise _fail(label, 1, "<file>", f"not a readable Parquet file ({type(exc).__name__})") from None
        rows = raw.astype(object).where(raw.notna(), "").astype(str).to_dict("records")
        header = list(raw.columns)
        lines = list(range(2, len(rows) + 2))
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise _fail(label, line, "<file>", "not UTF-8 text (save the file as UTF-8 CSV)") from None
        reader = csv.reader(io.StringIO(text))
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise _fail(label, 1, "<header>", "file is empty (expected a header: country,indicator,year,value)") from None
        except csv.Error as exc:
            raise _fail(label, 1, "<header>", f"not a CSV file ({exc})") from None
        rows, lines = [], []
        try:
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue
                rows.append(dict(zip(header, (c.strip() for c in cells))) | {"_n": len(cells)})
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise _fail(label, reader.line_num, "<row>", f"not valid CSV ({exc})") from None
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise _fail(label, 1, "<header>", f"column(s) {', '.join(map(str, twice))} appear more than once (each "
                                          "column once)")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise _fail(label, 1, "<header>", f"missing column(s) {', '.join(missing)} "
                                          f"(allowed: country,indicator,year,value[,source,retrieved])")
    problems: list[Problem] = []
    out = []
    seen: dict[tuple, int] = {}
    for row, line in zip(rows, lines):
        if len(problems) >= MAX_PROBLEMS:
            break
        if "_n" in row and row.pop("_n") != len(header):
            problems.append(Problem(label, line, "<row>", f"has a different number of cells than the header "
                                                          f"({len(header)} columns)"))
            continue
        country, indicator = row["country"], row["indicator"]
        if not country:
            problems.append(Problem(label, line, "country", "empty (allowed: an ISO3 code such as KEN)"))
            continue
        if not indicator:
            problems.append(Problem(label, line, "indicator", "empty (allowed: an indicator id such as SH.DYN.MORT)"))
            continue
        year = parse_whole(row["year"])
        if year is None or not 1800 <= year <= 2300:
            problems.append(Problem(label, line, "year", f"got {row['year']!r} (allowed: a whole year, 1800-2300, "
                                                         "in ASCII digits)"))
            continue
        value = parse_number(row["value"])
        if value is None or abs(value) > 1e15:
            problems.append(Problem(label, line, "value", f"got {row['value']!r} (allowed: a finite number in ASCII "
                                                          "digits, e.g. 41.6 or 1e-3, no separators; leave a missing "
                                                          "year out)"))
            continue
        key = (country, indicator, year)
        if key in seen:
            problems.append(Problem(label, line, "year", f"{country} {indicator} {year} appears twice "
                                                         f"(first at line {seen[key]})"))
            continue
        seen[key] = line
        out.append({"country": country, "indicator": indicator, "year": year, "value": value,
                    "source": row.get("source", ""), "retrieved": row.get("retrieved", ""), "line": line})
    if problems:
        raise HistoryError(problems)
    if not out:
        raise _fail(label, 1, "<file>", "no observations (expected rows of country,indicator,year,value)")
    frame = pd.DataFrame(out).sort_values(["country", "indicator", "year"], kind="stable").reset_index(drop=True)
    return History(label, frame)
