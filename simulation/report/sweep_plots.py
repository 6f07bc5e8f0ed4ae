"""Plots of a sweep's analysis: outcome vs parameters, Sobol' bars, Morris mu*-sigma, robustness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.sensitivity import CONF_LEVEL, MAX_SCATTER, Analysis, outcome_label
from .figures import money_axis, subplots


def _save(fig, folder: Path, stem: str, title: str, out: Analysis) -> None:
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(folder / f"{stem}.png", dpi=100)
    fig.savefig(folder / f"{stem}.svg")
    out.plots.append({"title": title, "png": f"analysis/{stem}.png", "svg": f"analysis/{stem}.svg"})


def _colors(policies: list[str]) -> dict[str, str]:
    cycle = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    return {p: cycle[i % len(cycle)] for i, p in enumerate(policies)}


def plot_outcome_vs_parameters(means: pd.DataFrame, design: pd.DataFrame, params: list[str], outcome: str,
                               policies: list[str], folder: Path, out: Analysis, seed: int) -> None:
    n = len(params)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    colors = _colors(policies)
    rng = np.random.default_rng(seed)
    for k, par in enumerate(params):
        ax = axes[k // cols][k % cols]
        x_all = design[par]
        numeric = pd.api.types.is_numeric_dtype(x_all)
        for pol in policies:
            y = means.loc[pol, outcome].reindex(design.index).to_numpy(dtype=float)
            x = x_all.to_numpy()
            keep = np.isfinite(y)
            idx = np.flatnonzero(keep)
            if idx.size > MAX_SCATTER:
                idx = np.sort(rng.choice(idx, MAX_SCATTER, replace=False))
            if numeric:
                ax.scatter(x[idx].astype(float), y[idx], s=6, alpha=0.35, color=colors[pol], label=pol,
                           linewidths=0)
                # binned mean: the trend through the scatter
                xs, ys = x[keep].astype(float), y[keep]
                if xs.size >= 10 and np.ptp(xs) > 0:
                    edges = np.quantile(xs, np.linspace(0, 1, 11))
                    which = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, 9)
                    mx = [xs[which == b].mean() for b in range(10) if (which == b).any()]
                    my = [ys[which == b].mean() for b in range(10) if (which == b).any()]
                    ax.plot(mx, my, color=colors[pol], lw=1.8)
            else:
                cats = sorted(set(x[keep]))
                pos = {c: i for i, c in enumerate(cats)}
                ax.scatter([pos[v] for v in x[idx]], y[idx], s=6, alpha=0.35, color=colors[pol], label=pol)
                ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=7)
        ax.set_xlabel(par, fontsize=8)
        ax.set_ylabel(outcome_label(outcome), fontsize=8)
        if numeric and par.endswith("_usd"):  # US$ k / M / bn ticks, no 1e9 offset
            money_axis(ax.xaxis)
        if outcome.split(":")[0].split("@")[0].endswith("_usd"):
            money_axis(ax.yaxis)
        ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    if len(policies) > 1:
        axes[0][0].legend(fontsize=7, markerscale=2)
    fig.suptitle(f"{outcome_label(outcome)} vs parameters (point means over replications; line: binned mean)", fontsize=10)
    _save(fig, folder, f"outcome_vs_parameters_{outcome.replace(':', '_').replace('@', '_')}",
          f"{outcome_label(outcome)} against each parameter", out)


def plot_sobol(table: pd.DataFrame, outcomes: list[str], policies: list[str], folder: Path, out: Analysis) -> None:
    fig, axes = subplots(len(outcomes), len(policies), figsize=(4.8 * len(policies), 2.8 * len(outcomes)),
                             squeeze=False)
    for i, oc in enumerate(outcomes):
        for j, pol in enumerate(policies):
            ax = axes[i][j]
            t = table[(table.outcome == oc) & (table.policy == pol)]
            if t.empty:
                ax.text(0.5, 0.5, "not computed", ha="center", va="center", transform=ax.transAxes)
                ax.set_axis_off()
                continue
            y = np.arange(len(t))
            ax.barh(y - 0.2, t.S1, 0.4, xerr=t.S1_conf, label="first order S1", color="#1f77b4")
            ax.barh(y + 0.2, t.ST, 0.4, xerr=t.ST_conf, label="total ST", color="#ff7f0e")
            ax.set_yticks(y, t.parameter, fontsize=7)
            ax.invert_yaxis()
            ax.axvline(0, color="k", lw=0.5)
            ax.set_title(f"{outcome_label(oc)} — {pol}", fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Sobol' indices with {int(CONF_LEVEL * 100)} % confidence intervals", fontsize=10)
    _save(fig, folder, "sobol", "Sobol' first-order and total indices", out)


def plot_morris(table: pd.DataFrame, outcomes: list[str], policies: list[str], folder: Path, out: Analysis) -> None:
    fig, axes = subplots(len(outcomes), len(policies), figsize=(4.5 * len(policies), 3.2 * len(outcomes)),
                             squeeze=False)
    for i, oc in enumerate(outcomes):
        for j, pol in enumerate(policies):
            ax = axes[i][j]
            t = table[(table.outcome == oc) & (table.policy == pol)]
            if t.empty:
                ax.set_axis_off()
                continue
            ax.errorbar(t.mu_star, t.sigma, xerr=t.mu_star_conf, fmt="o", ms=4, lw=0.8)
            for _, r in t.iterrows():
                ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=6, xytext=(3, 3), textcoords="offset points")
            ax.set_xlabel("mu* (mean |elementary effect|)", fontsize=8)
            ax.set_ylabel("sigma", fontsize=8)
            ax.set_title(f"{outcome_label(oc)} — {pol}", fontsize=9)
            ax.tick_params(labelsize=7)
    fig.suptitle("Morris screening: importance (mu*) and interaction/non-linearity (sigma)", fontsize=10)
    _save(fig, folder, "morris", "Morris mu* and sigma", out)


def plot_robustness(means: pd.DataFrame, rob: pd.DataFrame, outcomes: list[str], policies: list[str],
                    folder: Path, out: Analysis) -> None:
    fig, axes = subplots(2, len(outcomes), figsize=(3.6 * len(outcomes), 6.0), squeeze=False)
    colors = _colors(policies)
    for k, oc in enumerate(outcomes):
        ax = axes[0][k]
        data = [means.loc[p, oc].dropna().to_numpy() for p in policies]
        box = ax.boxplot(data, whis=(10, 90), showfliers=False, patch_artist=True)
        for patch, pol in zip(box["boxes"], policies):
            patch.set_facecolor(colors[pol])
            patch.set_alpha(0.5)
        ax.set_xticks(range(1, len(policies) + 1), policies, rotation=20, fontsize=7)
        ax.set_title(f"{outcome_label(oc)} ({'higher' if out.info.sense(oc) > 0 else 'lower'} is better)", fontsize=9)
        ax.tick_params(labelsize=7)
        ax2 = axes[1][k]
        t = rob[rob.outcome == oc].set_index("policy").reindex(policies)
        ax2.bar(range(len(policies)), t.regret_mean, color=[colors[p] for p in policies], alpha=0.8,
                label="mean regret")
        ax2.scatter(range(len(policies)), t.regret_p90, color="k", marker="_", s=200, label="90th pct regret")
        ax2.set_xticks(range(len(policies)), policies, rotation=20, fontsize=7)
        ax2.set_title(f"regret in {outcome_label(oc)}", fontsize=9)
        ax2.tick_params(labelsize=7)
    axes[1][0].legend(fontsize=7)
    fig.suptitle("Robustness across the design: spread over points (box: 10–90 %) and regret vs the best policy",
                 fontsize=10)
    _save(fig, folder, "robustness", "Robustness of each policy across the design", out)


def draw_all(a: Analysis, folder: Path) -> None:
    """Every plot of an analysis into `folder` (its analysis/ folder), listed in `a.plots`."""
    info, f = a.info, a.frames
    # each policy, then each policy's difference to the first ("B − A": what decides whether B wins)
    columns = lambda t: [*info.policies, *(p for p in dict.fromkeys(t.policy) if p not in info.policies)]  # noqa: E731
    if "sobol" in f:
        plot_sobol(f["sobol"], info.outcomes, columns(f["sobol"]), folder, a)
    if "morris" in f:
        plot_morris(f["morris"], info.outcomes, columns(f["morris"]), folder, a)
    for oc in info.outcomes:
        plot_outcome_vs_parameters(a.means, a.design, info.parameters, oc, info.policies, folder, a, info.seed)
    plot_robustness(a.means, f["robustness"], info.outcomes, info.policies, folder, a)
