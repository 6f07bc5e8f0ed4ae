"""Plain-text tables for the terminal (fit in 80 columns)."""

from __future__ import annotations

import pandas as pd

from ..outcomes.registry import ALL, REGISTRY, label


def _get(df: pd.DataFrame, country: str, metric: str) -> pd.Series:
    return df[(df.country == country) & (df.metric == metric)].iloc[0]


def summary_table(result, table: pd.DataFrame) -> str:
    """SDG index start → end per country: mean and 90 % interval over replications."""
    sc = result.scenario
    lines = [
        f"{sc.name}: {result.runs} runs, seed {result.seed}, {sc.start_year}-{sc.end_year}",
        f"SDG index = mean of {', '.join(sc.goal_ids)} scores (0-100); 90% interval over runs",
        "",
        f"{'country':<10}{'start':>7}{'end':>8}   {'90% interval':<15}{'change':>8}{'gap closed':>12}",
        "-" * 68,
    ]
    names = {c.id: c.id for c in sc.countries}
    for cid in [*sc.country_ids, ALL]:
        s, e = _get(table, cid, "sdg_index_start"), _get(table, cid, "sdg_index_end")
        ch, gc = _get(table, cid, "sdg_index_change"), _get(table, cid, "gap_closure")
        name = names.get(cid, "all (mean)") if cid != ALL else "all (mean)"
        if cid == ALL:
            lines.append("-" * 68)
        interval = f"[{e.p05:5.1f}, {e.p95:5.1f}]"
        lines.append(f"{name:<10}{s['mean']:7.1f}{e['mean']:8.1f}   {interval:<15}{ch['mean']:+8.2f}"
                     f"{gc['mean'] * 100:11.1f}%")
    extra = {m: _get(table, ALL, m) for m in ("cost_per_point_usd", "private_per_public", "gini_end",
                                               "adoption_end")}
    lines += [
        "",
        f"cost per index point (all sources): US${extra['cost_per_point_usd']['mean'] / 1e9:,.1f} bn"
        f"   private per public US$: {extra['private_per_public']['mean']:.3f}",
        f"equity (Gini of country index, end): {extra['gini_end']['mean']:.3f}"
        f"   mean technology adoption, end: {extra['adoption_end']['mean'] * 100:.1f}%",
    ]
    return "\n".join(lines)


def _cut(name: str, width: int) -> str:
    """`name` within `width` characters, an ellipsis marking a cut."""
    return name if len(name) <= width else name[: width - 1] + "…"


def comparison_table(comp, outcome: str, country: str, goal: str, color: bool = False) -> str:
    """One outcome across scenarios: mean [CI], paired difference [CI], P(better), P(first)."""

    t = comp.table
    sel = t[(t.outcome == outcome) & (t.country == country) & (t.goal == goal)]
    where = "all countries" if country == ALL else country
    what = label(outcome, goal=goal)
    if sel.empty:
        return f"{what}, {where}: no such outcome row (see comparison.csv)"
    higher = bool(sel.higher_is_better.iloc[0])
    best = sel["mean"].idxmax() if higher else sel["mean"].idxmin()
    money = REGISTRY[outcome].unit.startswith("US$") if outcome in REGISTRY else True
    big = sel["mean"].abs().max()
    scale, unit = ((1e9, " bn") if money else (1e6, " M")) if big >= 1e8 else (1e6, " M") if big >= 1e6 \
        else (1.0, "")
    biggest = (sel["mean"].abs() / scale).max()
    digits = 3 if biggest < 1 else 2 if biggest < 1000 else 0

    def f(x: float, sign: str = "") -> str:
        return f"{x / scale:{sign}.{digits}f}"

    rows = []
    for i, r in sel.iterrows():
        mean = f"{f(r['mean'])} [{f(r.ci_low)}, {f(r.ci_high)}]"
        if r.scenario == comp.reference:
            diff, sup = "(reference)", "—"
        else:
            diff = f"{f(r.diff_mean, '+')} [{f(r.diff_ci_low, '+')}, {f(r.diff_ci_high, '+')}]"
            sup = f"{r.p_superior:.0%}"
        rows.append((i, r.scenario, mean, diff, sup, f"{r.p_best:.0%}"))
    w_mean = max(len("mean [95% CI]"), *(len(x[2]) for x in rows)) + 1
    w_diff = max(len("diff vs ") + min(12, len(comp.reference)), *(len(x[3]) for x in rows)) + 1
    width = max(10, min(80 - w_mean - w_diff - 11, max(len(x[1]) for x in rows) + 2))
    in_unit = ((", US$ " + unit.strip()) if money else ", millions" if unit == " M" else "") if unit else ""
    when = f", {sel.period.iloc[0]}" if "period" in sel and isinstance(sel.period.iloc[0], str) else ""
    lines = [f"{what}, {where}{when} ({'higher' if higher else 'lower'} is better{in_unit}); "
             f"{comp.runs} paired runs, {comp.method} intervals",
             f"{'scenario':<{width}}{'mean [95% CI]':<{w_mean}}{'diff vs ' + _cut(comp.reference, 12):<{w_diff}}"
             f"{'P>ref':>6}{'P1st':>5}",
             "-" * (width + w_mean + w_diff + 11)]
    for i, scen, mean, diff, sup, first in rows:
        mark = "*" if i == best else ""
        name = scen if len(scen) < width - 1 else scen[: width - 3] + "…"
        line = f"{(name + mark):<{width}}{mean:<{w_mean}}{diff:<{w_diff}}{sup:>6}{first:>5}"
        lines.append(f"\033[1m{line}\033[0m" if color and i == best else line)
    lines.append("* best mean. P>ref: share of paired runs better than the reference, ties")
    lines.append("counting half. P1st: share of runs in which the scenario ranks first.")
    if "verdict" in sel.columns:
        m = sel.min_effect.iloc[-1]
        lines.append(f"Verdict vs {comp.reference} (smallest effect that matters: {m / scale:.3g}{unit}):")
        for _, r in sel.iterrows():
            if r.scenario != comp.reference:  # names in full: a cut name could be another scenario's
                lines.append(f"  {r.scenario}: {r.verdict} (better by more than it in "
                             f"{r.p_better_by_min:.0%} of runs)")
    head = lines[0]
    if len(head) > 80:  # keep the table within 80 columns: the run count on its own line
        lines[0:1] = head.split("; ", 1)
    return "\n".join(lines)
