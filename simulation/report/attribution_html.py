"""The "who gains and who loses" section of a comparison's report (attribution.csv as tables).

Self-contained (no import of html.py, which includes this section): the page passes its own
table and number formats.
"""

from __future__ import annotations

import html
from typing import Callable

import pandas as pd

from ..analysis.attribution import SHIFT_THRESHOLD


def _esc(x) -> str:
    return html.escape(str(x))


def attribution_section(att: pd.DataFrame | None, ref: str, *, table: Callable[[pd.DataFrame], str],
                        fmt_ci: Callable[..., str], num: Callable[..., str]) -> list[str]:
    """attribution.csv as tables: per scenario, each place's difference in people and money
    received [95% CI], then the largest differences in what each funder put where. `table`,
    `fmt_ci` and `num` are the report's own table and number formats."""
    if att is None or not len(att):
        return ["<p class=muted>No attribution: the scenarios differ in countries, or the folder predates it.</p>"]
    out = [f"<p class=muted>Paired differences to {_esc(ref)} [95% CI] by country, by group and in total: gainers "
           "are the countries whose mean difference is positive (people oriented so that + is better: more with "
           "access, fewer undernourished, fewer deaths), losers those whose is negative; gainers − losers = net "
           f"in every run. A shift warning is given when the losers lose at least {SHIFT_THRESHOLD:.0%} of what "
           "the gainers gain (people). Money received: every flow into a country from another source, over "
           "the horizon; money intervals need --flows full. All rows: attribution.csv.</p>"]

    def fmt(r) -> str:
        if r.diff_ci_low != r.diff_ci_low:  # NaN: money from yearly flows has no interval
            return f"{num(r.diff_mean, 0, sign=True)} (no interval)"
        return fmt_ci(r.diff_mean, r.diff_ci_low, r.diff_ci_high, 0, sign=True)

    for name, a in att.groupby("scenario", sort=False):
        places = a[a.by != "funder"]
        bare = set(places.groupby("outcome").diff_ci_low.apply(lambda x: x.isna().all()).loc[lambda x: x].index)
        cols = {o: f"Δ {o} ({p}{'; mean, no interval' if o in bare else ''})"
                for o, p in zip(places.outcome, places.period)}
        rows = {}
        for r in places.itertuples():  # a column without intervals says so in its header, not in every cell
            rows.setdefault((r.by, r.where), {"by": r.by, "where": r.where})[cols[r.outcome]] = \
                num(r.diff_mean, 0, sign=True) if r.outcome in bare else fmt(r)
        out += [f"<h3>{_esc(name)} vs {_esc(ref)}</h3>", table(pd.DataFrame(list(rows.values())))]
        funders = a[a.by == "funder"].sort_values("diff_mean", key=abs, ascending=False).head(15)
        if len(funders):
            bare = funders.diff_ci_low.isna().all()  # yearly flows: no interval on any row, said once
            out += [f"<p class=muted>Money by funder, {_esc(funders.period.iloc[0])}: the 15 largest differences "
                    f"(US${'; mean over runs, no interval: run with --flows full for one' if bare else ''}).</p>",
                    table(pd.DataFrame([{"funder": r.where, "to": r.to,
                                         **({"Δ US$": num(r.diff_mean, 0, sign=True)} if bare else
                                            {"Δ US$ [95% CI]": fmt(r)})} for r in funders.itertuples()]))]
    return out
