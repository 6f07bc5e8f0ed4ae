"""Plots of results folders (matplotlib, off-screen figures), saved as PNG and SVG.

Every function takes what a results folder's tables reduce to (`aggregates.py`: the SDG
index per run and year, gains per country and goal, adoption per technology and year,
flows summed over runs; so `sdgsim report DIR` can rebuild them from disk in bounded
memory), draws one figure, saves `<dir>/<stem>.png` and `.svg`, and returns a `Figure`
record with a title and caption for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

from .figures import axes_or_new, money_axis, stable_color, subplots
from .figures import save as _save_files

PALETTE = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a48", "#7a5195", "#4d4d4d", "#c9a227", "#17becf"]


@dataclass
class Figure:
    stem: str
    title: str
    caption: str


def _save(fig, out: Path, stem: str) -> None:
    _save_files(fig, out, stem)


def draw_fan_chart(ax, index: dict[str, pd.DataFrame]):
    """Draw the overall SDG index over time per scenario (median, 50 % and 90 % bands over runs)
    on `ax` (new axes if None); index: name → runs × years SDG index (`aggregates.index_per_run`).
    Returns the axes."""
    ax = axes_or_new(ax)
    for i, (name, per_run) in enumerate(index.items()):
        years = per_run.columns.to_numpy()
        q = np.percentile(per_run.to_numpy(), [5, 25, 50, 75, 95], axis=0)
        color = stable_color(name)
        ax.fill_between(years, q[0], q[4], color=color, alpha=0.12, linewidth=0)
        ax.fill_between(years, q[1], q[3], color=color, alpha=0.28, linewidth=0)
        ax.plot(years, q[2], color=color, linewidth=2, label=name)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("SDG index, population-weighted (0-100)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title("SDG index over time: median, 50% and 90% bands over runs")
    return ax


def draw_difference_fan(ax, index: dict[str, pd.DataFrame], reference: str):
    """Paired difference of each scenario's SDG index (runs × years) to the reference's in the
    same run, over time (median, 50 % and 90 % bands over runs). Returns the axes."""
    ax = axes_or_new(ax)
    ref = index[reference]
    for name, d in index.items():
        if name == reference:
            continue
        years = [y for y in d.columns if y in ref.columns]
        runs = d.index.intersection(ref.index)
        diff = d.loc[runs, years].to_numpy() - ref.loc[runs, years].to_numpy()
        q = np.percentile(diff, [5, 25, 50, 75, 95], axis=0)
        color = stable_color(name)
        ax.fill_between(years, q[0], q[4], color=color, alpha=0.12, linewidth=0)
        ax.fill_between(years, q[1], q[3], color=color, alpha=0.28, linewidth=0)
        ax.plot(years, q[2], color=color, linewidth=2, label=f"{name} − {reference}")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"SDG index difference to {reference} (points)")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title(f"Difference to {reference} in the same run: median, 50% and 90% bands")
    return ax


def difference_fan(index: dict[str, pd.DataFrame], reference: str, out: Path) -> Figure | None:
    """Paired SDG-index difference to the reference over time (levels overlap; differences do not)."""
    if len(index) < 2 or reference not in index:
        return None
    fig, ax = subplots(figsize=(8, 4.5))
    draw_difference_fan(ax, index, reference)
    _save(fig, out, "difference_fan")
    return Figure("difference_fan", "Difference to the reference over time",
                  f"Each scenario's SDG index (population-weighted over countries, as sdg_index_end) minus "
                  f"{reference}'s "
                  "in the same replication (common random numbers). Line: median over runs; bands: 50 % and 90 %. "
                  "The level fan chart above overlaps into one line when differences are small; this one does not.")


def fan_chart(index: dict[str, pd.DataFrame], out: Path) -> Figure:
    """Overall SDG index (runs × years per scenario) over time: median and 50 % / 90 % bands over runs."""
    fig, ax = subplots(figsize=(8, 4.5))
    draw_fan_chart(ax, index)
    _save(fig, out, "fan_chart")
    return Figure("fan_chart", "SDG index over time",
                  "SDG index of all countries, population-weighted (the outcome sdg_index_end's all-countries "
                  "value in each year). Line: median over runs; dark band: 50 %; light band: 90 %.")


def difference_bars(table: pd.DataFrame, out: Path) -> Figure | None:
    """Per-goal paired difference to the reference with 95 % CIs (all countries)."""
    t = table[(table.outcome == "goal_score_end") & (table.country == "ALL")]
    ref = t.reference.iloc[0] if len(t) else None
    alts = [s for s in t.scenario.unique() if s != ref]
    if not alts:
        return None
    goals = list(dict.fromkeys(t.goal))
    fig, ax = subplots(figsize=(8, 4.2))
    width = 0.8 / len(alts)
    x = np.arange(len(goals))
    for i, name in enumerate(alts):
        r = t[t.scenario == name].set_index("goal").loc[goals]
        err = np.vstack([r.diff_mean - r.diff_ci_low, r.diff_ci_high - r.diff_mean])
        ax.bar(x + (i - (len(alts) - 1) / 2) * width, r.diff_mean, width, yerr=err, capsize=3,
               color=stable_color(name), label=name)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, goals)
    ax.set_xlabel("goal")
    ax.set_ylabel(f"score difference vs {ref} (points)")
    ax.set_title(f"Goal scores at the horizon: paired difference to {ref}, 95% CI")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    _save(fig, out, "difference_bars")
    return Figure("difference_bars", "Difference per goal",
                  f"Mean over countries of each goal score at the horizon, minus {ref} in the same replication; "
                  "error bars are 95 % confidence intervals of the mean paired difference.")


def flows_by_source(flows: dict[str, pd.DataFrame], out: Path) -> Figure | None:
    """External money by source → goal (mean US$ million per year), one panel per scenario."""
    frames = {n: f for n, f in flows.items() if f is not None and len(f)}
    if not frames:
        return None
    fig, axes = subplots(1, len(frames), figsize=(4.2 * len(frames) + 1, 4.4), sharey=True, squeeze=False)
    sources = sorted({s for f in frames.values() for s in f.source.unique()})
    colors = {s: stable_color(s) for s in sources}  # one colour per source in every report
    for ax, (name, f) in zip(axes[0], frames.items()):
        ext = f[~f.instrument.isin(["domestic", "pooled"])].copy()
        ext["goal"] = np.where(ext.instrument == "research", "R&D",
                               np.where(ext.goal == "-", "capacity", ext.goal))
        # full flows have a run column; yearly flows are sums over `runs` replications
        runs = f.run.nunique() if "run" in f.columns else int(f.runs.max())
        years = f.year.nunique()
        m = ext.pivot_table(index="goal", columns="source", values="amount_usd", aggfunc="sum", fill_value=0,
                            observed=True)
        m = m / (runs * years)
        bottom = np.zeros(len(m))
        for src in m.columns:
            ax.bar(m.index, m[src], bottom=bottom, label=src, color=colors[src])
            bottom += m[src].to_numpy()
        ax.set_title(name)
        ax.set_xlabel("goal (R&D: research; capacity: capacity building)")
        ax.tick_params(axis="x", rotation=45)
        ax.grid(axis="y", alpha=0.3)
    handles = {}  # one legend for all panels, beside them (a source has one colour everywhere)
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    if handles:
        fig.legend(list(handles.values()), list(handles), frameon=False, fontsize=7, loc="center left",
                   bbox_to_anchor=(1.0, 0.5))
    for ax in axes[0]:
        money_axis(ax.yaxis, "US$ per year (mean over runs)")
    fig.suptitle("External money by source and goal")
    _save(fig, out, "flows_by_source")
    return Figure("flows_by_source", "Money flows by source and goal",
                  "Gross external money (donor grants and blended finance, the pooled facility, private "
                  "co-finance, capacity building and R&D) per year; domestic spending is not shown.")


def adoption_curves(adoption: dict[str, pd.DataFrame | None], out: Path) -> Figure | None:
    """Mean adoption over countries and runs per technology over time, one line per scenario;
    adoption: name → technology × year mean adoption (share)."""
    frames = {n: a for n, a in adoption.items() if a is not None and len(a)}
    if not frames:
        return None
    techs = list(dict.fromkeys(t for a in frames.values() for t in a.index))[:8]
    cols = min(4, len(techs))
    rows = -(-len(techs) // cols)
    fig, axes = subplots(rows, cols, figsize=(3.2 * cols + 1, 2.8 * rows + 0.6), sharey=True, squeeze=False)
    for ax, tech in zip(axes.flat, techs):
        for i, (name, a) in enumerate(frames.items()):
            s = a.loc[tech].dropna() if tech in a.index else pd.Series(dtype=float)
            ax.plot(s.index, s.to_numpy() * 100, color=stable_color(name), label=name)
        ax.set_title(tech, fontsize=9)
        ax.set_xlabel("year", fontsize=8)
        ax.set_ylabel("adoption (%)", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(techs):]:
        ax.axis("off")
    axes[0][0].legend(frameon=False, fontsize=7)
    fig.suptitle("Technology adoption (mean over countries and runs)")
    _save(fig, out, "adoption_curves")
    return Figure("adoption_curves", "Technology adoption",
                  "Bass diffusion of deployable technologies, scaled by absorptive capacity and access.")


def gains_heatmap(gains: dict[str, pd.DataFrame], reference: str | None, out: Path) -> Figure:
    """Country × goal heat map: mean gain start→horizon, or extra gain over the reference;
    gains: name → country × goal mean gain (`aggregates.RunTables.gains`)."""
    names = list(gains)
    alts = [n for n in names if n != reference] if reference and len(names) > 1 else names
    ref = gains[reference] if reference and len(names) > 1 else None
    fig, axes = subplots(1, len(alts), figsize=(3.6 * len(alts) + 1.5, 0.35 * 12 + 1.5), squeeze=False)
    for ax, name in zip(axes[0], alts):
        g = gains[name]
        order = list(g.index)
        if ref is not None:  # only the countries and goals both scenarios have
            order = [c for c in order if c in ref.index]
            g = g[[c for c in g.columns if c in ref.columns]]
        g = g.loc[order]
        if g.empty:
            ax.text(0.5, 0.5, f"no countries and goals\nin common with {reference}", ha="center", va="center")
            ax.set_axis_off()
            continue
        data = g - ref.loc[order, g.columns] if ref is not None else g
        lim = max(float(np.abs(data.to_numpy()).max()), 1e-9)
        im = ax.imshow(data.to_numpy(), cmap="RdBu" if ref is not None else "Greens",
                       vmin=-lim if ref is not None else 0, vmax=lim, aspect="auto")
        ax.set_xticks(range(len(data.columns)), data.columns)
        ax.set_yticks(range(len(data.index)), data.index)
        cmap, norm = im.get_cmap(), Normalize(vmin=im.norm.vmin, vmax=im.norm.vmax)
        for (r, c), v in np.ndenumerate(data.to_numpy()):
            ax.text(c, r, heat_label(v, lim, signed=ref is not None), ha="center", va="center", fontsize=7,
                    color=text_color(cmap(norm(v))))
        ax.set_title(name if ref is None else f"{name} − {reference}", fontsize=9)
        ax.set_xlabel("goal")
        ax.set_ylabel("country")
        fig.colorbar(im, ax=ax, shrink=0.8).set_label("score points" if ref is None else f"points over {reference}")
    what = f"extra gain over {reference}" if ref is not None else "gain"
    fig.suptitle(f"Score {what}, start year to horizon (points, mean over runs)")
    _save(fig, out, "gains_heatmap")
    return Figure("gains_heatmap", "Gains by country and goal",
                  f"Mean score {what} from the start year to the horizon for each country and goal.")


def heat_label(v: float, lim: float, signed: bool) -> str:
    """A heat-map cell's text: enough decimals for the map's range, and never "+0.0" or "-0.0"
    (a value that rounds to zero is written 0)."""
    digits = 1 if lim >= 1 else 2 if lim >= 0.1 else 3
    text = f"{v:.{digits}f}"
    if float(text) == 0:
        return "0"
    return f"{v:+.{digits}f}" if signed else text


def text_color(rgba) -> str:
    """Black or white text, whichever reads on a cell of this colour (relative luminance)."""
    r, g, b = (((x / 12.92) if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4) for x in rgba[:3])
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.18 else "white"


def draw_difference(ax, table: pd.DataFrame, outcome: str = "sdg_index_end", country: str = "ALL"):
    """Paired difference of each scenario to the reference on one outcome, with 95 % CIs."""
    ax = axes_or_new(ax, figsize=(7, 3.5))
    t = table[(table.outcome == outcome) & (table.country == country)]
    t = t[t.scenario != t.reference]
    if t.empty:
        ax.text(0.5, 0.5, "no alternative to compare with the reference", ha="center", va="center",
                transform=ax.transAxes)
        return ax
    labels = [s if g == "-" else f"{s} {g}" for s, g in zip(t.scenario, t.goal)]
    y = np.arange(len(t))
    err = np.vstack([t.diff_mean - t.diff_ci_low, t.diff_ci_high - t.diff_mean])
    ax.errorbar(t.diff_mean, y, xerr=err, fmt="o", color=PALETTE[0], capsize=3)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"{outcome}: difference to {t.reference.iloc[0]} (95% CI)")
    if outcome.endswith("_usd"):
        money_axis(ax.xaxis, f"{outcome}: difference to {t.reference.iloc[0]}, US$ (95% CI)")
    ax.grid(axis="x", alpha=0.3)
    return ax


def calibration_trends(fit: pd.DataFrame, out: Path, names: dict[str, str] | None = None) -> Figure | None:
    """Per indicator, each country's fitted trend (the yearly change of the log gap to the
    indicator's best value, + = the gap closes) with its 90 % interval (± 1.645 trend_sd): the
    countries fitted from their own series solid, those given the pooled trend hollow."""
    need = {"country", "indicator", "trend", "trend_sd", "pooled"}
    if fit.empty or not need <= set(fit.columns):
        return None
    indicators = list(dict.fromkeys(fit.indicator))
    countries = list(dict.fromkeys(fit.country))
    cols = min(4, len(indicators))
    rows = -(-len(indicators) // cols)
    fig, axes = subplots(rows, cols, figsize=(3.3 * cols, 0.28 * len(countries) * rows + 1.4 * rows),
                         squeeze=False, sharey=True)
    pos = {c: k for k, c in enumerate(countries)}
    pooled_all = fit.pooled.astype(str).str.lower().isin(["true", "1"])  # fit.csv's True / False, as read
    for k, ind in enumerate(indicators):
        ax = axes[k // cols][k % cols]
        mine = (fit.indicator == ind).to_numpy()
        f = fit[mine]
        y = f.country.map(pos).to_numpy(float)
        half = 1.645 * f.trend_sd.to_numpy(float)
        pooled = pooled_all.to_numpy()[mine]
        ax.axvline(0.0, color="#999999", linewidth=0.8)
        ax.errorbar(f.trend, y, xerr=half, fmt="none", ecolor=PALETTE[0], elinewidth=1.2, alpha=0.6)
        ax.plot(f.trend[~pooled], y[~pooled], "o", color=PALETTE[0], markersize=5, label="own series")
        ax.plot(f.trend[pooled], y[pooled], "o", markerfacecolor="white", markeredgecolor=PALETTE[0],
                markersize=5, label="pooled (no usable series)")
        ax.set_title((names or {}).get(ind, ind), fontsize=9)
        ax.set_xlabel("log-gap change a year (+ closes the gap)", fontsize=7)
        ax.set_ylabel("country", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    axes[0][0].set_yticks(range(len(countries)), countries)
    axes[0][0].invert_yaxis()
    for k in range(len(indicators), rows * cols):
        axes[k // cols][k % cols].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    keep = [(h, t) for h, t in zip(handles, labels) if t == "own series" or pooled_all.any()]
    fig.legend(*zip(*keep), fontsize=7, frameon=False, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    _save(fig, out, "calibration_trends")
    return Figure("calibration_trends", "Fitted trends",
                  "Per indicator and country, the fitted trend: the yearly change of the log gap to the "
                  "indicator's best value (+ = the gap closes: access rises, mortality or undernourishment falls), "
                  "with its 90 % interval (± 1.645 trend_sd, which includes the indicator's trend instability). "
                  "Hollow: no usable series (too few observations, or all at a reporting floor); the country "
                  "takes the trend pooled across the others.")
