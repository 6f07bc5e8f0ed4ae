"""Back-test figures and page: observed values against the forecast fan, per country and indicator."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..analysis.calibration import overall_rmse, relative_rmse, worst_ratio
from ..data.geometry import world_shapes
from . import maps
from .figures import axes_or_new, save, subplots
from .page_parts import _page as page
from .page_parts import _table

OBSERVED, MODEL, TREND = "#222222", "#1f5fa8", "#d9822b"


def draw_series(ax, forecast: pd.DataFrame, country: str, indicator: str, legend: bool = True):
    """One series: the model's median and 90 % band, the linear trend, and what was observed."""
    ax = axes_or_new(ax, figsize=(5, 3.2))
    f = forecast[(forecast.country == country) & (forecast.indicator == indicator)].sort_values("year")
    ax.fill_between(f.year, f.p05, f.p95, color=MODEL, alpha=0.2, linewidth=0, label="model 90% interval")
    ax.plot(f.year, f.p50, color=MODEL, linewidth=1.8, label="model median")
    ax.plot(f.year, f.trend, color=TREND, linewidth=1.2, linestyle="--", label="linear trend")
    ax.plot(f.year, f.observed, "o", color=OBSERVED, markersize=3.5, label="observed")
    ax.set_title(f"{country} {indicator}", fontsize=8)
    ax.set_xlabel("year", fontsize=7)
    ax.set_ylabel(f"{indicator} (its unit)", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if legend:
        ax.legend(fontsize=6, frameon=False)
    return ax


MAX_PANELS = 25
"""Series drawn per indicator: a world back-test has 100+ countries; the rest are in forecast.csv."""


def _grid(forecast: pd.DataFrame, indicator: str, out: Path) -> str:
    f = forecast[forecast.indicator == indicator]
    countries = list(dict.fromkeys(f.country))
    if len(countries) > MAX_PANELS:  # the series with the most observations, in their order
        most = f.groupby("country", sort=False).size().sort_values(ascending=False, kind="stable")
        keep = set(most.index[:MAX_PANELS])
        countries = [c for c in countries if c in keep]
    cols = min(5, len(countries))
    rows = -(-len(countries) // cols)
    fig, axes = subplots(rows, cols, figsize=(2.8 * cols, 2.2 * rows + 0.5), squeeze=False)
    for k, c in enumerate(countries):
        draw_series(axes[k // cols][k % cols], forecast, c, indicator, legend=k == 0)
    for k in range(len(countries), rows * cols):
        axes[k // cols][k % cols].axis("off")
    fig.suptitle(f"{indicator}: observed (dots) against the out-of-sample forecast", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    stem = f"backtest_{indicator.replace('.', '_')}"
    save(fig, out, stem)
    return stem


def _png(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f"<figure><img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>"


def skill_by_country(forecast: pd.DataFrame) -> pd.Series:
    """Per country: geometric mean over its indicators of RMSE(model mean) / RMSE(linear trend)."""
    f = forecast.assign(e_model=(forecast["mean"] - forecast.observed) ** 2,
                        e_trend=(forecast.trend - forecast.observed) ** 2)
    r = f.groupby(["country", "indicator"])[["e_model", "e_trend"]].mean()
    r = r[(r.e_model > 0) & (r.e_trend > 0)]
    return np.exp(0.5 * np.log(r.e_model / r.e_trend).groupby("country").mean())


def _groups_html(by_group: pd.DataFrame | None) -> str:
    if by_group is None or by_group.empty:
        return ""
    g = by_group[by_group.indicator == "ALL"][["kind", "group", "countries", "n", "vs_trend", "vs_persistence"]]
    g = g.assign(vs_trend=g.vs_trend.map(lambda x: f"{x:.2f}"), vs_persistence=g.vs_persistence.map(lambda x: f"{x:.2f}"))
    per = by_group[by_group.indicator != "ALL"].drop(columns=["vs_trend", "vs_persistence"], errors="ignore")
    for col in ("rmse_model", "rmse_trend", "rmse_persistence"):
        per[col] = per[col].map(lambda x: f"{x:.3g}")
    return ("<h2>Skill by region and income group</h2><p class=muted>Geometric mean over the group's indicators of "
            "RMSE(model) / RMSE(linear trend) and / RMSE(persistence): below 1 the model forecast better. Groups "
            "are the World Bank's current regions and income groups.</p>"
            f"{g.to_html(index=False, border=0)}<h3>Per indicator</h3>{per.to_html(index=False, border=0)}")


def _map_html(forecast: pd.DataFrame, plots: Path) -> str:
    ratio = maps.finite(skill_by_country(forecast))
    if ratio.empty or not any(c in world_shapes() for c in ratio.index):
        return ""
    maps.world_map(np.log2(ratio), plots, "backtest_map", "log2 of RMSE(model) / RMSE(linear trend): "
                   "below 0 (blue) the model forecast better", cmap="RdBu_r", center=0.0)
    hidden = maps.missing(ratio)
    return (f"<h2>Skill by country</h2>{_png(plots / 'backtest_map.png', 'skill map')}<figcaption>Per country, "
            "the geometric mean over its indicators of RMSE(model) / RMSE(linear trend), on a log2 scale "
            "(<a href='plots/backtest_map.svg'>SVG</a>)."
            + (f" Not drawn at 1:110m: {', '.join(hidden)}." if hidden else "") + "</figcaption></figure>")


METHOD_NAMES = {"model": "model (mean)", "model_median": "model (median)", "money_off": "money off",
                "trend": "linear trend", "persistence": "persistence", "crd": "constant rate of decline"}


def skill_table_html(skill: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[int, int]]]:
    """A row per indicator: each forecast's RMSE (the lowest marked), the model's coverage and CRPS."""
    methods = [m for m in METHOD_NAMES if m in set(skill.method)]
    rows, best = [], set()
    for i, (key, g) in enumerate(skill.groupby("indicator", sort=False)):
        m = g.set_index("method")
        rmse = {k: float(m.loc[k, "rmse"]) for k in methods if k in m.index and np.isfinite(m.loc[k, "rmse"])}
        row = {"indicator": key, "n": int(m.loc["model", "n"]) if "model" in m.index else int(g.n.max())}
        row |= {METHOD_NAMES[k]: f"{rmse[k]:.3g}" if k in rmse else "—" for k in methods}
        if rmse:
            best.add((i, 2 + methods.index(min(rmse, key=rmse.get))))
        cov = m.loc["model", "coverage90"] if "model" in m.index else np.nan
        row["90% coverage"] = "" if not np.isfinite(cov) else f"{cov:.0%}"
        row["CRPS"] = f"{m.loc['model', 'crps']:.3g}" if "model" in m.index else ""
        rows.append(row)
    return pd.DataFrame(rows), best


def headline(skill: pd.DataFrame, man: dict) -> list[str]:
    """The back-test's answer first, one statement a paragraph: skill against the linear trend, the
    worst indicator against the better naive forecast, the intervals' coverage, money on and off."""
    if not {"indicator", "method", "rmse"} <= set(skill.columns) or not (skill.indicator != "ALL").any():
        return []
    rel, (worst, where) = relative_rmse(skill), worst_ratio(skill)
    fit, to = man.get("fit_until"), man.get("to")
    cover = skill[(skill.indicator == "ALL") & (skill.method == "model")].coverage90
    when = f"fitted up to {fit} and forecast {fit + 1}-{to}" if isinstance(fit, int) else "out of sample"
    out = [f"<b>Skill:</b> {html.escape(when)}, the model's mean forecast has {rel:.2f} times the RMSE of a linear trend "
           f"fitted on the same years (geometric mean over indicators): "
           + ("better than the trend." if rel < 1 else "no better than the trend."),
           f"<b>Worst indicator:</b> {html.escape(where)}, at {worst:.2f}× the RMSE of the better of the "
           "linear trend and persistence" + (" (worse than a naive forecast)." if worst > 1 else "."),
           ]
    if len(cover) and np.isfinite(cover.iloc[0]):
        out.append(f"<b>Intervals:</b> the model's 90% intervals hold {cover.iloc[0]:.0%} of the observations "
                   "(a calibrated forecast holds about 90%).")
    if (skill.method == "money_off").any():
        on, off = overall_rmse(skill, "model"), overall_rmse(skill, "money_off")
        out.append(f"<b>Money:</b> RMSE {on:.3f} with money and {off:.3f} with money off (trends alone) over all "
                   "indicators: " + ("money improves the forecast." if on < off else
                                     "money does not improve the forecast of this history."))
    return [f"<p>{x}</p>" for x in out]


def report_page(folder: Path, forecast: pd.DataFrame, skill: pd.DataFrame, summary: str,
                by_group: pd.DataFrame | None = None, man: dict | None = None) -> str:
    """Draw plots/backtest_<indicator>.png|svg (and a skill map) in `folder` and return the report's HTML."""
    plots = folder / "plots"
    figs = []
    for indicator in dict.fromkeys(forecast.indicator):
        stem = _grid(forecast, indicator, plots)
        figs.append(_png(plots / f"{stem}.png", indicator) + "</figure>")
    many = forecast.country.nunique() > MAX_PANELS
    table, best = skill_table_html(skill)
    lead = headline(skill, man or {})
    body = ("<h1>sdgsim back-test: out-of-sample forecasts against observations</h1>"
            + (f"<div class=headline>{''.join(lead)}</div>" if lead else "")
            + f"<details><summary>The terminal summary</summary><pre>{html.escape(summary)}</pre></details>"
            f"<h2>Skill</h2>{_table(table, best)}"
            "<p class=muted>RMSE of each forecast in each indicator's natural unit, the lowest per row in bold: "
            "the model's mean over runs and its median, the model with money off (trends alone), and the naive "
            "forecasts fitted on the same years (linear trend, persistence, and a constant rate of decline for "
            "mortality-type indicators). 90% coverage: share of observations inside the model's 90 % interval "
            "(a calibrated forecast covers about 90 %); CRPS: continuous ranked probability score of the model "
            "(lower is better). MAE and every method's CRPS: skill.csv.</p>"
            f"{_groups_html(by_group)}{_map_html(forecast, plots)}<h2>Series</h2>"
            + (f"<p class=muted>Per indicator the {MAX_PANELS} countries with the most observations; every series "
               "is in forecast.csv.</p>" if many else "") + "".join(figs))
    return page("sdgsim back-test", body)
