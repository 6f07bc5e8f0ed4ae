"""Scenarios page: browse the shipped and the user's scenarios; make a variant of one by
changing its levers in a form, validated as you type, saved as a file that `extends` it."""

from __future__ import annotations

from pathlib import Path

import panel as pn

from ..errors import InputError, Problem
from ..scenario import catalog
from ..scenario.loading import load_scenario
from . import levers as lv
from .folders import Folders, check_name
from .messages import code, code_block, problems_alert, safe, text


def library(folders: Folders) -> dict[str, str]:
    """Label → resolved path of every valid scenario: shipped first, then the user's."""
    out: dict[str, str] = {}
    for where, folder in (("shipped", None), ("yours", folders.scenarios)):
        try:
            rows = catalog.entries(folder)
        except InputError:
            continue
        for e in rows:
            if e.valid and folders.allows_scenario(e.path):
                out[f"{'  ' * e.depth}{e.name} ({where})"] = str(e.path)
    return out


def describe(path: Path) -> str:
    """The scenario's card (Markdown): every string from the file goes through `text`/`code`,
    so a name or description holding HTML or script shows as text (messages.text)."""
    s = load_scenario(path)
    chain = " ← ".join(code(p.name) for p in catalog.extends_chain(path))
    lines = [f"### {text(s.name)}", f"*{s.start_year}–{s.end_year}* · file {code(path.name)} · extends: {chain}",
             "", text(s.description or "(no description)"), "",
             f"**Countries:** {text(', '.join(s.country_ids))}  ", f"**Goals:** {text(', '.join(g.id for g in s.goals))}  ",
             f"**Donors:** {len(s.donors)} · **facility:** "
             + (f"{text(s.facility.name)} (strategy {text(s.facility.strategy)}, blended share "
                f"{text(s.facility.blended_share)})" if s.facility else "none")]
    if s.sources:
        lines += ["", "**Sources**", "", "| field | source |", "|---|---|"]
        lines += [f"| {code(k)} | {text(v)} |" for k, v in sorted(s.sources.items())]
    g = s.governance.model_dump()
    lines += ["", "**Assumptions** (governance, capacity building, uncertainty)", ""]
    lines += [text("; ".join(f"{k} = {v}" for k, v in part.items())) + "\n"
              for part in (g, s.capacity.model_dump(), s.uncertainty.model_dump())]
    return "\n".join(lines)


def _facility_input(key: str) -> pn.widgets.Widget:
    """The form's input for facility lever `key` (levers.FACILITY_LEVERS)."""
    label = f"Facility {key.replace('_', ' ')}"
    if key == "strategy":
        return pn.widgets.Select(name=label, options=lv.STRATEGY_NAMES, width=160)
    if key == "coordinated":
        return pn.widgets.Checkbox(name="Facility coordinates with coordinated donors", width=300)
    return pn.widgets.FloatInput(name=label, step=0.5 if key == "start_lag_years" else 0.05, width=160,
                                 css_classes=[f"facility-{key}"])


class ScenariosPage:
    """Browse, then derive a new scenario from the selected one."""

    def __init__(self, folders: Folders, on_saved=None):
        self.folders = folders
        self.on_saved = on_saved
        self.pick = pn.widgets.Select(name="Scenario", options=library(folders), width=340)
        # long source texts and field paths wrap inside the column instead of running under the form
        self.details = pn.pane.Markdown(sizing_mode="stretch_width", stylesheets=[
            "table{table-layout:fixed;width:100%}td,th{overflow-wrap:anywhere}td:first-child{width:40%}"])
        self.name = pn.widgets.TextInput(name="New scenario name (also its file name)", width=340)
        self.desc = pn.widgets.TextAreaInput(name="Description", height=70, width=340)
        self.start = pn.widgets.IntInput(name="Start year", width=110)
        self.end = pn.widgets.IntInput(name="End year", width=110)
        self.fac_inputs = {key: _facility_input(key) for key in lv.FACILITY_LEVERS}
        self.fac_box = pn.Column(pn.pane.Markdown("**Pooled facility** (shares 0-1; payout rate: share of its "
                                                  "reserve paid out a year; start lag in years)"),
                                 pn.Row(*list(self.fac_inputs.values())[:4]), pn.Row(*list(self.fac_inputs.values())[4:]))
        self.donor_box = pn.Column()
        self.donor_inputs: dict[tuple[str, str], pn.widgets.FloatInput] = {}
        self.status = pn.Column(sizing_mode="stretch_width")
        self.preview = pn.pane.Markdown(sizing_mode="stretch_width")
        self.save_btn = pn.widgets.Button(name="Save scenario", button_type="primary", disabled=True)
        self.save_btn.on_click(self._save)
        self.pick.param.watch(lambda e: self._load(), "value")
        for w in (self.name, self.desc):
            w.param.watch(lambda e: self._check(), "value_input")
        for w in (self.start, self.end, *self.fac_inputs.values()):
            w.param.watch(lambda e: self._check(), "value")
        self._text = ""
        self.parent = None
        self.parent_levers: lv.Levers | None = None
        self._loading = False
        self._load()

    def refresh(self, select: str | None = None) -> None:
        opts = library(self.folders)
        self.pick.options = opts
        if select is not None and select in opts.values():
            self.pick.value = select

    @safe
    def _load(self) -> None:
        if not self.pick.value:
            return
        path = Path(self.pick.value)
        if not self.folders.allows_scenario(path):
            raise InputError([Problem("<app>", 1, "scenario", f"'{path.name}' is outside the app's scenarios folder "
                                                              "and the shipped scenarios")])
        self._loading = True
        try:
            self.parent = load_scenario(path)
            self.parent_file = path
            self.details.object = describe(path)
            now = self.parent_levers = lv.levers(self.parent)  # read once per parent: the form compares with it
            self.name.value = self.name.value_input = f"{self.parent.name}-variant"
            self.desc.value = self.desc.value_input = f"A variant of {self.parent.name}."
            self.start.value, self.end.value = now.start_year, now.end_year
            self.fac_box.visible = now.facility is not None
            for key, w in self.fac_inputs.items():
                if now.facility is not None:
                    w.value = now.facility[key]
            self.donor_inputs = {}
            rows = [pn.pane.Markdown("**Donors** (budget in US$ a year; shares of the budget, 0-1)")]
            for did, vals in now.donors.items():
                row = [pn.pane.Markdown(f"`{did}`", width=120)]
                for key in lv.DONOR_LEVERS:
                    w = pn.widgets.FloatInput(name=key.replace("_", " ") if len(rows) == 1 else "", value=vals[key],
                                              step=0.05 if key.endswith("share") else 1e7, width=130,
                                              css_classes=[f"lever-{did}-{key}"])
                    w.param.watch(lambda e: self._check(), "value")
                    self.donor_inputs[(did, key)] = w
                    row.append(w)
                rows.append(pn.Row(*row))
            self.donor_box.objects = rows
        finally:
            self._loading = False
        self._check()

    def _current(self) -> lv.Levers:
        donors: dict[str, dict[str, float]] = {}
        for (did, key), w in self.donor_inputs.items():
            donors.setdefault(did, {})[key] = w.value
        fac = None
        if self.parent is not None and self.parent.facility is not None:
            fac = {key: w.value for key, w in self.fac_inputs.items()}
        return lv.Levers(self.start.value, self.end.value, donors, fac)

    @safe
    def _check(self) -> None:
        if self._loading or self.parent is None:
            return
        self.save_btn.disabled = True
        try:
            name = check_name(self.name.value_input or "", "name")
            target = self.folders.scenario_file(name)
            new = self._current()
            missing = [f"{k}" for k, w in self.donor_inputs.items() if w.value is None]
            unset = {k for k, v in (self.parent_levers.facility or {}).items() if v is None}  # the pooled mix
            blank = [k for k, v in (new.facility or {}).items() if v is None and k not in unset]
            if missing or None in (new.start_year, new.end_year) or blank:
                self.status.objects = [pn.pane.Alert("Every number must be filled in.", alert_type="warning")]
                return
            data = lv.derived_data(self.parent_file, self.parent_levers, new, name, self.desc.value_input or "",
                                   self.folders)
            self._text = lv.to_text(data)
            self._target = target
            self.preview.object = (f"**{text(target.name)}** (saved in the app's scenarios folder)\n\n"
                                   + code_block(self._text, "yaml"))
            _, problems = lv.check(self._text, target)
        except InputError as err:
            problems = err.problems
        if problems:
            self.status.objects = [problems_alert(problems)]
            return
        exists = self._target.exists()
        self.status.objects = [pn.pane.Alert(f"A file {code(self._target.name)} exists already: choose another name."
                                             if exists else "Valid: ready to save.",
                                             alert_type="warning" if exists else "success", css_classes=["check-ok"])]
        self.save_btn.disabled = exists

    @safe
    def _save(self, _event=None) -> None:
        self._check()
        if self.save_btn.disabled:
            return
        path = lv.save(self._text, self._target)
        self.refresh(select=str(path.resolve()))
        self.status.objects = [pn.pane.Alert(f"Saved {code(path.name)} in {code(self.folders.scenarios)}: it is now in the "
                                             "list, and on the Run and compare page.", alert_type="success",
                                             css_classes=["saved"])]
        self.save_btn.disabled = True
        if self.on_saved:
            self.on_saved()

    def view(self) -> pn.viewable.Viewable:
        form = pn.Column("## Make a variant", self.name, self.desc, pn.Row(self.start, self.end),
                         self.fac_box, self.donor_box, self.status, self.save_btn,
                         self.preview, sizing_mode="stretch_width")
        return pn.Row(pn.Column("## Scenarios", self.pick, self.details, width=520), form, sizing_mode="stretch_width")
