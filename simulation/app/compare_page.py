"""Run and compare page: choose scenarios, runs and seed; run in a background process with a
progress bar (cancellable); explore the saved comparison in interactive charts and its table."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import panel as pn

from ..api import ComparisonResult, RunResult, read_results
from ..errors import InputError, Problem
from ..outcomes.metrics import population_paths
from ..report.html import build_report
from . import appraisal_view, charts
from .data_page import outcome_map
from .folders import Folders, check_name
from .jobs import Job
from .messages import code, problems_alert, safe, text
from .scenarios_page import library


class ComparePage:
    def __init__(self, folders: Folders):
        self.folders = folders
        self.job: Job | None = None
        self.folder: Path | None = None
        self.pick = pn.widgets.CheckBoxGroup(name="Scenarios", inline=False, css_classes=["pick-scenarios"])
        self.ref = pn.widgets.Select(name="Reference (others are compared with it)", width=300)
        self.pick.param.watch(lambda e: self._refs(), "value")
        self.runs = pn.widgets.IntInput(name="Runs", value=100, start=2, end=5000, width=110)
        self.seed = pn.widgets.IntInput(name="Seed", value=2030, start=0, end=2**31 - 1, width=130)
        self.out = pn.widgets.TextInput(name="Results folder name", width=260)
        self.run_btn = pn.widgets.Button(name="Run comparison", button_type="primary")
        self.cancel_btn = pn.widgets.Button(name="Cancel", button_type="warning", disabled=True)
        self.progress = pn.indicators.Progress(name="progress", value=0, max=100, width=520, visible=False,
                                               css_classes=["run-progress"])
        self.progress_text = pn.pane.Markdown("", css_classes=["progress-text"])
        self.status = pn.Column(sizing_mode="stretch_width")
        self.opened = pn.widgets.Select(name="Or open a saved comparison", width=360)
        self.open_btn = pn.widgets.Button(name="Open")
        self.results = pn.Column(sizing_mode="stretch_width")
        self.run_btn.on_click(self._run)
        self.cancel_btn.on_click(self._cancel)
        self.open_btn.on_click(self._open_selected)
        self._cb = None
        self.refresh()

    def refresh(self) -> None:
        opts = {k.strip(): v for k, v in library(self.folders).items()}
        keep = [v for v in self.pick.value if v in opts.values()]
        self.pick.options = opts
        self.pick.value = keep
        self._refs()
        self.opened.options = [""] + self.folders.result_folders("compare")
        if not self.out.value:
            self.out.value = time.strftime("compare-%Y%m%d-%H%M%S")

    def _refs(self) -> None:
        names = {v: k.rsplit(" (", 1)[0] for k, v in self.pick.options.items()}
        chosen = {names[v]: v for v in self.pick.value if v in names}
        keep = self.ref.value if self.ref.value in chosen.values() else None
        self.ref.options = chosen
        self.ref.value = keep or next(iter(chosen.values()), None)

    @safe
    def _run(self, _event=None) -> None:
        if self.job is not None and self.job.state == "running":
            raise InputError([Problem("<app>", 1, "run", "a comparison is already running on this page")])
        files = sorted(self.pick.value, key=lambda f: f != self.ref.value)  # the reference first
        if len(files) < 2:
            raise InputError([Problem("<app>", 1, "scenarios", "choose at least two scenarios (the first is the "
                                                               "reference)")])
        known = set(library(self.folders).values())
        if any(f not in known for f in files):
            raise InputError([Problem("<app>", 1, "scenarios", "a chosen scenario is no longer in the library")])
        runs, seed = self.runs.value, self.seed.value
        if runs is None or not 2 <= runs <= 5000:
            raise InputError([Problem("<app>", 1, "runs", f"got {runs} (allowed: 2 to 5000)")])
        if seed is None or seed < 0:
            raise InputError([Problem("<app>", 1, "seed", f"got {seed} (allowed: 0 or more)")])
        out = self.folders.result_folder(check_name(self.out.value, "results folder"))
        if out.exists():
            raise InputError([Problem(str(out), 1, "results folder", "exists already (choose another name; "
                                                                      "a results folder is never replaced)")])
        self.job = Job(files, runs, seed, out).start()
        self.status.objects = []
        self.progress.visible = True
        self.progress.value = 0
        self.run_btn.disabled, self.cancel_btn.disabled = True, False
        self._cb = pn.state.add_periodic_callback(self._poll, period=250)
        self._poll()

    @safe
    def _poll(self) -> None:
        job = self.job
        if job is None:
            return
        state = job.poll()
        self.progress.value = int(round(100 * job.fraction))
        self.progress_text.object = f"{job.done_runs} of {job.total} runs · {job.stage}"
        if state == "running":
            return
        self._stop_polling()
        self.run_btn.disabled, self.cancel_btn.disabled = False, True
        if state == "done":
            self.progress_text.object = f"Done: {job.total} runs, saved in {code(job.out)}"
            self.out.value = time.strftime("compare-%Y%m%d-%H%M%S")
            self.refresh()
            self.open(job.out)
        elif state == "cancelled":
            self.progress.visible = False
            self.progress_text.object = "Cancelled: nothing was written."
        else:
            self.progress.visible = False
            self.status.objects = [problems_alert(job.problems)]

    def _stop_polling(self) -> None:
        if self._cb is not None:
            self._cb.stop()
            self._cb = None

    @safe
    def _cancel(self, _event=None) -> None:
        if self.job is not None:
            self.job.cancel()
        self._poll()

    @safe
    def _open_selected(self, _event=None) -> None:
        if self.opened.value:
            self.open(self.folders.existing_result(self.opened.value))

    @safe
    def open(self, folder: Path) -> None:
        folder = self.folders.confined_results(folder)
        c = read_results(folder)
        if not isinstance(c, ComparisonResult):
            raise InputError([Problem(str(folder), 1, "kind", "not a comparison folder")])
        self.folder, self.cmp = folder, c
        self.scores = {n: _with_population(r) for n, r in c.runs.items()}
        self.flows = {n: r.flows for n, r in c.runs.items()}
        self.indicators = {n: _indicators(r) for n, r in c.runs.items()}
        countries = sorted(set().union(*(set(s["country"].unique()) for s in self.scores.values())))
        goals = sorted(set().union(*(set(s["goal"].unique()) for s in self.scores.values())))
        inds = sorted(set().union(*(set(d["indicator"].unique()) for d in self.indicators.values() if d is not None)))
        self.countries = pn.widgets.MultiChoice(name="Countries (none: all)", options=countries, width=360)
        self.groups = dict(c.runs[c.reference].scenario.groups)
        self.group = pn.widgets.Select(name="Country group (its countries, and its rows)", width=260,
                                       options=["", *self.groups], visible=bool(self.groups))
        self.goal = pn.widgets.Select(name="Goal", options=["all goals", *goals], width=150)
        outcomes = sorted(c.table["outcome"].unique())
        self.outcome = pn.widgets.Select(name="Outcome", options=outcomes, width=200,
                                         value="sdg_index_end" if "sdg_index_end" in outcomes else outcomes[0])
        self.indicator = pn.widgets.Select(name="People: indicator", options=inds, width=200, visible=bool(inds))
        self.flow_of = pn.widgets.Select(name="Money flows of", options=list(self.flows), width=220)
        self.report_btn = pn.widgets.Button(name="Save HTML report", button_type="success")
        self.report_btn.on_click(self._report)
        self.report_out = pn.Column()
        widgets = [self.countries, self.group, self.goal, self.outcome, self.indicator, self.flow_of]
        charts_view = pn.bind(self._charts, *[w.param.value for w in widgets])
        table = c.table.copy()
        table = table[[col for col in table.columns if col not in ("reference", "interval")]]
        self.results.objects = [
            pn.pane.Markdown(f"## Comparison {code(folder.relative_to(self.folders.results))} · reference "
                             f"**{text(c.reference)}** · {text(', '.join(c.runs))}"),
            pn.FlexBox(*widgets), pn.panel(charts_view, sizing_mode="stretch_width"),
            pn.pane.Markdown("### Comparison table"),
            pn.widgets.Tabulator(table, pagination="local", page_size=15, disabled=True, header_filters=True,
                                 sizing_mode="stretch_width", show_index=False),
            *_attribution_panes(c),
            *appraisal_view.comparison_panes(folder), *self._slide(),
            pn.Row(self.report_btn, self.report_out)]

    def _slide(self) -> list:
        """The comparison's slide (people per option and group, and the money), as in the report."""
        try:
            fig = self.cmp.slide()
        except Exception as err:  # a slide that cannot be drawn is a message, not a traceback
            return [pn.pane.Alert(f"Could not draw the slide: {text(type(err).__name__)}: {text(err)}",
                                  alert_type="warning")]
        return [pn.pane.Markdown("### The slide (people by the horizon, deaths averted over it, money)"),
                pn.pane.Matplotlib(fig, dpi=110, tight=True, sizing_mode="stretch_width")]

    def _charts(self, countries, group, goal, outcome, indicator, flow_of):
        try:
            goal = None if goal == "all goals" else goal
            rows = list(countries or [])
            if group:  # a group: its countries in the charts, its own rows in the differences
                countries = self.groups.get(group, [])
                rows = [f"group:{group}"]
            figs = [charts.fan_chart(self.scores, countries, goal), charts.differences(self.cmp.table, outcome, rows)]
            if indicator:
                figs.append(charts.people_chart(self.indicators, indicator, countries))
            figs += [charts.sankey(self.flows.get(flow_of), countries, flow_of),
                     charts.gains_by_country(self.scores, self.cmp.reference, countries)]
            shown = [pn.pane.Bokeh(f, sizing_mode="stretch_width") for f in figs if f is not None]
            world = outcome_map(self.cmp.table, outcome, self.cmp.reference)
            if world is not None:
                shown.insert(2, world)
            return pn.Column(*shown, sizing_mode="stretch_width", css_classes=["charts"])
        except Exception as err:  # a chart that cannot be drawn is a message, not a traceback
            return pn.pane.Alert(f"Could not draw the charts: {text(type(err).__name__)}: {text(err)}",
                                 alert_type="danger")

    @safe
    def _report(self, _event=None) -> None:
        path = build_report(self.folder)
        self.report_out.objects = [
            pn.pane.Markdown(f"Saved {code(path)}", css_classes=["report-saved"]),
            pn.widgets.FileDownload(file=str(path), filename=f"{self.folder.name}-report.html",
                                    label="Download report.html")]

    def view(self) -> pn.viewable.Viewable:
        return pn.Column(
            "## Run and compare", pn.pane.Markdown("**Scenarios** (choose two or more)"), self.pick, self.ref,
            pn.Row(self.runs, self.seed, self.out),
            pn.Row(self.run_btn, self.cancel_btn), self.progress, self.progress_text, self.status,
            pn.Row(self.opened, self.open_btn), self.results, sizing_mode="stretch_width")


def _attribution_panes(c: ComparisonResult) -> list:
    """Who gains and who loses (attribution.csv) with the shift warnings, when the folder has them."""
    att = c.attribution
    if att is None or not len(att):
        return []
    shown = att[[col for col in att.columns if col != "reference"]]
    return [pn.pane.Markdown("### Who gains and who loses (option − reference, by country, group and funder)"),
            *[pn.pane.Alert(text(w), alert_type="warning") for w in c.shifts],
            pn.widgets.Tabulator(shown, pagination="local", page_size=15, disabled=True, header_filters=True,
                                 sizing_mode="stretch_width", show_index=False)]


def _indicators(run: RunResult) -> pd.DataFrame | None:
    """The people-based indicator frame of one run, where the scenario has indicators."""
    df = run.indicators
    return df if not df.empty and "people" in df.columns else None


def _with_population(run: RunResult) -> pd.DataFrame:
    """A run's scores with each country's population that year (`population`), so that the
    charts average over countries as the outcome registry does: weighted by population."""
    sc = run.scenario
    pop = pd.DataFrame(population_paths(sc), index=pd.Index(sc.years, name="year"),
                       columns=pd.Index(sc.country_ids, name="country")).stack().rename("population").reset_index()
    return run.scores.merge(pop, on=["year", "country"], how="left")
