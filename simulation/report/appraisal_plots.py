"""Appraisal figures: the cost-effectiveness plane, the acceptability curve with its frontier, and
the value-of-information ranking. Each draws on given axes (or new off-screen ones) and returns them;
`draw_all` writes PNG + SVG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .figures import money_axis, save, stable_color, subplots


def _ellipse(dx: np.ndarray, dy: np.ndarray, level: float = 0.95, points: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The `level` confidence ellipse of the mean of (dx, dy) (bivariate normal, from their covariance)."""
    n = len(dx)
    cov = np.cov(np.vstack([dx, dy])) / max(n, 1)
    vals, vecs = np.linalg.eigh(cov)
    r = np.sqrt(stats.chi2.ppf(level, 2) * np.maximum(vals, 0))
    t = np.linspace(0, 2 * np.pi, points)
    circle = np.vstack([np.cos(t) * r[0], np.sin(t) * r[1]])
    xy = vecs @ circle
    return dx.mean() + xy[0], dy.mean() + xy[1]


def draw_plane(ax, per_run: pd.DataFrame, reference: str, effect_label: str, wtp: float | None = None):
    """Paired runs' incremental effect (x) and cost (y) against the reference, with each option's
    mean and the 95 % ellipse of the mean; a dashed line of slope `wtp` (the threshold)."""
    if ax is None:
        _, ax = subplots(figsize=(7, 5))
    for name, g in per_run[per_run.option != reference].groupby("option", sort=False):
        dx, dy = g.d_effect.to_numpy(), g.d_cost.to_numpy()
        c = stable_color(name)
        ax.scatter(dx, dy, s=8, alpha=0.35, color=c, label=f"{name} (paired runs)")
        ax.scatter([dx.mean()], [dy.mean()], s=70, marker="X", color=c, edgecolor="black", zorder=3,
                   label=f"{name} (mean)")
        if len(dx) > 2:
            ex, ey = _ellipse(dx, dy)
            ax.plot(ex, ey, color=c, lw=1.2)
    ax.axhline(0, color="#888", lw=0.8)
    ax.axvline(0, color="#888", lw=0.8)
    if wtp is not None and np.isfinite(wtp):
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [wtp * lo, wtp * hi], ls="--", color="#555", lw=0.9, label=f"threshold {wtp:,.4g} US$/unit")
        ax.set_xlim(lo, hi)
    ax.set_xlabel(f"incremental effect vs {reference} ({effect_label})")
    money_axis(ax.yaxis, f"incremental cost vs {reference} (US$)")
    ax.legend(frameon=False, fontsize=8)
    return ax


def draw_ceac(ax, curve: pd.DataFrame, unit: str):
    """Probability that each option has the highest net benefit over the willingness to pay; the
    acceptability frontier (the option of highest expected net benefit) drawn thick."""
    if ax is None:
        _, ax = subplots(figsize=(7, 4))
    for name, g in curve.groupby("option", sort=False):
        c = stable_color(name)
        ax.plot(g.wtp, g.probability, color=c, lw=1.2, label=name)
        front = g.probability.where(g.on_frontier)
        ax.plot(g.wtp, front, color=c, lw=4, alpha=0.5)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("P(highest net benefit)")
    money_axis(ax.xaxis, f"willingness to pay (US$ per {unit})")
    ax.legend(frameon=False, fontsize=8, title="thick: frontier", title_fontsize=8)
    return ax


def draw_voi(ax, table: pd.DataFrame, unit: str):
    """EVPPI of each parameter and group (bars, ±2 SE), the EVPI as a line."""
    if ax is None:
        _, ax = subplots(figsize=(7, 0.4 * len(table) + 1.5))
    total = table.iloc[0]
    rest = table.iloc[1:][::-1]
    ax.barh(rest.parameter, rest.evppi, xerr=2 * rest.se.fillna(0), color="#1f5fa8", alpha=0.8)
    ax.axvline(total.evppi, color="#b03a48", ls="--", label=f"EVPI {total.evppi:,.4g}")
    ax.set_xlabel(f"expected value of partial perfect information ({unit})")
    ax.legend(frameon=False, fontsize=8)
    return ax


def draw_all(folder: Path, per_run: pd.DataFrame, curve: pd.DataFrame, reference: str, effect_label: str,
             unit: str, wtp: float) -> list[dict]:
    """plots/ce_plane and plots/ceac (PNG + SVG) in `folder`; their index entries."""
    out = folder / "plots"
    fig, ax = subplots(figsize=(7, 5))
    draw_plane(ax, per_run, reference, effect_label, wtp)
    save(fig, out, "ce_plane")
    fig, ax = subplots(figsize=(7, 4))
    draw_ceac(ax, curve, unit)
    save(fig, out, "ceac")
    return [{"title": "Cost-effectiveness plane", "png": "plots/ce_plane.png", "svg": "plots/ce_plane.svg",
             "caption": f"Each dot is one paired run: the option minus {reference} in the same random streams. "
                        "Crosses: means; rings: 95 % ellipses of the means; dashed: the threshold."},
            {"title": "Cost-effectiveness acceptability curve", "png": "plots/ceac.png", "svg": "plots/ceac.svg",
             "caption": "Share of paired runs in which each option has the highest net benefit (they sum to 1). "
                        "Thick: the frontier, the option with the highest expected net benefit."}]
