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
* contrasts.csv    (two or more policies) each policy against the first, point by point:
                   shares of points clearly better / equivalent / worse or undecided from 95 %
                   t-intervals of the paired per-replication differences, and the difference
                   of the point means across the design
* failures.csv     failed runs with their error (if any)
* plots (PNG + SVG): outcome vs each parameter, Sobol' bars, Morris mu*–sigma, robustness

and `folder/analysis.json`, an index of those tables and plots with titles (paths
relative to the folder) for `sdgsim report`. Outcomes are those the sweep file lists
(`outcomes:`), each with a direction (the outcome registry's higher_is_better) that orients regret.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..outcomes.registry import outcome_sense, readable
from . import decisions
from .decisions import POINT_CLASS, POINT_CLASSES

MAX_SCATTER = 3000
"""Points per policy drawn in an outcome-vs-parameter panel (a random subset beyond that)."""
CONF_LEVEL = decisions.LEVEL


TABLE_TITLES = {
    "points": "Outcome means per policy and design point",
    "sobol": f"Sobol' first-order (S1) and total (ST) indices, {int(CONF_LEVEL * 100)} % confidence half-widths "
             "(S1_conf, ST_conf)",
    "morris": "Morris elementary effects: mu, mu* (with confidence half-width) and sigma, per full range of each "
              "parameter",
    "robustness": "Robustness of each policy across the design: mean, percentiles, worst decile, regret vs the best "
                  "policy per point",
    "contrasts": "Each policy against the first, point by point: the share of points where the "
                 f"{int(CONF_LEVEL * 100)} % interval of the paired difference over the replications lies wholly "
                 "above the smallest effect that matters (clearly_better), within it (clearly_equivalent), below "
                 "minus it (clearly_worse), or straddles it (undecided: more replications per point might decide); "
                 "the difference of the point means and its spread across the design; better/equivalent/worse "
                 "shares from the point means alone (Monte Carlo error ignored)",
    "failures": "Failed runs and their errors",
}


@dataclass
class SweepInfo:
    """What the analysis needs to know about a sweep besides its runs (from its manifest)."""

    policies: list[str]
    outcomes: list[str]
    parameters: list[str]
    """Stored parameter columns of the design."""
    dims: list[str]
    points: int
    runs: int
    method: str
    problem: dict
    seed: int
    second_order: bool = False
    levels: int = 4

    senses: dict = field(default_factory=dict)
    """Outcome column -> +1 (higher is better) or -1, as the sweep recorded it."""
    births: frozenset = frozenset()
    """Indicators counted over live births (their smallest effect that matters is the registry's
    min_effect_births)."""

    def sense(self, outcome: str) -> int:
        """The direction of `outcome`: the sweep's record, else the outcome registry's default."""
        return int(self.senses.get(outcome) or outcome_sense(outcome))

    @classmethod
    def from_manifest(cls, man: dict) -> SweepInfo:
        d = man["design"]
        return cls(list(man["policies"]), list(man["outcomes"]), list(man["columns"]["parameters"]), d["dims"],
                   man["plan"]["points"], man["plan"]["runs"], d["method"], d["problem"], int(man["seed"]) % 2**32,
                   bool(d.get("second_order")), int(d.get("levels") or 4), dict(man.get("senses") or {}),
                   frozenset(man.get("births_indicators") or ()))


@dataclass
class Analysis:
    """A sweep's analysis in memory: tidy frames (points, sobol or morris, robustness, failures),
    the point means and design it was computed from, and notes. `tables` and `plots` list
    what was written when it is saved (paths relative to the sweep folder, with titles)."""

    info: SweepInfo
    means: pd.DataFrame
    design: pd.DataFrame
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    folder: Path | None = None
    tables: list[dict] = field(default_factory=list)
    plots: list[dict] = field(default_factory=list)

    def index(self) -> dict:
        return {"kind": "sweep-analysis", "tables": self.tables, "plots": self.plots, "notes": self.notes}


def outcome_label(name: str) -> str:
    """An outcome column name as words, for titles and axes."""
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


def robustness(means: pd.DataFrame, policies: list[str], outcome: str, sense: int | None = None,
               births: frozenset = frozenset()) -> pd.DataFrame:
    """Each policy's outcome across the design, and its regret vs the best policy per point.

    Regret at a point = |best policy's value − this policy's value|, oriented by the
    outcome's direction (0 for the best policy). Points where any policy has no
    successful run are left out of the regret. `best_share`: points where the policy is
    best, by any margin; `near_best_share`: points where its regret is within the smallest
    effect that matters (as in `contrasts`, a relative one scaled by the first policy's value
    there), i.e. it is best or as good as the best for practical purposes. A policy "best"
    everywhere while the others are near-best everywhere leads by negligible margins. Both
    come from point means (Monte Carlo error ignored; `contrasts` has the intervals).
    """
    sense = sense or outcome_sense(outcome)  # +1: higher is better (the sweep's manifest records it)
    table = means[outcome].unstack("policy").reindex(columns=policies)  # (points, policies)
    values = table.to_numpy(dtype=float)
    complete = np.isfinite(values).all(axis=1)
    oriented = sense * values[complete]
    best = oriented.max(axis=1, initial=-np.inf, keepdims=True) if oriented.size else oriented
    regret = best - oriented if oriented.size else np.zeros((0, len(policies)))
    m = decisions.column_min_effect(outcome, values[complete, 0], births) if oriented.size else np.zeros(0)
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
            "near_best_share": float((r <= m).mean()) if r.size else np.nan,
        })
    return pd.DataFrame(rows)


def paired_intervals(runs: pd.DataFrame, policy: str, reference: str, outcome: str, points: np.ndarray,
                     conf: float = CONF_LEVEL) -> pd.DataFrame:
    """Per design point, the paired differences policy − reference over the replications both ran.

    Policies share random-number streams per (point, replication) (designs.run_seeds), so the
    difference is taken replication by replication, over successful runs of both policies only.
    Returns a frame indexed by `points` with n (paired replications), mean, and the `conf`
    t-interval low/high of the mean difference (Student's t, n − 1 degrees of freedom; NaN for
    n < 2; with no spread at all the interval is the mean itself).
    """
    ok = runs[(runs["status"] == "ok") & runs["policy"].isin([policy, reference])]
    wide = ok.set_index(["point", "replication", "policy"])[outcome].unstack("policy").reindex(
        columns=[policy, reference])
    d = wide[policy] - wide[reference]
    g = d.dropna().groupby(level="point")
    stats = pd.DataFrame({"n": g.size(), "mean": g.mean(), "sd": g.std(ddof=1)}).reindex(points)
    n = stats["n"].fillna(0).to_numpy(dtype=int)
    mean = stats["mean"].to_numpy(dtype=float)
    low, high = decisions.t_interval(mean, stats["sd"].to_numpy(dtype=float), n, conf)
    return pd.DataFrame({"n": n, "mean": mean, "low": low, "high": high}, index=pd.Index(points))


def classify_intervals(low: np.ndarray, high: np.ndarray, min_effect: np.ndarray, sense: int) -> np.ndarray:
    """Each point's class from its interval of the difference, oriented by `sense` (+1: higher is better):
    `decisions.classify` in a sweep's names (`decisions.POINT_CLASS`): 'clearly_better' (whole interval
    above +min_effect), 'clearly_worse' (below −min_effect), 'clearly_equivalent' (within ±min_effect),
    else 'undecided' (the interval straddles ±min_effect, or there is none: fewer than two paired replications)."""
    verdict = decisions.classify(*decisions.orient(low, high, sense), min_effect)
    return np.array([POINT_CLASS[v] for v in verdict], dtype=object).reshape(verdict.shape)


def contrasts(means: pd.DataFrame, runs: pd.DataFrame, policies: list[str], outcome: str, sense: int | None = None,
              births: frozenset = frozenset()) -> pd.DataFrame:
    """Each policy after the first against the first (the reference), point by point.

    Headline, with Monte Carlo error: at each point the paired per-replication differences
    (policy − reference over the replications where both ran, see `paired_intervals`), their
    95 % t-interval, classified by `classify_intervals` against the smallest effect that matters
    (the outcome registry's min_effect, or min_effect_births for the indicators in `births`;
    a relative one scales with the reference's point mean); `clearly_better_share`,
    `clearly_equivalent_share`, `clearly_worse_share` and `undecided_share` sum to 1.
    `replications_median`: paired replications per point; `halfwidth_median`: the interval's
    half-width. Kept for compatibility, from the point means alone (Monte Carlo error ignored):
    Δ = policy's point mean − reference's (`diff_*` across the design), `better_share` /
    `worse_share` (Δ oriented beyond ±min effect) and `equivalent_share` (the rest).
    Points where either policy has no successful run are left out.
    """
    sense = sense or outcome_sense(outcome)
    wide = means[outcome].unstack("policy").reindex(columns=policies)
    table, index = wide.to_numpy(dtype=float), wide.index.to_numpy()
    rows = []
    for j, pol in enumerate(policies[1:], start=1):
        ok = np.isfinite(table[:, 0]) & np.isfinite(table[:, j])
        d = table[ok, j] - table[ok, 0]
        m = decisions.column_min_effect(outcome, table[ok, 0], births)
        oriented = sense * d
        iv = paired_intervals(runs, pol, policies[0], outcome, index[ok])
        verdict = classify_intervals(iv["low"].to_numpy(), iv["high"].to_numpy(), m, sense)
        half = ((iv["high"] - iv["low"]) / 2).to_numpy()
        rows.append({
            "policy": pol, "reference": policies[0], "outcome": outcome, "better": "higher" if sense > 0 else "lower",
            "points": int(d.size), "replications_median": float(np.median(iv["n"])) if d.size else np.nan,
            "diff_mean": float(d.mean()) if d.size else np.nan,
            "diff_p10": _pct(d, 10), "diff_p50": _pct(d, 50), "diff_p90": _pct(d, 90),
            "min_effect_mean": float(m.mean()) if m.size else np.nan,
            **{f"{v}_share": float((verdict == v).mean()) if d.size else np.nan for v in POINT_CLASSES},
            "halfwidth_median": float(np.nanmedian(half)) if np.isfinite(half).any() else np.nan,
            "better_share": float((oriented > m).mean()) if d.size else np.nan,
            "worse_share": float((oriented < -m).mean()) if d.size else np.nan,
            "equivalent_share": float((np.abs(d) <= m).mean()) if d.size else np.nan,
        })
    return pd.DataFrame(rows)


def analyze_runs(runs: pd.DataFrame, design: pd.DataFrame, info: SweepInfo) -> Analysis:
    """Analyse a complete sweep in memory: point means, Sobol' or Morris indices, robustness.

    runs: one row per run (policy, point, replication, status, error, parameters, outcomes);
    design: the design table indexed by point (parameter columns and the unit sample u:<dim>).
    """
    means = point_means(runs, info.policies, info.points, info.outcomes)
    out = Analysis(info, means, design)
    params = info.parameters
    pts = means.reset_index().merge(design[params].reset_index(), on="point", how="left")
    out.frames["points"] = pts[["policy", "point", *params, *info.outcomes, "runs_ok", "runs_failed"]]
    X = design[[f"u:{d}" for d in info.dims]].to_numpy(dtype=float)
    name = {"saltelli": "Sobol'", "morris": "Morris"}.get(info.method)
    rows = []
    for pol in info.policies if name else []:
        for oc in info.outcomes:
            Y = means.loc[pol, oc].to_numpy(dtype=float)
            if not np.isfinite(Y).all():
                out.notes.append(f"{name} indices of {oc} for {pol} skipped: "
                                 f"{int((~np.isfinite(Y)).sum())} points without a successful run")
                continue
            t = (sobol_indices(info.problem, Y, info.second_order, info.seed) if info.method == "saltelli" else
                 morris_indices(info.problem, X, Y, info.levels, info.seed))
            rows.append(t.assign(policy=pol, outcome=oc))
    # what decides whether a policy beats the first one: indices of the point-by-point difference
    for pol in info.policies[1:] if name else []:
        for oc in info.outcomes:
            Y = (means.loc[pol, oc] - means.loc[info.policies[0], oc]).to_numpy(dtype=float)
            if not np.isfinite(Y).all() or np.ptp(Y) == 0:
                continue
            t = (sobol_indices(info.problem, Y, info.second_order, info.seed) if info.method == "saltelli" else
                 morris_indices(info.problem, X, Y, info.levels, info.seed))
            rows.append(t.assign(policy=f"{pol} − {info.policies[0]}", outcome=oc))
    if rows and info.method == "saltelli":
        out.frames["sobol"] = pd.concat(rows)[["policy", "outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]]
    elif rows:
        out.frames["morris"] = pd.concat(rows)[["policy", "outcome", "parameter", "mu", "mu_star", "mu_star_conf",
                                                "sigma"]]
    if not name:
        out.notes.append(f"{info.method} design: no variance-based indices (use saltelli or morris); "
                         "see the outcome-vs-parameter plots")
    out.frames["robustness"] = pd.concat([robustness(means, info.policies, oc, info.sense(oc), info.births)
                                          for oc in info.outcomes], ignore_index=True)
    if len(info.policies) > 1:
        out.frames["contrasts"] = pd.concat([contrasts(means, runs, info.policies, oc, info.sense(oc), info.births)
                                             for oc in info.outcomes], ignore_index=True)
    failed = runs[runs.status != "ok"]
    if len(failed):
        out.frames["failures"] = failed[["policy", "point", "replication", "error"]].head(10_000)
        out.notes.append(f"{len(failed)} of {len(runs)} runs failed; see failures.csv")
    return out


def near_best_text(table: pd.DataFrame, best: str) -> str:
    """'; also within the smallest effect that matters of the best: B at 100 %, C at 30 %' for the
    other policies of one outcome's robustness rows that are near-best somewhere (else '')."""
    others = table[(table.policy != best) & (table.near_best_share > 0)] if "near_best_share" in table else table[:0]
    if not len(others):
        return ""
    return ("; also within the smallest effect that matters of the best: "
            + ", ".join(f"{r.policy} at {r.near_best_share:.0%} of points" for r in others.itertuples()))


def replications_text(n: float) -> str:
    """'4 replications per point', or why one gives no interval."""
    if not np.isfinite(n) or n < decisions.MIN_PAIRED:
        return "1 replication per point: no interval, every point undecided; run 2 or more"
    return f"{n:.0f} replications per point"


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
    con = a.frames.get("contrasts")
    if con is not None:
        lines.append(f"Against the first policy, point by point, with {CONF_LEVEL:.0%} intervals over the paired "
                     "replications (clearly better / clearly equivalent / clearly worse than the smallest effect "
                     "that matters / undecided: the interval straddles it, more replications per point might "
                     "decide it):")
        for _, r in con.iterrows():
            if not r.points:
                lines.append(f"  {r.policy:<16} {r.outcome:<22} no point where both policies have a successful run")
                continue
            lo, hi = (readable(r.outcome, v, signed=True, unit=False) for v in (r.diff_p10, r.diff_p90))
            lines.append(f"  {r.policy:<16} {r.outcome:<22} Δ {readable(r.outcome, r.diff_mean, signed=True)} "
                         f"(p10 to p90 across the design: {lo} to {hi}); {r.clearly_better_share:.0%} / "
                         f"{r.clearly_equivalent_share:.0%} / {r.clearly_worse_share:.0%} / {r.undecided_share:.0%} undecided "
                         f"({replications_text(r.replications_median)})")
    rob = a.frames.get("robustness")
    rob = rob.dropna(subset=["regret_mean"]) if rob is not None and rob.policy.nunique() > 1 else None
    if rob is not None and len(rob):
        lines.append("Most robust policy (lowest mean regret across the design; point means):")
        for oc, t in rob.groupby("outcome", sort=False):
            best = t.loc[t.regret_mean.idxmin()]
            lines.append(f"  {oc:<22} {best.policy}  (best at {best.best_share:.0%} of points; "
                         f"worst decile {readable(oc, best.worst_decile)}){near_best_text(t, best.policy)}")
    lines += [f"note: {n}" for n in a.notes]
    if a.folder is not None and (a.tables or a.plots):  # said only once saved (not for an analysis in memory)
        lines.append(f"Wrote {len(a.tables)} tables and {len(a.plots)} plots (PNG + SVG) to {a.folder}/analysis/ "
                     f"and an index to {a.folder}/analysis.json")
    return "\n".join(lines)
