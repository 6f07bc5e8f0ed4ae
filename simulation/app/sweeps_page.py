"""Sweeps page: open a sweep folder (sensitivity indices, outcome-versus-parameter plots,
robustness and regret, discovery boxes) or a search folder (its Pareto set)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool

from ..api import analyze, read_sweep
from ..errors import InputError, Problem
from ..report import sweep_html
from ..report.page_parts import CSS
from .appraisal_view import sweep_panes
from .charts import PALETTE, new_figure
from .folders import Folders
from .messages import code, safe, text


def _table(df: pd.DataFrame) -> pn.widgets.Tabulator:
    return pn.widgets.Tabulator(df.reset_index(drop=True), pagination="local", page_size=12, disabled=True,
                                show_index=False, sizing_mode="stretch_width")


def scatter(runs: pd.DataFrame, parameter: str, outcome: str):
    """Outcome against one parameter, one colour per policy."""
    f = new_figure(f"{outcome} against {parameter}", x_axis_label=parameter, y_axis_label=outcome)
    for i, (pol, t) in enumerate(runs.groupby("policy", sort=False)):
        r = f.scatter(parameter, outcome, source=ColumnDataSource(t[[parameter, outcome, "point"]].assign(policy=pol)),
                      color=PALETTE[i % len(PALETTE)], alpha=0.6, size=6, legend_label=str(pol))
        f.add_tools(HoverTool(renderers=[r], tooltips=[("policy", "@policy"), ("point", "@point"),
                                                       (parameter, f"@{{{parameter}}}"), (outcome, f"@{{{outcome}}}")]))
    f.legend.click_policy = "hide"
    return f


def index_bars(frame: pd.DataFrame, outcome: str, value: str):
    """One sensitivity index per parameter (Sobol' ST or Morris mu*) as bars: with several policies
    the mean over them (their "B − A" differences left out), one bar per parameter (a parameter
    twice on the axis is an error in the browser, and the whole page update failed with it)."""
    t = frame[frame["outcome"] == outcome]
    several = "policy" in t.columns and t.policy.nunique() > 1
    if "policy" in t.columns:
        t = t[~t.policy.astype(str).str.contains(" − ")]
    t = t.groupby("parameter", as_index=False)[value].mean().sort_values(value)
    if t.empty:
        return None
    f = new_figure(f"{value} per parameter for {outcome}" + (" (mean over policies)" if several else ""),
                   y_range=list(t["parameter"]), height=60 + 26 * len(t))
    r = f.hbar(y="parameter", right=value, height=0.7, source=ColumnDataSource(t), color=PALETTE[0])
    f.add_tools(HoverTool(renderers=[r], tooltips=[("parameter", "@parameter"), (value, f"@{{{value}}}{{0.000}}")]))
    return f


class SweepsPage:
    def __init__(self, folders: Folders):
        self.folders = folders
        self.pick = pn.widgets.Select(name="Sweep or search folder", width=420)
        self.open_btn = pn.widgets.Button(name="Open", button_type="primary")
        self.open_btn.on_click(self._open)
        self.status = pn.Column(sizing_mode="stretch_width")
        self.body = pn.Column(sizing_mode="stretch_width")
        self.refresh()

    def refresh(self) -> None:
        self.pick.options = [""] + self.folders.result_folders("sweep") + self.folders.result_folders("search")

    @safe
    def _open(self, _event=None) -> None:
        self.status.objects = []
        if not self.pick.value:
            raise InputError([Problem("<app>", 1, "folder", "choose a sweep or search folder")])
        folder = self.folders.existing_result(self.pick.value)
        kind = json.loads((folder / "manifest.json").read_text()).get("kind")
        self.body.objects = self._search(folder) if kind == "search" else self._sweep(folder)

    def _sweep(self, folder: Path) -> list:
        runs = read_sweep(folder)
        ok = runs.runs[runs.runs["status"] == "ok"]
        params = [c for c in runs.design.columns if c != "point" and not c.startswith("u:")]
        outcomes = [o for o in runs.manifest.get("outcomes", []) if o in ok.columns]
        out = [pn.pane.Markdown(f"## Sweep {code(folder.relative_to(self.folders.results))} · {len(ok)} runs"
                                + ("" if runs.complete else " (incomplete)"))]
        frames = saved_analysis(folder)
        if frames is not None:  # `sdgsim analyze` wrote it after the last run: read, not recomputed
            said = "From the saved analysis (`sdgsim analyze`)."
        else:
            frames = analyze(runs).frames
            said = "Analysed now, in memory (`sdgsim analyze DIR` saves the tables and plots)."
        lead = sweep_html.headline(frames)
        out += [pn.pane.Markdown(said),
                pn.pane.HTML((f"<div class=headline>{''.join(lead)}</div>" if lead else "")
                             + "".join(sweep_html.contrasts_table(frames)), stylesheets=[CSS],
                             sizing_mode="stretch_width")]
        if params and outcomes:
            p = pn.widgets.Select(name="Parameter", options=params, width=260)
            o = pn.widgets.Select(name="Outcome", options=outcomes, width=220)
            out += [pn.Row(p, o), pn.bind(lambda pv, ov: pn.pane.Bokeh(scatter(ok, pv, ov),
                                                                       sizing_mode="stretch_width"), p, o)]
            for key, value in (("sobol", "ST"), ("morris", "mu_star")):
                frame = frames.get(key)
                if frame is not None and not frame.empty and value in frame.columns:
                    out.append(pn.bind(lambda ov, fr=frame, v=value: _maybe(index_bars(fr, ov, v)), o))
        for key, frame in frames.items():
            if frame is not None and not frame.empty:
                out += [pn.pane.Markdown(f"### {text(key)}"), _table(frame)]
        for js in sorted((folder / "discovery").glob("*.json")):
            if js.is_symlink() or not js.is_file():
                continue
            try:
                found = json.loads(js.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            out += [pn.pane.Markdown(f"### Discovery boxes: {code(js.name)}"), pn.pane.JSON(found, depth=3)]
        return out + sweep_panes(folder)

    def _search(self, folder: Path) -> list:
        out = [pn.pane.Markdown(f"## Search {code(folder.relative_to(self.folders.results))}")]
        pareto = folder / "pareto.csv"
        if not pareto.is_file():
            return out + [pn.pane.Alert("No Pareto set yet (pareto.csv is missing).", alert_type="warning")]
        df = pd.read_csv(pareto)
        num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
        if len(num) >= 2:
            x = pn.widgets.Select(name="x", options=num, value=num[-2], width=220)
            y = pn.widgets.Select(name="y", options=num, value=num[-1], width=220)

            def plot(xv, yv):
                f = new_figure(f"Pareto set: {yv} against {xv}", x_axis_label=xv, y_axis_label=yv)
                r = f.scatter(xv, yv, source=ColumnDataSource(df), size=8, color=PALETTE[1])
                f.add_tools(HoverTool(renderers=[r], tooltips=[(c, f"@{{{c}}}") for c in df.columns[:8]]))
                return pn.pane.Bokeh(f, sizing_mode="stretch_width")
            out += [pn.Row(x, y), pn.bind(plot, x, y)]
        return out + [pn.pane.Markdown("### Pareto set"), _table(df)]

    def view(self) -> pn.viewable.Viewable:
        return pn.Column("## Sweeps and searches", pn.Row(self.pick, self.open_btn), self.status, self.body,
                         sizing_mode="stretch_width")


def _maybe(fig):
    return pn.pane.Bokeh(fig, sizing_mode="stretch_width") if fig is not None else pn.pane.Markdown("")


def saved_analysis(folder: Path) -> dict[str, pd.DataFrame] | None:
    """The tables `sdgsim analyze` saved for `folder` (by name: sobol, robustness, ...;
    `report.sweep_html.read_tables`), or None when there is no analysis or a run was written after
    it (a resumed sweep: the saved one is stale)."""
    index = folder / "analysis.json"
    if not index.is_file():
        return None
    parts = [p.stat().st_mtime for p in (folder / "runs").glob("part-*.parquet")]
    if parts and max(parts) > index.stat().st_mtime:
        return None
    try:
        listed = json.loads(index.read_text(encoding="utf-8"))
        frames = {path.stem: df for _, path, df in sweep_html.read_tables(folder, listed)} \
            if isinstance(listed, dict) else {}
    except (OSError, ValueError):  # unreadable (pandas' ParserError is a ValueError): analyse again
        return None
    return frames or None
