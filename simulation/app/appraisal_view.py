"""The app's appraisal views, beside the comparison and sweep pages: the cost-effectiveness plane
and the acceptability curve of a comparison's `appraisal/` folder (`sdgsim appraise`), and the
value-of-information ranking of a sweep's voi.csv (`sdgsim voi`). Read from disk; nothing computed."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import panel as pn
from bokeh.models import ColumnDataSource, HoverTool

from .charts import PALETTE, new_figure
from .messages import code, text


def plane(per_run: pd.DataFrame, reference: str, unit: str):
    """Paired runs' incremental effect and cost against the reference, one colour per option, and the means."""
    f = new_figure(f"Cost-effectiveness plane against {reference}", x_axis_label=f"incremental effect ({unit})",
                   y_axis_label="incremental cost (US$)")
    for i, (name, g) in enumerate(per_run[per_run.option != reference].groupby("option", sort=False)):
        c = PALETTE[i % len(PALETTE)]
        r = f.scatter("d_effect", "d_cost", source=ColumnDataSource(g), color=c, alpha=0.4, size=5, legend_label=name)
        f.scatter([g.d_effect.mean()], [g.d_cost.mean()], color=c, size=14, marker="x", line_width=3)
        f.add_tools(HoverTool(renderers=[r], tooltips=[("option", "@option"), ("run", "@run"),
                                                       ("Δ effect", "@d_effect{0,0}"), ("Δ cost", "@d_cost{$0.00 a}")]))
    f.legend.click_policy = "hide"
    return f


def acceptability(curve: pd.DataFrame, unit: str):
    """P(highest net benefit) of each option over the willingness to pay."""
    f = new_figure("Cost-effectiveness acceptability curve", x_axis_label=f"willingness to pay (US$ per {unit})",
                   y_axis_label="P(highest net benefit)", y_range=(-0.02, 1.02))
    for i, (name, g) in enumerate(curve.groupby("option", sort=False)):
        f.line("wtp", "probability", source=ColumnDataSource(g), color=PALETTE[i % len(PALETTE)], line_width=2,
               legend_label=name)
    f.legend.click_policy = "hide"
    return f


def voi_bars(table: pd.DataFrame, unit: str):
    """EVPPI per parameter and group, ranked; the EVPI is the first row's value (in the title)."""
    rest = table.iloc[1:][::-1]
    f = new_figure(f"Value of information ({unit}); EVPI {table.evppi.iloc[0]:,.4g}", y_range=list(rest.parameter),
                   height=60 + 26 * len(rest), x_axis_label=f"EVPPI ({unit})")
    r = f.hbar(y="parameter", right="evppi", height=0.7, source=ColumnDataSource(rest), color=PALETTE[0])
    f.add_tools(HoverTool(renderers=[r], tooltips=[("parameter", "@parameter"), ("EVPPI", "@evppi{0,0.[00]}"),
                                                   ("SE", "@se{0,0.[00]}")]))
    return f


def comparison_panes(folder: Path) -> list:
    """The plane, the curve and the CE table of `folder/appraisal`, if `sdgsim appraise` wrote one."""
    ap = folder / "appraisal"
    if not (ap / "manifest.json").is_file():
        return [pn.pane.Markdown(f"*No appraisal yet:* {code('sdgsim appraise ' + folder.name)} *adds the "
                                 "cost-effectiveness plane and acceptability curve here.*")]
    man = json.loads((ap / "manifest.json").read_text())
    unit = man.get("unit", "")
    out = [pn.pane.Markdown(f"### Cost-effectiveness: {text(man.get('outcome', ''))}"),
           pn.pane.Str(str(man.get("summary", "")))]  # plain text: a manifest's words never become markup
    if (ap / "runs.csv").is_file():
        out.append(pn.pane.Bokeh(plane(pd.read_csv(ap / "runs.csv"), man.get("reference", ""), unit),
                                 sizing_mode="stretch_width"))
    if (ap / "ceac.csv").is_file():
        out.append(pn.pane.Bokeh(acceptability(pd.read_csv(ap / "ceac.csv"), unit), sizing_mode="stretch_width"))
    return out


def sweep_panes(folder: Path) -> list:
    """The value-of-information ranking of `folder/voi.csv`, if `sdgsim voi` wrote one."""
    meta = folder / "voi.json"
    if not meta.is_file():
        return []
    m = json.loads(meta.read_text())
    table = pd.read_csv(folder / m.get("table", "voi.csv"))
    return [pn.pane.Markdown(f"### Value of information: {text(m.get('outcome', ''))}"),
            pn.pane.Str(str(m.get("summary", ""))),
            pn.pane.Bokeh(voi_bars(table, m.get("unit", "")), sizing_mode="stretch_width")]
