"""Readers for the files a user downloads: World Bank WDI, OECD DAC1 and DAC2a, the SDR.

Each reader turns one download into the evidence base's tidy table and keeps each row's line
in the file, so the checks (simulation.data.checks) can name the file and line of a bad value.
`read_download(path)` recognises the format from the header:

    wdi     World Bank API CSV (API_<CODE>_DS2_...csv: 4 preamble lines, then Country Name,
            Country Code, Indicator Name, Indicator Code, 1960, 1961, ...), a DataBank CSV
            (Country Name, Country Code, Series Name, Series Code, 2000 [YR2000], ...), or the
            tidy form country,indicator,year,value (CSV or Parquet)
    dac1    OECD Data Explorer CSV of DAC1 (DONOR, MEASURE, FLOW_TYPE, PRICE_BASE, TIME_PERIOD,
            OBS_VALUE[, UNIT_MULTIPLIER]) or a legacy OECD.Stat Table 1 export (DONOR, AIDTYPE,
            FLOWS, AMOUNTTYPE, TIME, Value)
    dac2a   OECD Data Explorer CSV of DAC2A (DONOR, RECIPIENT, MEASURE, PRICE_BASE, TIME_PERIOD,
            OBS_VALUE[, UNIT_MULTIPLIER]) or a legacy OECD.Stat export (DONOR, Donor, RECIPIENT,
            Recipient, AIDTYPE, DATATYPE, TIME, Value)
    sdr     SDSN Sustainable Development Report, back-dated goal scores (country code, year,
            SDG Index Score, Goal 1 Score ... Goal 17 Score; or the snake_case form)
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import Problem
from .catalog import INDICATORS
from .checks import DataFileError
from .donors import BY_ID, DONORS

MAX_BYTES = 500_000_000
KINDS = ("wdi", "dac1", "dac2a", "sdr")


@dataclass
class Download:
    """A parsed download: its kind, tidy rows (with their file line) and what was left out."""

    kind: str
    frame: pd.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)   # reason -> rows


def _fail(label: str, line: int, col: str, msg: str) -> DataFileError:
    return DataFileError([Problem(label, line, col, msg)])


def _text(path: Path, label: str) -> str:
    try:
        st = path.stat()
    except OSError as exc:
        raise _fail(label, 1, "<file>", "file not found" if isinstance(exc, FileNotFoundError)
                    else f"cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise _fail(label, 1, "<file>", "not a regular file (allowed: a CSV or Parquet download)")
    if st.st_size > MAX_BYTES:
        raise _fail(label, 1, "<file>", f"file of {st.st_size} bytes is too large (allowed: at most {MAX_BYTES})")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(label, data[: exc.start].count(b"\n") + 1, "<file>", "not UTF-8 text (save it as UTF-8 CSV)") from None


def _csv(text: str, label: str, skip: int = 0) -> pd.DataFrame:
    """All cells as text; column `line` is each row's line in the file (no multi-line cells allowed)."""
    body = text.split("\n", skip)[-1] if skip else text
    try:
        frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False, skip_blank_lines=False,
                            on_bad_lines="error", engine="python")
    except pd.errors.EmptyDataError:
        raise _fail(label, skip + 1, "<header>", "file is empty (expected a header line)") from None
    except (pd.errors.ParserError, csv.Error) as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise _fail(label, skip + int(m.group(1)) if m else skip + 1, "<row>", f"not valid CSV ({_short(exc)})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame["line"] = np.arange(skip + 2, skip + 2 + len(frame))
    blank = frame.drop(columns="line").apply(lambda col: col.str.strip() == "").all(axis=1)
    return frame[~blank].reset_index(drop=True)


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160]


def read_download(path: str | Path, kind: str | None = None, names: dict[str, str] | None = None) -> Download:
    """Parse a downloaded file into a tidy table; raise DataFileError naming file and line.

    `names` maps lower-case country names and ISO3 codes to ISO3 (for DAC2a's recipients).
    """
    path = Path(path)
    label = str(path)
    if path.suffix.lower() == ".parquet":
        if not path.is_file():
            raise _fail(label, 1, "<file>", "file not found")
        try:
            frame = pd.read_parquet(path).astype(str)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a located message
            raise _fail(label, 1, "<file>", f"not a readable Parquet file ({type(exc).__name__})") from None
        frame["line"] = np.arange(2, len(frame) + 2)
    else:
        text = _text(path, label)
        first = text.lstrip().split("\n", 1)[0]
        skip = 4 if first.replace('"', "").startswith("Data Source") else 0
        frame = _csv(text, label, skip)
    cols = set(frame.columns)
    found = _detect(cols)
    if kind and found and kind != found:
        raise _fail(label, 1, "<header>", f"looks like a {found} file, not {kind} (columns: {_cols(frame)})")
    kind = kind or found
    if kind is None:
        raise _fail(label, 1, "<header>", f"format not recognised (columns: {_cols(frame)}; allowed: a WDI, "
                                          "OECD DAC1 or DAC2a, or SDR download, see docs/data.md)")
    if kind == "dac2a":
        return _dac2a(frame, label, names or {})
    return {"wdi": _wdi, "dac1": _dac1, "sdr": _sdr}[kind](frame, label)


def _cols(frame: pd.DataFrame) -> str:
    names = [c for c in frame.columns if c != "line"]
    return ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")


def _detect(cols: set[str]) -> str | None:
    low = {c.lower() for c in cols}
    if {"country code", "indicator code"} <= low or {"country code", "series code"} <= low \
            or {"country", "indicator", "year", "value"} <= low:
        return "wdi"
    if {"DONOR", "RECIPIENT"} <= cols:
        return "dac2a"
    if "DONOR" in cols and ({"MEASURE", "AIDTYPE"} & cols):
        return "dac1"
    if any(_goal_no(c) for c in cols):
        return "sdr"
    return None


def _need(frame: pd.DataFrame, label: str, names: tuple[str, ...]) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise _fail(label, 1, "<header>", f"missing column(s) {', '.join(missing)} (columns: {_cols(frame)})")


def _numbers(frame: pd.DataFrame, label: str, col: str, what: str = "a number") -> pd.Series:
    """Cells of `col` as floats; empty or '..' cells (missing) are NaN, any other text is an error."""
    raw = frame[col].astype(str).str.strip()
    missing = raw.isin(["", "..", "NaN", "nan", "None", "<NA>"])
    num = pd.to_numeric(raw.where(~missing), errors="coerce")
    bad = num.isna() & ~missing
    if bad.any():
        problems = [Problem(label, int(frame.line.iloc[i]), col, f"got {raw.iloc[i]!r} (allowed: {what})")
                    for i in np.flatnonzero(bad.to_numpy())[:20]]
        raise DataFileError(problems)
    return num


def _years(frame: pd.DataFrame, label: str, col: str) -> pd.Series:
    y = _numbers(frame, label, col, "a whole year")
    bad = y.isna() | (y != y.round()) | (y < 1960) | (y > 2100)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(label, int(frame.line.iloc[i]), col, f"got {frame[col].iloc[i]!r} (allowed: a whole year, 1960-2100)")
    return y.astype(int)


# --- World Bank WDI ---------------------------------------------------------------------------------------

def _wdi(frame: pd.DataFrame, label: str) -> Download:
    lower = {c.lower(): c for c in frame.columns}
    if {"country", "indicator", "year", "value"} <= set(lower):
        t = frame.rename(columns={lower[k]: k for k in ("country", "indicator", "year", "value")})
        t = t[t.value.str.strip() != ""]
        return Download("wdi", _tidy(t, label))
    code_col = "Indicator Code" if "Indicator Code" in frame else "Series Code"
    _need(frame, label, ("Country Code", code_col))
    year_cols = {c: int(m.group(1)) for c in frame.columns if (m := re.match(r"^(\d{4})(?: \[YR\d{4}\])?$", c))}
    if not year_cols:
        raise _fail(label, 1, "<header>", "no year columns (expected 1960, 1961, ... or 2000 [YR2000], ...)")
    long = frame.melt(id_vars=["Country Code", code_col, "line"], value_vars=list(year_cols), var_name="col",
                      value_name="value")
    long = long[~long.value.str.strip().isin(["", ".."])]
    t = pd.DataFrame({"country": long["Country Code"].str.strip(), "indicator": long[code_col].str.strip(),
                      "year": long.col.map(year_cols).astype(str), "value": long.value, "line": long.line,
                      "column": long.col})
    return Download("wdi", _tidy(t, label))


def _tidy(t: pd.DataFrame, label: str) -> pd.DataFrame:
    unknown = ~t.indicator.isin(INDICATORS.keys())
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise _fail(label, int(t.line.iloc[i]), "indicator", f"{t.indicator.iloc[i]!r} is not a series of the evidence "
                                                             f"base (allowed: {', '.join(sorted(INDICATORS))})")
    out = pd.DataFrame({"country": t.country.str.strip().str.upper(), "indicator": t.indicator,
                        "year": _years(t, label, "year"), "value": _numbers(t, label, "value"), "line": t.line})
    return out.reset_index(drop=True)


# --- OECD DAC ---------------------------------------------------------------------------------------------

def _donor_id(code: str) -> str | None:
    code = code.strip()
    if code.isdigit() and int(code) in DONORS:
        return DONORS[int(code)].id
    return code if code in BY_ID else None


def _oecd_common(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Either OECD layout, with _v (value), _scale (to US$ million), _year and _donor columns."""
    if "TIME_PERIOD" in frame:
        _need(frame, label, ("DONOR", "TIME_PERIOD", "OBS_VALUE"))
        year, value = "TIME_PERIOD", "OBS_VALUE"
    else:
        _need(frame, label, ("DONOR", "TIME", "Value"))
        year, value = "TIME", "Value"
    frame = frame.copy()
    frame["_v"] = _numbers(frame, label, value)
    frame = frame[frame._v.notna()]
    frame["_scale"] = 1.0
    if "UNIT_MULTIPLIER" in frame:  # money in US$ million (a percentage is not scaled)
        mult = _numbers(frame, label, "UNIT_MULTIPLIER", "a power of ten (6 = millions)").fillna(6)
        frame["_scale"] = 10.0 ** (mult - 6)
    frame["_year"] = _years(frame, label, year)
    donors = frame.DONOR.map(_donor_id)
    if donors.isna().any():
        i = int(np.flatnonzero(donors.isna().to_numpy())[0])
        raise _fail(label, int(frame.line.iloc[i]), "DONOR", f"unknown donor {frame.DONOR.iloc[i]!r} (allowed: an "
                                                             "ISO3 code of a DAC1 donor such as FRA, or its DAC number)")
    frame["_donor"] = donors
    return frame


def _price(frame: pd.DataFrame, label: str) -> pd.Series:
    col = next((c for c in ("PRICE_BASE", "AMOUNTTYPE", "DATATYPE") if c in frame), None)
    if col is None:
        return pd.Series("current", index=frame.index)
    m = frame[col].str.strip().map({"V": "current", "A": "current", "Q": "constant", "D": "constant",
                                    "PT_B5G": "pct_gni", "N": "national", "_Z": "", "": ""})
    if "UNIT_MEASURE" in frame:
        m = m.where(frame.UNIT_MEASURE.str.strip() != "PT_B5G", "pct_gni")
    bad = m.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _fail(label, int(frame.line.iloc[i]), col, f"got {frame[col].iloc[i]!r} (allowed: V or A = current "
                                                         "prices, Q or D = constant prices, PT_B5G = % of GNI)")
    return m


def _dac1(frame: pd.DataFrame, label: str) -> Download:
    frame = _oecd_common(frame, label)
    measure = "MEASURE" if "MEASURE" in frame else "AIDTYPE"
    flow = "FLOW_TYPE" if "FLOW_TYPE" in frame else ("FLOWS" if "FLOWS" in frame else None)
    _need(frame, label, (measure,))
    price = _price(frame, label)
    out = pd.DataFrame({"donor": frame._donor, "year": frame._year, "aidtype": frame[measure].str.strip(),
                        "flow": frame[flow].str.strip() if flow else "", "price": price,
                        "value": frame._v.where(price == "pct_gni", frame._v * frame._scale), "line": frame.line})
    return Download("dac1", out.reset_index(drop=True))


def _dac2a(frame: pd.DataFrame, label: str, lookup: dict[str, str]) -> Download:
    _need(frame, label, ("RECIPIENT",))
    frame = _oecd_common(frame, label)
    rec = frame.RECIPIENT.str.strip()
    iso = rec.where(rec.isin(lookup.values()))
    if "Recipient" in frame:  # legacy numeric codes: match the name
        iso = iso.fillna(frame.Recipient.str.strip().str.lower().map(lookup))
    keep = iso.notna()
    measure = next((c for c in ("MEASURE", "AIDTYPE") if c in frame), None)
    out = pd.DataFrame({"donor": frame._donor, "recipient": iso, "year": frame._year,
                        "aidtype": frame[measure].str.strip() if measure else "", "price": _price(frame, label),
                        "value": frame._v * frame._scale, "line": frame.line})[keep]
    shown = (rec + " " + frame.Recipient.str.strip()) if "Recipient" in frame else rec
    skipped = {f"recipient not a country (regional or unspecified: {', '.join(sorted(set(shown[~keep]))[:6])})":
               int((~keep).sum())} if (~keep).any() else {}
    return Download("dac2a", out.reset_index(drop=True), skipped)


# --- SDSN Sustainable Development Report ------------------------------------------------------------------

def _goal_no(col: str) -> int | None:
    m = re.match(r"^goal[ _](\d{1,2})[ _]score$", col.strip().lower())
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 17 else None


def _sdr(frame: pd.DataFrame, label: str) -> Download:
    lower = {c.strip().lower().replace(" ", "_"): c for c in frame.columns}
    code = next((lower[k] for k in ("country_code", "id", "country_code_iso3", "iso3") if k in lower), None)
    if code is None or "year" not in lower:
        raise _fail(label, 1, "<header>", f"needs a country code column (country_code or id) and year (columns: "
                                          f"{_cols(frame)})")
    goals = {c: f"SDG{_goal_no(c)}" for c in frame.columns if _goal_no(c)}
    index = lower.get("sdg_index_score")
    cols = {**goals, **({index: "INDEX"} if index else {})}
    long = frame.melt(id_vars=[code, lower["year"], "line"], value_vars=list(cols), var_name="col", value_name="value")
    long = long[~long.value.str.strip().isin(["", ".."])]
    t = pd.DataFrame({"country": long[code].str.strip().str.upper(), "goal": long.col.map(cols),
                      "year": long[lower["year"]], "value": long.value, "line": long.line})
    t["year"] = _years(t, label, "year")
    t["value"] = _numbers(t, label, "value")
    return Download("sdr", t.reset_index(drop=True))
