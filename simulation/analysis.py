"""Analysis of a finished sweep folder: sensitivity indices, robustness, plots.

`analyze(folder)` reads the runs of a sweep (store.read_sweep_runs), averages each
outcome over the replications of every (policy, design point), and writes into
`folder/analysis/`:

* points.csv       one row per policy and point: parameter values, outcome means, runs
* sobol.csv        (saltelli designs) first-order S1 and total ST Sobol' indices with
                   95 % confidence half-widths (SALib, bootstrap), per policy and outcome
* morris.csv       (morris designs) elementary effects mu, mu*, sigma, mu* confidence
* robustness.csv   per policy and outcome across the design: mean, p10/p50/p90, the
                   worst-decile value, regret vs the best policy at each point (mean, p90,
                   max) and the share of points where the policy is best
* failures.csv     failed runs with their error (if any)
* plots (PNG + SVG): outcome vs each parameter, Sobol' bars, Morris mu*–sigma, robustness

and `folder/analysis.json`, an index of those tables and plots with titles (paths
relative to the folder) for `sdgsim report`. Outcomes are those the sweep file lists
(`outcomes:`), each with a direction (sweep.OUTCOME_SENSE) that orients regret.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .store import atomic_folder, read_manifest, read_sweep_runs, write_file_atomic
from .sweep import outcome_sense
from .yamlio import InputError, Problem

MAX_SCATTER = 3000
"""Points per policy drawn in an outcome-vs-parameter panel (a random subset beyond that)."""
CONF_LEVEL = 0.95


@dataclass
class Analysis:
    """What `analyze` wrote: tables and plots (relative paths with titles) and notes."""

    folder: Path
    tables: list[dict] = field(default_factory=list)
    plots: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def index(self) -> dict:
        return {"kind": "sweep-analysis", "tables": self.tables, "plots": self.plots, "notes": self.notes}


def _label(name: str) -> str:
    return name.replace("_", " ")


# --------------------------------------------------------------------------- statistics


def point_means(runs: pd.DataFrame, policies: list[str], points: int, outcomes: list[str]) -> pd.DataFrame:
    """Mean of each outcome over the successful replications of each (policy, point).

    Returns a frame indexed by (policy, point) for every pair (NaN where every run
    failed), with columns outcomes + runs_ok + runs_failed.
    """
    ok = runs["status"] == "ok"
    full = pd.MultiIndex.from_product([policies, range(points)], names=["policy", "point"])
    means = runs[ok].groupby(["policy", "point"])[outcomes].mean().reindex(full)
    counts = runs.assign(ok=ok, failed=~ok).groupby(["policy", "point"])[["ok", "failed"]].sum().reindex(full)
    means["runs_ok"] = counts["ok"].fillna(0).astype(int).to_numpy()
    means["runs_failed"] = counts["failed"].fillna(0).astype(int).to_numpy()
    return means


def sobol_indices(problem: dict, Y: np.ndarray, second_order: bool, seed: int) -> pd.DataFrame:
    """S1, ST and their confidence half-widths for one outcome (SALib, Saltelli estimator)."""
    from SALib.analyze import sobol

    names = list(dict.fromkeys(problem.get("groups") or problem["names"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = sobol.analyze(problem, Y, calc_second_order=second_order, conf_level=CONF_LEVEL, seed=seed,
                           num_resamples=200)
    return pd.DataFrame({"parameter": names, "S1": si["S1"], "S1_conf": si["S1_conf"], "ST": si["ST"],
                         "ST_conf": si["ST_conf"]})


def morris_indices(problem: dict, X: np.ndarray, Y: np.ndarray, levels: int, seed: int) -> pd.DataFrame:
    """Morris elementary effects (per unit of each parameter's full range)."""
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        si = morris.analyze(problem, X, Y, num_levels=levels, conf_level=CONF_LEVEL, seed=seed)
    return pd.DataFrame({"parameter": list(si["names"]), "mu": np.asarray(si["mu"], float),
                         "mu_star": np.asarray(si["mu_star"], float),
                         "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                         "sigma": np.asarray(si["sigma"], float)})


def _pct(a: np.ndarray, pct: float) -> float:
    return float(np.percentile(a, pct)) if a.size else np.nan


def robustness(means: pd.DataFrame, policies: list[str], outcome: str) -> pd.DataFrame:
    """Each policy's outcome across the design, and its regret vs the best policy per point.

    Regret at a point = |best policy's value − this policy's value|, oriented by the
    outcome's direction (0 for the best policy). Points where any policy has no
    successful run are left out of the regret.
    """
    sense = outcome_sense(outcome)
    table = means[outcome].unstack("policy").reindex(columns=policies)  # (points, policies)
    values = table.to_numpy(dtype=float)
    complete = np.isfinite(values).all(axis=1)
    oriented = sense * values[complete]
    best = oriented.max(axis=1, initial=-np.inf, keepdims=True) if oriented.size else oriented
    regret = best - oriented if oriented.size else np.zeros((0, len(policies)))
    rows = []
    for j, pol in enumerate(policies):
        v = values[:, j][np.isfinite(values[:, j])]
        r = regret[:, j] if regret.size else np.array([])
        rows.append({
            "policy": pol, "outcome": outcome, "better": "higher" if sense > 0 else "lower",
            "points": int(v.size), "mean": float(v.mean()) if v.size else np.nan,
            "p10": _pct(v, 10), "p50": _pct(v, 50), "p90": _pct(v, 90),
            "worst_decile": _pct(v, 10 if sense > 0 else 90),
            "regret_mean": float(r.mean()) if r.size else np.nan, "regret_p90": _pct(r, 90),
            "regret_max": float(r.max()) if r.size else np.nan,
            "best_share": float((r <= 1e-12 * np.maximum(1.0, np.abs(best[:, 0]))).mean()) if r.size else np.nan,
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- plots


def _save(fig, folder: Path, stem: str, title: str, out: Analysis) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout(rect=(0, 0, 1, 0.96))
    fig.savefig(folder / f"{stem}.png", dpi=100)
    fig.savefig(folder / f"{stem}.svg")
    plt.close(fig)
    out.plots.append({"title": title, "png": f"analysis/{stem}.png", "svg": f"analysis/{stem}.svg"})


def _colors(policies: list[str]) -> dict[str, str]:
    cycle = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    return {p: cycle[i % len(cycle)] for i, p in enumerate(policies)}


def plot_outcome_vs_parameters(means: pd.DataFrame, design: pd.DataFrame, params: list[str], outcome: str,
                               policies: list[str], folder: Path, out: Analysis, seed: int) -> None:
    import matplotlib.pyplot as plt

    n = len(params)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
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
        ax.set_ylabel(_label(outcome), fontsize=8)
        ax.tick_params(labelsize=7)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    if len(policies) > 1:
        axes[0][0].legend(fontsize=7, markerscale=2)
    fig.suptitle(f"{_label(outcome)} vs parameters (point means over replications; line: binned mean)", fontsize=10)
    _save(fig, folder, f"outcome_vs_parameters_{outcome.replace(':', '_')}",
          f"{_label(outcome)} against each parameter", out)


def plot_sobol(table: pd.DataFrame, outcomes: list[str], policies: list[str], folder: Path, out: Analysis) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(outcomes), len(policies), figsize=(4.8 * len(policies), 2.8 * len(outcomes)),
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
            ax.set_title(f"{_label(oc)} — {pol}", fontsize=9)
            ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"Sobol' indices with {int(CONF_LEVEL * 100)} % confidence intervals", fontsize=10)
    _save(fig, folder, "sobol", "Sobol' first-order and total indices", out)


def plot_morris(table: pd.DataFrame, outcomes: list[str], policies: list[str], folder: Path, out: Analysis) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(outcomes), len(policies), figsize=(4.5 * len(policies), 3.2 * len(outcomes)),
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
            ax.set_title(f"{_label(oc)} — {pol}", fontsize=9)
            ax.tick_params(labelsize=7)
    fig.suptitle("Morris screening: importance (mu*) and interaction/non-linearity (sigma)", fontsize=10)
    _save(fig, folder, "morris", "Morris mu* and sigma", out)


def plot_robustness(means: pd.DataFrame, rob: pd.DataFrame, outcomes: list[str], policies: list[str],
                    folder: Path, out: Analysis) -> None:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(outcomes), figsize=(3.6 * len(outcomes), 6.0), squeeze=False)
    colors = _colors(policies)
    for k, oc in enumerate(outcomes):
        ax = axes[0][k]
        data = [means.loc[p, oc].dropna().to_numpy() for p in policies]
        box = ax.boxplot(data, whis=(10, 90), showfliers=False, patch_artist=True)
        for patch, pol in zip(box["boxes"], policies):
            patch.set_facecolor(colors[pol])
            patch.set_alpha(0.5)
        ax.set_xticks(range(1, len(policies) + 1), policies, rotation=20, fontsize=7)
        ax.set_title(f"{_label(oc)} ({'higher' if outcome_sense(oc) > 0 else 'lower'} is better)", fontsize=9)
        ax.tick_params(labelsize=7)
        ax2 = axes[1][k]
        t = rob[rob.outcome == oc].set_index("policy").reindex(policies)
        ax2.bar(range(len(policies)), t.regret_mean, color=[colors[p] for p in policies], alpha=0.8,
                label="mean regret")
        ax2.scatter(range(len(policies)), t.regret_p90, color="k", marker="_", s=200, label="90th pct regret")
        ax2.set_xticks(range(len(policies)), policies, rotation=20, fontsize=7)
        ax2.set_title(f"regret in {_label(oc)}", fontsize=9)
        ax2.tick_params(labelsize=7)
    axes[1][0].legend(fontsize=7)
    fig.suptitle("Robustness across the design: spread over points (box: 10–90 %) and regret vs the best policy",
                 fontsize=10)
    _save(fig, folder, "robustness", "Robustness of each policy across the design", out)


# --------------------------------------------------------------------------- the command


def analyze(folder: str | Path, *, force: bool = False, plots: bool = True) -> Analysis:
    """Analyse a complete sweep folder; write analysis/ and analysis.json (see module doc)."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    man = read_manifest(folder)
    where = str(folder / "manifest.json")
    if man.get("kind") != "sweep":
        raise InputError([Problem(where, 1, "kind", "not a sweep folder (sdgsim analyze reads `sdgsim sweep` output)")])
    if (folder / "analysis").exists() and not force:
        raise InputError([Problem(str(folder / "analysis"), 1, "<output>",
                                  "an analysis already exists (use --force to replace it)")])
    policies = list(man["policies"])
    plan = man["plan"]
    runs = read_sweep_runs(folder)
    if len(runs) != plan["runs"] or runs.duplicated(["policy", "point", "replication"]).any():
        raise InputError([Problem(where, 1, "status",
                                  f"sweep is incomplete ({len(runs)} of {plan['runs']} runs stored); finish it with "
                                  f"sdgsim sweep {man.get('sweep_file', 'SWEEP_FILE')} --resume --out {folder}")])
    outcomes = list(man["outcomes"])
    design = pd.read_parquet(folder / "design.parquet").set_index("point")
    dims = man["design"]["dims"]
    params = [c for c in man["columns"]["parameters"]]
    problem = man["design"]["problem"]
    method = man["design"]["method"]
    seed = int(man["seed"]) % (2**32)
    out = Analysis(folder)
    means = point_means(runs, policies, plan["points"], outcomes)

    with atomic_folder(folder / "analysis", force=force) as tmp:
        # points.csv
        pts = means.reset_index().merge(design[params].reset_index(), on="point", how="left")
        pts = pts[["policy", "point", *params, *outcomes, "runs_ok", "runs_failed"]]
        pts.to_csv(tmp / "points.csv", index=False, float_format="%.8g")
        out.tables.append({"title": "Outcome means per policy and design point", "file": "analysis/points.csv"})
        out.frames["points"] = pts

        X = design[[f"u:{d}" for d in dims]].to_numpy(dtype=float)
        if method == "saltelli":
            rows = []
            for pol in policies:
                for oc in outcomes:
                    Y = means.loc[pol, oc].to_numpy(dtype=float)
                    if not np.isfinite(Y).all():
                        out.notes.append(f"Sobol' indices of {oc} for {pol} skipped: "
                                         f"{int((~np.isfinite(Y)).sum())} points without a successful run")
                        continue
                    t = sobol_indices(problem, Y, bool(man["design"].get("second_order")), seed)
                    rows.append(t.assign(policy=pol, outcome=oc))
            if rows:
                sob = pd.concat(rows)[["policy", "outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]]
                sob.to_csv(tmp / "sobol.csv", index=False, float_format="%.6g")
                out.tables.append({"title": f"Sobol' first-order (S1) and total (ST) indices, {int(CONF_LEVEL * 100)} % "
                                            "confidence half-widths (S1_conf, ST_conf)", "file": "analysis/sobol.csv"})
                out.frames["sobol"] = sob
                if plots:
                    plot_sobol(sob, outcomes, policies, tmp, out)
        elif method == "morris":
            rows = []
            for pol in policies:
                for oc in outcomes:
                    Y = means.loc[pol, oc].to_numpy(dtype=float)
                    if not np.isfinite(Y).all():
                        out.notes.append(f"Morris indices of {oc} for {pol} skipped: points without a successful run")
                        continue
                    t = morris_indices(problem, X, Y, int(man["design"].get("levels") or 4), seed)
                    rows.append(t.assign(policy=pol, outcome=oc))
            if rows:
                mor = pd.concat(rows)[["policy", "outcome", "parameter", "mu", "mu_star", "mu_star_conf", "sigma"]]
                mor.to_csv(tmp / "morris.csv", index=False, float_format="%.6g")
                out.tables.append({"title": "Morris elementary effects: mu, mu* (with confidence half-width) and "
                                            "sigma, per full range of each parameter", "file": "analysis/morris.csv"})
                out.frames["morris"] = mor
                if plots:
                    plot_morris(mor, outcomes, policies, tmp, out)
        else:
            out.notes.append(f"{method} design: no variance-based indices (use saltelli or morris); "
                             "see the outcome-vs-parameter plots")

        rob = pd.concat([robustness(means, policies, oc) for oc in outcomes], ignore_index=True)
        rob.to_csv(tmp / "robustness.csv", index=False, float_format="%.6g")
        out.tables.append({"title": "Robustness of each policy across the design: mean, percentiles, worst decile, "
                                    "regret vs the best policy per point", "file": "analysis/robustness.csv"})
        out.frames["robustness"] = rob

        failed = runs[runs.status != "ok"]
        if len(failed):
            failed[["policy", "point", "replication", "error"]].head(10_000).to_csv(tmp / "failures.csv", index=False)
            out.tables.append({"title": f"Failed runs ({len(failed)}) and their errors", "file": "analysis/failures.csv"})
            out.notes.append(f"{len(failed)} of {len(runs)} runs failed; see failures.csv")

        if plots:
            for oc in outcomes:
                plot_outcome_vs_parameters(means, design, params, oc, policies, tmp, out, seed)
            plot_robustness(means, rob, outcomes, policies, tmp, out)
    write_file_atomic(folder / "analysis.json", json.dumps(out.index(), indent=2))
    return out


def summary_text(a: Analysis) -> str:
    """A few lines for the terminal: the most influential parameter and the most robust policy."""
    lines = []
    sob = a.frames.get("sobol")
    if sob is not None:
        lines.append("Most influential parameter (largest total Sobol' index ST):")
        for (pol, oc), t in sob.dropna(subset=["ST"]).groupby(["policy", "outcome"], sort=False):
            top = t.loc[t.ST.idxmax()]
            lines.append(f"  {pol:<16} {oc:<22} {top.parameter}  (ST {top.ST:.2f} ± {top.ST_conf:.2f}, "
                         f"S1 {top.S1:.2f} ± {top.S1_conf:.2f})")
    mor = a.frames.get("morris")
    if mor is not None:
        lines.append("Most influential parameter (largest Morris mu*):")
        for (pol, oc), t in mor.dropna(subset=["mu_star"]).groupby(["policy", "outcome"], sort=False):
            top = t.loc[t.mu_star.idxmax()]
            lines.append(f"  {pol:<16} {oc:<22} {top.parameter}  (mu* {top.mu_star:.4g}, sigma {top.sigma:.4g})")
    rob = a.frames.get("robustness")
    if rob is not None and rob.policy.nunique() > 1:
        lines.append("Most robust policy (lowest mean regret across the design):")
        for oc, t in rob.dropna(subset=["regret_mean"]).groupby("outcome", sort=False):
            best = t.loc[t.regret_mean.idxmin()]
            lines.append(f"  {oc:<22} {best.policy}  (best at {best.best_share:.0%} of points; "
                         f"worst decile {best.worst_decile:.4g})")
    lines += [f"note: {n}" for n in a.notes]
    lines.append(f"Wrote {len(a.tables)} tables and {len(a.plots)} plots (PNG + SVG) to {a.folder}/analysis/ "
                 f"and an index to {a.folder}/analysis.json")
    return "\n".join(lines)
