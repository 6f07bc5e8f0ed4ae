"""Back-test figures and page: observed values against the forecast fan, per country and indicator."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

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


def _grid(forecast: pd.DataFrame, indicator: str, out: Path) -> str:
    f = forecast[forecast.indicator == indicator]
    countries = list(dict.fromkeys(f.country))
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


def report_page(folder: Path, forecast: pd.DataFrame, skill: pd.DataFrame, summary: str) -> str:
    """Draw plots/backtest_<indicator>.png|svg in `folder` and return the report's HTML."""
    plots = folder / "plots"
    figs = []
    for indicator in dict.fromkeys(forecast.indicator):
        stem = _grid(forecast, indicator, plots)
        data = base64.b64encode((plots / f"{stem}.png").read_bytes()).decode()
        figs.append(f"<figure><img alt='{html.escape(indicator)}' src='data:image/png;base64,{data}'></figure>")
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
            f"<h2>Series</h2>{''.join(figs)}</body></html>")
    return page
