"""Outcome comparison of scenarios with paired statistics under common random numbers.

Every scenario is run with the same seed, so replication i of every scenario uses the
same random streams (rng.py keys streams by replication and entity id). Paired
differences therefore cancel the noise the scenarios share, and identical scenarios
give differences of exactly zero.

Per outcome, scenario and (country or country group, goal): mean with a 95 % confidence
interval of the mean, the 2.5–97.5 % range of outcomes over runs, the paired difference to
the reference scenario with its 95 % confidence interval and the 5th–95th percentile of the
paired differences over runs (`diff_p05`, `diff_p95`: where 90 % of the runs' differences fall), the probability of superiority
P(scenario better than reference in the same replication; ties count half), and the
probability that the scenario ranks first among all scenarios in a replication.

Decisions are stated against the smallest effect that matters (`min_effect`, per outcome
in the outcome registry, overridable per value), in the vocabulary of `decisions` (shared
with a sweep's analysis): each row gets a `verdict` — `better` or `worse` when the whole
confidence interval of the difference lies beyond ± min_effect in that direction,
`equivalent` when it lies inside ± min_effect, `inconclusive` otherwise (`reference` for the
reference's own rows) — and `p_better_by_min`, the share of paired runs in which the
scenario beats the reference by more than min_effect.

Interval methods (`decisions.paired_interval`): "t" (Student t on the mean / paired
differences; default) or "bootstrap" (percentile bootstrap of the mean, 4000 resamples, seeded).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import RunArrays
from ..outcomes import metrics
from ..outcomes.registry import ALL, NO_GOAL, REGISTRY, label, outcome_sense, period
from ..outcomes.values import RunValues
from . import decisions
from .attribution import attribute, gain_words, shift_warnings
from .decisions import REFERENCE, SAYS

MIN_RUNS_T = 10
MIN_RUNS_BOOTSTRAP = 30
BLOCK = decisions.BLOCK
NO_MONEY_USD = 1.0
"""Extra money (mean over paired runs, over the horizon) smaller than one US dollar either way is
rounding in sums of billions: the option puts in no extra money."""
NO_EXTRA_MONEY = "no extra money"
SAVES_MONEY = "saves money"
"""Numbers (float64) in one block of rows x runs: comparisons work block by block, so their
memory does not grow with the rows times the runs."""


@dataclass
class Comparison:
    table: pd.DataFrame
    reference: str
    method: str
    runs: int
    warnings: list[str] = field(default_factory=list)
    costs: pd.DataFrame | None = None
    """Cost per person reached vs the reference, per scenario and indicator (`cost_per_person`)."""
    attribution: pd.DataFrame | None = None
    """Who gains and who loses people and money, by country, group and funder (`attribution.attribute`)."""
    shifts: list[str] = field(default_factory=list)
    """Shift warnings: an option whose gain in some countries is mostly a loss in others
    (`attribution.shift_warnings`)."""


def _mismatch_warnings(results: dict[str, RunValues], reference: str) -> list[str]:
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


Results = dict[str, RunArrays | RunValues]


def _values(results: Results) -> dict[str, RunValues]:
    return {n: r if isinstance(r, RunValues) else RunValues.of(r) for n, r in results.items()}


def _rows(v: RunValues) -> dict[tuple[str, str, str], tuple[np.ndarray, int, int]]:
    """(outcome, country, goal) → where its per-run values are in `v`."""
    return {(o, c, g): (arr, i, j) for o, (arr, cs, gs) in v.values.items()
            for i, c in enumerate(cs) for j, g in enumerate(gs)}


def _gather(where: dict, keys: list[tuple[str, str, str]]) -> np.ndarray:
    """rows × N: the per-run values of `keys`."""
    return np.stack([where[k][0][:, where[k][1], where[k][2]] for k in keys]).astype(float)


def compare(results: Results, reference: str | None = None, method: str = "t",
            level: float = 0.95, seed: int = 0, min_effects: dict[str, float | str] | None = None,
            flows: dict[str, pd.DataFrame | None] | None = None,
            groups: dict[str, list[str]] | None = None) -> Comparison:
    """Paired comparison of scenarios that were run with the same seed and number of runs.

    `results`: name → a run in memory (RunArrays) or its per-run outcome values (RunValues,
    what a run streamed to disk keeps); the same numbers either way. Rows are processed in
    blocks, so the memory needed grows with the runs, not with the runs times the values.
    `min_effects`: smallest effect that matters per value name (NAME, NAME:KEY, NAME@COUNTRY
    or NAME:KEY@COUNTRY; a number in the outcome's unit, or "5%" of the reference's mean);
    the registry's `min_effect` where none is given. `flows`: each scenario's money flows for the
    attribution (default: a RunArrays' own `flows`); `groups`: country groups (name → member ids)
    the attribution sums countries into (none by default).
    """
    given = dict(min_effects or {})
    vals = _values(results)
    names = list(vals)
    reference = reference or names[0]
    if reference not in vals:
        raise KeyError(reference)
    runs = {r.runs for r in vals.values()}
    if len(runs) != 1:
        raise ValueError("all scenarios must have the same number of runs for paired comparison")
    N = runs.pop()
    warnings = _mismatch_warnings(vals, reference)
    need = MIN_RUNS_T if method == "t" else MIN_RUNS_BOOTSTRAP
    if N < need:
        warnings.append(f"{N} runs is too few for a reliable {int(level * 100)}% {method} interval "
                        f"({need} or more runs needed; 30+ recommended for probabilities)")
    where = {name: _rows(v) for name, v in vals.items()}
    common = [k for k in sorted(where[reference]) if all(k in where[n] for n in names)]
    ref_sc = [vals[reference].scenario, *(r.scenario for r in vals.values())]
    senses: dict[tuple[str, str], bool] = {}
    for o, _, g in common:
        if (o, g) not in senses:
            senses[o, g] = outcome_sense(label(o, goal=g), ref_sc) > 0
    higher = np.array([senses[o, g] for o, _, g in common], dtype=bool)
    sign = np.where(higher, 1.0, -1.0)[:, None]
    # bootstrap draws are made per call over all rows (their order fixes the numbers); t works in blocks
    step = len(common) if method == "bootstrap" else max(1, BLOCK // max(1, N * len(names)))
    blocks = [slice(a, a + step) for a in range(0, len(common), step)] or [slice(0, 0)]

    p_best = np.empty((len(names), len(common)))
    ref_mean = np.empty(len(common))
    for b in blocks:
        oriented = np.stack([_gather(where[n], common[b]) * sign[b] for n in names])  # (scenarios, rows, N)
        oriented = np.where(np.isnan(oriented), -np.inf, oriented)
        is_best = oriented == oriented.max(axis=0, keepdims=True)
        p_best[:, b] = (is_best / is_best.sum(axis=0, keepdims=True)).mean(axis=-1)  # ties split
        ref_mean[b] = _gather(where[reference], common[b]).mean(axis=-1)

    when = {(o, g): period(o, vals[reference].scenario, g) for o, _, g in common}
    rng = np.random.default_rng(seed)
    births = frozenset(i.id for r in vals.values() for i in r.scenario.indicators if i.denominator == "births")
    m_eff = np.array([decisions.min_effect(o, g, rm, births, decisions.given_min_effect(o, c, g, given))
                      for (o, c, g), rm in zip(common, ref_mean)], dtype=float)
    columns = ["mean", "ci_low", "ci_high", "p2_5", "p97_5", "diff_mean", "diff_ci_low", "diff_ci_high",
               "diff_p05", "diff_p95", "p_superior", "p_better_by_min", "p_worse_by_min"]
    rows = []
    for k, name in enumerate(names):
        out = {c: np.empty(len(common)) for c in columns}
        for b in blocks:
            x, ref = _gather(where[name], common[b]), _gather(where[reference], common[b])
            lo, hi = decisions.paired_interval(x, method, level, rng)
            d = x - ref
            dlo, dhi = decisions.paired_interval(d, method, level, rng)
            zero = np.all(d == 0, axis=-1)
            sb, mb = sign[b], m_eff[b][:, None]
            out["mean"][b], out["ci_low"][b], out["ci_high"][b] = x.mean(axis=-1), lo, hi
            out["p2_5"][b], out["p97_5"][b] = np.percentile(x, [2.5, 97.5], axis=-1)
            out["diff_mean"][b] = d.mean(axis=-1)
            out["diff_ci_low"][b], out["diff_ci_high"][b] = np.where(zero, 0.0, dlo), np.where(zero, 0.0, dhi)
            out["diff_p05"][b], out["diff_p95"][b] = np.percentile(d, [5, 95], axis=-1)  # 90 % of paired runs
            out["p_superior"][b] = (d * sb > 0).mean(axis=-1) + 0.5 * (d == 0).mean(axis=-1)
            out["p_better_by_min"][b] = (d * sb > mb).mean(axis=-1)
            out["p_worse_by_min"][b] = (d * sb < -mb).mean(axis=-1)
        dlo, dhi = out["diff_ci_low"], out["diff_ci_high"]
        verdict = (decisions.classify(*decisions.orient(dlo, dhi, sign[:, 0]), m_eff) if name != reference
                   else np.full(len(common), REFERENCE, object))
        frame = pd.MultiIndex.from_tuples(common, names=["outcome", "country", "goal"]).to_frame(index=False)
        frame.insert(0, "scenario", name)
        frame.insert(4, "period", [when[o, g] for o, _, g in common])
        frame["higher_is_better"] = higher
        frame["runs"] = N
        for c in columns[:-2]:
            frame[c] = out[c]
        frame["min_effect"] = m_eff
        frame["p_better_by_min"], frame["p_worse_by_min"] = out["p_better_by_min"], out["p_worse_by_min"]
        frame["verdict"] = verdict
        frame["p_best"] = p_best[k]
        frame["reference"] = reference
        frame["interval"] = method
        rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    flows = flows if flows is not None else {n: getattr(r, "flows", None) for n, r in results.items()}
    attribution = attribute(vals, flows, reference, groups, level)
    words = gain_words({i.id: i for r in vals.values() for i in r.scenario.indicators}.values())
    floors = {o: float(REGISTRY[o.split(":")[0]].default_min_effect(o.split(":")[1], 0.0, births))
              for o in set(attribution.outcome) if o.split(":")[0] in REGISTRY}
    return Comparison(table=table, reference=reference, method=method, runs=N, warnings=warnings,
                      costs=cost_per_person(vals, reference, level, seed), attribution=attribution,
                      shifts=shift_warnings(attribution, words=words, floors=floors))


def extra_money(result: RunArrays) -> np.ndarray:
    """(N,) money put in over the horizon, USD (`outcomes.metrics.extra_money`)."""
    return metrics.extra_money(result)


def _people_gain(v: RunValues, country: str = ALL) -> np.ndarray:
    """(N, indicators) people better off in `country` (a country id, group:NAME or ALL)."""
    arr, cs, _ = v.values["people_gain"]
    return arr[:, cs.index(country), :]


def _places(ref: RunValues, r: RunValues) -> list[str]:
    """Where both runs count people better off: ALL, then each country group, then each country."""
    both = [c for c in r.values["people_gain"][1] if c in ref.values["people_gain"][1]]
    return [ALL, *(c for c in both if c.startswith("group:")), *(c for c in both if c != ALL
                                                                 and not c.startswith("group:"))]


def cost_per_person(results: Results, reference: str, level: float = 0.95,
                    seed: int = 0) -> pd.DataFrame:
    """Cost per person reached, per scenario, place and indicator, against the reference.

    cost_per_person_usd = mean extra money put in (vs the reference, paired) / mean extra
    people better off at the horizon (people_gain; vs the reference) in the row's `country`:
    ALL (all countries), a country group (group:NAME) or one country, with a
    percentile-bootstrap interval over runs. The money is the option's whole extra money
    wherever it goes: a group's or country's figure is what the option costs per extra person
    reached there (where the money lands is the flows' and attribution's business). NaN (with a `note`) where there is no price to
    state: the scenario reaches no more people ("no more people reached"), or reaches more
    with no extra money ("no extra money": less than NO_MONEY_USD either way, stored as 0) or
    with less money ("saves money"). Only indicators both scenarios declare, and only
    scenarios with the reference's countries.
    """
    cols = ["scenario", "country", "indicator", "people", "extra_money_usd", "extra_people", "extra_people_ci_low",
            "extra_people_ci_high", "cost_per_person_usd", "cost_ci_low", "cost_ci_high", "model_unit_cost_usd",
            "note", "reference"]
    vals = _values(results)
    ref = vals[reference]
    rows = []
    rng = np.random.default_rng(seed)
    resamples = 1000
    for name, r in vals.items():
        sc = r.scenario
        if name == reference or not ref.scenario.indicators or sc.country_ids != ref.scenario.country_ids:
            continue
        dm = r.extra_money - ref.extra_money
        money = float(dm.mean()) if abs(dm.mean()) >= NO_MONEY_USD else 0.0
        inds = [(place, ind, _people_gain(r, place)[:, i]
                 - _people_gain(ref, place)[:, ref.scenario.indicator_ids.index(ind.id)])
                for place in _places(ref, r) for i, ind in enumerate(sc.indicators)
                if ind.id in ref.scenario.indicator_ids]
        bm, bp = np.empty(resamples), np.empty((len(inds), resamples))
        step = max(1, BLOCK // r.runs)  # resamples drawn in order, block by block: the same numbers
        for b in range(0, resamples, step):
            idx = rng.integers(0, r.runs, size=(min(step, resamples - b), r.runs))
            bm[b:b + len(idx)] = dm[idx].mean(axis=1)
            for j, (_, _, dp) in enumerate(inds):
                bp[j, b:b + len(idx)] = dp[idx].mean(axis=1)
        for j, (place, ind, dp) in enumerate(inds):
            plo, phi = decisions.paired_interval(dp[None], "t", level)
            # a cost needs more money for more people; more people for less money dominates (no ratio)
            cost = money / dp.mean() if dp.mean() > 0 and money > 0 else np.nan
            note = ("" if np.isfinite(cost) else "no more people reached" if dp.mean() <= 0
                    else NO_EXTRA_MONEY if money == 0 else SAVES_MONEY)
            boot = np.where(bp[j] > 0, bm / np.where(bp[j] > 0, bp[j], 1.0), np.inf)
            clo, chi = _bounds(boot, level) if np.isfinite(cost) else (np.nan, np.nan)
            rows.append((name, place, ind.id, ind.people or ind.name, money, float(dp.mean()), float(plo[0]),
                         float(phi[0]), cost, clo, chi, ind.unit_cost_usd, note, reference))
    return pd.DataFrame(rows, columns=cols)


def _bounds(boot: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrapped costs; a resample with no more people costs inf (no
    price), so a bound that falls among them is inf (unbounded), not the NaN (and RuntimeWarning)
    that interpolating between two infinities gives."""
    with np.errstate(invalid="ignore"):
        lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)])
    return (float(np.inf if np.isnan(lo) else lo), float(np.inf if np.isnan(hi) else hi))


def _count(x: float, sign: bool = False) -> str:
    """People (or US$) as read aloud: 1.23 M, 45,600, 2.1 bn."""
    s = "+" if sign else ""
    if abs(x) >= 1e9:
        return f"{x / 1e9:{s}.2f} bn"
    if abs(x) >= 1e6:
        return f"{x / 1e6:{s}.2f} M"
    return f"{x:{s},.0f}"


def _verdict_words(row, unit: str) -> str:
    """'clearly better' only for a `better` verdict; the others say what the interval shows."""
    v, m = row.verdict, row.min_effect
    size = f"{_count(m)} {unit}" if unit == "people" else f"{m:.2g} {unit}"
    if v == decisions.EQUIVALENT:
        return f"equivalent, within ±{size}"
    if v == decisions.INCONCLUSIVE:
        return f"inconclusive at a smallest effect of {size}"
    return f"{SAYS[v]} by more than {size}"


def _people_words(t: pd.DataFrame, r, what: str, total: bool) -> str:
    """One people difference (a people_gain or people_years_gain row, oriented: + is better) in words."""
    end = t[(t.outcome == "people_end") & (t.goal == r.goal)]
    more_is_better = not len(end) or bool(end.higher_is_better.iloc[0])
    if not more_is_better:  # fewer undernourished, fewer deaths
        if "deaths" in what:
            what = what.replace(" a year", "")
            said = (f"{_count(abs(r.diff_mean))} {what} averted" if r.diff_mean >= 0
                    else f"{_count(abs(r.diff_mean))} more {what}")
            said += " in total" if total else " a year"
        else:
            what = what.replace("people", "people-years", 1) if total else what
            said = f"{_count(abs(r.diff_mean))} {'fewer' if r.diff_mean >= 0 else 'more'} {what}"
    else:  # "647,796 fewer people-years with electricity", not "-647,796 people-years with electricity"
        what = what.replace("people", "people-years", 1) if total else what
        said = f"{_count(abs(r.diff_mean))} {'more' if r.diff_mean >= 0 else 'fewer'} {what}"
    return f"{said} ({_verdict_words(r, 'people')})"


def _people_sentences(comp: Comparison) -> list[str]:
    """Per scenario: the cumulative people figures over the horizon, the money over it, then the
    values at the horizon, then any shift warning."""
    t = comp.table
    costs = comp.costs if comp.costs is not None else pd.DataFrame()
    names = dict(zip(costs.indicator, costs.people)) if len(costs) else {}
    out = []
    others = t[(t.country == ALL) & (t.scenario != comp.reference)]
    for name in dict.fromkeys(others.scenario):
        mine = t[(t.country == ALL) & (t.scenario == name)]
        for outcome, total in (("people_years_gain", True), ("people_gain", False)):
            sel = mine[mine.outcome == outcome]
            if not len(sel):
                continue
            when = sel.period.iloc[0] if "period" in sel else ("over the horizon" if total else "at the horizon")
            if not total and "period" in sel:
                when = f"in {when.rsplit(' ', 1)[-1]}"
            parts = [_people_words(mine, r, names.get(r.goal, r.goal), total) for r in sel.itertuples()]
            head = "People" if total else "At the horizon"
            out.append(f"{head}: {name} vs {comp.reference} {when}, all countries: " + "; ".join(parts) + ".")
            if total:
                out += [m for m in money_sentences(comp) if m.startswith(f"Money: {name} ")]
        out += [w for w in comp.shifts if w.startswith(f"Shift warning: {name} mostly ")]
    return out


def money_sentences(comp: Comparison) -> list[str]:
    """Per scenario, the extra money it puts in over the horizon and its cost per person reached,
    in words: "no extra money" or "saves money" where there is no price to state, never US$0."""
    costs = comp.costs if comp.costs is not None else pd.DataFrame()
    t = comp.table
    money = t[t.outcome == "money_usd"] if "period" in t else t[:0]
    when = money.period.iloc[0] if len(money) else "over the horizon"
    if "country" in costs.columns:  # all countries here; groups and countries in costs.csv
        costs = costs[costs.country == ALL]
    out = []
    for name, c in (costs.groupby("scenario", sort=False) if len(costs) else ()):
        money = float(c.extra_money_usd.iloc[0])
        money = money if abs(money) >= NO_MONEY_USD else 0.0  # folders written before the rounding rule
        per = [f"{r.people}: US${r.cost_per_person_usd:,.0f} per extra one" for r in c.itertuples()
               if np.isfinite(r.cost_per_person_usd)]
        gains = [str(r.people) for r in c.itertuples() if r.extra_people > 0]
        losses = [str(r.people) for r in c.itertuples() if r.extra_people < 0]
        if money > 0:
            said = f"Money: {name} puts in US${_count(money)} more {when} than {comp.reference}"
        elif money == 0:
            said = f"Money: {name} puts in no extra money {when} compared with {comp.reference}"
        else:
            said = f"Money: {name} saves money: US${_count(-money)} less {when} than {comp.reference}"
        if per:
            said += f"; cost per person reached ({'; '.join(per)})."
        elif gains:  # name what rises and what falls: one indicator up is not "more people" overall
            said += f", and reaches more people ({', '.join(gains)}): no price per person to pay"
            said += f"; it reaches fewer {', '.join(losses)}." if losses else "."
        else:
            said += "; it reaches no more people on any indicator."
        out.append(said)
    return out


def headline(comp: Comparison, outcome: str = "sdg_index_end", country: str = ALL, goal: str = NO_GOAL) -> str:
    """The answer first: people and money, then index points; says when nothing differs by
    more than the smallest effect that matters. "clearly better" appears only for a `better` verdict."""
    return " ".join(headline_parts(comp, outcome, country, goal)) or "no data for the headline outcome"


def headline_parts(comp: Comparison, outcome: str = "sdg_index_end", country: str = ALL,
                   goal: str = NO_GOAL) -> list[str]:
    """`headline`'s sentences, one per statement ("People: …", "Money: …", "At the horizon: …",
    "Shift warning: …", "Index: …"): the report sets each on its own line."""
    t = comp.table
    others = t[(t.scenario != comp.reference) & (t.country == ALL)]
    parts = []
    if len(others) and not others.verdict.isin([decisions.BETTER, decisions.WORSE]).any():
        parts.append(f"Nothing differs from {comp.reference} by more than the smallest effect that matters "
                     f"on any all-countries outcome (see the verdict column).")
    parts += _people_sentences(comp)
    sel = t[(t.outcome == outcome) & (t.country == country) & (t.goal == goal)]
    if sel.empty:
        return parts
    higher = bool(sel.higher_is_better.iloc[0])
    best = sel.sort_values("mean", ascending=not higher).iloc[0]
    desc = REGISTRY[outcome].description
    where = "all countries" if country == ALL else country
    unit = REGISTRY[outcome].unit
    if best.scenario == comp.reference:
        rest = sel[sel.scenario != comp.reference]
        gap = (rest.diff_mean.max() if higher else rest.diff_mean.min()) if len(rest) else 0.0
        parts.append(f"Index: {best.scenario} (the reference) does best on {desc}, {where}: {best['mean']:.2f}; "
                     f"the closest alternative differs by {gap:+.2f} {unit}. It ranks first in "
                     f"{best.p_best:.0%} of runs.")
    else:
        parts.append(f"Index: {best.scenario} does best on {desc}, {where}: {best['mean']:.2f} vs {comp.reference} "
                     f"{best['mean'] - best.diff_mean:.2f}, a paired difference of {best.diff_mean:+.2f} {unit} "
                     f"(95% CI {best.diff_ci_low:+.2f} to {best.diff_ci_high:+.2f}, {comp.method} interval) — "
                     f"{_verdict_words(best, unit)}; it beats {comp.reference} by more than {best.min_effect:.2g} "
                     f"{unit} in {best.p_better_by_min:.0%} of paired runs (by any amount in "
                     f"{best.p_superior:.0%}) and ranks first in {best.p_best:.0%}.")
    return parts
