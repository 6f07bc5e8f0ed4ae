"""How money moves an indicator: one footing for every source, fading effects, rising costs.

An indicator's trend (mechanisms/indicators.py `gap_step`) already carries the money that history
spent on it: domestic budgets growing with the economy and the external money of the fit years
(`baseline_usd_per_capita`). Money *above or below that path* moves the indicator, through the same
mechanism whatever its source (docs/model.md, "How money moves an indicator"):

1. **Extra money** E − E₀ per source; an increase in external money to the government displaces
   part of its own spending on the goal (`displaced`: Dieleman & Hanlon 2014 measure US$0.62 per
   US$ of an increase in health aid, 90 % CI 0.15-1.09, and no reaction to a decrease; Lu et al.
   2010: 0.43-1.14).
2. **The price of the next person** (`marginal_unit_cost`): unit_cost at a reference gap, rising as
   the gap closes, unit_cost · (gap_ref / gap)^η (the last mile is rural and dispersed; an under-5
   death averted costs more where mortality is low: with η = 1 the same package of interventions
   averts deaths in proportion to the mortality rate). A technology deployed with the money lowers
   that price by its efficacy times its adoption; it never multiplies a budget.
3. **A stock that fades** (`reached_step`): people reached by extra money (connected, served, fed;
   under-5 deaths a year averted) accumulate and lose a share `depreciation` a year: connections
   wear out over their lifetime, health and nutrition effects stop when the spending stops. A
   dollar spent once has a bounded, fading effect; money below the path is a negative stock.
4. **The indicator** is its trend's gap less what the stock reaches (`gap_with_reached`), within
   the gap's floor and ceiling; the stock is held to what the gap can hold.

Every function is pure: arrays in, arrays out, no randomness. Shapes broadcast; in the model they
are (S, C, I): S replications, C countries, I indicators.
"""

from __future__ import annotations

import numpy as np


def displaced(extra_external_usd: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """External money beyond its path net of the domestic spending it displaces.

    An increase of US$1 lets the government cut its own spending on the goal by `rate` (0-1+); a
    decrease below the path is not made up (Dieleman & Hanlon 2014: no significant response).
    """
    return extra_external_usd - rate * np.maximum(extra_external_usd, 0.0)


def marginal_unit_cost(unit_cost_usd: np.ndarray, gap: np.ndarray, reference_gap: np.ndarray,
                       curvature: np.ndarray, technology_gain: np.ndarray | float = 0.0) -> np.ndarray:
    """US$ per person moved by the next dollar: unit_cost · (reference_gap / gap)^curvature / (1 + gain).

    unit_cost_usd: the published cost at `reference_gap` (natural units of the gap); curvature η ≥ 0
    (0 = constant cost); technology_gain ≥ 0: how much further money goes with the technologies
    adopted (Σ_k adoption_k · efficacy_k).
    """
    return unit_cost_usd * (reference_gap / gap) ** curvature / (1.0 + technology_gain)


def people_bought(extra_usd: np.ndarray, cost_usd: np.ndarray) -> np.ndarray:
    """People moved this year by `extra_usd` (negative: lost) at `cost_usd` per person."""
    return extra_usd / cost_usd


def reached_step(stock: np.ndarray, new: np.ndarray, depreciation: np.ndarray) -> np.ndarray:
    """Next year's stock of people reached: what is left of this year's, plus what new money bought."""
    return stock * (1.0 - depreciation) + new


def stock_bounds(trend_gap: np.ndarray, ceiling: np.ndarray, denominator: np.ndarray,
                 scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lowest, highest) people a stock can stand for: no more than the gap holds (everyone reached),
    no fewer than the room left below the ceiling (everyone lost)."""
    per_unit = denominator / scale
    return -(ceiling - trend_gap) * per_unit, trend_gap * per_unit


def gap_with_reached(trend_gap: np.ndarray, reached: np.ndarray, denominator: np.ndarray, scale: np.ndarray,
                     floor: np.ndarray, ceiling: np.ndarray) -> np.ndarray:
    """The gap once the people reached are counted: trend_gap − reached / denominator · scale, clipped."""
    return np.clip(trend_gap - reached / denominator * scale, floor, ceiling)
