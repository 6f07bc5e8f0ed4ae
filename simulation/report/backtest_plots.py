"""Back-test figures and page: observed values against the forecast fan, per country and indicator."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ..data.geometry import world_shapes
from . import maps
from .figures import axes_or_new, save, subplots

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


def write_report(folder: Path, forecast: pd.DataFrame, skill: pd.DataFrame, summary: str) -> Path:
    """plots/backtest_<indicator>.png|svg and a self-contained report.html in `folder`."""
    path = folder / "report.html"
    path.write_text(report_page(folder, forecast, skill, summary))
    return path


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
    return ("<h2>Skill by region and income group</h2><p>Geometric mean over the group's indicators of "
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


def report_page(folder: Path, forecast: pd.DataFrame, skill: pd.DataFrame, summary: str,
                by_group: pd.DataFrame | None = None) -> str:
    """Draw plots/backtest_<indicator>.png|svg (and a skill map) in `folder` and return the report's HTML."""
    plots = folder / "plots"
    figs = []
    for indicator in dict.fromkeys(forecast.indicator):
        stem = _grid(forecast, indicator, plots)
        figs.append(_png(plots / f"{stem}.png", indicator) + "</figure>")
    many = forecast.country.nunique() > MAX_PANELS
    table = skill.copy()
    for col in ("rmse", "mae", "crps"):
        table[col] = table[col].map(lambda x: f"{x:.3g}")
    table["coverage90"] = table["coverage90"].map(lambda x: "" if np.isnan(x) else f"{x:.0%}")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>sdgsim back-test</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
            "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px}"
            "img{max-width:100%}pre{background:#f6f6f6;padding:1em}</style></head><body>"
            "<h1>Back-test: out-of-sample forecasts against observations</h1>"
            f"<pre>{html.escape(summary)}</pre><h2>Skill</h2>{table.to_html(index=False, border=0)}"
            "<p>RMSE and MAE in each indicator's natural unit; coverage: share of observations inside the "
            "model's 90 % interval (a calibrated forecast covers about 90 %); CRPS: continuous ranked "
            "probability score (lower is better; for the naive forecasts it equals the MAE).</p>"
            f"{_groups_html(by_group)}{_map_html(forecast, plots)}<h2>Series</h2>"
            + (f"<p>Per indicator the {MAX_PANELS} countries with the most observations; every series is in "
               "forecast.csv.</p>" if many else "") + f"{''.join(figs)}</body></html>")
    return page
