"""Attribution: who gains and who loses, people and money, when an option replaces the reference.

A comparison's all-countries difference can hide that an option mostly moves aid from one
country to another: pooling can raise the people with electricity in the facility's countries
while a country the facility does not serve loses its bilateral aid. `attribute` splits each
difference by country (and by country group, given a mapping name → member ids), and money
also by funder, so that the reader sees where each gain comes from.

Every row is a paired difference option − reference over the replications (replication i of
both shares its random streams), with its interval (Student's t at `level`):

* people (`people_gain:IND`, a year at the horizon, and `people_years_gain:IND`, summed over the
  years after the start year), oriented so that + is better (more people with access, fewer
  undernourished, fewer under-5 deaths), per country and group;
* money received (`money_received_usd`): every flow that arrives in a country from a source other
  than itself (donors, the facility, partnership funders, mobilised private money), over the
  horizon, per country and group;
* money by funder (`funder_money_usd`): what each funder put into each recipient (a country, the
  pooled facility, a research body) over the horizon.

Per-run money needs every run's flows (`--flows full`); with yearly flows (summed over the runs)
the money rows keep their means, which are exact, and have no interval (`interval` says so).

Totals (`totals`): for each scenario and outcome the `gainers` row sums, run by run, the countries
whose mean difference is positive, the `losers` row minus the sum of those whose mean difference
is negative, and `net` the sum over all countries (the all-countries difference of the comparison):
gainers − losers = net in every run. The `side` of a row is
`gains`, `loses` or `no change` (mean difference 0).

The shift warning (`shift_warnings`): an option's gain in some countries is mostly a loss
elsewhere when, in people, the losers' loss is at least `SHIFT_THRESHOLD` (50 %) of the gainers'
gain (`offsets`) — then at least half of what the gainers gain is taken from others, and the
net gain is at most half the gain seen in the places that gain. Gains smaller than the
outcome's smallest effect that matters (the registry's, e.g. 100,000 people, 1,000 deaths a
year; ten times those over the horizon) are too small to warn about.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..outcomes.groups import is_group
from ..outcomes.registry import ALL, label, period
from ..outcomes.values import RunValues
from . import decisions

SHIFT_THRESHOLD = 0.5
"""An option's gain is 'mostly a loss somewhere else' when the losers lose at least this share of
what the gainers gain (in people)."""
PEOPLE_OUTCOMES = ("people_gain", "people_years_gain")
MONEY_RECEIVED = "money_received_usd"
FUNDER_MONEY = "funder_money_usd"
NO_MONEY_USD = 1.0
"""A funder → recipient difference smaller than a dollar either way (mean) is rounding: not listed."""
GAINS, LOSES, NO_CHANGE = "gains", "loses", "no change"
TOTALS = ("gainers", "losers", "net")
NO_INTERVAL = "none: yearly flows (run with --flows full for intervals)"
COLUMNS = ["scenario", "reference", "outcome", "period", "by", "where", "to", "side", "diff_mean", "diff_ci_low",
           "diff_ci_high", "runs", "interval"]
"""attribution.csv: `by` is country, group, funder or total; `where` the country, group, funder or
gainers / losers / net; `to` the recipient of a funder's money (else empty)."""


def offsets(gain: float, loss: float, threshold: float = SHIFT_THRESHOLD) -> bool:
    """True when a positive `gain` (people, in the places that gain) is offset by a `loss`
    (people, ≥ 0, in the places that lose) of at least `threshold` of it."""
    return gain > 0 and loss >= threshold * gain


def _interval(d: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows,) t-interval of the mean of each row of d (rows × N); exactly 0 where d is all 0."""
    lo, hi = decisions.paired_interval(d, "t", level)
    zero = np.all(d == 0, axis=-1)
    return np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)


def _side(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, GAINS, np.where(x < 0, LOSES, NO_CHANGE)).astype(object)


def _frame(d: np.ndarray, where: list[str], by: str, level: float, **same) -> pd.DataFrame:
    """Rows of per-run differences d (rows × N) with their means and intervals."""
    lo, hi = _interval(d, level) if d.size else (np.zeros(len(d)), np.zeros(len(d)))
    mean = d.mean(axis=-1) if d.size else np.zeros(len(d))
    return pd.DataFrame({**same, "by": by, "where": where, "to": "", "side": _side(mean), "diff_mean": mean,
                         "diff_ci_low": lo, "diff_ci_high": hi, "runs": d.shape[-1], "interval": "t"})


def totals(d: np.ndarray) -> np.ndarray:
    """(3, N) per run: what the gainers gain (the countries whose mean difference is positive),
    what the losers lose (≥ 0 where each loses; those whose mean difference is negative) and the
    net change of all countries, from per-country differences d (countries × N)."""
    mean = d.mean(axis=-1)
    return np.stack([d[mean > 0].sum(axis=0), -d[mean < 0].sum(axis=0), d.sum(axis=0)])


def split(d: np.ndarray, countries: list[str], groups: Mapping[str, Sequence[str]], level: float,
          **same) -> pd.DataFrame:
    """Per-country differences d (countries × N) as attribution rows: per country, per group
    (its members' sum, run by run) and the totals (gainers, losers, net; gainers − losers = net per run)."""
    members = {g: [countries.index(c) for c in ids if c in countries] for g, ids in groups.items()}
    grouped = np.stack([d[ix].sum(axis=0) for ix in members.values() if ix]) if any(members.values()) \
        else np.zeros((0, d.shape[-1]))
    tot = totals(d)
    frames = [_frame(d, countries, "country", level, **same),
              _frame(grouped, [g for g, ix in members.items() if ix], "group", level, **same),
              _frame(tot, list(TOTALS), "total", level, **same)]
    out = pd.concat(frames, ignore_index=True)
    out.loc[out.by == "total", "side"] = ["", "", _side(tot[2:].mean(axis=-1))[0]]
    return out


def _people_rows(v: RunValues, ref: RunValues, name: str, reference: str, groups, level: float) -> list[pd.DataFrame]:
    sc = v.scenario
    if sc.country_ids != ref.scenario.country_ids:
        return []
    frames = []
    for outcome in PEOPLE_OUTCOMES:
        arr, cs, keys = v.values[outcome]
        rarr, _, rkeys = ref.values[outcome]
        countries = [c for c in cs if c != ALL and not is_group(c)]  # countries first, then groups, then ALL
        for k, ind in enumerate(keys):
            if ind not in rkeys:
                continue
            d = (arr[:, :len(countries), k] - rarr[:, :len(countries), rkeys.index(ind)]).T  # (C, N)
            frames.append(split(d, countries, groups, level, scenario=name, reference=reference,
                                outcome=label(outcome, goal=ind), period=period(outcome, sc, ind)))
    return frames


def money_by_run(flows: pd.DataFrame | None, runs: int) -> tuple[np.ndarray, list[str], list[str], bool] | None:
    """A run's flows summed over years, goals and instruments: (N, sources, recipients) US$ with the
    source and recipient labels, and whether they are per run (full flows) or the mean over runs
    (yearly flows: one row, the sums divided by the runs). None without flows."""
    if flows is None or not len(flows):
        return None
    per_run = "run" in flows.columns
    keys = ["run", "source", "recipient"] if per_run else ["source", "recipient"]
    f = flows.assign(source=flows.source.astype(str), recipient=flows.recipient.astype(str))
    s = f.groupby(keys, observed=True, sort=False)["amount_usd"].sum()
    sources, recipients = sorted(set(f.source)), sorted(set(f.recipient))
    out = np.zeros((runs if per_run else 1, len(sources), len(recipients)))
    si = pd.Index(sources).get_indexer(s.index.get_level_values("source"))
    ri = pd.Index(recipients).get_indexer(s.index.get_level_values("recipient"))
    n = s.index.get_level_values("run").to_numpy(int) if per_run else np.zeros(len(s), int)
    np.add.at(out, (n, si, ri), s.to_numpy(float))
    return (out if per_run else out / runs), sources, recipients, per_run


def _aligned(m, sources: list[str], recipients: list[str]) -> np.ndarray:
    arr, s0, r0, _ = m
    out = np.zeros((arr.shape[0], len(sources), len(recipients)))
    si, ri = pd.Index(sources).get_indexer(s0), pd.Index(recipients).get_indexer(r0)
    out[:, si[:, None], ri[None, :]] = arr
    return out


def _money_rows(m, rm, sc, name: str, reference: str, groups, level: float) -> list[pd.DataFrame]:
    if m is None or rm is None:
        return []
    sources = sorted(set(m[1]) | set(rm[1]))
    recipients = sorted(set(m[2]) | set(rm[2]))
    per_run = m[3] and rm[3]
    a, r = _aligned(m, sources, recipients), _aligned(rm, sources, recipients)
    if not per_run:  # yearly flows: means only
        a, r = a.mean(axis=0, keepdims=True), r.mean(axis=0, keepdims=True)
    d = a - r  # (N, S, R)
    same = dict(scenario=name, reference=reference, period=f"over {sc.years[1]}\u2013{sc.end_year}")
    countries = [c for c in sc.country_ids]
    received = np.stack([d[:, [i for i, s in enumerate(sources) if s != c], recipients.index(c)].sum(axis=1)
                         if c in recipients else np.zeros(d.shape[0]) for c in countries])  # (C, N)
    frames = [split(received, countries, groups, level, outcome=MONEY_RECEIVED, **same)]
    cells = [(i, j) for i in range(len(sources)) for j in range(len(recipients))
             if sources[i] != recipients[j] and abs(d[:, i, j].mean()) >= NO_MONEY_USD]
    fd = np.stack([d[:, i, j] for i, j in cells]) if cells else np.zeros((0, d.shape[0]))
    funder = _frame(fd, [sources[i] for i, _ in cells], "funder", level, outcome=FUNDER_MONEY, **same)
    funder["to"] = [recipients[j] for _, j in cells]
    frames.append(funder)
    if not per_run:
        for f in frames:
            f["diff_ci_low"], f["diff_ci_high"], f["interval"] = np.nan, np.nan, NO_INTERVAL
    return frames


def attribute(values: Mapping[str, RunValues], flows: Mapping[str, pd.DataFrame | None], reference: str,
              groups: Mapping[str, Sequence[str]] | None = None, level: float = decisions.LEVEL) -> pd.DataFrame:
    """Who gains and who loses, option − reference, for every scenario but the reference (COLUMNS).

    `values`: each scenario's per-run outcome values; `flows`: each scenario's flows (full: per
    run; yearly: summed over runs; None: no money rows); `groups`: group name → member country ids
    (groups with no member in the scenario are left out; none by default).
    """
    groups = dict(groups or {})
    ref = values[reference]
    rm = money_by_run(flows.get(reference), ref.runs)
    frames = []
    for name, v in values.items():
        if name == reference:
            continue
        frames += _people_rows(v, ref, name, reference, groups, level)
        if v.scenario.country_ids == ref.scenario.country_ids:
            frames += _money_rows(money_by_run(flows.get(name), v.runs), rm, v.scenario, name, reference, groups,
                                  level)
    frames = [f for f in frames if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    out["runs"] = np.where(out["interval"] == NO_INTERVAL, ref.runs, out["runs"]) if len(out) else out["runs"]
    return out[COLUMNS]


def _sentence(text: str) -> str:
    """`text` with a capital first letter ("more people with …" starts a sentence)."""
    return text[:1].upper() + text[1:]


def _names(t: pd.DataFrame, side: str) -> str:
    rows = t[(t.by == "country") & (t.side == side)].sort_values("diff_mean", key=abs, ascending=False)
    return ", ".join(rows["where"].head(4)) + (" and others" if len(rows) > 4 else "")


def gain_words(indicators) -> dict[str, str]:
    """Indicator id → what a gain in it is, in words: 'under-5 deaths averted', 'more people with
    electricity', 'fewer undernourished people' (from the scenario's `people` and direction)."""
    out = {}
    for i in indicators:
        what = (i.people or i.name).replace(" a year", "")
        out[i.id] = (f"more {what}" if i.higher_is_better else f"{what} averted" if "death" in what
                     else f"fewer {what}")
    return out


def shift_warnings(table: pd.DataFrame, threshold: float = SHIFT_THRESHOLD,
                   words: Mapping[str, str] | None = None, floors: Mapping[str, float] | None = None) -> list[str]:
    """One sentence per scenario whose gain in some countries is mostly a loss in others on some
    people outcome (`offsets`: the losers lose ≥ `threshold` of what the gainers gain, mean over
    runs), naming the outcomes, the countries and the shares. `words`: indicator id → what a gain
    is (`gain_words`); `floors`: outcome label → the smallest gain that matters (people; a gain
    below it, a difference too small to matter, is not warned about; 0 where not given)."""
    out = []
    words, floors = words or {}, floors or {}
    t = table[table.outcome.astype(str).str.split(":").str[0].isin(PEOPLE_OUTCOMES)]
    for name, s in t.groupby("scenario", sort=False):
        said = []
        for outcome, g in s.groupby("outcome", sort=False):
            tot = g[g.by == "total"].set_index("where").diff_mean
            gain, loss = float(tot.get("gainers", 0.0)), float(tot.get("losers", 0.0))
            if not offsets(gain, loss, threshold) or gain < floors.get(outcome, 0.0):
                continue
            what = words.get(outcome.split(":", 1)[1], outcome)
            said.append(f"{what} {g.period.iloc[0]}: {gain:,.0f} in {_names(g, GAINS)} against {loss:,.0f} fewer in "
                        f"{_names(g, LOSES)} ({loss / gain:.0%} of the gain; net {gain - loss:+,.0f})")
        if said:
            n = f"{len(said)} people outcome{'s' if len(said) > 1 else ''}"
            out.append(f"Shift warning: {name} mostly moves benefits between countries: on {n}, losses in some "
                       f"countries offset {threshold:.0%} or more of the gains in others. "
                       + _sentence("; ".join(said)) + ". See attribution.csv.")
    return out
