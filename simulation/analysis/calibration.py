"""Fitting indicator trends to history, with partial pooling across countries.

The model's exogenous indicator dynamics are a random walk with drift in the log gap to
the indicator's best value (simulation/mechanisms/indicators.py):

    y_t = log gap_t,   y_{t+1} − y_t = −r_c + ε_t,   ε_t ~ N(0, σ_c²)

so for one series the maximum-likelihood estimates are the mean and sd of its yearly
log-gap changes: r̂ = −mean(Δy), σ̂ = sd(Δy), se(r̂) = σ̂/√m over m yearly changes (a gap
of several years counts as that many changes). Countries with short or noisy series borrow
strength from the others (partial pooling): per indicator, r_c ~ N(μ, τ²) with μ and τ²
estimated by the DerSimonian–Laird method of moments, and each country's trend is the
precision-weighted compromise (r̂_c/se_c² + μ/τ²)/(1/se_c² + 1/τ²) with posterior sd
(1/se_c² + 1/τ²)^−½. A country without data gets μ with sd √(τ² + se(μ)²). Noise sd of a
series with fewer than MIN_CHANGES changes is the median of the indicator's other series.

Trends do not hold forever: each trend's sd also includes the indicator's trend instability κ,
measured inside the fit window as how much the series' drift changed between its first and
second half (`trend_instability`). Without it, forecast intervals only reflect sampling error
and cover far fewer observations than they claim.

Only observations up to the fit year are used (the caller passes `history.until(year)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..mechanisms import indicators as ind

MIN_CHANGES = 3
"""Fewest yearly changes for a series to get its own noise estimate (fewer: the indicator's median)."""
WINDOW_YEARS = 15
"""Years before the fit year that the trends are estimated on (recent trends, not the 1990s)."""
MIN_NOISE = 0.005
"""Floor on a series' yearly log-gap noise: published series are smoothed (UN IGME, JMP), and
a trend never holds exactly; without a floor the forecast intervals would be too narrow."""


@dataclass(frozen=True)
class IndicatorSpec:
    """What fitting needs to know of an indicator: where its gap is measured from."""

    id: str
    best: float
    higher_is_better: bool
    floor: float

    def log_gap(self, values: np.ndarray) -> np.ndarray:
        return np.log(ind.gap(np.asarray(values, float), self.best, self.higher_is_better, self.floor))


@dataclass
class TrendFit:
    """Fitted trends: one row per (country, indicator) in `table`, and what was skipped."""

    table: pd.DataFrame
    """country, indicator, n_obs, first_year, last_year, raw_trend, raw_se, trend, trend_sd, noise_sd,
    pooled (True when the country had no usable data), rmse_fit (natural units, in-sample one-step)."""
    pooling: pd.DataFrame
    """indicator, countries, mu, mu_se, tau: the partial-pooling hyper-parameters."""
    skipped: list[str] = field(default_factory=list)


def _series_fit(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray) -> dict:
    y = spec.log_gap(values)
    steps = np.diff(years).astype(float)
    dy = np.diff(y)
    m = float(steps.sum())
    if m <= 0:
        return {"n_obs": len(years), "raw_trend": np.nan, "raw_se": np.nan, "noise_sd": np.nan, "rmse_fit": np.nan}
    r = -dy.sum() / m  # ML drift with unequal spacing: total change over total years
    resid = (dy + r * steps) / np.sqrt(steps)  # per-year innovations, scaled to one year
    sigma = float(np.sqrt((resid**2).sum() / max(len(dy) - 1, 1))) if len(dy) >= MIN_CHANGES else np.nan
    se = (max(sigma, MIN_NOISE) if np.isfinite(sigma) else np.nan) / np.sqrt(m)
    pred = ind.value_of(np.exp(y[:-1] - r * steps), spec.best, spec.higher_is_better)  # one step ahead
    rmse = float(np.sqrt(np.mean((pred - values[1:]) ** 2)))
    return {"n_obs": len(years), "raw_trend": float(r), "raw_se": float(se), "noise_sd": sigma, "rmse_fit": rmse}


def _drift(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray) -> float:
    y = spec.log_gap(values)
    return float(-(y[-1] - y[0]) / (years[-1] - years[0])) if years[-1] > years[0] else np.nan


def trend_instability(spec: IndicatorSpec, series: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """How much an indicator's trends shift within the fit window: the root of half the mean
    squared difference between the drift of each series' second and first half (series with
    at least 6 observations). Added to each trend's uncertainty, it lets the forecast intervals
    allow for the trend changes that history shows, without reading any later data."""
    d2 = []
    for years, values in series:
        if len(years) >= 6:
            h = len(years) // 2
            d = _drift(spec, years[h - 1:], values[h - 1:]) - _drift(spec, years[:h], values[:h])
            if np.isfinite(d):
                d2.append(d * d)
    return float(np.sqrt(np.mean(d2) / 2.0)) if d2 else 0.0


def _pool(r: np.ndarray, se: np.ndarray) -> tuple[float, float, float]:
    """DerSimonian–Laird: (mu, se(mu), tau) of estimates r with standard errors se."""
    ok = np.isfinite(r) & np.isfinite(se) & (se > 0)
    r, v = r[ok], se[ok] ** 2
    if len(r) == 0:
        return 0.0, np.inf, 0.0
    if len(r) == 1:
        return float(r[0]), float(np.sqrt(v[0])), 0.0
    w = 1.0 / v
    mu_fe = (w * r).sum() / w.sum()
    q = (w * (r - mu_fe) ** 2).sum()
    tau2 = max(0.0, (q - (len(r) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    ws = 1.0 / (v + tau2)
    mu = (ws * r).sum() / ws.sum()
    return float(mu), float(np.sqrt(1.0 / ws.sum())), float(np.sqrt(tau2))


def fit_trends(frame: pd.DataFrame, specs: list[IndicatorSpec], countries: list[str], fit_until: int,
               window: int = WINDOW_YEARS) -> TrendFit:
    """Fit every (country, indicator) trend on observations in [fit_until − window, fit_until].

    frame: tidy history (country, indicator, year, value). Series of countries or indicators
    not in `countries` / `specs` are ignored; pairs without data are filled by pooling and
    listed in `skipped`.
    """
    f = frame[(frame.year <= fit_until) & (frame.year >= fit_until - window)]
    rows, pools, skipped = [], [], []
    for spec in specs:
        per = {}
        for c in countries:
            s = f[(f.country == c) & (f.indicator == spec.id)].sort_values("year")
            if len(s) >= 2:
                per[c] = {**_series_fit(spec, s.year.to_numpy(), s.value.to_numpy()),
                          "first_year": int(s.year.iloc[0]), "last_year": int(s.year.iloc[-1])}
            else:
                per[c] = {"n_obs": len(s), "raw_trend": np.nan, "raw_se": np.nan, "noise_sd": np.nan,
                          "rmse_fit": np.nan, "first_year": np.nan, "last_year": np.nan}
                skipped.append(f"{c} {spec.id}: {len(s)} observation(s) in {fit_until - window}-{fit_until}; "
                               "trend from the other countries (pooled)")
        r = np.array([per[c]["raw_trend"] for c in countries])
        se = np.array([per[c]["raw_se"] for c in countries])
        mu, mu_se, tau = _pool(r, se)
        kappa = trend_instability(spec, [(s.year.to_numpy(), s.value.to_numpy()) for c in countries
                                         if len(s := f[(f.country == c) & (f.indicator == spec.id)]
                                                .sort_values("year"))])
        noise = np.array([per[c]["noise_sd"] for c in countries])
        median_noise = float(np.nanmedian(noise)) if np.isfinite(noise).any() else MIN_NOISE
        pools.append({"indicator": spec.id, "countries": int(np.isfinite(r).sum()), "mu": mu, "mu_se": mu_se,
                      "tau": tau, "trend_instability": kappa})
        for c in countries:
            p = per[c]
            has = np.isfinite(p["raw_trend"]) and np.isfinite(p["raw_se"])
            if has and tau > 0:
                prec = 1.0 / p["raw_se"] ** 2 + 1.0 / tau**2
                trend = (p["raw_trend"] / p["raw_se"] ** 2 + mu / tau**2) / prec
                sd = 1.0 / np.sqrt(prec)
            elif has:  # no spread between countries: the common trend
                trend, sd = mu, mu_se
            else:
                trend, sd = mu, float(np.sqrt(tau**2 + (mu_se if np.isfinite(mu_se) else 0.0) ** 2))
            noise_sd = p["noise_sd"] if np.isfinite(p["noise_sd"]) else median_noise
            sd = float(np.hypot(sd, kappa))
            rows.append({"country": c, "indicator": spec.id, **p, "trend": float(trend), "trend_sd": float(sd),
                         "noise_sd": float(max(noise_sd, MIN_NOISE)), "pooled": not has})
    cols = ["country", "indicator", "n_obs", "first_year", "last_year", "raw_trend", "raw_se", "trend", "trend_sd",
            "noise_sd", "pooled", "rmse_fit"]
    return TrendFit(pd.DataFrame(rows)[cols], pd.DataFrame(pools), skipped)


# --------------------------------------------------------------------------- forecast skill


def linear_trend_forecast(years: np.ndarray, values: np.ndarray, target_years: np.ndarray) -> np.ndarray:
    """A straight line fitted by least squares in levels, extrapolated (the naive 'trend' forecast)."""
    if len(years) < 2:
        return np.full(len(target_years), values[-1] if len(values) else np.nan)
    b, a = np.polyfit(years.astype(float), values.astype(float), 1)
    return a + b * target_years


def crps_ensemble(obs: np.ndarray, ens: np.ndarray) -> np.ndarray:
    """Continuous ranked probability score of ensemble forecasts: E|X − y| − ½E|X − X'|.

    obs (n,), ens (n, m) → (n,). Lower is better; for a point forecast it is the absolute error.
    """
    ens = np.sort(ens, axis=1)
    m = ens.shape[1]
    term1 = np.abs(ens - obs[:, None]).mean(axis=1)
    i = np.arange(1, m + 1)
    term2 = ((2 * i - m - 1) * ens).sum(axis=1) / (m * m)  # ½E|X − X'| for sorted members
    return term1 - term2


def skill_table(forecast: pd.DataFrame, crps: pd.Series) -> pd.DataFrame:
    """RMSE, MAE, 90 % interval coverage and CRPS per indicator (and over all) for the model and
    the two naive forecasts. The model's point forecast is its median (p50): the forecast of a gap
    that shrinks exponentially at an uncertain rate is skewed, and the mean is pulled by the tail.
    forecast: country, indicator, year, observed, mean, p05, p50, p95, trend, persistence; crps:
    the model's CRPS per forecast row."""
    f = forecast.assign(crps_model=crps.to_numpy())
    rows = []
    for key, g in [*f.groupby("indicator", sort=True), ("ALL", f)]:
        for method, col in (("model", "p50"), ("trend", "trend"), ("persistence", "persistence")):
            err = g[col] - g.observed
            rows.append({
                "indicator": key, "method": method, "n": int(len(g)),
                "rmse": float(np.sqrt((err**2).mean())), "mae": float(err.abs().mean()),
                "coverage90": float(((g.observed >= g.p05) & (g.observed <= g.p95)).mean()) if method == "model"
                else np.nan,
                "crps": float(g.crps_model.mean()) if method == "model" else float(err.abs().mean()),
            })
    return pd.DataFrame(rows)
