"""The evidence base as the rest of sdgsim reads it: shipped tables plus the user's imports.

    datasets()                         what there is (source, licence, years, coverage)
    countries(), groups(), resolve()   the country table; named groups; codes checked
    series(code, countries, ...)       one indicator for some countries (imports override shipped)
    dac1(), dac_sectors(), dac2a(), debt_service(), sdr_scores()
    import_file(path)                  a newer WDI/DAC/SDR download into the user's data folder

An import is checked like the shipped data (units, ranges, ISO3 codes; a bad row is named by
file and line), written atomically as Parquet to the user data folder (tables.user_dir()) and
listed in its datasets.json; reads then merge it over the shipped rows, newest import first.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, OptionError, Problem
from .catalog import DAC1_CODES, INDICATORS, PILOT_COUNTRIES
from .checks import DataFileError, check_codes, check_series, check_values
from .donors import OECD_RECIPIENT_NAMES
from .formats import KINDS, read_download
from .tables import EVIDENCE_DIR, MANIFEST, TABLES, user_dir, write_bytes_atomic, write_table

IMPORT_TITLES = {"wdi": "World Bank WDI download", "dac1": "OECD DAC1 download (donor totals)",
                 "dac2a": "OECD DAC2a download (donor x recipient)", "sdr": "SDSN SDR goal scores"}


@dataclass(frozen=True)
class Dataset:
    """One table of the evidence base, shipped or imported."""

    id: str
    title: str
    origin: str          # shipped | imported
    licence: str
    source: str          # where it came from (repository@commit, or the imported file)
    rows: int
    years: tuple[int, int] | None
    coverage: str        # "217 countries, 23 indicators", ...
    file: Path


@lru_cache(maxsize=None)
def table(name: str) -> pd.DataFrame:
    """A shipped table by name (countries, indicators, series, donors, dac1, dac_sectors, debt_service)."""
    if name not in TABLES:
        raise OptionError([Problem("<table>", 1, name, f"no such table (allowed: {', '.join(TABLES)})")])
    return pd.read_parquet(EVIDENCE_DIR / f"{name}.parquet")


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        return {"datasets": []}
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise DataFileError([Problem(str(path), 1, "<file>", f"damaged data manifest ({exc}); remove it and "
                                                             "import the files again")]) from None


def _coverage(d: dict) -> str:
    return ", ".join(f"{d[k]} {k}" for k in ("countries", "donors", "indicators", "goals") if k in d)


def datasets() -> list[Dataset]:
    """The shipped tables, then the user's imports (oldest first)."""
    out = []
    for d in _manifest(EVIDENCE_DIR)["datasets"]:
        src = "; ".join(f"{s['repository']}@{s['commit'][:8]}" for s in d["sources"]) or "this project"
        out.append(Dataset(d["id"], d["title"], "shipped", d["licence"], src, d["rows"],
                           tuple(d["years"]) if "years" in d else None, _coverage(d), EVIDENCE_DIR / d["file"]))
    udir = user_dir()
    for d in _manifest(udir)["datasets"]:
        out.append(Dataset(d["id"], d["title"], "imported", d.get("licence", "as the publisher's terms"),
                           d["source_file"], d["rows"], tuple(d["years"]) if "years" in d else None, _coverage(d),
                           udir / d["file"]))
    return out


def _imports(kind: str) -> list[pd.DataFrame]:
    """The user's imported tables of one kind, newest first, each with a `source` column."""
    udir = user_dir()
    frames = []
    for d in reversed(_manifest(udir)["datasets"]):
        if d["kind"] == kind and (udir / d["file"]).is_file():
            frames.append(pd.read_parquet(udir / d["file"]).assign(source=f"import:{d['id']}"))
    return frames


def _merge(shipped: pd.DataFrame | None, imports: list[pd.DataFrame], key: list[str]) -> pd.DataFrame:
    frames = imports + ([shipped] if shipped is not None else [])
    if not frames:
        return pd.DataFrame(columns=[*key, "value", "source"])
    return pd.concat(frames, ignore_index=True).drop_duplicates(key, keep="first")


# --- countries --------------------------------------------------------------------------------------------

def countries() -> pd.DataFrame:
    """The country table: country (ISO3), name, region, income group, LDC/SIDS/LLDC/FCS/IDA, ODA recipient."""
    return table("countries")


def country_names() -> dict[str, str]:
    """Lower-case names and codes -> ISO3 (for files that name countries; the OECD's spellings too)."""
    c = countries()
    names = {n.lower(): i for n, i in zip(c.name, c.country)}
    names.update({i.lower(): i for i in c.country})
    known = set(c.country)
    names.update({n: i for n, i in OECD_RECIPIENT_NAMES.items() if i in known and n not in names})
    return names


def groups() -> dict[str, tuple[str, str]]:
    """Named groups of countries: id -> (description, selection rule), for `--group`."""
    c = countries()
    out = {"oda-recipients": ("All ODA recipients (OECD DAC list)", "oda_recipient"),
           "ldc": ("Least developed countries (UN)", "ldc"), "sids": ("Small island developing states", "sids"),
           "lldc": ("Landlocked developing countries", "lldc"), "fcs": ("Fragile and conflict-affected (World Bank)",
                                                                       "fcs"),
           "gpp": ("Global Pilot Programme on STI for SDGs Roadmaps (first wave 2019 and Ukraine 2021)", "pilot")}
    for code, name in sorted(set(zip(c.income_code, c.income_group)) - {("", "")}):
        out[code.lower()] = (f"{name} (World Bank)", f"income:{code}")
    for code, name in sorted(set(zip(c.region_code, c.region)) - {("", "")}):
        out[code.lower()] = (f"{name} (World Bank region)", f"region:{code}")
    return out


def group_members(group: str) -> list[str]:
    """ISO3 codes of a group (see groups()); OptionError naming the allowed groups otherwise."""
    g = groups()
    key = group.strip().lower()
    if key not in g:
        raise OptionError([Problem("--group", 1, group, f"unknown group (allowed: {', '.join(g)})")])
    rule = g[key][1]
    c = countries()
    if rule == "pilot":
        sel = c.country.isin(PILOT_COUNTRIES)
    elif rule.startswith("income:"):
        sel = c.income_code == rule.split(":")[1]
    elif rule.startswith("region:"):
        sel = c.region_code == rule.split(":")[1]
    else:
        sel = c[rule].astype(bool)
    return sorted(c.country[sel])


def resolve(codes: list[str] | str, what: str = "--countries") -> list[str]:
    """ISO3 codes checked against the country table (case-insensitive; names allowed), in the order given."""
    if isinstance(codes, str):
        codes = [x for x in re.split(r"[,\s]+", codes) if x]
    names = country_names()
    out, problems = [], []
    for code in codes:
        iso = names.get(code.strip().lower())
        if iso is None:
            problems.append(Problem(what, 1, code, "unknown country (allowed: an ISO3 code such as KEN, or a "
                                                   "name from `sdgsim data show countries`)"))
        elif iso not in out:
            out.append(iso)
    if problems:
        raise OptionError(problems)
    return out


# --- series -----------------------------------------------------------------------------------------------

def series(code: str, countries: list[str] | None = None, start: int | None = None,
           end: int | None = None) -> pd.DataFrame:
    """One indicator, tidy (country, indicator, year, value, source), imports over shipped values."""
    code = code.strip().upper()
    if code not in INDICATORS:
        raise OptionError([Problem("<indicator>", 1, code, f"not a series of the evidence base (allowed: "
                                                           f"{', '.join(INDICATORS)})")])
    shipped = table("series")
    shipped = shipped[shipped.indicator == code].assign(source=f"shipped:{INDICATORS[code].source}")
    imports = [f[f.indicator == code] for f in _imports("wdi")]
    out = _merge(shipped, imports, ["country", "indicator", "year"])
    if countries is not None:
        out = out[out.country.isin(resolve(countries))]
    if start is not None:
        out = out[out.year >= start]
    if end is not None:
        out = out[out.year <= end]
    return out.sort_values(["country", "year"]).reset_index(drop=True)


def value_at(frame: pd.DataFrame, country: str, year: int) -> tuple[float, int] | None:
    """The last value of a tidy series at or before `year`, with its year (no look-ahead)."""
    s = frame[(frame.country == country) & (frame.year <= year)]
    if not len(s):
        return None
    row = s.loc[s.year.idxmax()]
    return float(row.value), int(row.year)


def dac1(measure: str | None = None) -> pd.DataFrame:
    """Donor totals (donor, year, measure, value), imports over shipped rows."""
    shipped = table("dac1").assign(source="shipped:dac1")
    imports = []
    for f in _imports("dac1"):
        f = f.assign(measure=[DAC1_CODES.get(k) for k in zip(f.aidtype, f.flow, f.price)])
        imports.append(f[f.measure.notna()][["donor", "year", "measure", "value", "source"]])
    out = _merge(shipped, imports, ["donor", "year", "measure"])
    if measure is not None:
        out = out[out.measure == measure]
    return out.sort_values(["donor", "measure", "year"]).reset_index(drop=True)


def dac_sectors() -> pd.DataFrame:
    """Bilateral ODA by donor, year and sector group (usd_m, share of the donor's year)."""
    return table("dac_sectors")


def debt_service() -> pd.DataFrame:
    """IDS debt service by debtor (country), year, creditor type and kind (principal, interest), US$."""
    return table("debt_service")


def dac2a() -> pd.DataFrame:
    """Imported DAC2a flows (donor, recipient, year, aidtype, price, value in US$ million); empty if none."""
    frames = _imports("dac2a")
    if not frames:
        return pd.DataFrame(columns=["donor", "recipient", "year", "aidtype", "price", "value", "source"])
    return pd.concat(frames, ignore_index=True).drop_duplicates(["donor", "recipient", "year", "aidtype", "price"])


DAC2A_MEASURES = {  # measure -> DAC2a aid type codes and labels (legacy export and Data Explorer)
    "gross": ("240", "Memo: ODA Total, Gross disbursements", "ODA Total, Gross disbursements"),
    "net": ("206", "ODA: Total Net", "ODA Total, Net disbursements"),
}


def dac2a_flows(flows: pd.DataFrame, measure: str = "auto", label: str = "DAC2a") -> tuple[pd.DataFrame, str]:
    """One aid type of DAC2a flows on one price basis, negatives as 0; and a description of what was used.

    `measure`: gross (ODA gross disbursements, aid type 240), net (total net ODA, 206) or auto
    (gross where the file has it). Shares over recipients do not depend on the price basis (a
    donor's deflator is the same for all its recipients): current prices are used where present,
    else the basis with most rows. Net ODA below 0 (repayments above disbursements) counts as 0.
    """
    order = [measure] if measure != "auto" else ["gross", "net"]
    for m in order:
        rows = flows[flows.aidtype.astype(str).str.strip().isin(DAC2A_MEASURES[m])]
        if len(rows):
            prices = rows.price.value_counts()
            price = "current" if "current" in prices.index else prices.index[0]
            rows = rows[rows.price == price].assign(value=lambda f: f.value.clip(lower=0.0))
            return rows, f"{DAC2A_MEASURES[m][1]} (aid type {DAC2A_MEASURES[m][0]}), {price or 'unstated'} prices"
    found = ", ".join(sorted(flows.aidtype.astype(str).unique())[:10])
    raise InputError([Problem(label, 1, "aidtype", f"no {' or '.join(DAC2A_MEASURES[m][1] for m in order)} rows "
                                                   f"(aid types found: {found}; allowed: "
                                                   f"{', '.join(DAC2A_MEASURES)} as --measure)")])


def sdr_scores() -> pd.DataFrame:
    """Imported SDR goal scores (country, goal, year, value 0-100); empty if none."""
    return _merge(None, _imports("sdr"), ["country", "goal", "year"])


# --- imports ----------------------------------------------------------------------------------------------

class AlreadyImported(InputError):
    """A file of that name was imported before and replacing it was not asked for."""


def _check(download, label: str) -> None:
    codes = set(countries().country)
    t = download.frame
    problems: list[Problem] = []
    if download.kind == "wdi":
        check_series(t, label, codes)
        return
    if download.kind == "sdr":
        check_codes(problems, label, t, "country", codes)
        check_values(problems, label, t, 0, 100, "(SDR scores are 0-100)")
    elif download.kind == "dac1":
        pct = t[t.price == "pct_gni"]
        check_values(problems, label, pct, 0, 10, "% of GNI")
        check_values(problems, label, t[t.price != "pct_gni"], np.nan, np.nan)
    else:
        check_codes(problems, label, t, "recipient", codes, "recipient")
        check_values(problems, label, t, np.nan, np.nan)
    if problems:
        raise DataFileError(sorted(problems, key=lambda p: p.line))


def import_file(path: str | Path, kind: str | None = None, force: bool = False) -> tuple[Dataset, dict[str, int]]:
    """Check a download and add it to the user data folder; returns the dataset and rows left out (by reason)."""
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise OptionError([Problem("--kind", 1, kind, f"unknown kind (allowed: {', '.join(KINDS)})")])
    download = read_download(path, kind, country_names())
    label = str(path)
    if not len(download.frame):
        raise DataFileError([Problem(label, 1, "<file>", "no values (every row was empty or left out)")])
    _check(download, label)
    udir = user_dir()
    ident = f"{download.kind}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', path.stem)[:80]}"
    with _locked(udir):
        return _add(udir, ident, download, path, force)


@contextmanager
def _locked(udir: Path):
    """One import at a time per data folder (two at once would each rewrite datasets.json)."""
    try:
        udir.mkdir(parents=True, exist_ok=True)
        fh = open(udir / ".lock", "a")
    except OSError as exc:
        raise DataFileError([Problem(str(udir), 1, "<folder>", f"cannot write the data folder ({exc.strerror})")]) \
            from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _add(udir: Path, ident: str, download, path: Path, force: bool) -> tuple[Dataset, dict[str, int]]:
    label = str(path)
    manifest = _manifest(udir)
    known = {d["id"] for d in manifest["datasets"]}
    if ident in known and not force:
        raise AlreadyImported([Problem(label, 1, "<file>", f"already imported as {ident} (replace it with force)")])
    frame = download.frame.drop(columns=["line"])
    file = f"imports/{ident}.parquet"
    write_table(frame, udir / file)
    entry = {"id": ident, "kind": download.kind, "title": IMPORT_TITLES[download.kind], "file": file,
             "source_file": str(path.resolve()), "imported": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "rows": int(len(frame)), "skipped": download.skipped}
    if "year" in frame and len(frame):
        entry["years"] = [int(frame.year.min()), int(frame.year.max())]
    for col, what in (("country", "countries"), ("recipient", "countries"), ("donor", "donors"),
                      ("indicator", "indicators"), ("goal", "goals")):
        if col in frame:
            entry[what] = int(frame[col].nunique())
    manifest["datasets"] = [d for d in manifest["datasets"] if d["id"] != ident] + [entry]
    write_bytes_atomic((json.dumps(manifest, indent=1) + "\n").encode(), udir / MANIFEST)
    table.cache_clear()
    return next(d for d in datasets() if d.origin == "imported" and d.id == ident), download.skipped
