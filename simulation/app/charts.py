"""Interactive charts (Bokeh: hover, zoom, legend toggles) of a comparison read back from disk.

Every function takes the tidy frames of a results folder and the page's selection (countries,
goal, outcome, indicator) and returns one Bokeh figure, or None when there is nothing to draw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from bokeh.models import ColumnDataSource, HoverTool, Whisker
from bokeh.plotting import figure

from ..analysis.decisions import LEVEL

PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#7a5195", "#4d4d4d", "#c9a227", "#17becf"]
TOOLS = "pan,wheel_zoom,box_zoom,reset,save"


def new_figure(title: str, **kw) -> figure:
    """A Bokeh figure in the app's style (stretches to its column, no logo)."""
    f = figure(title=title, height=kw.pop("height", 340), sizing_mode="stretch_width", tools=kw.pop("tools", TOOLS),
               **kw)
    f.toolbar.logo = None
    return f


def _select(df: pd.DataFrame, countries: list[str] | None, goal: str | None = None) -> pd.DataFrame:
    if countries:
        df = df[df["country"].isin(countries)]
    if goal and "goal" in df.columns:
        df = df[df["goal"] == goal]
    return df


def _band(per_run: pd.DataFrame) -> pd.DataFrame:
    """runs × years → year, p5, median, p95."""
    q = np.percentile(per_run.to_numpy(dtype=float), [5, 50, 95], axis=0)
    return pd.DataFrame({"year": per_run.columns.to_numpy(), "p5": q[0], "median": q[1], "p95": q[2]})


def _fan(frames: dict[str, pd.DataFrame], value: str, agg: str, title: str, ylabel: str):
    f = new_figure(title, x_axis_label="year", y_axis_label=ylabel)
    drawn = False
    for i, (name, df) in enumerate(frames.items()):
        if df.empty:
            continue
        if agg == "mean" and "population" in df.columns:  # over countries weighted by population (the registry's)
            sums = df.assign(w=df[value] * df["population"]).groupby(["run", "year"])[["w", "population"]].sum()
            per_run = (sums["w"] / sums["population"]).unstack("year")
        else:
            per_run = df.groupby(["run", "year"])[value].agg(agg).unstack("year")
        src = ColumnDataSource(_band(per_run).assign(scenario=name))
        color = PALETTE[i % len(PALETTE)]
        f.varea("year", "p5", "p95", source=src, color=color, alpha=0.15, legend_label=name)
        line = f.line("year", "median", source=src, color=color, line_width=2, legend_label=name)
        f.add_tools(HoverTool(renderers=[line], tooltips=[("scenario", "@scenario"), ("year", "@year"),
                                                          ("median", "@median{0,0.00}"),
                                                          ("90% band", "@p5{0,0.00} to @p95{0,0.00}")]))
        drawn = True
    if not drawn:
        return None
    f.legend.click_policy = "hide"
    f.legend.location = "top_left"
    return f


def fan_chart(scores: dict[str, pd.DataFrame], countries=None, goal=None):
    """Goal scores averaged over the selection per run and year (countries weighted by population when
    the frames have a `population` column, as the outcome registry's all-countries values are):
    median and 90 % band per scenario."""
    frames = {n: _select(df, countries, goal) for n, df in scores.items()}
    what = f"score of {goal}" if goal else "SDG index"
    return _fan(frames, "score", "mean", f"{what} over time (population-weighted over the selected countries): "
                "median and 90% band over runs", f"{what}, population-weighted (0-100)")


def people_chart(indicators: dict[str, pd.DataFrame], indicator: str, countries=None):
    """People counted by one indicator (summed over the selected countries): median and 90 % band."""
    frames = {n: _select(df[df["indicator"] == indicator], countries) for n, df in indicators.items()
              if df is not None and "people" in df.columns}
    return _fan(frames, "people", "sum", f"People: {indicator}, summed over the selected countries", "people")


def differences(table: pd.DataFrame, outcome: str, countries=None):
    """Paired difference to the reference with its interval (the comparison's, at `decisions.LEVEL`), per
    scenario and country."""
    t = table[(table["outcome"] == outcome) & (table["goal"].isin(["-", "ALL", ""]) | table["goal"].isna())]
    t = t[t["scenario"] != t["reference"]]
    keep = ["ALL", *(countries or [])] if countries else None
    if keep is not None:
        t = t[t["country"].isin(keep)]
    t = t.dropna(subset=["diff_mean"])
    if t.empty:
        return None
    labels = [f"{s} · {c}" for s, c in zip(t["scenario"], t["country"])]
    src = ColumnDataSource(dict(label=labels, mean=t["diff_mean"], low=t["diff_ci_low"], high=t["diff_ci_high"],
                                p=t["p_superior"], scenario=t["scenario"], country=t["country"],
                                color=[PALETTE[(i + 1) % len(PALETTE)] for i in
                                       pd.factorize(t["scenario"])[0]]))
    f = new_figure(f"{outcome}: difference to the reference, {LEVEL:.0%} interval", y_range=labels[::-1],
             height=max(220, 28 * len(labels) + 80), x_axis_label=f"difference in {outcome}",
             y_axis_label="scenario · country")
    r = f.scatter("mean", "label", source=src, size=9, color="color")
    f.add_layout(Whisker(source=src, base="label", lower="low", upper="high", dimension="width", line_color="#555"))
    f.ray(x=[0], y=[0], length=0, angle=np.pi / 2, line_color="#999", line_dash="dashed")
    f.add_tools(HoverTool(renderers=[r], tooltips=[("scenario", "@scenario"), ("country", "@country"),
                                                   ("difference", "@mean{0,0.000}"),
                                                   (f"{LEVEL:.0%} interval", "@low{0,0.000} to @high{0,0.000}"),
                                                   ("P(better)", "@p{0.00}")]))
    return f


def gains_by_country(scores: dict[str, pd.DataFrame], reference: str, countries=None):
    """Mean SDG-index gain over the horizon (end minus start) per country and scenario."""
    rows = []
    for name, df in scores.items():
        df = _select(df, countries)
        if df.empty:
            continue
        first, last = df["year"].min(), df["year"].max()
        idx = df[df["year"].isin([first, last])].groupby(["country", "year"])["score"].mean().unstack("year")
        rows += [dict(scenario=name, country=c, gain=float(v[last] - v[first])) for c, v in idx.iterrows()]
    if not rows:
        return None
    d = pd.DataFrame(rows)
    names = list(dict.fromkeys(d["scenario"]))
    d["x"] = list(zip(d["country"], d["scenario"]))
    d["color"] = [PALETTE[names.index(s) % len(PALETTE)] for s in d["scenario"]]
    from bokeh.models import FactorRange

    f = new_figure(f"SDG-index gain over the horizon by country (reference: {reference})",
             x_range=FactorRange(*sorted(d["x"], key=lambda t: (t[0], names.index(t[1])))),
             x_axis_label="country and scenario", y_axis_label="SDG-index gain (points)")
    r = f.vbar(x="x", top="gain", width=0.85, source=ColumnDataSource(d), color="color")
    f.xaxis.major_label_orientation = 1.0
    f.add_tools(HoverTool(renderers=[r], tooltips=[("scenario", "@scenario"), ("country", "@country"),
                                                   ("gain", "@gain{0.00} points")]))
    return f


def _ribbon(x0, x1, y0a, y0b, y1a, y1b, n=24):
    """Polygon of a band from [y0a, y0b] at x0 to [y1a, y1b] at x1 (smooth cubic)."""
    t = np.linspace(0, 1, n)
    s = 3 * t**2 - 2 * t**3
    xs = x0 + (x1 - x0) * t
    top = y0a + (y1a - y0a) * s
    bot = y0b + (y1b - y0b) * s
    return list(np.concatenate([xs, xs[::-1]])), list(np.concatenate([top, bot[::-1]]))


def sankey(flows: pd.DataFrame | None, countries=None, scenario: str = "", domestic: bool = False):
    """Money from each source to each goal (mean per run, summed over the years): a Sankey diagram.
    Domestic budgets dwarf the rest, so they are left out unless `domestic`."""
    if flows is None or flows.empty:
        return None
    df = flows if not countries else flows[flows["recipient"].isin(countries)]
    if not domestic:
        df = df[df["source"] != "domestic"]
    # full flows have a run column; yearly flows are sums over `runs` replications
    runs = max(1, df["run"].nunique() if "run" in df.columns else int(df["runs"].max()))
    m = df.groupby(["source", "goal"], observed=True)["amount_usd"].sum().div(runs)
    m = m[m > 0]
    if m.empty:
        return None
    total = float(m.sum())
    gap = total * 0.02
    src_tot = m.groupby(level=0).sum().sort_values(ascending=False)
    goal_tot = m.groupby(level=1).sum().sort_index()
    f = new_figure(f"Money flows {scenario}: source → goal (mean per run, US$, all years)", height=460,
             x_range=(-0.35, 1.35), tools="hover,pan,wheel_zoom,reset,save")
    f.xaxis.visible = f.yaxis.visible = False
    f.xgrid.visible = f.ygrid.visible = False

    def positions(tot):
        pos, y = {}, 0.0
        for k, v in tot.items():
            pos[k] = [y, y]  # top, running offset
            y -= v + gap
        return pos

    sp, gp = positions(src_tot), positions(goal_tot)
    xs, ys, names, colors = [], [], [], []
    for i, s in enumerate(src_tot.index):
        for g in goal_tot.index:
            if (s, g) not in m.index:
                continue
            v = float(m[(s, g)])
            a0, a1 = sp[s][1], gp[g][1]
            x, y = _ribbon(0.05, 0.95, a0, a0 - v, a1, a1 - v)
            sp[s][1] -= v
            gp[g][1] -= v
            xs.append(x)
            ys.append(y)
            names.append((s, g, v))
            colors.append(PALETTE[i % len(PALETTE)])
    src = ColumnDataSource(dict(xs=xs, ys=ys, source=[n[0] for n in names], goal=[n[1] for n in names],
                                amount=[n[2] for n in names], color=colors))
    f.patches("xs", "ys", source=src, color="color", alpha=0.45, line_color="white", line_width=0.3,
              hover_alpha=0.8)
    hover = f.select_one(HoverTool)
    hover.tooltips = [("from", "@source"), ("to", "@goal"), ("amount", "@amount{$0,0}")]
    for k, (top, _) in sp.items():
        f.quad(left=0.0, right=0.05, top=top, bottom=top - src_tot[k], color="#333")
        f.text(x=[-0.01], y=[top - src_tot[k] / 2], text=[k], text_align="right", text_baseline="middle",
               text_font_size="9pt")
    for k, (top, _) in gp.items():
        f.quad(left=0.95, right=1.0, top=top, bottom=top - goal_tot[k], color="#333")
        f.text(x=[1.01], y=[top - goal_tot[k] / 2], text=[k], text_baseline="middle", text_font_size="9pt")
    return f
