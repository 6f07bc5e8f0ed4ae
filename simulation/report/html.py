"""Self-contained HTML reports of results folders (run, compare or sweep).

`build_report(folder)` reads only what is on disk (manifest.json, the Parquet tables,
comparison.parquet, analysis.json), redraws the plots into `plots/` and writes
`report.html` atomically: one file, images embedded as base64 PNG, no network access,
readable on a laptop and printable. Headline answer first, then tables, plots, the
differences between scenario files, the assumptions, and the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.comparison import NO_EXTRA_MONEY, NO_MONEY_USD, SAVES_MONEY, Comparison, headline_parts
from ..analysis.decisions import VERDICT_HELP
from ..errors import InputError, Problem
from ..outcomes.registry import ALL, NO_GOAL, REGISTRY
from ..results.folders import damaged_folder_errors, read_manifest, write_file_atomic
from ..scenario import validate_data
from . import appraisal_html, backtest_plots, donor_plots, groups_html, maps, plots, sweep_html
from .aggregates import read_run_tables
from .attribution_html import attribution_section
from .page_parts import (
    BENCHMARKS,
    CSS,
    _assumptions,
    _esc,
    _figure,
    _fmt_ci,
    _img,
    _items,
    _link,
    _manifest_block,
    _num,
    _own_file,
    _own_folders,
    _page,
    _read_json,
    _read_manifest,
    _runs,
    _scenario,
    _table,
    scenario_differences,
)


def _run_report(folder: Path, man: dict) -> str:
    out = folder / "plots"
    t = read_run_tables(folder, scenario := _scenario(man, folder), _runs(man))
    name = man["scenario_name"]
    summary = pd.read_csv(folder / "summary.csv")
    figs = [plots.fan_chart({name: t.index}, out), plots.flows_by_source({name: t.flows}, out),
            plots.adoption_curves({name: t.adoption}, out), plots.gains_heatmap({name: t.gains}, None, out),
            maps.index_map(summary, out)]
    idx = summary[summary.metric.isin(["sdg_index_start", "sdg_index_end", "gap_closure"])]
    piv = idx.pivot_table(index="country", columns="metric", values=["mean", "p05", "p95"], sort=False)
    rows = []
    for c in dict.fromkeys(idx.country):
        rows.append({"country": c, "index start": f"{piv.loc[c, ('mean', 'sdg_index_start')]:.1f}",
                     "index end (90% interval)": _fmt_ci(piv.loc[c, ("mean", "sdg_index_end")],
                                                         piv.loc[c, ("p05", "sdg_index_end")],
                                                         piv.loc[c, ("p95", "sdg_index_end")], 1),
                     "gap closed": f"{piv.loc[c, ('mean', 'gap_closure')]:.1%}"})
    overall = summary[(summary.country == ALL) & (summary.metric == "sdg_index_end")].iloc[0]
    start = summary[(summary.country == ALL) & (summary.metric == "sdg_index_start")].iloc[0]
    sc = man["scenario"]
    body = [f"<h1>sdgsim run: {_esc(name)}</h1><p class=muted>{_esc(sc.get('description', ''))}</p>",
            f"<div class=headline>Over {_esc(man['runs'])} runs, the population-weighted SDG index of the "
            f"{len(sc['countries'])} "
            f"countries moves from {start['mean']:.1f} in {_esc(sc['start_year'])} to {overall['mean']:.1f} in "
            f"{_esc(sc['end_year'])} (90% of runs between {overall.p05:.1f} and {overall.p95:.1f}).</div>",
            "<h2>SDG index by country</h2>", _table(pd.DataFrame(rows)), *_people_summary(summary, sc),
            *groups_html.run_section(summary, scenario),
            "<h2>Plots</h2>", *[_figure(out, f) for f in figs],
            "<h2>Assumptions</h2>", _assumptions(sc), "<h2>Manifest</h2>", _manifest_block(man)]
    return _page(f"sdgsim run {name}", "".join(body))


HEADLINE_LABELS = ("People", "Money", "At the horizon", "Shift warning", "Index")
"""The headline statements' leading words, set in bold so that a reader can scan the options."""


def _statement(text: str) -> str:
    """One headline statement as a paragraph, its label ("Money: …") in bold."""
    label, sep, rest = text.partition(": ")
    if sep and label in HEADLINE_LABELS:
        return f"<p><b>{_esc(label)}:</b> {_esc(rest)}</p>"
    return f"<p>{_esc(text)}</p>"


def _people_summary(summary: pd.DataFrame, sc: dict) -> list[str]:
    """All-countries people outcomes of a run, a row per indicator: its level, the people it counts
    at the horizon and how many are better off than in the start year (mean and 90 % interval)."""
    p = summary[(summary.country == ALL) & summary.metric.str.match(r"^(people_gain|people_end|indicator_end):")]
    if p.empty:
        return []
    cell = {m: _fmt_ci(a, lo, hi, 2) for m, a, lo, hi in zip(p.metric, p["mean"], p.p05, p.p95)}
    known = {i["id"]: i for i in sc.get("indicators", [])}
    rows = []
    for ind in dict.fromkeys(m.split(":", 1)[1] for m in p.metric):
        i = known.get(ind, {})
        rows.append({"indicator": f"{i.get('name', ind)} ({ind})",
                     f"level in {sc.get('end_year', 'the end')}": cell.get(f"indicator_end:{ind}", "—")
                     + (f" {i['unit']}" if i.get("unit") else ""),
                     "counts": i.get("people") or "people",
                     f"counted in {sc.get('end_year', 'the end')}": cell.get(f"people_end:{ind}", "—"),
                     f"better off than in {sc.get('start_year', 'the start')}": cell.get(f"people_gain:{ind}", "—")})
    return ["<h2>People, all countries</h2><p class=muted>Mean (90% interval over runs). Better off: more people "
            "with electricity or basic water, fewer undernourished people, fewer under-5 deaths a year than in the "
            "start year; negative when there are fewer with access or more undernourished or dying (the "
            "outcome people_gain). People counted: people_end; level: indicator_end.</p>",
            _table(pd.DataFrame(rows))]


def _compare_report(folder: Path, man: dict, groups: list[str] | None = None) -> str:
    out = folder / "plots"
    table = pd.read_parquet(folder / "comparison.parquet")
    names = _own_folders(folder, [s["name"] for s in man["scenarios"]])
    ref = man["reference"]
    attribution = pd.read_parquet(folder / "attribution.parquet") if (folder / "attribution.parquet").is_file() else None
    comp = Comparison(table=table, reference=ref, method=man["interval"], runs=man["runs"],
                      warnings=man.get("warnings", []),
                      costs=pd.read_csv(folder / "costs.csv") if (folder / "costs.csv").is_file() else None,
                      attribution=attribution, shifts=man.get("shifts", []))
    loaded = {n: read_run_tables(folder / n, _scenario(read_manifest(folder / n), folder / n), _runs(man))
              for n in names}
    index = {n: t.index for n, t in loaded.items()}
    figs = [plots.fan_chart(index, out), plots.difference_fan(index, ref, out), plots.difference_bars(table, out),
            plots.flows_by_source({n: t.flows for n, t in loaded.items()}, out),
            plots.adoption_curves({n: t.adoption for n, t in loaded.items()}, out),
            plots.gains_heatmap({n: t.gains for n, t in loaded.items()}, ref, out),
            maps.difference_map(table, ref, out)]

    # SDG index by country
    t = table[(table.outcome == "sdg_index_end") & (table.goal == NO_GOAL)]
    countries = list(dict.fromkeys(t.country))
    rows, best = [], set()
    for i, c in enumerate(countries):
        r = t[t.country == c].set_index("scenario")
        row = {"country": c}
        for j, n in enumerate(names):
            row[n] = _fmt_ci(r.loc[n, "mean"], r.loc[n, "ci_low"], r.loc[n, "ci_high"])
            if n != ref:
                row[f"Δ {n}"] = _fmt_ci(r.loc[n, "diff_mean"], r.loc[n, "diff_ci_low"], r.loc[n, "diff_ci_high"],
                                        sign=True)
        top = r["mean"].idxmax()
        best.add((i, 1 + [k for k in row if k != "country"].index(top)))
        rows.append(row)
    index_table = _table(pd.DataFrame(rows), best)

    resolved = {s["name"]: json.loads((folder / s["name"] / "manifest.json").read_text())["scenario"]
                for s in man["scenarios"]}
    # other outcomes, all countries
    overall = table[(table.country == ALL) & (table.goal == NO_GOAL)]
    outcome_table = (_outcome_differences(overall, names, ref)
                     + "<details><summary>Every outcome: means, ranges over runs, probabilities</summary>"
                     + _outcome_rows(overall, names, ref) + "</details>")
    people = table[(table.country == ALL) & table.outcome.isin(["people_years_gain", "people_years", "people_gain",
                                                                 "people_end", "indicator_end"])]
    people_table = (_people_differences(people, names, ref, resolved[ref].get("indicators", []))
                    + "<details><summary>Every people outcome: means, ranges over runs, probabilities</summary>"
                    + _outcome_rows(people, names, ref, key=True) + "</details>") if len(people) else \
        "<p class=muted>The scenarios declare no indicators.</p>"
    costs_table = _costs_table(folder / "costs.csv")
    legend = "".join(f"<li><code>{_esc(k)}</code>: {_esc(o.description)} ({_esc(o.unit)}; "
                     f"{'higher' if o.higher_is_better else 'lower'} is better)</li>" for k, o in REGISTRY.items())

    diffs = []
    for n in names:
        if n == ref:
            continue
        d = scenario_differences(resolved[ref], resolved[n])
        diffs.append(f"<h3>{_esc(n)} vs {_esc(ref)}: {len(d)} field(s) differ</h3>")
        if d:
            diffs.append(_table(pd.DataFrame(d[:200], columns=["field", ref, n])))
    warn = "".join(f"<p class=warn>⚠ {_esc(w)}</p>" for w in comp.warnings)
    body = [f"<h1>sdgsim comparison: {' vs '.join(_esc(n) for n in names)}</h1>",
            f"<p class=muted>{_esc(man['runs'])} paired runs per scenario (common random numbers, seed "
            f"{_esc(man['seed'])}); "
            f"intervals: {_esc(man['interval'])}; reference: {_esc(ref)}.</p>",
            "<div class=headline>" + "".join(_statement(x) for x in headline_parts(comp)
                                             or ["no data for the headline outcome"]) + "</div>", warn,
            "<h2>SDG index at the horizon by country</h2>",
            "<p class=muted>Mean [95% CI of the mean]; Δ = paired difference to the reference [95% CI]; "
            "best mean per row in bold.</p>", index_table,
            "<h2>People, all countries</h2>",
            f"<p class=muted>Each option's paired difference from {_esc(ref)} [95% CI] and its verdict: at the "
            "horizon, people better off than in the start year (more with access, fewer undernourished, fewer "
            "under-5 deaths a year; the outcome people_gain), and over the years after the start year "
            "(people-years of access gained, under-5 deaths averted in total; people_years_gain). + is better. "
            f"{VERDICT_HELP} The full table below adds the means, the ranges over runs, the people counted and "
            "the indicator levels.</p>",
            people_table, "<h2>Cost per person reached</h2>", costs_table,
            "<h2>Who gains and who loses</h2>",
            *attribution_section(attribution, ref, table=_table, fmt_ci=_fmt_ci, num=_num),
            *groups_html.compare_section(table, comp.costs, ref, ref_sc := validate_data(resolved[ref], ref)),
            *groups_html.slide_section(table, ref, ref_sc, out, groups),
            *appraisal_html.compare_appraisal_section(folder),
            "<h2>Outcomes, all countries</h2>",
            f"<p class=muted>Each option's paired difference from {_esc(ref)} [95% CI] and its verdict, per "
            "outcome (oriented as each outcome's legend below says: higher or lower is better). All-countries "
            "index and gap closure are population-weighted; the plain means are the *_unweighted rows. "
            f"{VERDICT_HELP} The full table below adds the means, ranges over runs and probabilities.</p>",
            outcome_table, f"<ul class=muted>{legend}</ul>",
            "<h2>Plots</h2>", *[_figure(out, f) for f in figs],
            "<h2>What differs between the scenario files</h2>", *diffs,
            "<h2>Assumptions</h2>", *[f"<h3>{_esc(n)}</h3>{_assumptions(resolved[n])}" for n in names],
            "<h2>Manifest</h2>", _manifest_block(man)]
    return _page("sdgsim comparison", "".join(body))


def _outcome_rows(o: pd.DataFrame, names: list[str], ref: str, key: bool = False) -> str:
    """Outcome × scenario rows: mean [CI], range over runs, Δ vs the reference [CI], verdict, probabilities."""
    rows = []
    for (outcome, goal), g in o.groupby(["outcome", "goal"], sort=False):
        r = g.set_index("scenario")
        for n in names:
            if n not in r.index:
                continue
            x = r.loc[n]
            row = {"outcome": outcome, **({"indicator": goal} if key else {}),
                   **({"period": x.period} if "period" in x.index else {}), "scenario": n,
                   "mean [95% CI]": _fmt_ci(x["mean"], x.ci_low, x.ci_high, 3),
                   "2.5-97.5% of runs": f"{_num(x.p2_5, 3)} to {_num(x.p97_5, 3)}",
                   f"Δ vs {ref} [95% CI]": "—" if n == ref else _fmt_ci(x.diff_mean, x.diff_ci_low, x.diff_ci_high,
                                                                         3, sign=True)}
            if "verdict" in x.index:
                row["verdict"] = x.verdict
                row["min effect"] = _num(float(x.min_effect), 3)
                row["P(better by ≥ min)"] = "—" if n == ref else f"{x.p_better_by_min:.0%}"
            row["P(better than ref)"] = "—" if n == ref else f"{x.p_superior:.0%}"
            row["P(ranks first)"] = f"{x.p_best:.0%}"
            rows.append(row)
    return _table(pd.DataFrame(rows))


def _verdict_cells(r: pd.DataFrame, options: list[str], fmt) -> str:
    """Per option (rows of `r` by scenario): Δ vs the reference [95% CI] as `fmt` writes it, and its
    verdict, the cell shaded by the verdict (better green, worse red)."""
    cells = []
    for n in options:
        if n not in r.index:
            cells.append("<td>—</td>")
            continue
        x = r.loc[n]
        verdict = str(x.get("verdict", ""))
        shade = f" class={verdict}" if verdict in ("better", "worse") else ""
        cells.append(f"<td{shade}>{_esc(fmt(x))} {_esc(verdict)}</td>")
    return "".join(cells)


def _differences(rows: list[tuple[str, str, pd.DataFrame]], heads: tuple[str, str], options: list[str], ref: str,
                 fmt) -> str:
    """A differences table: (label, what, rows by scenario) per line, a column per option."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in heads) + "".join(f"<th>{_esc(n)} vs {_esc(ref)}</th>"
                                                                   for n in options)
    body = "".join(f"<tr><td>{_esc(label)}</td><td>{_esc(what)}</td>{_verdict_cells(r, options, fmt)}</tr>"
                   for label, what, r in rows)
    return f"<div class=tw><table class=people><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def _people_differences(people: pd.DataFrame, names: list[str], ref: str, indicators: list[dict]) -> str:
    """The people outcomes a reader compares first: a row per indicator and period (people_gain at
    the horizon, people_years_gain over it), a column per option (`_verdict_cells`)."""
    known = {i["id"]: i for i in indicators}
    d = people[people.outcome.isin(["people_gain", "people_years_gain"]) & (people.scenario != ref)]
    options = [n for n in names if n != ref and n in set(d.scenario)]
    if d.empty or not options:
        return ""
    rows = []
    for (outcome, ind), g in d.groupby(["outcome", "goal"], sort=False):
        r = g.set_index("scenario")
        i = known.get(ind, {})
        total = outcome == "people_years_gain"
        what = "deaths averted" if "death" in (i.get("people") or "") else \
            "people-years better off" if total else "people better off"
        when = r.period.iloc[0] if "period" in r else "over the horizon" if total else "at the horizon"
        rows.append((f"{i.get('name', ind)} ({ind})", f"{what} {when}", r))
    return _differences(rows, ("indicator", "what"), options, ref,
                        lambda x: f"{_people(x.diff_mean)} [{_people(x.diff_ci_low)}, {_people(x.diff_ci_high)}]")


def _outcome_differences(o: pd.DataFrame, names: list[str], ref: str) -> str:
    """A row per outcome (with its unit and period), a column per option (`_verdict_cells`)."""
    options = [n for n in names if n != ref and n in set(o.scenario)]
    if o.empty or not options:
        return ""
    rows = [(outcome, f"{REGISTRY[outcome].unit if outcome in REGISTRY else ''}, "
                      f"{g.period.iloc[0] if 'period' in g else ''}", g.set_index("scenario"))
            for outcome, g in o.groupby("outcome", sort=False)]
    return _differences(rows, ("outcome", "unit, period"), options, ref,
                        lambda x: _fmt_ci(x.diff_mean, x.diff_ci_low, x.diff_ci_high, 3, sign=True))


def _people(x: float) -> str:
    """A signed count of people: +7.08 M, +63,275."""
    return f"{x / 1e6:+.2f} M" if abs(x) >= 1e6 else f"{x:+,.0f}"


def _extra_money(usd: float) -> str:
    """Extra money in words where it is none or less: never US$ 0 or 1e-10."""
    if abs(usd) < NO_MONEY_USD:
        return NO_EXTRA_MONEY
    return f"US$ {_num(usd, 2, sign=True)}" if usd > 0 else f"{SAVES_MONEY}: US$ {_num(-usd, 2)} less"


def _no_price(r: Any) -> str:
    """Why a cost per person has no figure, in words (older folders: from the extra money)."""
    if r.extra_people > 0:  # more people without paying more
        return NO_EXTRA_MONEY if abs(r.extra_money_usd) < NO_MONEY_USD else SAVES_MONEY
    return getattr(r, "note", "") or "no more people reached"


def _costs_table(path: Path) -> str:
    """Cost per person reached vs the reference (costs.csv), beside published benchmarks."""
    if not path.is_file():
        return "<p class=muted>No cost per person: the scenarios declare no indicators or differ in countries.</p>"
    c = pd.read_csv(path, keep_default_na=False, na_values=[""])
    c = c[c.country == ALL] if "country" in c.columns else c  # groups and countries: groups_html
    rows = [{"scenario": r.scenario, "indicator": r.indicator, "people": r.people,
             "extra money vs reference": _extra_money(r.extra_money_usd),
             "extra people [95% CI]": f"{_people(r.extra_people)} [{_people(r.extra_people_ci_low)}, "
                                      f"{_people(r.extra_people_ci_high)}]",
             "US$ per extra person [95% CI]": _no_price(r)
             if r.cost_per_person_usd != r.cost_per_person_usd
             else f"{r.cost_per_person_usd:,.0f} [{r.cost_ci_low:,.0f}, {r.cost_ci_high:,.0f}]",
             "model unit cost (US$)": f"{r.model_unit_cost_usd:,.0f}",
             "published benchmark": BENCHMARKS.get(r.indicator, ("—", ""))[0],
             "source": BENCHMARKS.get(r.indicator, ("", "—"))[1]} for r in c.itertuples()]
    return ("<p class=muted>Extra money put in over the horizon (every source except mobilised private "
            "co-finance) over extra people better off at the horizon, both paired against the reference. All the "
            "extra money is set against each indicator in turn, so each figure is an upper bound. A connection "
            "serves a household of several people.</p>" + _table(pd.DataFrame(rows)))


def _sweep_report(folder: Path, man: dict) -> str:
    """Sweep folder: the analysis tables and plots listed in analysis.json (`sdgsim analyze`)."""
    sweep = man.get("sweep") if isinstance(man.get("sweep"), dict) else {}
    body = [f"<h1>sdgsim sweep: {_esc(man.get('sweep_name', folder.name))}</h1>",
            f"<p class=muted>{_esc(sweep.get('description', ''))} {_esc(man.get('runs_done', '?'))} of "
            f"{_esc(man.get('runs_total', '?'))} runs done ({_esc(man.get('status', 'unknown'))}); seed "
            f"{_esc(man.get('seed', '?'))}; {_esc(man.get('seeding', ''))}.</p>"]
    index_path = folder / "analysis.json"
    if not index_path.exists():
        body.append("<p class=warn>No analysis yet: run <code>sdgsim analyze DIR</code>, then "
                    "<code>sdgsim report DIR</code>.</p>")
    else:
        index = _read_json(index_path, "analysis index", "re-run sdgsim analyze --force")
        if not isinstance(index, dict):
            raise InputError([Problem(str(index_path), 1, "<json>", "the analysis index must be a JSON object "
                                                                    "(re-run sdgsim analyze --force)")])
        body += [f"<p class=warn>{_esc(n)}</p>" for n in index.get("notes", []) if isinstance(n, str)]
        tables = sweep_html.read_tables(folder, index)
        frames = {path.stem: df for _, path, df in tables}
        lines = sweep_html.headline(frames)
        if lines:
            body.append("<div class=headline>" + "".join(lines) + "</div>")
        body += sweep_html.contrasts_table(frames)
        plots_html = []
        for item in _items(index.get("plots")):
            png = _own_file(folder, item.get("png") or item.get("file"))
            if png is not None and png.suffix == ".png":
                svg = _link(folder, item.get("svg"), "SVG")
                plots_html.append(f"<figure>{_img(png)}<figcaption><b>{_esc(item.get('title', png.stem))}.</b> "
                                  f"{_esc(item.get('caption', ''))}{svg}</figcaption></figure>")
        tables_html = []
        for item, path, df in tables:
            more = f"<p class=muted>First 30 of {len(df)} rows; all in {_esc(item['file'])}.</p>" \
                if len(df) > 30 else ""
            tables_html.append((len(df), f"<h3>{_esc(item.get('title', path.stem))}</h3>"
                                         f"{_table(df.head(30))}{more}"))
        if plots_html:
            body += ["<h2>Plots</h2>", *plots_html]
        if tables_html:  # short summary tables first, long per-point listings last
            body += ["<h2>Tables</h2>", *[h for _, h in sorted(tables_html, key=lambda t: t[0])]]
    body += _discovery_section(folder) + appraisal_html.voi_section(folder)
    body += ["<h2>Manifest</h2>", _manifest_block(man)]
    return _page("sdgsim sweep", "".join(body))


def _figures(base: Path, items: Any) -> list[str]:
    out = []
    for item in _items(items):
        png = _own_file(base, item.get("png"))
        if png is not None and png.suffix == ".png":
            svg = _link(base, item.get("svg"), "SVG")
            out.append(f"<figure>{_img(png)}<figcaption><b>{_esc(item.get('title', png.stem))}.</b>{svg}"
                       "</figcaption></figure>")
    return out


def _discovery_section(folder: Path) -> list[str]:
    """Scenario discovery results listed in `discovery.json` (written by `sdgsim discover`)."""
    index_path = folder / "discovery.json"
    if not index_path.is_file():
        return []
    body = ["<h2>Scenario discovery</h2>"]
    index = _read_json(index_path, "discovery index", "move it away and run sdgsim discover again")
    for entry in _items(index.get("results") if isinstance(index, dict) else None):
        body.append(f"<h3>{_esc(entry.get('rule', ''))} ({_esc(entry.get('method', ''))}"
                    f"{', policy ' + _esc(entry['policy']) if entry.get('policy') else ''})</h3>")
        body.append(f"<p>{_esc(entry.get('summary', ''))}</p>")
        table = _own_file(folder, entry.get("table"))
        if table is not None:
            body.append(_table(pd.read_csv(table)))
        body += _figures(folder, entry.get("plots", []))
    return body


def _search_report(folder: Path, man: dict) -> str:
    """Search folder: the Pareto set, its parallel coordinates and the convergence record."""
    body = [f"<h1>sdgsim robust policy search: {_esc(man.get('search_name', folder.name))}</h1>",
            f"<p class=muted>{_esc(man.get('evaluations', '?'))} policies evaluated in {_esc(man.get('futures', '?'))} "
            f"futures x {_esc(man.get('replications', '?'))} replications; seed {_esc(man.get('seed', '?'))}; status "
            f"{_esc(man.get('status', '?'))}.</p>"]
    for name, title in (("pareto", "Pareto set (non-dominated policies)"), ("reference", "The scenario as written"),
                        ("convergence", "Convergence")):
        if (folder / f"{name}.csv").is_file():
            body += [f"<h2>{title}</h2>", f"<div class=tw>{_table(pd.read_csv(folder / f'{name}.csv'))}</div>"]
    body += ["<h2>Plots</h2>", *_figures(folder, man.get("plots", [])), "<h2>Manifest</h2>", _manifest_block(man)]
    return _page("sdgsim search", "".join(body))


def _calibration_report(folder: Path, man: dict) -> str:
    fit = pd.read_csv(folder / "fit.csv")
    skipped = (folder / "skipped.txt").read_text().splitlines() if (folder / "skipped.txt").is_file() else []
    sc = man.get("scenario") if isinstance(man.get("scenario"), dict) else {}
    names = {i["id"]: f"{i.get('name', i['id'])} ({i['id']})" for i in sc.get("indicators", []) if "id" in i}
    trends = plots.calibration_trends(fit, folder / "plots", names)
    body = [f"<h1>sdgsim calibration: {_esc(man.get('scenario_file') or '')}</h1>",
            f"<div class=headline>{len(fit)} series fitted on {_esc(man.get('history_file'))} up to "
            f"{_esc(man.get('fit_until'))}; {_esc(man.get('pooled', 0))} pooled across countries, "
            f"{len(skipped)} skipped. calibrated.yaml extends the input with these values.</div>",
            "<h2>Fitted trends</h2>", _figure(folder / "plots", trends), _table(fit),
            "<h2>Skipped</h2>" + ("".join(f"<p>{_esc(x)}</p>" for x in skipped) or "<p class=muted>none</p>"),
            "<h2>Manifest</h2>", _manifest_block({k: v for k, v in man.items()
                                                  if k not in ("scenario", "calibrated")})]
    return _page("sdgsim calibration", "".join(body))


def _backtest_report(folder: Path, man: dict) -> str:
    groups = folder / "skill_by_group.csv"
    return backtest_plots.report_page(folder, pd.read_csv(folder / "forecast.csv"), pd.read_csv(folder / "skill.csv"),
                                      (folder / "summary.txt").read_text(),
                                      pd.read_csv(groups) if groups.is_file() else None, man)


def build_report(folder: str | Path, groups: list[str] | None = None) -> Path:
    """(Re)build report.html of a results folder; returns its path. `groups`: the comparison's slide shows these."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), 1, "<folder>", "no such results folder")])
    man = _read_manifest(folder)
    if not isinstance(man, dict):
        raise InputError([Problem(str(folder / "manifest.json"), 1, "<json>",
                                  "manifest must be a JSON object (re-create the folder)")])
    kind = man.get("kind", "run")
    builders = {"run": _run_report, "compare": lambda f, m: _compare_report(f, m, groups), "sweep": _sweep_report,
                "search": _search_report, "calibration": _calibration_report, "backtest": _backtest_report,
                "donors": lambda f, m: donor_plots.report_folder(f),
                "appraisal": lambda f, m: appraisal_html.appraisal_page(f, m, CSS)}
    if not isinstance(kind, str) or kind not in builders:
        raise InputError([Problem(str(folder / "manifest.json"), 1, "kind",
                                  f"unknown results kind {kind!r} (allowed: {', '.join(builders)})")])
    if groups and kind != "compare":
        raise InputError([Problem("--group", 1, ", ".join(groups), f"a {kind} folder has no slide (groups: compare)")])
    path = folder / "report.html"
    if path.is_dir() and not path.is_symlink():
        raise InputError([Problem(str(path), 1, "<output>", "is a directory; move it away so that the report "
                                                            "can be written")])
    with damaged_folder_errors(folder):
        page = builders[kind](folder, man)
        write_file_atomic(path, page)
    return path
