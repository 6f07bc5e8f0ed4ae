"""Indicators in natural units: SDR-style normalisation, gap dynamics, absorption, people.

An indicator (access to electricity in % of population, under-5 deaths per 1,000 live
births, ...) has a *best* value (100 %, 0 deaths) and a *gap* to it in natural units:
gap = best − value for higher-is-better indicators, value − best for lower-is-better ones.
Its yearly change (docs/model.md, "Indicators"):

    gap' = gap · exp(−r − clip(Δ / gap, −0.5, 20) + s + ε)

    r   the country's exogenous trend: the yearly rate at which the gap closes in history
        (fitted by `sdgsim calibrate`; positive = improving)
    Δ   what money beyond the trend's own level buys this year, in natural units
        (people moved / denominator · scale; see `money_effect`); Δ/gap ≫ 1 saturates, so
        returns diminish as the gap closes and a rate never passes its bound
    s   a shock (log-gap points; +0.05 = the gap is 5 % larger)
    ε   yearly noise N(0, σ²)

and the gap stays between a small floor and its ceiling (a rate stays within 0 and its scale,
e.g. 0-100 % of the population).

Every function is pure: arrays in, arrays out, no randomness of its own. Shapes: S
replications, C countries, I indicators.
"""

from __future__ import annotations

import numpy as np

GAP_FLOOR = 1e-3
"""Smallest gap, as a share of the indicator's range (ub − lb): keeps log(gap) finite."""
MONEY_CLIP = (-0.5, 20.0)
"""Bounds of Δ/gap in the gap step: a funding cut can widen the gap by at most 65 % a year."""


def normalise(value: np.ndarray, lb: np.ndarray, ub: np.ndarray, higher: np.ndarray) -> np.ndarray:
    """SDR normalisation to 0–100: 100·(v − lb)/(ub − lb) if higher is better, else
    100·(ub − v)/(ub − lb), clipped to [0, 100]. value (..., I); lb, ub, higher (I,)."""
    x = (value - lb) / (ub - lb)
    return 100.0 * np.clip(np.where(higher, x, 1.0 - x), 0.0, 1.0)


def gap(value: np.ndarray, best: np.ndarray, higher: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """Distance to the best value in natural units, at least `floor`. (..., I) → (..., I)."""
    return np.maximum(np.where(higher, best - value, value - best), floor)


def value_of(gap_: np.ndarray, best: np.ndarray, higher: np.ndarray) -> np.ndarray:
    """The indicator value with gap `gap_` (inverse of `gap`)."""
    return np.where(higher, best - gap_, best + gap_)


def absorbed(external_usd: np.ndarray, ceiling_usd: np.ndarray) -> np.ndarray:
    """External money that a country can put to use in a year: a smooth ceiling,
    A·(1 − exp(−X/A)): the first dollars count fully, money far beyond A adds nothing.

    external_usd: (S, C, G); ceiling_usd: (S, C) → (S, C, G) (split pro rata over goals).
    """
    total = external_usd.sum(axis=-1)
    A = np.broadcast_to(ceiling_usd, total.shape)
    used = A * -np.expm1(-np.divide(total, A, out=np.zeros_like(total), where=A > 0))
    share = np.divide(used, total, out=np.ones_like(total), where=total > 0)
    return external_usd * share[..., None]


def money_effect(extra_usd: np.ndarray, unit_cost_usd: np.ndarray, denominator: np.ndarray,
                 scale: np.ndarray) -> np.ndarray:
    """Natural-unit change bought by `extra_usd` this year: scale · (extra / unit_cost) / denominator.

    extra_usd (S, C, I): effective money beyond the trend's own level (negative for cuts);
    unit_cost_usd (I,): US$ per person moved (connected, served, fed, death averted);
    denominator (C, I): people the rate is counted over (population, or live births);
    scale (I,): 100 for % of population, 1,000 for per 1,000 live births.
    """
    return scale * (extra_usd / unit_cost_usd) / denominator


def gap_ceiling(best: np.ndarray, higher: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The largest gap a rate can have: its value stays within [0, scale] (0-100 %, 0-1,000 per 1,000)."""
    return np.where(higher, best, scale - best)


def gap_step(gap_: np.ndarray, trend: np.ndarray, delta: np.ndarray, shock: np.ndarray | float,
             noise: np.ndarray | float, floor: np.ndarray, ceiling: np.ndarray | float = np.inf) -> np.ndarray:
    """gap' = clip(gap · exp(−trend − clip(delta/gap) + shock + noise), floor, ceiling); (S, C, I) or broadcast."""
    pushed = np.clip(delta / gap_, *MONEY_CLIP)
    return np.clip(gap_ * np.exp(-trend - pushed + shock + noise), floor, ceiling)


def goal_scores(norm: np.ndarray, weights: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Goal scores from indicator scores: Σ_i w_g,i · norm_i + held_g, clipped to [0, 100].

    norm (S, C, I) normalised indicator scores; weights (I, G) each indicator's share of its
    goal's SDR score; held (S, C, G) the points carried by the goal's unmodelled indicators.
    """
    return np.clip(norm @ weights + held, 0.0, 100.0)


def people(value: np.ndarray, denominator: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """People an indicator value stands for: value / scale · denominator (e.g. % × population)."""
    return value / scale * denominator
