"""Donor-rule figures and page: each donor's fitted rules against persistence and needs-only."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from .figures import axes_or_new, save, subplots

RULE, PERSIST, NEEDS, OBSERVED = "#1f5fa8", "#7f7f7f", "#d9822b", "#222222"


def draw_skill(ax, best: pd.DataFrame):
    """Bars per donor: its rule's out-of-sample error, persistence's and needs-only's (percentage points)."""
    ax = axes_or_new(ax, figsize=(max(5.0, 0.35 * len(best) + 1.5), 3.4))
    x = np.arange(len(best))
    for k, (col, colour, label) in enumerate((("share_mae", RULE, "its rule"), ("persistence_mae", PERSIST,
                                              "persistence"), ("needs_mae", NEEDS, "needs-only"))):
        ax.bar(x + (k - 1) * 0.27, 100 * best[col], width=0.27, color=colour, label=label)
    ax.set_xticks(x, best.donor, rotation=90, fontsize=7)
    ax.set_ylabel("mean absolute error of recipient shares (points)", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, frameon=False)
    return ax


def draw_donor(ax, forecast: pd.DataFrame, donor: str, rule: str, top: int = 12):
    """One donor's largest recipients: observed shares against its rule and needs-only, forecast years."""
    ax = axes_or_new(ax, figsize=(5, 3.2))
    f = forecast[forecast.donor == donor]
    mean = f.groupby("recipient")["observed"].mean().sort_values(ascending=False).head(top)
    g = f[f.recipient.isin(mean.index)].groupby("recipient")[["observed", rule, "needs_only"]].mean().loc[mean.index]
    x = np.arange(len(g))
    ax.bar(x - 0.27, 100 * g["observed"], width=0.27, color=OBSERVED, label="observed")
    ax.bar(x, 100 * g[rule], width=0.27, color=RULE, label=f"{rule} (fitted)")
    ax.bar(x + 0.27, 100 * g.needs_only, width=0.27, color=NEEDS, label="needs-only")
    ax.set_xticks(x, g.index, rotation=90, fontsize=6)
    ax.set_title(f"{donor}: mean share over the forecast years, largest recipients", fontsize=8)
    ax.set_ylabel("share of its flows (%)", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=6, frameon=False)
    return ax


def _img(folder: Path, stem: str, alt: str) -> str:
    data = base64.b64encode((folder / f"{stem}.png").read_bytes()).decode()
    return f"<figure><img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'></figure>"


def report_page(folder: Path, fits: pd.DataFrame, skill: pd.DataFrame, forecast: pd.DataFrame, summary: str,
                sectors: pd.DataFrame | None = None) -> str:
    """Draw plots/donors_skill and plots/donors_<donor> in `folder` and return the report's HTML."""
    plots = folder / "plots"
    best = skill[skill.best].reset_index(drop=True)
    fig, ax = subplots(figsize=(max(5.0, 0.35 * len(best) + 1.5), 3.6))
    draw_skill(ax, best)
    fig.tight_layout()
    save(fig, plots, "donors_skill")
    figs = [_img(plots, "donors_skill", "skill per donor")]
    for r in best.itertuples():
        fig, ax = subplots(figsize=(6, 3.4))
        draw_donor(ax, forecast, r.donor, r.strategy)
        fig.tight_layout()
        save(fig, plots, f"donors_{r.donor}")
        figs.append(_img(plots, f"donors_{r.donor}", r.donor))
    table = skill.copy()
    for col in ("share_mae", "persistence_mae", "needs_mae"):
        table[col] = (100 * table[col]).map(lambda x: f"{x:.3f}")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>sdgsim donor rules</title>"
            "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
            "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 8px}"
            "img{max-width:100%}pre{background:#f6f6f6;padding:1em}</style></head><body>"
            "<h1>Donor rules: fitted on the aid record, tested out of sample</h1>"
            f"<pre>{html.escape(summary)}</pre>{figs[0]}"
            "<h2>Skill (mean absolute error of recipient shares, percentage points)</h2>"
            f"{table.to_html(index=False, border=0)}"
            "<p>persistence: the last fitted year's shares held; needs-only: the needs strategy at its defaults "
            "(gap exponent 1, population exponent 0.5); every rule is scored on the same recipients and years.</p>"
            f"<h2>Fitted parameters</h2>{fits.to_html(index=False, border=0)}"
            + ("" if sectors is None or not len(sectors) else
               "<h2>Shares over goals (shipped CRS sector groups)</h2><p>persistence with drift fitted up to the "
               "fit year, against holding that year's goal shares and an equal split (fractions).</p>"
               f"{sectors.to_html(index=False, border=0, float_format=lambda x: f'{x:.4g}')}") +
            f"<h2>Largest recipients per donor</h2>{''.join(figs[1:])}</body></html>")


def report_folder(folder: Path) -> str:
    """The report of a `sdgsim donors fit` folder (its CSV files), plots drawn into folder/plots."""
    sectors = folder / "sectors.csv"
    try:
        sectors = pd.read_csv(sectors) if sectors.is_file() else None
    except pd.errors.EmptyDataError:   # no donor had sector data
        sectors = None
    return report_page(folder, pd.read_csv(folder / "fit.csv"), pd.read_csv(folder / "skill.csv"),
                       pd.read_csv(folder / "forecast.csv"), (folder / "summary.txt").read_text(), sectors)
