"""The build script: from the source repositories' raw files to the shipped tables, checked.

Runs on a small mirror the test writes itself, in each source's own layout (a checkout folder
per repository), so that the conversion and its checks are tested without the real sources.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from simulation.data import build
from simulation.data.catalog import INDICATORS
from simulation.data.checks import DataFileError

COUNTRIES = {"KEN": ("Kenya", "404", "SSF", "LMC", False), "ETH": ("Ethiopia", "231", "SSF", "LIC", True),
             "JPN": ("Japan", "392", "EAS", "HIC", False)}


def put(root: Path, repo: str, path: str, data: bytes | str) -> None:
    p = root / repo.replace("/", "+") / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data.encode() if isinstance(data, str) else data)


def parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf)
    return buf.getvalue()


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    groups = ["group_code,group_name,iso_code,country_name"]
    master = ["iso3,m49,is_ldc,is_lldc,is_sids,oecd_dac_eligible"]
    for iso, (name, m49, region, income, ldc) in COUNTRIES.items():
        groups += [f"WLD,World,{iso},{name}", f"{region},Region,{iso},{name}", f"{income},Income,{iso},{name}"]
        groups += [f"LDC,Least developed countries: UN classification,{iso},{name}"] if ldc else []
        master.append(f"{iso},{m49},{ldc},{iso == 'ETH'},False,{iso != 'JPN'}")
    put(root, build.ONE_REPO, "raw_data/wb_groupings.csv", "\n".join(groups) + "\n")
    put(root, build.CCC_REPO, "data/latest/countries_master.csv", "\n".join(master) + "\n")
    for code, ind in INDICATORS.items():
        if ind.source == "wdi":
            hi = ind.upper if ind.upper == ind.upper else 1e9
            rows = ["Country Name,Country Code,Year,Value", f"World,WLD,2010,{hi / 2}", f"Kenya,KEN,2010,{hi / 4}",
                    f"Kenya,KEN,2011,{hi / 5}", "Kenya,KEN,2012,", f"Kenya,KEN,1999,{hi / 5}",
                    f"\"Ethiopia\",ETH,2011,{hi / 10}"]
            put(root, build.WDI_REPO, f"indicators/{code.lower()}/data.csv", "\n".join(rows) + "\n")
    for code in build.BBLOCKS:
        put(root, build.ONE_REPO, f"raw_data/bblocks_data/{code}_all_.csv",
            f"date,iso_code,indicator_code,value\n2015-01-01,KEN,{code},20.5\n2016-01-01,KEN,{code},\n")
    put(root, build.SDG_REPO, build.WATER, "geo_area,location,nature,units,year,sp_acs_bsrvh2o\n"
        "404,allarea,e,percent,2015,58.9\n404,urban,e,percent,2015,80\n1,allarea,e,percent,2015,90\n")
    put(root, build.ONE_REPO, "raw_data/oda/table1_raw_2010_2023.parquet", parquet(pd.DataFrame({
        "donor_code": [701, 701, 701, 20001], "aidtype_code": [11010, 11002, 2, 11010],
        "flows_code": [1160, 1160, 1140, 1160], "amounttype_code": ["A", "PT_B5G", "PT_B5G", "A"],
        "year": [2023, 2023, 2017, 2023], "value": [19600.4, 0.44, 0.23, 223000.0]})))
    put(root, build.ONE_REPO, "charts_live/oda_topic/sector_totals.csv",
        "year,name,Health,Energy\n2023,Japan,100,300\n2023,\"DAC Countries, Total\",1000,1000\n")
    ids = pd.DataFrame({"country": ["Kenya", "Kenya", "Kenya", "Low income"],
                        "counterpart-area": ["World", "China", "World", "World"],
                        "series": ["x"] * 4, "time": [2023, 2023, 2023, 2023], "value": [5e8, 2e8, 1e8, 9e9],
                        "series_code": ["DT.AMT.BLAT.CD", "DT.AMT.BLAT.CD", "DT.INT.MLAT.CD", "DT.AMT.BLAT.CD"]})
    buf = io.BytesIO()
    ids.to_feather(buf)
    put(root, build.ONE_REPO, "raw_data/debt/ids_service_raw.feather", buf.getvalue())
    return root


def test_the_build_converts_each_source_to_its_tidy_table(mirror, tmp_path):
    out = tmp_path / "evidence"
    manifest = build.build(mirror, out)
    assert {d["id"] for d in manifest["datasets"]} == {"countries", "indicators", "series", "donors", "dac1",
                                                       "dac_sectors", "debt_service"}
    c = pd.read_parquet(out / "countries.parquet").set_index("country")
    assert c.loc["ETH", "ldc"] and not c.loc["KEN", "ldc"] and c.loc["KEN", "income_code"] == "LMC"
    assert c.loc["KEN", "oda_recipient"] and not c.loc["JPN", "oda_recipient"]
    s = pd.read_parquet(out / "series.parquet")
    assert "WLD" not in set(s.country) and s.year.min() >= 2000 and s.value.notna().all()  # aggregates, 1999, blanks
    water = s[s.indicator == "SH.H2O.BASW.ZS"]
    assert list(zip(water.country, water.value)) == [("KEN", 58.9)]  # M49 404 -> KEN; urban rows and World out
    d1 = pd.read_parquet(out / "dac1.parquet").set_index(["donor", "measure", "year"]).value
    assert d1[("JPN", "oda_ge_current", 2023)] == 19600.4 and d1[("DAC", "oda_ge_current", 2023)] == 223000.0
    assert d1[("JPN", "oda_gni_pct", 2023)] == 0.44 and d1[("JPN", "oda_gni_pct", 2017)] == 0.23
    sec = pd.read_parquet(out / "dac_sectors.parquet").set_index(["donor", "sector"]).share
    assert sec[("JPN", "Energy")] == 0.75 and sec[("DAC", "Health")] == 0.5
    debt = pd.read_parquet(out / "debt_service.parquet")
    assert debt.usd.sum() == 6e8 and set(debt.country) == {"KEN"}  # counterpart World only; aggregates out
    assert "https://github.com/datasets/world-development-indicators at commit" in (out / "SOURCES.md").read_text()


def test_the_build_is_deterministic(mirror, tmp_path):
    build.build(mirror, tmp_path / "a")
    build.build(mirror, tmp_path / "b")
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_a_value_outside_its_range_stops_the_build_naming_file_and_line(mirror, tmp_path):
    path = "indicators/eg.elc.accs.zs/data.csv"
    put(mirror, build.WDI_REPO, path, "Country Name,Country Code,Year,Value\nKenya,KEN,2010,50\nKenya,KEN,2011,101\n")
    with pytest.raises(DataFileError) as err:
        build.build(mirror, tmp_path / "out")
    (p,) = err.value.problems
    assert p.file == f"{build.WDI_REPO}@{build.WDI_COMMIT[:8]}:{path}" and (p.line, p.field) == (3, "value")
    assert "outside the valid range [0, 100]" in p.message
    assert not (tmp_path / "out" / "series.parquet").exists()


def test_a_missing_source_file_is_named(mirror, tmp_path):
    (mirror / build.ONE_REPO.replace("/", "+") / "raw_data/wb_groupings.csv").unlink()
    assert build.main(["--mirror", str(mirror), "--out", str(tmp_path / "out")]) == 2
