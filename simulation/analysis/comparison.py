"""Outcome comparison of scenarios with paired statistics under common random numbers.

Every scenario is run with the same seed, so replication i of every scenario uses the
same random streams (rng.py keys streams by replication and entity id). Paired
differences therefore cancel the noise the scenarios share, and identical scenarios
give differences of exactly zero.

Per outcome, scenario and (country, goal): mean with a 95 % confidence interval of the
mean, the 2.5–97.5 % range of outcomes over runs, the paired difference to the reference
scenario with its 95 % confidence interval, the probability of superiority
P(scenario better than reference in the same replication; ties count half), and the
probability that the scenario ranks first among all scenarios in a replication.

Interval methods: "t" (Student t on the mean / paired differences; default) or
"bootstrap" (percentile bootstrap of the mean, 4000 resamples, seeded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..model import RunResult
from ..outcomes.registry import ALL, NO_GOAL, REGISTRY, outcome_table

MIN_RUNS_T = 10
MIN_RUNS_BOOTSTRAP = 30
BOOTSTRAP_RESAMPLES = 4000


def mean_interval(x: np.ndarray, method: str = "t", level: float = 0.95,
                  rng: np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the mean of each row of x (rows × N); NaN-free rows expected."""
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    mean = x.mean(axis=-1)
    if n < 2:
        return np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    if method == "t":
        se = x.std(axis=-1, ddof=1) / np.sqrt(n)
        half = stats.t.ppf(0.5 + level / 2, n - 1) * se
        return mean - half, mean + half
    if method == "bootstrap":
        rng = rng or np.random.default_rng(0)
        idx = rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
        boot = x[..., idx].mean(axis=-1)  # (rows, B)
        lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)], axis=-1)
        return lo, hi
    raise ValueError(f"unknown interval method {method!r} (allowed: t, bootstrap)")


@dataclass
class Comparison:
    table: pd.DataFrame
    reference: str
    method: str
    runs: int
    warnings: list[str] = field(default_factory=list)


def _mismatch_warnings(results: dict[str, RunResult], reference: str) -> list[str]:
    """Say when scenarios differ in countries, goals or years: their 'ALL' rows then average
    different things, and a never-reached target is censored at different years."""
    ref = results[reference].scenario
    out = []
    for name, r in results.items():
        sc = r.scenario
        diffs = []
        if set(sc.country_ids) != set(ref.country_ids):
            diffs.append(f"countries ({len(sc.country_ids)} vs {len(ref.country_ids)})")
        if set(sc.goal_ids) != set(ref.goal_ids):
            diffs.append(f"goals ({len(sc.goal_ids)} vs {len(ref.goal_ids)})")
        if (sc.start_year, sc.end_year) != (ref.start_year, ref.end_year):
            diffs.append(f"years ({sc.start_year}-{sc.end_year} vs {ref.start_year}-{ref.end_year})")
        if diffs:
            out.append(f"{name} and {reference} differ in {', '.join(diffs)}: per-country and per-goal rows "
                       "compare only what both have, but 'ALL' rows and horizons are not like for like")
    return out


def compare(results: dict[str, RunResult], reference: str | None = None, method: str = "t",
            level: float = 0.95, seed: int = 0) -> Comparison:
    """Paired comparison of scenarios that were run with the same seed and number of runs."""
    names = list(results)
    reference = reference or names[0]
    if reference not in results:
        raise KeyError(reference)
    runs = {r.runs for r in results.values()}
    if len(runs) != 1:
        raise ValueError("all scenarios must have the same number of runs for paired comparison")
    N = runs.pop()
    warnings = _mismatch_warnings(results, reference)
    need = MIN_RUNS_T if method == "t" else MIN_RUNS_BOOTSTRAP
    if N < need:
        warnings.append(f"{N} runs is too few for a reliable {int(level * 100)}% {method} interval "
                        f"({need} or more runs needed; 30+ recommended for probabilities)")
    long = {name: outcome_table(r) for name, r in results.items()}
    keys = ["outcome", "country", "goal"]
    wide = {name: df.set_index([*keys, "run"]).value.unstack("run") for name, df in long.items()}
    common = wide[reference].index
    for name in names:
        common = common.intersection(wide[name].index, sort=False)
    mats = {name: wide[name].loc[common].to_numpy(dtype=float) for name in names}  # rows × N
    higher = np.array([REGISTRY[o].higher_is_better for o in common.get_level_values("outcome")], dtype=bool)
    sign = np.where(higher, 1.0, -1.0)[:, None]
    oriented = np.stack([mats[n] * sign for n in names])  # (scenarios, rows, N)
    oriented = np.where(np.isnan(oriented), -np.inf, oriented)
    best = oriented.max(axis=0, keepdims=True)
    is_best = oriented == best
    p_best = (is_best / is_best.sum(axis=0, keepdims=True)).mean(axis=-1)  # ties split

    rng = np.random.default_rng(seed)
    rows = []
    ref = mats[reference]
    for k, name in enumerate(names):
        x = mats[name]
        lo, hi = mean_interval(x, method, level, rng)
        d = x - ref
        dlo, dhi = mean_interval(d, method, level, rng)
        zero = np.all(d == 0, axis=-1)
        dlo, dhi = np.where(zero, 0.0, dlo), np.where(zero, 0.0, dhi)
        better = (d * sign > 0).mean(axis=-1) + 0.5 * (d == 0).mean(axis=-1)
        frame = common.to_frame(index=False)
        frame.insert(0, "scenario", name)
        frame["higher_is_better"] = higher
        frame["runs"] = N
        frame["mean"] = x.mean(axis=-1)
        frame["ci_low"], frame["ci_high"] = lo, hi
        frame["p2_5"], frame["p97_5"] = np.percentile(x, [2.5, 97.5], axis=-1)
        frame["diff_mean"] = d.mean(axis=-1)
        frame["diff_ci_low"], frame["diff_ci_high"] = dlo, dhi
        frame["p_superior"] = better
        frame["p_best"] = p_best[k]
        frame["reference"] = reference
        frame["interval"] = method
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    return Comparison(table=table, reference=reference, method=method, runs=N, warnings=warnings)


def headline(comp: Comparison, outcome: str = "sdg_index_end", country: str = ALL, goal: str = NO_GOAL) -> str:
    """One sentence answer: which scenario does best on the headline outcome, by how much."""
    t = comp.table
    sel = t[(t.outcome == outcome) & (t.country == country) & (t.goal == goal)]
    if sel.empty:
        return "no data for the headline outcome"
    higher = bool(sel.higher_is_better.iloc[0])
    best = sel.sort_values("mean", ascending=not higher).iloc[0]
    desc = REGISTRY[outcome].description
    where = "all countries" if country == ALL else country
    if best.scenario == comp.reference:
        others = sel[sel.scenario != comp.reference]
        gap = (others.diff_mean.max() if higher else others.diff_mean.min()) if len(others) else 0.0
        return (f"{best.scenario} (the reference) does best on {desc}, {where}: {best['mean']:.2f}; "
                f"the closest alternative differs by {gap:+.2f}. It ranks first in {best.p_best:.0%} of runs.")
    sure = "clearly" if (best.diff_ci_low > 0 if higher else best.diff_ci_high < 0) else "not clearly"
    return (f"{best.scenario} does best on {desc}, {where}: {best['mean']:.2f} vs {comp.reference} "
            f"{best['mean'] - best.diff_mean:.2f}, a paired difference of {best.diff_mean:+.2f} "
            f"(95% CI {best.diff_ci_low:+.2f} to {best.diff_ci_high:+.2f}, {comp.method} interval) — {sure} "
            f"better; it beats {comp.reference} in {best.p_superior:.0%} of paired runs and ranks first in "
            f"{best.p_best:.0%}.")


