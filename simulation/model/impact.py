"""How money moves capacity, adoption, goal scores and indicators: the countries' year
(docs/model.md "One year", step 7, and "Indicators in natural units").

One file, in the order a dollar travels once it reaches a country:

    withhold_ppi      PPI goals of PPI countries take their money aside (ppi_country.py)
    at_work           leakage (governance) and the absorption ceiling on external money
    build_capacity    capacity-building money raises absorptive capacity
    diffuse           technologies spread (Bass), making the money they are deployed with go further
    move_scores       the goals' scores (their unmodelled remainder) follow the spending dynamics
    move_indicators   money above or below the trend's path moves indicators (mechanisms/money.py), whatever
                      its source; they set their goals' share
    ppi_scores        PPI countries' PPI goals take PPI's scores

Each phase reads the model's state and parameters and writes its own part of the state; the
arithmetic is in simulation/mechanisms (dynamics, technology, indicators, money). Shapes: S
replications, C countries, G goals, K technologies, I indicators; money in USD per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..mechanisms import dynamics, technology
from ..mechanisms import indicators as ind
from ..mechanisms import money as reach

if TYPE_CHECKING:
    from .model import FinancingModel, Year


@dataclass
class Money:
    """This year's money in the countries (S, C, G) USD, at each stage of its way."""
    gross: np.ndarray  # domestic + external (PPI goals' money withheld)
    effective: np.ndarray  # gross after leakage (booked spent; the rest leaked)
    external: np.ndarray  # external money (grants, blended, private) within gross
    working: np.ndarray  # after leakage, external money within the absorption ceiling
    outside: np.ndarray  # the external part of `working`
    ppi: np.ndarray | None  # (S, Cp, G) money of the PPI countries' PPI goals


def countries_step(m: FinancingModel, year: Year, domestic: np.ndarray, external: np.ndarray,
                   capacity_gross: np.ndarray) -> np.ndarray:
    """Turn this year's money into capacity, adoption and score changes, for all countries.

    domestic (1|S, C, G) and external (S, C, G): USD reaching each goal (external includes
    private co-finance); capacity_gross: (S, C) USD for capacity building. External money
    works up to each country's absorption ceiling (the accounts still count all of it as
    spent). Returns the score change (S, C, G).
    """
    money = at_work(m, year, *withhold_ppi(m, domestic, external))
    cb_effective = capacity_gross * m.p.countries.retention
    m.ledger.book(year.t, spent=money.effective.sum(axis=(1, 2)) + cb_effective.sum(axis=1),
                  leaked=(money.gross - money.effective).sum(axis=(1, 2)) + (capacity_gross - cb_effective).sum(axis=1))
    build_capacity(m, year, cb_effective)
    multiplier = diffuse(m, year)
    before = m.scores
    move_scores(m, year, money, multiplier)
    if m.p.indicators.n:
        move_indicators(m, year, money, multiplier - 1.0)
    if money.ppi is not None:
        ppi_scores(m, year, money.ppi)
    return m.scores - before


def withhold_ppi(m: FinancingModel, domestic: np.ndarray, external: np.ndarray):
    """(gross, external, PPI money): PPI goals of PPI countries take their money to PPI, not to
    the dynamics below (external is scaled down in proportion)."""
    gross = domestic + external
    if m.ppi is None:
        return gross, external, None
    gross, ppi_money = m.ppi.withhold(gross)
    external = external * np.divide(gross, domestic + external, out=np.zeros_like(gross),
                                    where=(domestic + external) > 0)
    return gross, external, ppi_money


def at_work(m: FinancingModel, year: Year, gross: np.ndarray, external: np.ndarray,
            ppi_money: np.ndarray | None) -> Money:
    """Leakage takes 1 − retention of all money (leaked; the rest is spent); of external
    money only what each country can absorb works (indicators.absorbed)."""
    keep = m.p.countries.retention[..., None]
    effective = gross * keep
    outside = ind.absorbed(external, absorption_ceiling(m, year.gdp)) * keep  # external at work
    working = (gross - external) * keep + outside
    return Money(gross, effective, external, working, outside, ppi_money)


def absorption_ceiling(m: FinancingModel, gdp: np.ndarray) -> np.ndarray:
    """(S, C) US$ of external money each country can use this year (grows with capacity)."""
    return m.p.countries.abs_share * gdp * m.capacity / m.p.countries.abs_ref


def build_capacity(m: FinancingModel, year: Year, cb_effective: np.ndarray) -> None:
    """Capacity building: A += (max − A)⁺ · (1 − exp(−spend per capita / scale)); cb_effective
    (S, C) USD of capacity-building money after leakage."""
    c = m.p.countries
    m.capacity = technology.capacity_step(m.capacity, cb_effective / year.population, c.cap_scale, c.cap_max)


def diffuse(m: FinancingModel, year: Year) -> np.ndarray:
    """Deployable technologies spread (Bass); returns how much further the money deployed with them
    goes, 1 + Σ_k adoption · efficacy (S, C, G)."""
    k = m.p.technologies
    deployable = m.trl >= k.deploy_trl
    m.adoption = technology.bass_step(m.adoption, k.bass_p, k.bass_q, m.capacity, m.p.partnerships.access[year.t],
                                      deployable)
    return technology.technology_multiplier(m.adoption, k.efficacy)


def move_scores(m: FinancingModel, year: Year, money: Money, multiplier: np.ndarray) -> None:
    """The goals' scores (for goals with indicators: their unmodelled remainder) follow the
    abstract spending dynamics: direct gain, spillovers, decay, shocks and noise.

    Technologies act on the margin: the money they are deployed with (`deployed`) goes
    `multiplier` times further; the rest of the money at work counts once."""
    g = m.p.goals
    spend_pc = (money.working + deployed(m, year, money) * (multiplier - 1.0)) / year.population[..., None]
    gain = dynamics.direct_gain(m.remainder, m.effectiveness, spend_pc, g.spend_scale)
    spill = dynamics.spillover(gain, g.links)
    noise = m.score_noise[:, :, year.t] if m.score_noise is not None else 0.0
    m.remainder = dynamics.next_scores(m.remainder, gain, spill, g.decay, m.p.shocks.hit[year.t], noise)
    m.scores = m.remainder.copy() if m.p.indicators.n else m.remainder


def deployed(m: FinancingModel, year: Year, money: Money) -> np.ndarray:
    """(S, C, G) USD the adopted technologies are deployed with: external money at work (the
    programmes that bring them) and domestic money at work above the path the trends reflect
    (never a whole national budget, which stays inside the trend)."""
    c = m.p.countries
    above = np.maximum(c.domestic_share - c.domestic_path, 0.0) * year.gdp * c.retention  # (1|S, C)
    return money.outside + above[..., None] * c.priority


def move_indicators(m: FinancingModel, year: Year, money: Money, technology_gain: np.ndarray) -> None:
    """Advance the indicators one year and set the scores of the goals they measure.

    The trend carries the money history spent (domestic at `domestic_path_share` of GDP, external
    at `baseline_usd_per_capita`); money above or below that path, from any source, buys people at
    the marginal cost (mechanisms/money.py), after external increases displace some domestic
    spending; what it bought joins a fading stock of people reached, after the indicator's lag.
    technology_gain (S, C, G): how much further money goes with the technologies adopted.
    """
    n, t, pop = m.p.indicators, year.t, year.population
    external, domestic = extra_money(m, year, money)
    denom = np.where(n.births, (pop * m.p.countries.birth_rate)[..., None], pop[..., None])
    cost = reach.marginal_unit_cost(n.unit_cost, m.ind_gap, n.ref_gap, n.curvature, technology_gain[..., n.goal])
    extra = reach.displaced(external, m.p.goals.displacement[..., n.goal]) + domestic
    new = lagged(m, t, reach.people_bought(extra, cost))
    noise = m.ind_noise[:, :, t] if m.ind_noise is not None else 0.0
    m.ind_trend_gap = ind.gap_step(m.ind_trend_gap, m.ind_trend, 0.0, n.shock[t], noise, n.floor, n.ceiling)
    lo, hi = reach.stock_bounds(m.ind_trend_gap, n.ceiling, denom, n.scale)
    m.ind_reached = np.clip(reach.reached_step(m.ind_reached, new, n.depreciation), lo, hi)
    m.ind_gap = reach.gap_with_reached(m.ind_trend_gap, m.ind_reached, denom, n.scale, n.floor, n.ceiling)
    m.ind_value = ind.value_of(m.ind_gap, n.best, n.higher)
    norm = ind.normalise(m.ind_value, n.lb, n.ub, n.higher)
    held = m.remainder * n.unmodelled
    m.scores[..., n.goals] = ind.goal_scores(norm, n.weights, held)[..., n.goals]


def extra_money(m: FinancingModel, year: Year, money: Money) -> tuple[np.ndarray, np.ndarray]:
    """(external, domestic) money at work on each indicator beyond the path its trend reflects,
    (S, C, I) USD; records the external money at work per capita (what calibration reads as E₀)."""
    n, c, pop = m.p.indicators, m.p.countries, year.population
    external = money.outside[..., n.goal] * n.money_share
    m.history["indicator_money_pc"][year.t] = external / pop[..., None]
    path = (c.domestic_path * year.gdp)[..., None] * c.priority  # (1|S, C, G) the spending the trends reflect
    above = (year.domestic - path) * c.retention[..., None]  # USD at work beyond the path (fiscal space moves it)
    domestic = above[..., n.goal] * n.money_share
    return external - n.base_pc * pop[..., None], domestic


def lagged(m: FinancingModel, t: int, delta: np.ndarray) -> np.ndarray:
    """The money effects indicator i feels in year t: those of year t − lag_i (S, C, I)."""
    n = m.p.indicators
    L = len(m.ind_pending)
    m.ind_pending[t % L] = delta
    if L == 1:
        return delta
    late = m.ind_pending[(t - n.lag) % L, :, :, np.arange(n.n)]  # (I, S, C)
    return np.moveaxis(late, 0, -1) * (t >= n.lag)


def ppi_scores(m: FinancingModel, year: Year, ppi_money: np.ndarray) -> None:
    """PPI countries' PPI goals take PPI's scores (PPI models diversion and spillovers itself:
    simulation/ppi/country.py)."""
    m.scores = m.ppi.absorb(m, year.t, ppi_money, m.scores)
    if not m.p.indicators.n:
        m.remainder = m.scores
