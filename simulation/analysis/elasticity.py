"""Elasticities from country panels and from the model: how under-5 mortality moves with health money.

`panel_elasticity` estimates a log-log association with country and year fixed effects,

    log y_ct = Σ_k β_k log x_k,ct + α_c + δ_t + ε_ct,

by least squares after sweeping out both sets of effects (Frisch–Waugh–Lovell: every variable is
replaced by its residual on the country and year dummies), with standard errors robust to any
correlation within a country (clustered by country; the small-sample factor G/(G − 1)·(N − 1)/(N − K)
of Stata's `areg, cluster`). The fixed effects take out what never changes within a country
(geography, institutions) and what every country shares in a year (prices, technology), so β is
read off each country's own changes: a within-country association, not a causal effect.

`implied_elasticity` reads the same number off paired model runs: log(y_variant / y_base) / log(1 + x)
for a variant with x more money (docs/model.md, "Evidence table").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PanelFit:
    """A fixed-effects fit: coefficients and cluster-robust standard errors by regressor."""

    coef: dict[str, float]
    se: dict[str, float]
    n: int
    """observations used (all variables positive and present)"""
    countries: int
    years: tuple[int, int]

    def interval(self, name: str, z: float = 1.96) -> tuple[float, float]:
        """The (1 − α) interval of one coefficient (95 % by default)."""
        return self.coef[name] - z * self.se[name], self.coef[name] + z * self.se[name]


def _dummies(codes: np.ndarray, drop_first: bool) -> np.ndarray:
    d = np.zeros((len(codes), codes.max() + 1))
    d[np.arange(len(codes)), codes] = 1.0
    return d[:, 1:] if drop_first else d


def panel_elasticity(frame: pd.DataFrame, y: str, xs: list[str], country: str = "country",
                     year: str = "year") -> PanelFit:
    """Log-log regression of `y` on `xs` with country and year fixed effects, SEs clustered by country.

    frame: one row per country and year. Rows with a missing or non-positive value are left out, and so
    are countries left with a single year (their effect absorbs them). Raises ValueError with fewer than
    two countries or no variation left.
    """
    d = frame[[country, year, y, *xs]].dropna()
    d = d[(d[[y, *xs]] > 0).all(axis=1)]
    d = d[d.groupby(country)[year].transform("size") > 1]
    if d[country].nunique() < 2:
        raise ValueError(f"{y} on {', '.join(xs)}: fewer than two countries with two years of data")
    c = pd.factorize(d[country])[0]
    t = pd.factorize(d[year])[0]
    fe = np.column_stack([_dummies(c, False), _dummies(t, True)])
    logs = np.log(d[[y, *xs]].to_numpy(float))
    swept = logs - fe @ np.linalg.lstsq(fe, logs, rcond=None)[0]
    Y, X = swept[:, 0], swept[:, 1:]
    xtx_inv = np.linalg.pinv(X.T @ X)
    beta = xtx_inv @ X.T @ Y
    u = Y - X @ beta
    groups = c.max() + 1
    scores = np.zeros((groups, X.shape[1]))
    np.add.at(scores, c, X * u[:, None])  # Σ_i in country g of x_i u_i
    n, k = len(Y), X.shape[1] + fe.shape[1]
    v = xtx_inv @ (scores.T @ scores) @ xtx_inv * groups / (groups - 1) * (n - 1) / max(n - k, 1)
    return PanelFit(dict(zip(xs, map(float, beta))), dict(zip(xs, map(float, np.sqrt(np.diag(v))))), n, groups,
                    (int(d[year].min()), int(d[year].max())))


def implied_elasticity(base: np.ndarray, variant: np.ndarray, more: float) -> np.ndarray:
    """Elasticity of an outcome to money from paired runs: log(variant / base) / log(1 + more), elementwise."""
    return np.log(np.asarray(variant, float) / np.asarray(base, float)) / np.log1p(more)


__all__ = ["PanelFit", "implied_elasticity", "panel_elasticity"]
