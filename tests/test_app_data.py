"""The app's From data page: build a scenario for chosen countries and donors, map it, save it;
the comparison's outcome map. Driven in-process (the browser test covers serving)."""

from __future__ import annotations

import pandas as pd
import pytest

import simulation as sim
from simulation.app import Folders
from simulation.app.data_page import DataPage, map_svg, outcome_map, start_index


@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("SDGSIM_DATA_DIR", str(tmp_path / "userdata"))
    return DataPage(Folders.make(tmp_path / "sc", tmp_path / "res"))


def test_building_from_chosen_countries_shows_a_map_and_saves_a_valid_file(page):
    page.country.value = ["SEN", "MLI"]
    page.donors.value = ["FRA"]
    page.start.value, page.end.value = 2022, 2030
    page.name.value = "sahel-two"
    page._build()
    assert page.built is not None and not page.save_btn.disabled, page.status.objects
    svg = page.result.objects[1].object
    assert svg.startswith("<svg") and "<path" in svg
    page._save()
    saved = page.folders.scenario_file("sahel-two")
    sc = sim.load_scenario(saved)
    assert sc.country_ids == ["SEN", "MLI"] and [d.id for d in sc.donors] == ["FRA-ODA"]


def test_countries_and_a_group_together_are_refused_with_a_message(page):
    page.country.value = ["SEN"]
    page.group.value = "ldc"
    page._build()
    assert page.built is None and "choose countries or a group" in str(page.status.objects[0].object)


def test_the_start_index_is_the_mean_of_the_goal_scores():
    doc = {"countries": [{"id": "SEN", "scores": {"SDG2": 40.0, "SDG3": 60.0}}, {"id": "X", "scores": {}}]}
    assert start_index(doc).to_dict() == {"SEN": 50.0}


def test_a_comparison_map_colours_only_the_scenarios_countries():
    table = pd.DataFrame({"scenario": ["a", "b", "b", "b"], "outcome": "sdg_index_end",
                          "country": ["KEN", "KEN", "ETH", "ALL"], "goal": "-", "higher_is_better": True,
                          "diff_mean": [0.0, 1.5, -0.5, 0.7]})
    pane = outcome_map(table, "sdg_index_end", "a")
    assert pane is not None and "minus a" in pane.object
    assert outcome_map(table.assign(country=["P1", "P2", "P3", "ALL"]), "sdg_index_end", "a") is None
    assert "<path" in map_svg(pd.Series({"KEN": 1.0}), "x")
