"""Build the shipped evidence base from pinned public sources (run by hand when refreshing).

    python -m simulation.data.build --mirror DIR [--out simulation/data/evidence]

DIR holds the source repositories, each either as a git directory `DIR/<owner>+<name>/repo`
(read at the pinned commit with `git show`) or as a checkout `DIR/<owner>+<name>/` or
`DIR/<owner>/<name>/`. Every file read is listed in SOURCES below (repository, commit, path,
licence) and in the SOURCES.md written beside the tables. Values are checked on the way in
(simulation.data.checks): a bad row stops the build with its file and line. Tables are written
atomically; the build is deterministic (same sources, same bytes of data).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from .catalog import DAC1_CODES, DAC1_MEASURES, INDICATORS
from .checks import DataFileError, check_codes, check_series, check_values, check_years
from .donors import DONORS
from .tables import EVIDENCE_DIR, write_manifest, write_table

START_YEAR = 2000


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    repo: str
    commit: str
    paths: tuple[str, ...]
    licence: str
    publisher: str
    terms: str = ""


WDI_REPO, WDI_COMMIT = "datasets/world-development-indicators", "4ebec5a2273f531ba238a34dbe440394dc5a6c4b"
ONE_REPO, ONE_COMMIT = "ONEcampaign/aftershocks_data", "5ad4e2e2935b0cbcc6b7d3c12876419db6146ed8"
SDG_REPO, SDG_COMMIT = "open-numbers/ddf--unstats--sdg_indicators", "1bfae15828a86ad30e86872411534f5c8136d784"
CCC_REPO, CCC_COMMIT = "MafiAtUN/country-classification-commons", "fbcc9b73"  # full hash resolved on build
WATER = "ddf--datapoints--sp_acs_bsrvh2o--by--geo_area--location--nature--units--year.csv"
BBLOCKS = ("SH.STA.STNT.ME.ZS", "SH.XPD.GHED.GE.ZS", "SH.XPD.CHEX.GD.ZS")
# Source values left out, each with the reason (listed in datasets.json and docs/data.md): the
# checks stop the build on any other value outside its indicator's range.
EXCLUDED = {
    ("GC.DOD.TOTL.GD.ZS", "NAM", 2012): "central government debt of -1.2 % of GDP (impossible; the series jumps "
                                        "from 117.5 % in 2007 to 1.1 % in 2008)",
}

SOURCES = (
    Source("wdi", "World Development Indicators (one tidy CSV per indicator)", WDI_REPO, WDI_COMMIT,
           tuple(f"indicators/{c.lower()}/data.csv" for c, i in INDICATORS.items() if i.source == "wdi"),
           "CC-BY-4.0", "World Bank",
           "stated in each indicator's datapackage.json"),
    Source("wb-bblocks", "WDI series as downloaded by ONE's bblocks (date,iso_code,indicator_code,value)", ONE_REPO,
           ONE_COMMIT, tuple(f"raw_data/bblocks_data/{c}_all_.csv" for c in BBLOCKS),
           "CC-BY-4.0", "World Bank via ONE Campaign",
           "World Bank data; the repository is MIT-licensed"),
    Source("unsd-sdg", "UN SDG Global Database, SP_ACS_BSRVH2O (basic drinking water, JMP), DDF copy", SDG_REPO,
           SDG_COMMIT, (WATER,), "CC-BY-4.0",
           "UN Statistics Division (WHO/UNICEF JMP data) via open-numbers", "stated in datapackage.json"),
    Source("wb-groups", "World Bank country groupings (regions, income groups, LDC, FCS, IDA)", ONE_REPO, ONE_COMMIT,
           ("raw_data/wb_groupings.csv",), "CC-BY-4.0",
           "World Bank via ONE Campaign", "World Bank data; the repository is MIT-licensed"),
    Source("country-codes", "Country codes (ISO3, M49), UN LDC/LLDC/SIDS flags, OECD DAC list of ODA recipients",
           CCC_REPO, CCC_COMMIT, ("data/latest/countries_master.csv",),
           "MIT", "MafiAtUN/country-classification-commons",
           "compiled from UNSD M49, the World Bank country API and the OECD DAC list of ODA recipients"),
    Source("dac1", "OECD DAC1: ODA by donor, 2010-2023 (total, bilateral, multilateral, % of GNI)", ONE_REPO,
           ONE_COMMIT, ("raw_data/oda/table1_raw_2010_2023.parquet",),
           "CC-BY-4.0", "OECD DAC via ONE Campaign",
           "OECD data are CC-BY-4.0 under the OECD's terms since July 2024; the repository is MIT-licensed"),
    Source("dac-sectors", "Bilateral ODA by donor and sector group, 2010-2024 (from the OECD CRS)", ONE_REPO,
           ONE_COMMIT, ("charts_live/oda_topic/sector_totals.csv",),
           "CC-BY-4.0", "OECD CRS via ONE Campaign",
           "OECD data are CC-BY-4.0 under the OECD's terms since July 2024; the repository is MIT-licensed"),
    Source("ids", "World Bank International Debt Statistics: public and publicly guaranteed debt service by "
           "debtor and creditor type", ONE_REPO, ONE_COMMIT, ("raw_data/debt/ids_service_raw.feather",),
           "CC-BY-4.0", "World Bank via ONE Campaign",
           "World Bank data; the repository is MIT-licensed"),
)


class Mirror:
    """Files of the pinned source repositories: from a git directory or a checkout."""

    def __init__(self, root: Path):
        self.root = root

    def _git_dir(self, repo: str) -> Path | None:
        d = self.root / repo.replace("/", "+") / "repo"
        return d if (d / "HEAD").is_file() else None

    def commit(self, source: Source) -> str:
        git = self._git_dir(source.repo)
        if git is None:
            return source.commit
        out = subprocess.run(["git", "--git-dir", str(git), "rev-parse", source.commit + "^{commit}"],
                             capture_output=True, text=True)
        return out.stdout.strip() or source.commit

    def read(self, source: Source, path: str) -> bytes:
        git = self._git_dir(source.repo)
        if git is not None:
            out = subprocess.run(["git", "--git-dir", str(git), "show", f"{self.commit(source)}:{path}"],
                                 capture_output=True)
            if out.returncode == 0:
                return out.stdout
        for base in (self.root / source.repo.replace("/", "+"), self.root / source.repo):
            if (base / path).is_file():
                return (base / path).read_bytes()
        raise InputError([Problem(f"{source.repo}/{path}", 1, "<file>",
                                  f"not found under {self.root} (at commit {source.commit})")])


def _label(src: Source, path: str) -> str:
    return f"{src.repo}@{src.commit[:8]}:{path}"


def build_countries(m: Mirror) -> pd.DataFrame:
    src = next(s for s in SOURCES if s.id == "wb-groups")
    groups = pd.read_csv(io.BytesIO(m.read(src, src.paths[0])), keep_default_na=False)
    codes = sorted(groups.loc[groups.group_code == "WLD", "iso_code"])
    member = groups.groupby("iso_code").group_code.agg(set)
    names = groups.drop_duplicates("iso_code").set_index("iso_code").country_name
    regions = {"EAS": "East Asia & Pacific", "ECS": "Europe & Central Asia", "LCN": "Latin America & Caribbean",
               "MEA": "Middle East & North Africa", "NAC": "North America", "SAS": "South Asia",
               "SSF": "Sub-Saharan Africa"}
    incomes = {"LIC": "Low income", "LMC": "Lower middle income", "UMC": "Upper middle income", "HIC": "High income"}
    ccc = next(s for s in SOURCES if s.id == "country-codes")
    master = pd.read_csv(io.BytesIO(m.read(ccc, ccc.paths[0])), keep_default_na=False, dtype=str).set_index("iso3")
    rows = []
    for c in codes:
        g = member[c]
        region = next((r for r in regions if r in g), "")
        income = next((i for i in incomes if i in g), "")
        mrow = master.loc[c] if c in master.index else None
        flag = (lambda col: bool(mrow is not None and mrow[col] == "True"))
        rows.append({"country": c, "name": names[c], "region_code": region, "region": regions.get(region, ""),
                     "income_code": income, "income_group": incomes.get(income, ""),
                     "ldc": "LDC" in g, "fcs": "FCS" in g, "ida": "IDX" in g or "IDB" in g,
                     "oda_recipient": flag("oecd_dac_eligible"), "sids": flag("is_sids"), "lldc": flag("is_lldc"),
                     "m49": int(mrow["m49"]) if mrow is not None and mrow["m49"].isdigit() else -1})
    return pd.DataFrame(rows)


def _tidy_wdi_csv(data: bytes, code: str, label: str) -> pd.DataFrame:
    raw = pd.read_csv(io.BytesIO(data), dtype={"Country Code": str}, keep_default_na=False)
    raw["line"] = np.arange(2, len(raw) + 2)
    raw = raw[raw["Value"].astype(str) != ""]
    return pd.DataFrame({"country": raw["Country Code"], "indicator": code, "year": raw["Year"],
                         "value": pd.to_numeric(raw["Value"], errors="coerce"), "line": raw["line"]})


def build_series(m: Mirror, countries: set[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """All series as one tidy table (countries only, 2000 on); also where each came from."""
    parts, origin = [], {}
    wdi = next(s for s in SOURCES if s.id == "wdi")
    for code, ind in INDICATORS.items():
        if ind.source != "wdi":
            continue
        path = f"indicators/{code.lower()}/data.csv"
        label = _label(wdi, path)
        t = _tidy_wdi_csv(m.read(wdi, path), code, label)
        parts.append(_checked(t, label, countries))
        origin[code] = label
    bb = next(s for s in SOURCES if s.id == "wb-bblocks")
    for code, path in zip(BBLOCKS, bb.paths):
        label = _label(bb, path)
        raw = pd.read_csv(io.BytesIO(m.read(bb, path)), keep_default_na=False, dtype=str)
        raw["line"] = np.arange(2, len(raw) + 2)
        raw = raw[raw.value != ""]
        t = pd.DataFrame({"country": raw.iso_code, "indicator": raw.indicator_code, "year": raw.date.str[:4].astype(int),
                          "value": pd.to_numeric(raw.value, errors="coerce"), "line": raw.line})
        parts.append(_checked(t, label, countries))
        origin[code] = label
    un = next(s for s in SOURCES if s.id == "unsd-sdg")
    label = _label(un, WATER)
    raw = pd.read_csv(io.BytesIO(m.read(un, WATER)), keep_default_na=False, dtype=str)
    raw["line"] = np.arange(2, len(raw) + 2)
    raw = raw[(raw.location == "allarea") & (raw.sp_acs_bsrvh2o != "")]
    m49 = _m49_to_iso3(m)
    t = pd.DataFrame({"country": raw.geo_area.astype(int).map(m49).fillna(""), "indicator": "SH.H2O.BASW.ZS",
                      "year": raw.year.astype(int), "value": pd.to_numeric(raw.sp_acs_bsrvh2o, errors="coerce"),
                      "line": raw.line})
    parts.append(_checked(t, label, countries))
    origin["SH.H2O.BASW.ZS"] = label
    frame = pd.concat(parts, ignore_index=True)
    check_series(frame, "evidence series (all sources)", countries)
    frame = frame.drop(columns="line").sort_values(["indicator", "country", "year"], kind="stable")
    return frame.reset_index(drop=True), origin


def _m49_to_iso3(m: Mirror) -> dict[int, str]:
    ccc = next(s for s in SOURCES if s.id == "country-codes")
    master = pd.read_csv(io.BytesIO(m.read(ccc, ccc.paths[0])), keep_default_na=False, dtype=str)
    return {int(r.m49): r.iso3 for r in master.itertuples() if r.m49.isdigit()}


def _checked(t: pd.DataFrame, label: str, countries: set[str]) -> pd.DataFrame:
    """Countries only (aggregates dropped), START_YEAR on, EXCLUDED rows out; every kept row checked."""
    t = t[t.country.isin(countries) & (t.year.astype(int) >= START_YEAR)].copy()
    t["year"] = t.year.astype(int)
    excluded = [(i, c, y) in EXCLUDED for i, c, y in zip(t.indicator, t.country, t.year)]
    t = t[~np.asarray(excluded, dtype=bool)]
    check_series(t, label, countries)
    return t


def build_dac1(m: Mirror) -> pd.DataFrame:
    src = next(s for s in SOURCES if s.id == "dac1")
    raw = pd.read_parquet(io.BytesIO(m.read(src, src.paths[0])))
    label = _label(src, src.paths[0])
    raw["line"] = np.arange(2, len(raw) + 2)
    unknown = sorted(set(raw.donor_code.astype(int)) - set(DONORS))
    if unknown:
        raise DataFileError([Problem(label, 1, "donor_code", f"donor codes {unknown} are not in simulation.data.donors "
                                                              "(add them with their ISO3 or group id)")])
    raw["key"] = list(zip(raw.aidtype_code.astype(str), raw.flows_code.astype(str),
                          raw.amounttype_code.astype(str).map({"A": "current", "D": "constant", "PT_B5G": "pct_gni"})))
    raw["measure"] = raw.key.map(DAC1_CODES)
    # ODA/GNI: net disbursements (aid type 2) to 2017, grant equivalent (11002) from 2018 where both exist
    raw["grant_equivalent"] = raw.aidtype_code == 11002
    parts = [raw[raw.measure.notna()].sort_values("grant_equivalent")
             .drop_duplicates(["donor_code", "year", "measure"], keep="last")]
    t = pd.concat(parts, ignore_index=True)
    t = t[t.value.notna()]
    assert set(t.measure) <= set(DAC1_MEASURES)
    t = pd.DataFrame({"donor": t.donor_code.astype(int).map(lambda c: DONORS[c].id), "year": t.year.astype(int),
                      "measure": t.measure, "value": t.value.astype(float), "line": t.line})
    problems: list[Problem] = []
    check_years(problems, label, t)
    money = t[t.measure != "oda_gni_pct"]
    check_values(problems, label, money[~money.measure.str.startswith("oda_net")], 0, np.nan, "US$ million")
    check_values(problems, label, t[t.measure == "oda_gni_pct"], 0, 10, "% of GNI")
    if t.duplicated(["donor", "year", "measure"]).any():
        problems.append(Problem(label, 1, "<rows>", "a donor, year and measure appears twice"))
    if problems:
        raise DataFileError(problems)
    return t.drop(columns="line").sort_values(["donor", "measure", "year"]).reset_index(drop=True)


def build_sectors(m: Mirror) -> pd.DataFrame:
    src = next(s for s in SOURCES if s.id == "dac-sectors")
    label = _label(src, src.paths[0])
    raw = pd.read_csv(io.BytesIO(m.read(src, src.paths[0])))
    by_name = {d.sector_name or d.name: d.id for d in DONORS.values()}
    raw["line"] = np.arange(2, len(raw) + 2)
    unknown = raw[~raw.name.isin(by_name)]
    if len(unknown):
        r = unknown.iloc[0]
        raise DataFileError([Problem(label, int(r.line), "name", f"unknown donor {r['name']!r} "
                                                                  "(add it to simulation.data.donors)")])
    long = raw.melt(id_vars=["year", "name", "line"], var_name="sector", value_name="usd_m")
    long = long[long.usd_m.notna()]
    problems: list[Problem] = []
    check_years(problems, label, long)
    check_values(problems, label, long, np.nan, np.nan, "US$ million", column="usd_m")
    if problems:
        raise DataFileError(problems)
    long["donor"] = long.name.map(by_name)
    total = long.groupby(["donor", "year"]).usd_m.transform(lambda s: s.clip(lower=0).sum())
    long["share"] = np.where(total > 0, long.usd_m.clip(lower=0) / total, np.nan)
    return (long[["donor", "year", "sector", "usd_m", "share"]].sort_values(["donor", "year", "sector"])
            .reset_index(drop=True))


def build_debt_service(m: Mirror, names: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """IDS debt service by debtor, year, creditor type and kind (principal, interest), US$."""
    src = next(s for s in SOURCES if s.id == "ids")
    label = _label(src, src.paths[0])
    raw = pd.read_feather(io.BytesIO(m.read(src, src.paths[0])))
    raw["line"] = np.arange(2, len(raw) + 2)
    creditor = {"BLAT": "bilateral", "MLAT": "multilateral", "PBND": "bonds", "PCBK": "commercial_banks",
                "PROP": "other_private"}
    code = raw.series_code.astype(str)
    raw["kind"] = np.where(code.str.startswith("DT.AMT"), "principal", "interest")
    raw["creditor"] = code.str.split(".").str[2].map(creditor)
    raw["debtor_name"] = raw.country.astype(str).str.strip()
    raw["country"] = raw.debtor_name.map(names)
    unmapped = sorted(set(raw.debtor_name[raw.country.isna()]))
    # counterpart "World" is the total over creditors (the others are its parts: summing all double counts)
    t = raw[raw.country.notna() & raw.value.notna() & (raw["counterpart-area"].astype(str).str.strip() == "World")]
    problems: list[Problem] = []
    check_years(problems, label, t, "time")
    check_values(problems, label, t, 0, np.nan, "US$")
    if problems:
        raise DataFileError(problems)
    out = (t.groupby(["country", "time", "creditor", "kind"], observed=True).value.sum().reset_index()
           .rename(columns={"time": "year", "value": "usd"}))
    out["year"] = out.year.astype(int)
    return out.sort_values(["country", "year", "creditor", "kind"]).reset_index(drop=True), unmapped


def wdi_names(m: Mirror) -> dict[str, str]:
    """World Bank country names (as IDS spells them) to codes, from the WDI population file."""
    wdi = next(s for s in SOURCES if s.id == "wdi")
    raw = pd.read_csv(io.BytesIO(m.read(wdi, "indicators/sp.pop.totl/data.csv")), keep_default_na=False, dtype=str)
    names = dict(zip(raw["Country Name"], raw["Country Code"]))
    names.update({"Somalia, Fed. Rep.": "SOM", "Turkiye": "TUR", "Iran, Islamic Republic Of": "IRN"})
    return names


def build(mirror: Path, out: Path = EVIDENCE_DIR) -> dict:
    m = Mirror(mirror)
    commits = {s.id: m.commit(s) for s in SOURCES}
    countries = build_countries(m)
    codes = set(countries.country)
    series, origin = build_series(m, codes)
    dac1 = build_dac1(m)
    sectors = build_sectors(m)
    debt, unmapped = build_debt_service(m, {k: v for k, v in wdi_names(m).items() if v in codes})
    problems: list[Problem] = []
    check_codes(problems, "IDS debtors", debt, "country", codes)
    if problems:
        raise DataFileError(problems)
    donors = pd.DataFrame([{"donor": d.id, "dac_code": d.dac_code, "name": d.name, "kind": d.kind,
                            "dac_member": d.dac_member} for d in DONORS.values()])
    catalogue = pd.DataFrame([{"indicator": i.code, "name": i.name, "unit": i.unit, "lower": i.lower,
                               "upper": i.upper, "higher_is_better": i.higher_is_better, "goal": i.goal,
                               "source": i.source} for i in INDICATORS.values()])
    tables = {"countries": countries, "indicators": catalogue, "series": series, "donors": donors, "dac1": dac1,
              "dac_sectors": sectors, "debt_service": debt}
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        write_table(frame, out / f"{name}.parquet")
    manifest = write_manifest(out, tables, SOURCES, commits, notes={
        "series": {"files": {k: v for k, v in sorted(origin.items())},
                   "excluded": [f"{i} {c} {y}: {why}" for (i, c, y), why in EXCLUDED.items()]},
        "debt_service": {"debtor names not matched to a country (aggregates)": unmapped},
    })
    return manifest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulation.data.build", description=__doc__.split("\n\n")[0])
    p.add_argument("--mirror", type=Path, required=True, help="folder holding the source repositories")
    p.add_argument("--out", type=Path, default=EVIDENCE_DIR, help="where the tables go [default: the package's]")
    args = p.parse_args(argv)
    try:
        manifest = build(args.mirror, args.out)
    except InputError as err:
        for prob in err.problems:
            print(prob, file=sys.stderr)
        return 2
    for d in manifest["datasets"]:
        print(f"{d['id']:<13} {d['rows']:>7} rows  {d['bytes'] / 1e3:>7.0f} kB  {d.get('years', '')}  {d['licence']}")
    print(json.dumps({"total_bytes": sum(d["bytes"] for d in manifest["datasets"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
