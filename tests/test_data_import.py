"""Imports of newer downloads: WDI, OECD DAC1 and DAC2a, SDR. Every sample file here is written
by the test itself in the publisher's download format (docs/data.md says where the real files
are). A bad file fails with its file and line named, never with a traceback (fuzzed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from simulation import data
from simulation.data.checks import DataFileError
from simulation.data.formats import read_download
from simulation.errors import InputError

WDI_API = (  # World Bank API download: API_<CODE>_DS2_en_csv_v2_<n>.csv, 4 preamble lines
    '"Data Source","World Development Indicators",\n'
    '\n'
    '"Last Updated Date","2026-10-01",\n'
    '\n'
    '"Country Name","Country Code","Indicator Name","Indicator Code","2023","2024","2025",\n'
    '"Kenya","KEN","Mortality rate, under-5 (per 1,000 live births)","SH.DYN.MORT","39.6","38.1","36.9",\n'
    '"Ethiopia","ETH","Mortality rate, under-5 (per 1,000 live births)","SH.DYN.MORT","51.5","44.5","",\n'
)
DAC2A_EXPLORER = (  # OECD Data Explorer, DAC2A, "CSV with labels" trimmed to the columns the reader uses
    "STRUCTURE,STRUCTURE_ID,ACTION,DONOR,Donor,RECIPIENT,Recipient,MEASURE,Measure,PRICE_BASE,Price base,"
    "UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,UNIT_MULTIPLIER\n"
    "DATAFLOW,OECD.DCD.FSD:DSD_DAC2@DF_DAC2A(1.0),I,FRA,France,SEN,Senegal,206,ODA,V,Current prices,USD,2022,"
    "310.5,6\n"
    "DATAFLOW,OECD.DCD.FSD:DSD_DAC2@DF_DAC2A(1.0),I,FRA,France,MLI,Mali,206,ODA,V,Current prices,USD,2022,95.25,6\n"
    "DATAFLOW,OECD.DCD.FSD:DSD_DAC2@DF_DAC2A(1.0),I,USA,United States,SEN,Senegal,206,ODA,V,Current prices,USD,"
    "2022,120000000,0\n"
    "DATAFLOW,OECD.DCD.FSD:DSD_DAC2@DF_DAC2A(1.0),I,FRA,France,F_X,\"Africa, regional\",206,ODA,V,Current prices,"
    "USD,2022,40,6\n"
)
DAC2A_LEGACY = (  # OECD.Stat export of Table DAC2a
    '"DONOR","Donor","RECIPIENT","Recipient","AIDTYPE","Aid type","DATATYPE","Amount type","TIME","Year","Value",'
    '"Flags"\n'
    '"701","Japan","248","Kenya","206","Total ODA net","A","Current Prices","2021","2021","88.1",""\n'
    '"701","Japan","248","Kenya","206","Total ODA net","D","Constant Prices","2021","2021","90.3",""\n'
)
DAC1_EXPLORER = (
    "DONOR,Donor,MEASURE,Measure,FLOW_TYPE,PRICE_BASE,UNIT_MEASURE,TIME_PERIOD,OBS_VALUE,UNIT_MULTIPLIER\n"
    "JPN,Japan,11010,ODA grant equivalent,1160,V,USD,2024,16800,6\n"
    "JPN,Japan,11002,ODA % GNI,1160,_Z,PT_B5G,2024,0.39,0\n"
)
SDR = (  # SDR back-dated goal scores (the SDR database's time-series sheet, saved as CSV)
    "id,Country,year,SDG Index Score," + ",".join(f"Goal {i} Score" for i in range(1, 18)) + "\n"
    "KEN,Kenya,2022,60.9," + ",".join(["55.5"] * 17) + "\n"
    "ETH,Ethiopia,2022,54.5," + ",".join(["40"] * 16) + ",\n"
)


@pytest.fixture(autouse=True)
def userdata(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SDGSIM_DATA_DIR", str(folder))
    return folder


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_a_wdi_download_overrides_the_shipped_values_for_its_years(tmp_path, userdata):
    before = data.series("SH.DYN.MORT", ["KEN"])
    d, skipped = data.import_file(write(tmp_path, "API_SH.DYN.MORT_DS2_en_csv_v2_1.csv", WDI_API))
    assert d.origin == "imported" and d.rows == 5 and d.years == (2023, 2025) and not skipped
    assert (userdata / "imports" / f"{d.id}.parquet").is_file()
    after = data.series("SH.DYN.MORT", ["KEN"])
    row = after[after.year == 2024].iloc[0]
    assert row.value == 38.1 and row.source == f"import:{d.id}"
    old = after[after.year == 2010]
    assert old.value.item() == before[before.year == 2010].value.item() and old.source.item() == "shipped:wdi"
    assert 2025 in set(after.year)
    assert d.id in {x.id for x in data.datasets()}


def test_importing_the_same_file_twice_needs_force(tmp_path):
    f = write(tmp_path, "API_SH.DYN.MORT_DS2_en_csv_v2_1.csv", WDI_API)
    data.import_file(f)
    with pytest.raises(data.AlreadyImported, match="already imported"):
        data.import_file(f)
    data.import_file(f, force=True)
    assert sum(x.origin == "imported" for x in data.datasets()) == 1


def test_a_value_out_of_range_is_named_by_file_and_line(tmp_path):
    bad = WDI_API.replace('"38.1"', '"138.1"').replace("SH.DYN.MORT", "EG.ELC.ACCS.ZS")
    f = write(tmp_path, "elec.csv", bad)
    with pytest.raises(DataFileError) as err:
        data.import_file(f)
    (p,) = err.value.problems
    assert (p.file, p.line, p.field) == (str(f), 6, "value")
    assert "138.1 is outside the valid range [0, 100] % of population for EG.ELC.ACCS.ZS" in p.message


def test_an_aggregate_or_unknown_country_code_is_named(tmp_path):
    f = write(tmp_path, "wld.csv", WDI_API.replace('"Ethiopia","ETH"', '"World","WLD"'))
    with pytest.raises(DataFileError) as err:
        data.import_file(f)
    assert [(p.line, p.field) for p in err.value.problems] == [(7, "country"), (7, "country")]
    assert "unknown country code 'WLD'" in err.value.problems[0].message


def test_the_tidy_form_and_parquet_import_too(tmp_path):
    f = write(tmp_path, "tidy.csv", "country,indicator,year,value\nKEN,EG.ELC.ACCS.ZS,2024,80.5\n")
    data.import_file(f)
    s = data.series("EG.ELC.ACCS.ZS", ["KEN"])
    assert s[s.year == 2024].value.item() == 80.5


def test_dac2a_from_the_data_explorer_resolves_recipients_and_leaves_out_regional_rows(tmp_path):
    d, skipped = data.import_file(write(tmp_path, "dac2a.csv", DAC2A_EXPLORER))
    assert d.rows == 3 and list(skipped.values()) == [1] and "F_X" in next(iter(skipped))
    t = data.dac2a().set_index(["donor", "recipient"])
    assert t.loc[("FRA", "SEN")].value == 310.5
    assert t.loc[("USA", "SEN")].value == pytest.approx(120.0)  # unit multiplier 0: US$ -> US$ million


def test_dac2a_legacy_export_maps_numeric_codes_by_name(tmp_path):
    data.import_file(write(tmp_path, "legacy.csv", DAC2A_LEGACY))
    t = data.dac2a()
    assert set(t.donor) == {"JPN"} and set(t.recipient) == {"KEN"}
    assert dict(zip(t.price, t.value)) == {"current": 88.1, "constant": 90.3}


def test_dac1_download_extends_the_donor_totals(tmp_path):
    data.import_file(write(tmp_path, "dac1.csv", DAC1_EXPLORER))
    ge = data.dac1("oda_ge_current")
    assert ge[(ge.donor == "JPN") & (ge.year == 2024)].value.item() == 16800
    assert ge[(ge.donor == "JPN") & (ge.year == 2023)].source.item() == "shipped:dac1"
    pct = data.dac1("oda_gni_pct")
    assert pct[(pct.donor == "JPN") & (pct.year == 2024)].value.item() == 0.39


def test_an_unknown_donor_is_named(tmp_path):
    f = write(tmp_path, "dac1.csv", DAC1_EXPLORER.replace("JPN,Japan,11002", "XXX,Nowhere,11002"))
    with pytest.raises(DataFileError) as err:
        data.import_file(f)
    assert (err.value.problems[0].line, err.value.problems[0].field) == (3, "DONOR")


def test_sdr_scores_import_with_their_goals(tmp_path):
    d, _ = data.import_file(write(tmp_path, "sdr.csv", SDR))
    s = data.sdr_scores()
    assert d.rows == 2 * 18 - 1
    assert set(s.goal) == {f"SDG{i}" for i in range(1, 18)} | {"INDEX"}
    assert s[(s.country == "KEN") & (s.goal == "INDEX")].value.item() == 60.9


def test_an_sdr_score_above_100_is_named(tmp_path):
    f = write(tmp_path, "sdr.csv", SDR.replace("60.9", "160.9"))
    with pytest.raises(DataFileError) as err:
        data.import_file(f)
    assert (err.value.problems[0].line, err.value.problems[0].field) == (2, "value")


def test_a_file_of_unknown_format_is_refused_with_its_columns(tmp_path):
    with pytest.raises(DataFileError, match="format not recognised .columns: a, b"):
        data.import_file(write(tmp_path, "x.csv", "a,b\n1,2\n"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([WDI_API, DAC2A_EXPLORER, DAC2A_LEGACY, DAC1_EXPLORER, SDR]), st.data())
def test_fuzz_a_damaged_download_is_read_or_refused_with_a_location(tmp_path, text, draw):
    """Cut, splice or overwrite a valid sample anywhere: the reader either parses it or raises
    InputError whose problems each name the file and a line inside it."""
    i = draw.draw(st.integers(0, len(text)))
    j = draw.draw(st.integers(i, min(len(text), i + 20)))
    junk = draw.draw(st.text(alphabet=st.sampled_from(list(',"\n\r.x-9e;\t ')) | st.characters(), max_size=8))
    damaged = text[:i] + junk + text[j:]
    f = tmp_path / "damaged.csv"
    f.write_bytes(damaged.encode("utf-8", "surrogatepass") if draw.draw(st.booleans()) else damaged.encode(
        "utf-8", "replace"))
    try:
        data.import_file(f, force=True)
    except InputError as err:
        n_lines = f.read_bytes().count(b"\n") + 1
        for p in err.problems:
            assert p.file in (str(f), "--kind") and 1 <= p.line <= n_lines + 1, p
            assert p.message


def test_sdgsim_data_import_reports_what_it_added(tmp_path, userdata):
    f = write(tmp_path, "API_SH.DYN.MORT_DS2_en_csv_v2_1.csv", WDI_API)
    res = CliRunner().invoke(main, ["data", "import", str(f)])
    assert res.exit_code == 0, res.output
    assert "Imported wdi-API_SH.DYN.MORT_DS2_en_csv_v2_1: 5 rows (2 countries, 1 indicators, 2023-2025)" in res.output
    again = CliRunner().invoke(main, ["data", "import", str(f)])
    assert again.exit_code == 2 and "use --force" not in again.output and "with --force" in again.output
    listed = CliRunner().invoke(main, ["data"])
    assert "imported" in listed.output and str(userdata) in listed.output


def test_sdgsim_data_import_of_a_bad_file_prints_file_line_and_exits_2(tmp_path):
    f = write(tmp_path, "elec.csv", WDI_API.replace('"38.1"', '"-3"').replace("SH.DYN.MORT", "EG.ELC.ACCS.ZS"))
    res = CliRunner().invoke(main, ["data", "import", str(f)])
    assert res.exit_code == 2
    assert f"{f}:6: value: -3 is outside the valid range" in res.output and "Traceback" not in res.output


def test_read_download_keeps_the_line_of_each_value(tmp_path):
    d = read_download(write(tmp_path, "a.csv", WDI_API))
    assert sorted(set(d.frame.line)) == [6, 7]


def test_two_imports_at_once_both_land_in_the_manifest(tmp_path):
    import threading

    files = [write(tmp_path, f"t{i}.csv", f"country,indicator,year,value\nKEN,EG.ELC.ACCS.ZS,{2030 + i},80\n")
             for i in range(6)]
    errors = []

    def run(f):
        try:
            data.import_file(f)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(d.id for d in data.datasets() if d.origin == "imported") == sorted(f"wdi-t{i}" for i in range(6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(["KEN", "ETH", "IND"]), st.integers(2000, 2024),
                               st.floats(0, 100, allow_nan=False)), min_size=1, max_size=30,
                     unique_by=lambda r: r[:2]),
       bad=st.floats(100.001, 1e6, allow_nan=False), where=st.data())
def test_a_percent_above_100_is_named_at_its_own_line(tmp_path, rows, bad, where):
    """Property: whatever the valid rows around it, the one bad value is reported at its line."""
    i = where.draw(st.integers(0, len(rows) - 1))
    lines = [f"{c},SH.H2O.BASW.ZS,{y},{bad if k == i else v!r}" for k, (c, y, v) in enumerate(rows)]
    f = write(tmp_path, "water.csv", "country,indicator,year,value\n" + "\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as err:
        data.import_file(f, force=True)
    assert [(p.line, p.field) for p in err.value.problems] == [(i + 2, "value")]
