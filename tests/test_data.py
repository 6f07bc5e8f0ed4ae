"""The shipped evidence base: what it holds, where it comes from, and that it is what it says.

Coverage is checked against the 193 UN member states (un.org/en/about-us/member-states); the
ranges against the catalogue (simulation.data.catalog), so a rebuild that lets a percent above
100 or an aggregate such as WLD through fails here.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from simulation import data
from simulation.data.catalog import INDICATORS
from simulation.data.tables import EVIDENCE_DIR, TABLES
from simulation.errors import OptionError

UN_MEMBERS = set("""
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA BRN BGR BFA BDI
CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG CRI CIV HRV CUB CYP CZE PRK COD DNK DJI DMA DOM ECU EGY SLV GNQ ERI
EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA
JAM JPN JOR KAZ KEN KIR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM
MCO MNG MNE MAR MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT QAT KOR
MDA ROU RUS RWA KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE
SYR TJK THA TLS TGO TON TTO TUN TUR TKM TUV UGA UKR ARE GBR TZA USA URY UZB VUT VEN VNM YEM ZMB ZWE
""".split())


@pytest.fixture(autouse=True)
def _no_user_imports(tmp_path, monkeypatch):
    """Each test sees the shipped tables only (its own empty user data folder)."""
    monkeypatch.setenv("SDGSIM_DATA_DIR", str(tmp_path / "userdata"))


def test_the_un_member_list_is_complete():
    assert len(UN_MEMBERS) == 193


def test_every_un_member_state_is_in_the_country_table_with_population_data():
    countries = set(data.countries().country)
    assert UN_MEMBERS <= countries
    pop = data.series("SP.POP.TOTL")
    assert UN_MEMBERS <= set(pop[pop.year >= 2020].country)


def test_every_country_with_an_income_group_has_gdp_and_the_headline_series():
    c = data.countries()
    members = c[c.country.isin(UN_MEMBERS)]
    for code in ("NY.GDP.MKTP.CD", "EG.ELC.ACCS.ZS", "SH.H2O.BASW.ZS", "SH.DYN.MORT"):
        have = set(data.series(code).country)
        missing = set(members.country) - have
        assert len(missing) <= 12, (code, sorted(missing))  # small states without the series: docs/data.md


def test_shipped_values_are_within_their_indicators_ranges_and_only_countries():
    s = data.table("series")
    assert set(s.indicator) <= set(INDICATORS)
    assert set(s.country) <= set(data.countries().country)
    assert not {"WLD", "SSF", "LDC", "HIC", "AFE"} & set(s.country)
    for code, part in s.groupby("indicator"):
        ind = INDICATORS[code]
        v = part.value.to_numpy()
        assert np.isfinite(v).all(), code
        if not np.isnan(ind.lower):
            assert v.min() >= ind.lower, code
        if not np.isnan(ind.upper):
            assert v.max() <= ind.upper, code
    assert not s.duplicated(["country", "indicator", "year"]).any()
    assert s.year.min() == 2000 and s.year.max() >= 2024


def test_the_manifest_lists_every_table_with_licence_sources_and_size():
    manifest = json.loads((EVIDENCE_DIR / "datasets.json").read_text())
    assert [d["id"] for d in manifest["datasets"]] == list(TABLES)
    total = 0
    for d in manifest["datasets"]:
        path = EVIDENCE_DIR / d["file"]
        assert path.stat().st_size == d["bytes"], d["id"]
        assert len(data.table(d["id"])) == d["rows"], d["id"]
        assert d["licence"]
        for s in d["sources"]:
            assert re.fullmatch(r"[0-9a-f]{40}", s["commit"]), s
        total += d["bytes"]
    assert total < 3_000_000  # compact: a few MB at most


def test_sources_md_names_every_repository_at_its_commit():
    text = (EVIDENCE_DIR / "SOURCES.md").read_text()
    for d in json.loads((EVIDENCE_DIR / "datasets.json").read_text())["datasets"]:
        for s in d["sources"]:
            assert f"https://github.com/{s['repository']} at commit {s['commit']}" in text
            for p in s["paths"]:
                assert f"`{p}`" in text
    assert "licence: CC-BY-4.0" in text


def test_datasets_lists_source_licence_years_and_coverage():
    ds = {d.id: d for d in data.datasets()}
    assert ds["series"].years[0] == 2000 and "217 countries" in ds["series"].coverage
    assert ds["dac1"].licence == "CC-BY-4.0" and "aftershocks_data" in ds["dac1"].source
    assert all(d.origin == "shipped" for d in ds.values())


def test_a_series_for_some_countries_is_tidy_and_sourced():
    s = data.series("sh.dyn.mort", ["KEN", "Ethiopia"], start=2015, end=2020)
    assert list(s.columns) == ["country", "indicator", "year", "value", "source"]
    assert set(s.country) == {"KEN", "ETH"} and s.year.between(2015, 2020).all()
    assert (s.source == "shipped:wdi").all()
    assert data.value_at(s, "KEN", 2018) == (pytest.approx(s[(s.country == "KEN") & (s.year == 2018)].value.item()),
                                             2018)


def test_unknown_countries_and_indicators_are_named():
    with pytest.raises(OptionError) as err:
        data.series("SH.DYN.MORT", ["KEN", "XYZ"])
    assert "XYZ" in str(err.value)
    with pytest.raises(Exception, match="not a series"):
        data.series("NO.SUCH.CODE")


def test_groups_name_their_members():
    assert data.group_members("gpp") == ["ETH", "GHA", "IND", "KEN", "SRB", "UKR"]
    ldc = data.group_members("LDC")
    assert {"ETH", "RWA", "TZA", "UGA"} <= set(ldc) and "KEN" not in ldc and len(ldc) >= 44
    oda = set(data.group_members("oda-recipients"))
    assert {"KEN", "IND", "UKR"} <= oda and not {"JPN", "USA", "FRA"} & oda
    assert set(data.group_members("ssf")) >= {"KEN", "NGA"}
    with pytest.raises(Exception, match="unknown group"):
        data.group_members("nowhere")


def test_dac1_holds_donor_totals_that_agree_with_published_figures():
    d = data.dac1("oda_ge_current")
    jpn = d[(d.donor == "JPN") & (d.year == 2023)].value.item()
    assert jpn == pytest.approx(19_600, rel=0.01)  # OECD: Japan's ODA 2023, US$ 19.6 bn grant equivalent
    gni = data.dac1("oda_gni_pct")
    assert gni[(gni.donor == "JPN") & (gni.year == 2023)].value.item() == pytest.approx(0.44)


def test_sector_shares_sum_to_one_per_donor_and_year():
    s = data.dac_sectors()
    sums = s.groupby(["donor", "year"]).share.sum()
    assert np.allclose(sums[sums > 0], 1.0)


def test_debt_service_is_by_country_creditor_and_kind_without_double_counting():
    d = data.debt_service()
    assert set(d.kind) == {"principal", "interest"}
    assert set(d.creditor) <= {"bilateral", "multilateral", "bonds", "commercial_banks", "other_private"}
    assert (d.usd >= 0).all() and set(d.country) <= set(data.countries().country)
    ken = d[(d.country == "KEN") & (d.year == 2023)].usd.sum()
    assert 2e9 < ken < 6e9  # Kenya's public external debt service, 2023: about US$ 3.4 bn (IDS)


def test_sdgsim_data_lists_the_datasets():
    res = CliRunner().invoke(main, ["data"])
    assert res.exit_code == 0, res.output
    for name in TABLES:
        assert name in res.output
    assert "CC-BY-4.0" in res.output


def test_sdgsim_data_show_prints_a_series_table():
    res = CliRunner().invoke(main, ["data", "show", "SH.DYN.MORT", "--countries", "KEN,ETH", "--start", "2018",
                                    "--end", "2020"])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "Mortality rate, under-5" in lines[0]
    ken = next(line for line in lines if line.startswith("KEN")).split()
    want = data.series("SH.DYN.MORT", ["KEN"], 2018, 2020).value
    assert [float(x) for x in ken[1:]] == pytest.approx(list(want), rel=1e-3)


@pytest.mark.parametrize("args", [["countries", "--group", "gpp"], ["dac1", "--donors", "JPN,FRA"], ["groups"],
                                  ["dac_sectors", "--donors", "JPN"], ["debt_service", "-c", "KEN"]])
def test_sdgsim_data_show_prints_the_tables(args):
    res = CliRunner().invoke(main, ["data", "show", *args])
    assert res.exit_code == 0 and len(res.output.splitlines()) > 2, res.output


def test_sdgsim_data_show_names_a_bad_country_and_exits_2():
    res = CliRunner().invoke(main, ["data", "show", "SH.DYN.MORT", "--countries", "KEN,ZZZ"])
    assert res.exit_code == 2
    assert "--countries:1: ZZZ: unknown country" in res.output
