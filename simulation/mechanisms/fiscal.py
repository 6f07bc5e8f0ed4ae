"""Fiscal space, loans and debt levers: pure array functions (docs/model.md "Fiscal space, loans and debt").

A government's domestic spending on the goals comes from its **fiscal space**, revenue less external
public debt service:

    revenue      R_t  = R_0 · (GDP_t / GDP_0)^buoyancy
    fiscal space FS_t = R_t − DS_t
    on its path  P_t  = (FS_0 / GDP_0) · GDP_t            (revenue and debt service at their start shares)
    domestic     D_t  = max(0, s · P_t + m · (FS_t − P_t))   s = D_0 / FS_0, m = marginal share (default s)

so D_0 is the scenario's `domestic_sdg_share` of GDP, D follows GDP while revenue and debt service keep
their shares of it (the trend's spending path), and a dollar more debt service takes m dollars from the
goals. **Loans** are repaid on their terms (interest on what is outstanding; equal principal
instalments after the grace period), which become debt service; the DAC counts a loan at its grant
equivalent, face value × (1 − present value of its service at the DAC discount rate). **Debt levers**
cancel a share of the scheduled service; a swap commits part of it to the goals, less its transaction
cost.

Shapes: S replications, C countries, F funders, L years of a loan's life; money in US$ a year.
"""

from __future__ import annotations

import numpy as np

DAC_DISCOUNT = {"LDC": 0.09, "LIC": 0.09, "LMIC": 0.07, "UMIC": 0.06}
"""The DAC's discount rates for the grant equivalent of official loans (OECD DAC High Level Meeting,
December 2014: the IMF's 5 % plus 4 points for LDCs and other LICs, 2 for LMICs, 1 for UMICs)."""


def debt_schedule(values: list[float], first_year: int, start_year: int, years: int,
                  gdp_growth: float) -> np.ndarray:
    """(years,) debt service in the years start_year … start_year + years − 1, US$.

    values: the service in first_year, first_year + 1, …; before the first and after the last value
    the nearest one is carried at GDP's growth (its share of GDP holds). No values: zeros.
    """
    out = np.zeros(years)
    if not len(values):
        return out
    v = np.asarray(values, dtype=float)
    year = start_year + np.arange(years)
    nearest = np.clip(year - first_year, 0, len(v) - 1)
    return v[nearest] * (1.0 + gdp_growth) ** (year - (first_year + nearest))


def revenue(revenue0_usd: np.ndarray, gdp_ratio: np.ndarray, buoyancy: np.ndarray) -> np.ndarray:
    """R_t = R_0 · (GDP_t / GDP_0)^buoyancy; (1|S, C) each."""
    return revenue0_usd * gdp_ratio ** buoyancy


def domestic_from_space(space_usd: np.ndarray, path_usd: np.ndarray, average: np.ndarray,
                        marginal: np.ndarray) -> np.ndarray:
    """D = max(0, average · path + marginal · (space − path)): the goals' share of fiscal space on its
    path, and `marginal` of any departure from it. Never rises with debt service (space falls)."""
    return np.maximum(average * path_usd + marginal * (space_usd - path_usd), 0.0)


def loan_schedule(rate: float, grace_years: int, maturity_years: int, length: int | None = None) -> np.ndarray:
    """(L, 2) principal and interest paid in the k-th year after a disbursement of 1 (k = 1 … L):
    interest `rate` on what is outstanding, equal principal instalments in years grace + 1 … maturity.
    L = `length` (≥ maturity; zeros after it)."""
    length = maturity_years if length is None else length
    k = np.arange(1, length + 1)
    paying = (k > grace_years) & (k <= maturity_years)
    principal = paying / (maturity_years - grace_years)
    outstanding = 1.0 - np.concatenate([[0.0], np.cumsum(principal)[:-1]])  # before each year's instalment
    interest = rate * outstanding * (k <= maturity_years)
    return np.stack([principal, interest], axis=-1)


def grant_element(schedule: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """1 − the present value of a unit loan's service at `discount`: (..., L, 2) schedules and
    (...) rates broadcast → (...). The DAC counts a loan's face value times this as ODA."""
    k = np.arange(1, schedule.shape[-2] + 1)
    factor = (1.0 + np.asarray(discount, dtype=float)[..., None]) ** -k
    return 1.0 - (schedule.sum(axis=-1) * factor).sum(axis=-1)


def schedule_service(due: np.ndarray, t: int, principal: np.ndarray, unit: np.ndarray) -> None:
    """Add the service of this year's loans to `due` (S, C, Y, 2), in place: principal (S, F, C)
    lent in year t, unit (1|S, F, L, 2) each funder's schedule per US$; year t + k gets the k-th row."""
    span = min(unit.shape[-2], due.shape[2] - t - 1)
    unit = np.broadcast_to(unit[..., :span, :], principal.shape[:2] + (span, 2))
    due[:, :, t + 1:t + 1 + span] += np.einsum("sfc,sfkj->sckj", principal, unit)


def lever_split(scheduled_usd: np.ndarray, relief: np.ndarray, swap: np.ndarray, commitment: np.ndarray,
                cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(cancelled, committed, transaction cost, still paid) of scheduled debt service (…, C) US$ under
    relief and swap shares (their sum capped at 1): cancelled = (relief + swap) · scheduled; the
    swap's `commitment` share is committed to the goals, `cost` of it lost; the rest is paid."""
    total = np.minimum(relief + swap, 1.0)
    swapped = np.minimum(swap, total)
    cancelled = total * scheduled_usd
    committed = swapped * commitment * scheduled_usd
    return cancelled, committed, committed * cost, scheduled_usd - cancelled
