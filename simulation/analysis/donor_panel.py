"""Donors' records from the evidence base: DAC2a shares over recipients, and what donors could see.

`panels(flows, donors, needs, fit_until, to)` turns an imported DAC2a table (simulation.data.dac2a)
into one `donor_fit.Panel` per donor: its share of flows to each recipient country per year, and
for each year the model's `AllocationContext` over those recipients built from the shipped WDI
as published up to the year before (population, GDP per capita, and goal scores from the
indicators that stand for the goals in `sdgsim new`: the indicator on the SDR scale).

Flows: one DAC2a aid type on one price basis (simulation.data.dac2a_flows: gross ODA where the
file has it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import dac_sectors, series
from ..data.newscenario import SECTOR_GOALS, proxy_score
from ..mechanisms import allocation
from .donor_fit import Panel

GOVERNANCE = 50.0        # no governance data in the evidence base: the scale's midpoint, as `sdgsim new`
DOMESTIC_SHARE = 0.03    # of GDP, over the goals: `sdgsim new`'s default where spending data is missing


@dataclass(frozen=True)
class Needs:
    """What the goal scores are read from: the template's indicators and goal definitions."""

    indicators: list[dict]        # id, goal, bounds, higher_is_better (one per goal stands for it)
    effectiveness: dict[str, float]
    spend_scale: dict[str, float]
    retention: float              # 1 - leakage at GOVERNANCE under the template's governance settings

    @property
    def goals(self) -> list[str]:
        return sorted({i["goal"] for i in self.indicators}, key=lambda g: int(g[3:]))


def _known_before(code: str, countries: list[str], years: np.ndarray) -> pd.DataFrame:
    """(years x countries) the last value published up to the year before each year (no look-ahead)."""
    s = series(code, end=int(years.max()) - 1)
    s = s[s.country.isin(countries)]
    wide = s.pivot_table(index="year", columns="country", values="value", aggfunc="last")
    span = np.arange(min(int(wide.index.min()) if len(wide) else years.min(), years.min() - 1), years.max())
    wide = wide.reindex(index=span, columns=countries).ffill()
    return wide.reindex(years - 1)


def covariates(countries: list[str], years: np.ndarray, needs: Needs) -> tuple[list, list[str]]:
    """One AllocationContext per year over `countries` (those with population and GDP), and those left out."""
    pop, gdp = _known_before("SP.POP.TOTL", countries, years), _known_before("NY.GDP.MKTP.CD", countries, years)
    have = [c for c in countries if pop[c].notna().all() and gdp[c].notna().all()]
    goals = needs.goals
    scores = np.full((len(years), len(have), len(goals)), np.nan)
    for ind in needs.indicators:
        g = goals.index(ind["goal"])
        v = _known_before(ind["id"], have, years).to_numpy()
        sc = np.vectorize(lambda x: np.nan if np.isnan(x) else proxy_score(ind, x), otypes=[float])(v)
        scores[:, :, g] = np.where(np.isnan(scores[:, :, g]), sc, scores[:, :, g])
    median = np.nanmedian(np.where(np.isnan(scores), np.nan, scores), axis=1, keepdims=True)
    scores = np.where(np.isnan(scores), np.nan_to_num(median, nan=50.0), scores)
    kappa = np.array([needs.effectiveness[g] for g in goals])[None]
    scale = np.array([needs.spend_scale[g] for g in goals])[None]
    out = []
    for y in range(len(years)):
        p, income = pop[have].iloc[y].to_numpy()[None], (gdp[have].iloc[y] / pop[have].iloc[y]).to_numpy()[None]
        other = np.broadcast_to((DOMESTIC_SHARE * income * needs.retention / len(goals))[..., None],
                                (1, len(have), len(goals)))
        out.append(allocation.AllocationContext(
            scores=scores[y][None], population=p, gdp_per_capita=income, governance=np.full((1, len(have)), GOVERNANCE),
            priority=np.full((1, len(have), len(goals)), 1.0 / len(goals)), effectiveness=kappa, spend_scale=scale,
            retention=np.full((1, len(have)), needs.retention), other_spend_pc=other))
    return out, sorted(set(countries) - set(have))


def panels(flows: pd.DataFrame, donors: list[str], needs: Needs, fit_until: int, to: int,
           label: str = "DAC2a") -> tuple[dict[str, Panel], list[str]]:
    """One Panel per donor with a record before and after `fit_until`; notes on what was left out."""
    flows = flows[flows.year <= to]
    notes, out, left = [], {}, {}
    for donor in donors:
        f = flows[flows.donor == donor]
        if not len(f):
            notes.append(f"{donor}: no DAC2a rows")
            continue
        table = f.pivot_table(index="year", columns="recipient", values="value", aggfunc="sum").fillna(0.0)
        years = table.index.to_numpy(dtype=int)
        if not (years <= fit_until).any() or not (years > fit_until).any():
            notes.append(f"{donor}: no DAC2a years on both sides of {fit_until} ({years.min()}-{years.max()})")
            continue
        contexts, dropped = covariates(list(table.columns), years, needs)
        for c in dropped:
            left.setdefault(c, []).append(donor)
        table = table[[c for c in table.columns if c not in dropped]]
        total = table.sum(axis=1).to_numpy()
        shares = np.where(total[:, None] > 0, table.to_numpy() / np.where(total > 0, total, 1.0)[:, None], np.nan)
        eligible = (table.loc[table.index <= fit_until] > 0).any(axis=0).to_numpy()
        out[donor] = Panel(donor, years, list(table.columns), shares, contexts, eligible)
    notes += [f"recipient {c} left out (no population or GDP in the WDI) for {len(d)} donors ({', '.join(d[:4])}"
              f"{', ...' if len(d) > 4 else ''})" for c, d in sorted(left.items())]
    return out, notes


def sector_panels(donors: list[str], to: int) -> dict[str, Panel]:
    """Per donor, its bilateral ODA's shares over the goals its sectors fund (shipped CRS sector
    groups mapped to goals as in `sdgsim new`; sectors that fund no goal left out), years <= `to`."""
    s = dac_sectors()
    s = s[s.donor.isin(donors) & (s.year <= to)].assign(goal=lambda f: f.sector.map(SECTOR_GOALS)).dropna(subset=["goal"])
    out = {}
    for donor, f in s.groupby("donor", sort=False):
        t = f.pivot_table(index="year", columns="goal", values="usd_m", aggfunc="sum").fillna(0.0).clip(lower=0.0)
        total = t.sum(axis=1).to_numpy()
        shares = np.where(total[:, None] > 0, t.to_numpy() / np.where(total > 0, total, 1.0)[:, None], np.nan)
        out[str(donor)] = Panel(str(donor), t.index.to_numpy(dtype=int), list(t.columns), shares, [],
                                np.ones(t.shape[1], bool))
    return out
