"""`sdgsim new`: a scenario for any countries and donors, from the evidence base, with provenance.

Done-when of issue 25 (first part): the Sahel example writes a scenario that validates and runs,
with population and GDP from WDI, donor budgets from DAC data and a source for every value;
`--start 2010` reads nothing after 2010.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import simulation as sim
from cli import main
from simulation import data
from simulation.scenario.history import load_history

SAHEL = ["--countries", "SEN,MLI,BFA,NER", "--donors", "FRA,USA,DEU"]


@pytest.fixture(autouse=True)
def userdata(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SDGSIM_DATA_DIR", str(tmp_path / "userdata"))
    return tmp_path / "userdata"


def new(tmp_path: Path, *args: str) -> tuple[object, Path]:
    out = tmp_path / "built.yaml"
    res = CliRunner().invoke(main, ["new", "built", *args, "--out", str(out)])
    return res, out


@pytest.fixture(scope="module")
def sahel(tmp_path_factory) -> tuple[str, Path]:
    tmp = tmp_path_factory.mktemp("sahel")
    mp = pytest.MonkeyPatch()
    mp.setenv("SDGSIM_DATA_DIR", str(tmp / "userdata"))
    res, out = new(tmp, *SAHEL, "--start", "2024", "--end", "2035")
    mp.undo()
    assert res.exit_code == 0, res.output
    return res.output, out


def test_the_sahel_scenario_validates_runs_and_takes_population_and_gdp_from_wdi(sahel):
    output, path = sahel
    sc = sim.load_scenario(path)
    assert sc.country_ids == ["SEN", "MLI", "BFA", "NER"] and (sc.start_year, sc.end_year) == (2024, 2035)
    assert [d.id for d in sc.donors] == ["FRA-ODA", "USA-ODA", "DEU-ODA"] and all(d.budget_usd > 0 for d in sc.donors)
    pop = data.series("SP.POP.TOTL", ["SEN"])
    assert sc.countries[0].population_m == pytest.approx(pop[pop.year == 2024].value.item() / 1e6, rel=1e-3)
    r = sim.run(sc, runs=2, seed=1)
    assert len(r.scores) and r.scores.score.between(0, 100).all()
    assert "Wrote" in output and "defaulted" in output


def test_every_country_and_donor_value_has_its_source_or_a_default_reason(sahel):
    _, path = sahel
    doc = yaml.safe_load(path.read_text())
    sources = doc["sources"]
    for c in doc["countries"]:
        for key in ("population_m", "gdp_usd_bn", "population_growth", "gdp_growth", "domestic_sdg_share",
                    "governance", "absorptive_capacity", "birth_rate_per_1000"):
            assert f"countries.{c['id']}.{key}" in sources, (c["id"], key)
        for goal in c["scores"]:
            assert f"countries.{c['id']}.scores.{goal}" in sources
        for ind in c["indicators"]:
            assert f"countries.{c['id']}.indicators.{ind}" in sources
    for d in doc["donors"]:
        assert "OECD DAC1" in sources[f"donors.{d['id']}.budget_usd"]
    assert sources["countries.SEN.population_m"] == "World Bank WDI SP.POP.TOTL, 2024"
    assert sources["countries.SEN.governance"].startswith("default: ")


def test_start_2010_reads_nothing_after_2010(tmp_path):
    res, out = new(tmp_path, "--countries", "KEN,ETH", "--donors", "JPN", "--start", "2010", "--end", "2020")
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    years = {int(y) for text in doc["sources"].values() for y in re.findall(r"\b(20[0-9]{2})\b", text)}
    assert years and max(years) <= 2010, sorted(years)
    pop = data.series("SP.POP.TOTL", ["KEN"])
    ken = next(c for c in doc["countries"] if c["id"] == "KEN")
    assert ken["population_m"] == pytest.approx(pop[pop.year == 2010].value.item() / 1e6, rel=1e-3)


def test_a_country_without_population_or_gdp_fails_with_a_located_message(tmp_path):
    res, out = new(tmp_path, "--countries", "KEN,TWN")
    assert res.exit_code == 2 and not out.exists()
    assert "--countries:1: TWN: no SP.POP.TOTL or NY.GDP.MKTP.CD at or before 2024" in res.output


def test_all_goals_need_sdr_scores_and_say_so(tmp_path):
    res, _ = new(tmp_path, "--countries", "KEN", "--goals", "all")
    assert res.exit_code == 2
    assert "--goals:1: SDG1: KEN: no start score (import the SDR goal scores" in res.output


def test_imported_sdr_scores_give_every_goal_its_start_score(tmp_path):
    sdr = tmp_path / "sdr.csv"
    header = "id,Country,year,SDG Index Score," + ",".join(f"Goal {i} Score" for i in range(1, 18))
    sdr.write_text(header + "\n" + "KEN,Kenya,2022,60.9," + ",".join(str(40 + i) for i in range(1, 18)) + "\n")
    data.import_file(sdr)
    res, out = new(tmp_path, "--countries", "KEN", "--goals", "all", "--start", "2024")
    assert res.exit_code == 0, res.output
    sc = sim.load_scenario(out)
    assert len(sc.goals) == 17 and sc.countries[0].scores["SDG5"] == 45.0
    doc = yaml.safe_load(out.read_text())
    assert doc["sources"]["countries.KEN.scores.SDG5"] == "SDSN SDR goal score (imported), data year 2022"


def test_an_imported_dac2a_file_sets_who_gets_the_donors_money(tmp_path):
    dac2a = tmp_path / "dac2a.csv"
    dac2a.write_text("DONOR,RECIPIENT,MEASURE,PRICE_BASE,TIME_PERIOD,OBS_VALUE,UNIT_MULTIPLIER\n"
                     "FRA,SEN,206,V,2023,300,6\nFRA,MLI,206,V,2023,100,6\nFRA,MAR,206,V,2023,600,6\n")
    data.import_file(dac2a)
    res, out = new(tmp_path, "--countries", "SEN,MLI,NER", "--donors", "FRA")
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load(out.read_text())
    d = doc["donors"][0]
    assert d["eligible_countries"] == ["MLI", "SEN"]  # NER got nothing from FRA in the file
    assert "40.00% of its DAC2a bilateral ODA" in doc["sources"]["donors.FRA-ODA.budget_usd"]


def test_bad_donors_and_an_existing_file_are_refused(tmp_path):
    res, _ = new(tmp_path, "--countries", "KEN", "--donors", "JPN,XXX")
    assert res.exit_code == 2 and "--donors:1: XXX: not a DAC1 donor" in res.output
    out = tmp_path / "built.yaml"
    out.write_text("keep me")
    res, _ = new(tmp_path, "--countries", "KEN")
    assert res.exit_code == 2 and "file exists" in res.output and out.read_text() == "keep me"


def test_list_groups_prints_the_groups():
    res = CliRunner().invoke(main, ["new", "--list-groups"])
    assert res.exit_code == 0
    assert re.search(r"^oda-recipients\s+13\d\s", res.output, re.M) and "gpp" in res.output


def test_a_scenario_built_from_2010_back_tests_on_the_exported_history(tmp_path):
    """Issue 25's done-when: backtest of a `new --start 2010` scenario for countries outside
    the shipped ten reports skill per indicator beside the naive forecasts."""
    res, scenario = new(tmp_path, "--countries", "SEN,BFA", "--start", "2010", "--end", "2020")
    assert res.exit_code == 0, res.output
    history = tmp_path / "history.csv"
    res = CliRunner().invoke(main, ["data", "export", "--countries", "SEN,BFA", "--out", str(history)])
    assert res.exit_code == 0, res.output
    assert set(load_history(history).frame.country) == {"SEN", "BFA"}  # a valid history file
    res = CliRunner().invoke(main, ["backtest", str(scenario), "--history", str(history), "--fit-until", "2010",
                                    "--to", "2020", "--runs", "20", "--out", str(tmp_path / "bt")])
    assert res.exit_code == 0, res.output
    skill = (tmp_path / "bt" / "skill.csv").read_text()
    for code in ("EG.ELC.ACCS.ZS", "SH.DYN.MORT", "SN.ITK.DEFC.ZS"):
        assert code in skill
    assert "trend" in res.output and "persist" in res.output
    groups = pd.read_csv(tmp_path / "bt" / "skill_by_group.csv")
    everyone = groups[groups.indicator == "ALL"].set_index(["kind", "group"])
    assert everyone.loc[("region", "Sub-Saharan Africa"), "countries"] == 2  # SEN and BFA
    assert set(everyone.loc["income"].index) == {"Low income", "Lower middle income"}  # BFA, SEN
    assert (everyone.vs_trend > 0).all() and "By group" in res.output
    assert "Skill by region and income group" in (tmp_path / "bt" / "report.html").read_text()


def test_a_backtest_without_history_reads_the_evidence_base(tmp_path):
    res, scenario = new(tmp_path, "--countries", "GHA", "--start", "2010", "--end", "2016")
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["backtest", str(scenario), "--fit-until", "2010", "--to", "2016", "--runs", "10",
                                    "--out", str(tmp_path / "bt")])
    assert res.exit_code == 0, res.output
    forecast = pd.read_csv(tmp_path / "bt" / "forecast.csv")
    mort = data.series("SH.DYN.MORT", ["GHA"]).set_index("year").value
    got = forecast[forecast.indicator == "SH.DYN.MORT"].set_index("year").observed
    assert len(got) and got.to_dict() == pytest.approx(mort[got.index].to_dict())


def test_the_api_builds_in_memory_and_save_refuses_an_existing_file(tmp_path):
    built = sim.new_scenario("two", countries=["SEN", "BFA"], donors="FRA", start=2020, end=2025)
    assert built.scenario.country_ids == ["SEN", "BFA"] and built.doc["sources"]
    assert built.summary()[0].startswith("2 countries")
    out = tmp_path / "two.yaml"
    out.write_text("keep me")
    with pytest.raises(sim.OptionError, match="file exists"):
        built.save(out)
    assert out.read_text() == "keep me"
    built.save(out, force=True)
    assert sim.load_scenario(out).country_ids == ["SEN", "BFA"]
    with pytest.raises(sim.OptionError, match="give either --countries or --group"):
        sim.new_scenario("x", countries="SEN", group="ldc")


def test_export_refuses_to_overwrite(tmp_path):
    out = tmp_path / "h.csv"
    out.write_text("keep")
    res = CliRunner().invoke(main, ["data", "export", "SH.DYN.MORT", "-c", "KEN", "--out", str(out)])
    assert res.exit_code == 2 and out.read_text() == "keep"
    res = CliRunner().invoke(main, ["data", "export", "SH.DYN.MORT", "-c", "KEN", "--out", str(out), "--force"])
    assert res.exit_code == 0 and out.read_text().startswith("country,indicator,year,value,source,retrieved\nKEN,")


def test_a_donor_with_no_oda_recipient_among_the_countries_is_left_out_and_said_so(tmp_path):
    res, out = new(tmp_path, "--countries", "JPN,DEU", "--donors", "FRA")
    assert res.exit_code == 0, res.output
    assert "left out donor FRA: none of the chosen countries is an ODA recipient" in res.output
    sc = sim.load_scenario(out)
    assert sc.donors == [] and not any(k.startswith("donors.") for k in sc.sources)


def test_a_built_scenario_without_technologies_streams_more_runs_than_one_batch(tmp_path):
    """A scenario from `new` has no technologies: its adoption table has no rows. Streaming a
    second batch into that table failed ('Invalid null value': the first batch's empty table
    gave its labels Arrow's null type)."""
    built = sim.new_scenario("two", countries="SEN,BFA", start=2020, end=2023)
    assert built.scenario.technologies == []
    res = sim.run(built.scenario, runs=5, seed=1, batch_size=2, out=tmp_path / "run")
    assert len(res.scores) == 5 * 4 * 2 * len(built.scenario.goals)
    assert pd.read_parquet(tmp_path / "run" / "adoption.parquet").empty
