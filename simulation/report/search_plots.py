"""Plots of scenario discovery (box, peeling trajectory, feature scores) and of a robust
policy search (parallel coordinates of the Pareto set, convergence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.discovery import Discovery
from .figures import subplots


def box_plot(ax, d: Discovery, box: int = 0):
    """The box's restricted parameters: its range within each parameter's sampled range
    (normalised to 0-1), with the bounds and quasi-p written beside it (as the EMA Workbench)."""
    if not d.boxes:
        ax.text(0.5, 0.5, "no box found", ha="center", va="center", transform=ax.transAxes)
        return ax
    b = d.boxes[box]
    names = list(b["bounds"])
    for i, p in enumerate(names):
        lim, col = b["bounds"][p], d.cases.x[p]
        if pd.api.types.is_numeric_dtype(col):
            lo, hi = float(col.min()), float(col.max())
            a, z = [(v - lo) / (hi - lo) if hi > lo else 0.5 for v in lim]
            text = f"[{lim[0]:.3g}, {lim[1]:.3g}]"
        else:
            cats = sorted(set(col))
            idx = [cats.index(v) for v in lim]
            a, z = min(idx) / len(cats), (max(idx) + 1) / len(cats)
            text = ", ".join(map(str, lim))
        ax.plot([0, 1], [i, i], color="#cccccc", lw=6, solid_capstyle="butt")
        ax.plot([a, z], [i, i], color="#1f77b4", lw=6, solid_capstyle="butt")
        ax.text(1.03, i, f"{text}  p={b['quasi_p'][p]:.2g}", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(names) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("share of the sampled range")
    ax.set_title(f"box {box + 1}: coverage {b['coverage']:.2f}, density {b['density']:.2f} "
                 f"(base rate {d.base_rate:.2f})", fontsize=9)
    return ax


def trajectory_plot(ax, d: Discovery):
    """PRIM's peeling trajectory: density against coverage, coloured by restricted dimensions."""
    t = d.trajectory
    if t.empty:
        return ax
    sc = ax.scatter(t.coverage, t.density, c=t.restricted, cmap="viridis", s=18)
    ax.figure.colorbar(sc, ax=ax, label="restricted dimensions")
    if d.boxes and "step" in d.boxes[0]:
        ax.scatter([d.boxes[0]["coverage"]], [d.boxes[0]["density"]], marker="x", color="red", s=60, label="chosen")
        ax.legend(frameon=False)
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    return ax


def scores_plot(ax, d: Discovery):
    s = d.scores.iloc[::-1]
    ax.barh(s.parameter, s.importance)
    ax.set_xlabel("feature score (ExtraTrees importance)")
    ax.tick_params(axis="y", labelsize=8)
    return ax


def draw_discovery(d: Discovery, folder: Path, stem: str) -> list[dict]:
    """PNG + SVG of the box, the trajectory (PRIM) and the feature scores; their index entries."""
    items = []
    draws = [("box", "Scenario discovery: first box", box_plot, (8, 0.5 + 0.5 * max(1, len(d.boxes[0]["bounds"]))
                                                                   if d.boxes else 2))]
    if d.method == "prim":
        draws.append(("trajectory", "PRIM peeling trajectory", trajectory_plot, (6, 4)))
    draws.append(("scores", "Feature scores", scores_plot, (6, 0.8 + 0.35 * len(d.scores))))
    for name, title, fn, size in draws:
        fig, ax = subplots(figsize=size)
        fn(ax, d)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(folder / f"{stem}-{name}.{ext}", dpi=100)
        items.append({"title": f"{title} ({d.cases.rule})", "png": f"{stem}-{name}.png", "svg": f"{stem}-{name}.svg"})
    return items


def parallel_plot(ax, pareto: pd.DataFrame, columns: list[str], senses: list[int] | None = None):
    """Parallel coordinates of the Pareto set: levers then objectives, each scaled to its own
    range (text levers by category); one line per policy."""
    if pareto.empty:
        return ax
    scaled = []
    for c in columns:
        v = pareto[c]
        if pd.api.types.is_numeric_dtype(v):
            x = v.to_numpy(float)
            lo, hi = np.nanmin(x), np.nanmax(x)
            scaled.append((x - lo) / (hi - lo) if hi > lo else np.full(len(x), 0.5))
        else:
            cats = sorted(set(v))
            scaled.append(np.array([(cats.index(s) + 0.5) / len(cats) for s in v]))
    m = np.column_stack(scaled)
    colors = m[:, -1] if m.shape[1] else None
    cmap = ax.figure.colormaps["viridis"] if hasattr(ax.figure, "colormaps") else None
    for i in range(len(m)):
        ax.plot(range(len(columns)), m[i], color=cmap(colors[i]) if cmap else None, alpha=0.7, lw=1.2)
    ax.set_xticks(range(len(columns)), [c.replace(" (", "\n(") for c in columns], rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("scaled to the set's range")
    for i, c in enumerate(columns):
        ax.axvline(i, color="#999999", lw=0.6)
    return ax


def convergence_plot(ax, conv: pd.DataFrame):
    ax.plot(conv.evaluations, conv.hypervolume, marker="o")
    ax.set_xlabel("policies evaluated")
    ax.set_ylabel("hypervolume (normalised)")
    return ax


def draw_search(pareto: pd.DataFrame, conv: pd.DataFrame, columns: list[str], folder: Path) -> list[dict]:
    items = []
    for stem, title, size, fn in (("pareto", "Pareto set: parallel coordinates", (9, 4.5),
                                   lambda ax: parallel_plot(ax, pareto, columns)),
                                  ("convergence", "Convergence", (6, 3.5), lambda ax: convergence_plot(ax, conv))):
        fig, ax = subplots(figsize=size)
        fn(ax)
        fig.tight_layout()
        for ext in ("png", "svg"):
            fig.savefig(folder / f"{stem}.{ext}", dpi=100)
        items.append({"title": title, "png": f"{stem}.png", "svg": f"{stem}.svg"})
    return items
