"""From data page: build a scenario for chosen countries (or a group) and donors from the evidence
base (`simulation.api.new.new_scenario`, what `sdgsim new` does), see it on a world map, save it.

Maps are drawn by `simulation.report.maps` (matplotlib, Natural Earth outlines shipped with the
package) and shown as SVG: nothing is fetched from the internet.
"""

from __future__ import annotations

import io

import pandas as pd
import panel as pn
from matplotlib.figure import Figure

from ..api.new import NewScenario, list_groups, new_scenario
from ..data import countries as country_table
from ..data.donors import BY_ID
from ..errors import InputError, Problem
from ..report import maps
from .folders import Folders, check_name
from .messages import code, safe, text

NO_GROUP = "(chosen countries)"


def map_svg(values: pd.Series, label: str, cmap: str = "viridis", center: float | None = None) -> str:
    """A world map of `values` (indexed by ISO3) as SVG text."""
    fig = Figure(figsize=(9, 4.9))
    maps.draw_world(fig.subplots(), values, label, cmap, center)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]  # Panel's SVG pane takes the element, not the XML header and doctype


def start_index(doc: dict) -> pd.Series:
    """Each country's start SDG index of a built scenario: the mean of its goal start scores."""
    return pd.Series({c["id"]: sum(c["scores"].values()) / len(c["scores"]) for c in doc["countries"] if c["scores"]})


def outcome_map(table: pd.DataFrame, outcome: str, reference: str) -> pn.pane.SVG | None:
    """Map of a comparison's per-country difference in `outcome` (the first scenario against the
    reference); None when the table has no per-country rows of it or none is on the map."""
    got = maps.difference_by_country(table, outcome, reference)
    if got is None:
        return None
    first, diff, higher = got
    return pn.pane.SVG(map_svg(diff, f"{outcome}: {first} minus {reference} (mean over runs)",
                               "RdYlGn" if higher else "RdYlGn_r", 0.0),
                       sizing_mode="stretch_width", css_classes=["outcome-map"])


class DataPage:
    """Pick countries or a group and donors; build, map and save the scenario."""

    def __init__(self, folders: Folders, on_saved=None):
        self.folders = folders
        self.on_saved = on_saved
        table = country_table()
        self.country = pn.widgets.MultiChoice(
            name="Countries", options={f"{r.name} ({r.country})": r.country for r in table.itertuples()}, width=420,
            css_classes=["data-countries"])
        self.group = pn.widgets.Select(name="Or a group", options={NO_GROUP: "", **{f"{k}: {t} ({n})": k for k, n, t
                                                                                   in list_groups()}}, width=420)
        donors = {f"{d.name} ({d.id})": d.id for d in BY_ID.values() if d.kind != "group"}
        self.donors = pn.widgets.MultiChoice(name="Donors (OECD DAC1)", options=donors, width=420)
        self.all_dac = pn.widgets.Checkbox(name="All DAC members", value=False)
        self.start = pn.widgets.IntInput(name="Start year (data up to it)", value=2024, start=2001, end=2100, width=180)
        self.end = pn.widgets.IntInput(name="End year", value=2035, start=2002, end=2300, width=120)
        self.name = pn.widgets.TextInput(name="Scenario name (also its file name)", value="my-countries", width=300)
        self.build_btn = pn.widgets.Button(name="Build from data", button_type="primary", css_classes=["build"])
        self.save_btn = pn.widgets.Button(name="Save scenario", button_type="success", disabled=True)
        self.status = pn.Column(sizing_mode="stretch_width")
        self.result = pn.Column(sizing_mode="stretch_width")
        self.build_btn.on_click(self._build)
        self.save_btn.on_click(self._save)
        self.built: NewScenario | None = None

    @safe
    def _build(self, _event=None) -> None:
        self.save_btn.disabled, self.built = True, None
        name = check_name(self.name.value or "", "name")
        countries, group = list(self.country.value), self.group.value or None
        if bool(countries) == bool(group):
            raise InputError([Problem("<app>", 1, "countries", "choose countries or a group (not both)")])
        self.status.objects = [pn.pane.Alert("Building from the evidence base (a large group takes a minute)...",
                                             alert_type="info")]
        donors = "all-dac" if self.all_dac.value else list(self.donors.value)
        self.built = new_scenario(name, countries=countries or None, group=group, donors=donors,
                                  start=self.start.value, end=self.end.value, command="(the app's From data page)")
        lines = self.built.summary()
        index = start_index(self.built.doc)
        self.result.objects = [
            pn.pane.Markdown(f"### {text(name)}: {text(lines[0])}\n\n" + "\n".join(f"    {text(x)}" for x in lines[1:])),
            pn.pane.SVG(map_svg(index, f"SDG index at {self.start.value} (mean of the goals' start scores)",
                                "RdYlGn"), sizing_mode="stretch_width", css_classes=["data-map"])]
        target = self.folders.scenario_file(name)
        exists = target.exists()
        self.status.objects = [pn.pane.Alert(f"A file {code(target.name)} exists already: choose another name."
                                             if exists else "Built and valid: save it to run it on the Run and compare "
                                                            "page.", alert_type="warning" if exists else "success",
                                             css_classes=["built-ok"])]
        self.save_btn.disabled = exists

    @safe
    def _save(self, _event=None) -> None:
        if self.built is None:
            return
        target = self.folders.scenario_file(self.built.doc["name"])
        path = self.built.save(target)
        self.save_btn.disabled = True
        self.status.objects = [pn.pane.Alert(f"Saved {code(path.name)} in {code(self.folders.scenarios)}.",
                                             alert_type="success", css_classes=["saved"])]
        if self.on_saved:
            self.on_saved()

    def view(self) -> pn.viewable.Viewable:
        return pn.Column("## A scenario from data", pn.pane.Markdown(
            "Countries get population, GDP, indicator start values and trends from World Bank WDI data; donors "
            "get budgets from OECD DAC1 (docs/data.md). Every value's source is in the saved file."),
            self.country, self.group, pn.Row(self.donors, self.all_dac), pn.Row(self.start, self.end),
            self.name, pn.Row(self.build_btn, self.save_btn), self.status, self.result, sizing_mode="stretch_width")
