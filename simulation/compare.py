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

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import metrics, runner, store
from .ledger import ACCOUNTS
from .runner import RunResult
from .scenario import load_scenario
from .yamlio import InputError, Problem, for_file

ALL = metrics.ALL
NO_GOAL = "-"

# outcome -> (higher is better, description)
OUTCOMES: dict[str, tuple[bool, str]] = {
    "sdg_index_end": (True, "SDG index at the horizon (mean of goal scores, 0-100)"),
    "goal_score_end": (True, "goal score at the horizon (0-100)"),
    "gap_closure": (True, "share of the gap to 100 closed since the start year"),
    "year_target_reached": (False, "first year the goal score reaches its target (horizon + 1 = not reached)"),
    "cost_per_point_usd": (False, "all money spent per SDG-index point gained (summed over countries), USD"),
    "private_per_public": (True, "private finance mobilised per public external dollar"),
    "gini_end": (False, "inequality of SDG index across countries at the horizon (Gini)"),
    "adoption_end": (True, "mean technology adoption at the horizon (share 0-1)"),
    "overhead_usd": (False, "channel overhead over the whole horizon, USD"),
}
MIN_RUNS_T = 10
MIN_RUNS_BOOTSTRAP = 30
BOOTSTRAP_RESAMPLES = 4000


def outcomes(result: RunResult) -> pd.DataFrame:
    """Per-run outcomes in long form: outcome, country, goal, run, value."""
    sc = result.scenario
    m = metrics.per_run(result)
    N = result.runs
    frames: list[pd.DataFrame] = []

    def add(name: str, values: np.ndarray, countries: list[str], goals: list[str]) -> None:
        """values: (N, len(countries), len(goals))."""
        v = np.asarray(values, dtype=float).reshape(N, len(countries), len(goals))
        frames.append(pd.DataFrame({
            "outcome": name,
            "country": np.tile(np.repeat(np.array(countries, dtype=object), len(goals)), N),
            "goal": np.tile(np.array(goals, dtype=object), N * len(countries)),
            "run": np.repeat(np.arange(N), len(countries) * len(goals)),
            "value": v.reshape(-1),
        }))

    cids, gids = sc.country_ids, sc.goal_ids
    idx_end = np.concatenate([m["index"][:, -1], m["overall"][:, -1:]], axis=1)
    add("sdg_index_end", idx_end, [*cids, ALL], [NO_GOAL])
    goal_end = m["goal_end"]
    add("goal_score_end", np.concatenate([goal_end, goal_end.mean(axis=1, keepdims=True)], axis=1),
        [*cids, ALL], gids)
    closure_all = metrics.gap_closure(m["overall"][:, 0], m["overall"][:, -1], metrics.index_target(sc))
    add("gap_closure", np.concatenate([m["gap_closure"], closure_all[:, None]], axis=1), [*cids, ALL], [NO_GOAL])
    reached = np.where(np.isnan(m["year_reached"]), sc.end_year + 1, m["year_reached"])
    add("year_target_reached", reached, cids, gids)
    for name in ("cost_per_point_usd", "private_per_public", "gini_end", "adoption_end"):
        add(name, m[name], [ALL], [NO_GOAL])
    add("overhead_usd", result.balance[..., ACCOUNTS.index("overhead")].sum(axis=1), [ALL], [NO_GOAL])
    return pd.concat(frames, ignore_index=True)


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
                        f"(use --runs {need} or more; 30+ recommended for probabilities)")
    long = {name: outcomes(r) for name, r in results.items()}
    keys = ["outcome", "country", "goal"]
    wide = {name: df.set_index([*keys, "run"]).value.unstack("run") for name, df in long.items()}
    common = wide[reference].index
    for name in names:
        common = common.intersection(wide[name].index, sort=False)
    mats = {name: wide[name].loc[common].to_numpy(dtype=float) for name in names}  # rows × N
    higher = np.array([OUTCOMES[o][0] for o in common.get_level_values("outcome")])
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
    desc = OUTCOMES[outcome][1]
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


# ------------------------------------------------------------------ the compare workflow


GOAL_OUTCOMES = ("goal_score_end", "year_target_reached")  # have a goal dimension
COUNTRY_OUTCOMES = ("sdg_index_end", "goal_score_end", "gap_closure", "year_target_reached")


def metric_problem(outcome: str, country: str, goal: str, scenarios) -> str | None:
    """Why (outcome, country, goal) names no row of the comparison, or None if it does."""
    countries = {c for s in scenarios for c in s.country_ids}
    goals = {g for s in scenarios for g in s.goal_ids}
    if outcome not in OUTCOMES:
        return f"unknown outcome (allowed: {', '.join(OUTCOMES)})"
    if outcome in GOAL_OUTCOMES and goal == NO_GOAL:
        return f"{outcome} needs a goal, e.g. {outcome}:{sorted(goals)[0]}"
    if outcome not in GOAL_OUTCOMES and goal != NO_GOAL:
        return f"{outcome} has no goal dimension (goals apply to: {', '.join(GOAL_OUTCOMES)})"
    if goal != NO_GOAL and goal not in goals:
        return f"unknown goal '{goal}' (the scenarios have: {', '.join(sorted(goals))})"
    if country != ALL and outcome not in COUNTRY_OUTCOMES:
        return f"{outcome} is reported for all countries only (drop @{country})"
    if country != ALL and country not in countries:
        return f"unknown country '{country}' (the scenarios have: {', '.join(sorted(countries))})"
    if country == ALL and outcome == "year_target_reached":
        return "year_target_reached is per country: add @COUNTRY"
    return None


def unique_names(names: list[str]) -> list[str]:
    """Make scenario names unique for folder names: a, a-2, a-3, ..."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}-{seen[n]}")
    return out


def run_comparison(files: list[str], *, sets: list[str], runs: int, seed: int, workers: int, out,
                   force: bool, reference: str | None, interval: str, record_flows: bool = True,
                   progress=None, executor: str | None = None, scheduler: str | None = None,
                   metrics_wanted: list[tuple[str, str, str]] | None = None) -> tuple[Comparison, list[str]]:
    """Load, run (common random numbers), compare and write a comparison folder with its report.

    Returns the comparison and the scenario names (folder names) in the order given.
    """
    from .report import build_report  # report imports this module

    started = datetime.now(timezone.utc)
    problems, scenarios = [], []
    for f in files:
        try:
            scenarios.append(load_scenario(f, sets))
        except InputError as err:
            problems += for_file(err.problems, f) if len(files) > 1 else err.problems
    if problems:
        raise InputError(problems)
    problems = [Problem("--metric", 1, f"{o}:{g}@{c}", msg) for o, c, g in (metrics_wanted or [])
                if (msg := metric_problem(o, c, g, scenarios))]
    if problems:
        raise InputError(problems)
    names = unique_names([s.name for s in scenarios])
    if reference is not None and reference not in names:
        raise InputError([Problem("--reference", 1, "reference",
                                  f"'{reference}' is not one of the scenarios ({', '.join(names)})")])
    out = Path(out)
    store.check_target(out, force)
    results = {}
    for name, sc in zip(names, scenarios):
        results[name] = runner.run_scenario(sc, runs=runs, seed=seed, workers=workers, record_flows=record_flows,
                                            progress=progress, executor=executor, scheduler=scheduler)
    comp = compare(results, reference=reference, method=interval, seed=seed)
    with store.atomic_folder(out, force) as tmp:
        for (name, res), f in zip(results.items(), files):
            store.write_run(res, metrics.summary(res), tmp / name, force=False, scenario_file=str(f), sets=sets,
                            started=started)
        comp.table.to_parquet(tmp / "comparison.parquet", index=False)
        comp.table.to_csv(tmp / "comparison.csv", index=False, float_format="%.6g")
        base = store.manifest(next(iter(results.values())), scenario_file=None, sets=sets, started=started)
        man = {k: base[k] for k in ("sdgsim_version", "seed", "runs", "seeding", "started", "finished", "command",
                                    "versions", "overrides")}
        man.update(kind="compare", reference=comp.reference, interval=interval, warnings=comp.warnings,
                   scenarios=[{"name": n, "file": str(f), "hash": r.scenario.content_hash()}
                              for (n, r), f in zip(results.items(), files)])
        (tmp / "manifest.json").write_text(json.dumps(man, indent=2))
        build_report(tmp)
    return comp, names
