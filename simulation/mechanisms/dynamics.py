"""Pure array functions for budgets, spending and goal scores (docs/model.md "One year", steps 1 and 7).

Shapes: S replications, C countries, G goals, D funders. Money in USD per year.
Nothing here draws random numbers; noise arrives as arguments.
"""

from __future__ import annotations

import numpy as np


def donor_budgets(base_usd: np.ndarray, growth: np.ndarray, years: int, noise: np.ndarray,
                  noise_sd: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """B_d,t = B_d,0 · (1 + growth_d)^t · exp(σ_d ε − σ_d²/2) · (1 − cut_d).

    base_usd, growth, noise_sd, cut: (1|S, D); noise: (S, D) standard normal → (S, D).
    The log-normal factor has mean 1, so noise does not shift expected budgets.
    """
    trend = base_usd * (1.0 + growth) ** years * (1.0 - cut)
    return trend * np.exp(noise_sd * noise - 0.5 * noise_sd ** 2)


def domestic_spending(gdp_usd: np.ndarray, domestic_share: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """D_c,g = GDP_c · domestic_share_c · priority_c,g; (1|S, C), (1|S, C), (1|S, C, G) → (1|S, C, G)."""
    return (gdp_usd * domestic_share)[..., None] * priority


def leakage(governance: np.ndarray, leakage_max: float, exponent: float) -> np.ndarray:
    """Share of money lost to poor governance: leakage_max · (1 − governance/100)^exponent."""
    return leakage_max * (1.0 - np.clip(governance, 0.0, 100.0) / 100.0) ** exponent


def channel_overhead(flow: np.ndarray, rate: np.ndarray, channel_cost: np.ndarray) -> np.ndarray:
    """Overhead of funder→country channels: min(flow, rate·flow + fixed cost if flow > 0).

    flow: (S, D, C) USD; rate, channel_cost: (1|S, D) → (S, D, C) USD.
    """
    out = rate[..., None] * flow
    out += np.where(flow > 0, channel_cost[..., None], 0.0)  # the fixed cost
    return np.minimum(flow, out, out=out)


def direct_gain(scores: np.ndarray, effectiveness: np.ndarray, spend_pc: np.ndarray,
                spend_scale: np.ndarray) -> np.ndarray:
    """ΔI = (100 − I) · κ_g · (1 − exp(−s / s_g)), diminishing returns in spend per capita.

    scores, spend_pc: (S, C, G); effectiveness: (S, G); spend_scale: (1|S, G) → (S, C, G).
    """
    return (100.0 - scores) * effectiveness[:, None, :] * -np.expm1(-spend_pc / spend_scale[..., None, :])


def spillover(gain: np.ndarray, links: np.ndarray) -> np.ndarray:
    """Progress on goal h spills into goal g with weight links[h, g] (negative = trade-off).

    gain: (S, C, G); links: (1|S, G, G) with zero diagonal → (S, C, G).
    """
    return gain @ links


def next_scores(scores: np.ndarray, gain: np.ndarray, spill: np.ndarray, decay: np.ndarray,
                hit: np.ndarray, noise: np.ndarray | float) -> np.ndarray:
    """I' = clip(I + gain + spill − δ_g·I − hit + noise, 0, 100). decay (1|S, 1, G), hit (1|S, C, G)."""
    return np.clip(scores + gain + spill - decay * scores - hit + noise, 0.0, 100.0)


def share_of_rest(share: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """share / (1 − pooled): a share of the whole budget as a share of what is not pooled, 0 where
    everything is pooled. (1|S, D)."""
    out = np.zeros(np.broadcast_shapes(np.shape(share), np.shape(pooled)))
    return np.divide(share, 1 - pooled, out=out, where=pooled < 1)
