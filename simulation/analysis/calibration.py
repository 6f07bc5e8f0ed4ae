"""Fitting indicator trends to history, with partial pooling across countries.

The model's exogenous indicator dynamics are a random walk with drift in the log gap to
the indicator's best value (simulation/mechanisms/indicators.py):

    y_t = log gap_t,   y_{t+1} − y_t = −r_c + ε_t,   ε_t ~ N(0, σ_c²)

so for one series the drift estimate is the mean yearly log-gap change, r̂ = −(total change)/m
over m years (a gap of several years counts as that many changes). Published series carry
measurement noise on top of the process (survey-based access estimates jump from year to year
and jump back): with y_t = x_t + η_t, η_t ~ N(0, σ_o²), the yearly changes have variance
σ² + 2σ_o² and lag-one covariance −σ_o², so the method of moments splits their spread into the
process noise σ (what the model simulates, and what accumulates over the years) and the
measurement noise σ_o (what an observation adds to the forecast of the true value; the
back-test adds it when it scores forecasts against observations). se(r̂)² = (σ² m + 2σ_o²)/m².
Countries with short or noisy series borrow strength from the others (partial pooling): per
indicator, r_c ~ N(μ, τ²) with μ and τ² estimated by the DerSimonian–Laird method of moments, and
each country's trend is the precision-weighted compromise (r̂_c/se_c² + μ/τ²)/(1/se_c² + 1/τ²) with posterior sd
(1/se_c² + 1/τ²)^−½. A country without data gets μ with sd √(τ² + se(μ)²). Noise sd of a
series with fewer than MIN_CHANGES changes is the median of the indicator's other series.

Trends do not hold forever: each trend's sd also includes the indicator's trend instability κ,
measured inside the fit window as how much the series' drift changed between its first and
second half (`trend_instability`). Without it, forecast intervals only reflect sampling error
and cover far fewer observations than they claim.

Observations at a reporting floor are censored, not data: WDI publishes undernourishment
below 2.5 % as "< 2.5" (stored as 2.5), and access at 100 % stays there; within 1 % of the range
of the best value (CENSOR_GAP) their log gaps jump with the rounding of the published figure
and would inflate the noise and the instability
(0.137 instead of 0.046 for undernourishment on the shipped history). Such observations are left
out of every estimate; a series with fewer than two others takes the pooled trend.

History also bounds where a trend can go: `trend_range` is the range of the drifts over every
decade-long stretch (TREND_SPAN years) of the indicator's uncensored series up to the fit year.
The model truncates each replication's trend draw to it, so no run loses a decade of access, or
doubles undernourishment, faster than any country in the history did.

Only observations up to the fit year are used (the caller passes `history.until(year)`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..mechanisms import indicators as ind

MIN_CHANGES = 3
"""Fewest yearly changes for a series to get its own noise estimate (fewer: the indicator's median)."""
WINDOW_YEARS = 10
"""Years before the fit year that the trends are estimated on (recent trends, not the 1990s)."""
TREND_SPAN = 10
"""Years over which `trend_range` measures the drifts that history shows (decade-long changes)."""
CENSOR_GAP = 10.0
"""An observation whose gap is under CENSOR_GAP gap floors (1 % of the indicator's range: 99.1 % access,
2.9 % undernourishment) is at a reporting floor or the resolution of the published figure: censored."""
RANGE_GAP = 50.0
"""`trend_range` reads only observations whose gap is at least RANGE_GAP floors (5 % of the range):
near its bound a series' log gap moves by rounding (Serbia's access 99.6-99.9 % gave a 'decade drift'
of −0.11, Ukraine's undernourishment 2.6-3.8 % one of −0.10)."""
TREND_FORMS = ("log_gap", "level")
"""How a series' trend is read from its window: the mean yearly change of its log gap (a constant rate,
UN IGME's annual rate of reduction), or a constant yearly change of the gap itself, read as a rate at
the window's end (JMP's water series are least-squares lines through survey points). `trend_form`
picks per indicator the one that forecast the history before the fit year better."""
FORM_ORIGINS = 7
"""Origins of the pseudo-forecasts that choose the trend form: the 7 years before the fit year."""
FORM_HORIZON = 4
"""Horizon of those pseudo-forecasts (years): the back-test's own four years ahead."""
FORM_T = 1.96
"""Critical value of the Diebold–Mariano statistic (5 %, the conventional two-sided level): the level form
replaces the constant rate only when the countries' pseudo-forecasts agree that it does better."""
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

    def censored(self, values: np.ndarray) -> np.ndarray:
        """Observations at the reporting floor (the gap at or within 1 % of its floor): no information
        on the trend ("< 2.5 %" undernourishment stored as 2.5, 100 % access)."""
        return ind.gap(np.asarray(values, float), self.best, self.higher_is_better, 0.0) \
            < self.floor * CENSOR_GAP

    def published(self, values: np.ndarray) -> np.ndarray:
        """Values as the source publishes them: at the reporting floor, the best value ("< 2.5 %"
        undernourishment is 2.5; access within 1 % of the range of 100 % reads as universal). The back-test
        scores every forecast and observation this way: within that band the published figure carries
        no information on the true value, and the calibration already leaves such observations out."""
        values = np.asarray(values, float)
        return np.where(self.censored(values), self.best, values)

    def uncensored(self, years: np.ndarray, values: np.ndarray, gaps: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """The observations not censored (and, with `gaps`, at least that many gap floors from the best)."""
        gap = ind.gap(np.asarray(values, float), self.best, self.higher_is_better, 0.0)
        keep = ~self.censored(values) & (gap >= self.floor * gaps)
        return np.asarray(years)[keep], np.asarray(values, float)[keep]


@dataclass
class TrendFit:
    """Fitted trends: one row per (country, indicator) in `table`, and what was skipped."""

    table: pd.DataFrame
    """country, indicator, n_obs, first_year, last_year, raw_trend, raw_se, trend, trend_sd, noise_sd,
    obs_noise_sd (measurement noise, log gap), censored (observations at a reporting floor, left out),
    pooled (True when the country had no usable data), rmse_fit (natural units, in-sample one-step)."""
    pooling: pd.DataFrame
    """indicator, countries, mu, mu_se, tau, trend_instability, trend_lo, trend_hi, trend_form,
    form_rmse_log_gap, form_rmse_level: the partial-pooling hyper-parameters, the instability added to
    every trend's sd, the range of decade-long drifts, and the trend form the history before the fit
    year supports (with each form's pseudo-forecast RMSE)."""
    skipped: list[str] = field(default_factory=list)


def _noise_split(resid: np.ndarray, equal_steps: bool) -> tuple[float, float]:
    """(process sd, measurement sd) of per-year innovations by the method of moments: changes of a
    random walk observed with white noise have variance σ² + 2σ_o² and lag-one covariance −σ_o².

    A positive lag-one covariance (FAO's 3-year averages, momentum) is left in the trend's instability
    rather than added to the yearly noise: the long-run variance var + 2·cov₁ would count the same
    multi-year swings twice and let undernourishment's 2030 tails pass history's envelope (ETH's 95th
    percentile 2.4x its start)."""
    if len(resid) < MIN_CHANGES:
        return np.nan, np.nan
    var = float((resid**2).sum() / max(len(resid) - 1, 1))
    if not equal_steps or len(resid) < MIN_CHANGES + 1:
        return float(np.sqrt(var)), 0.0
    cov1 = float((resid[1:] * resid[:-1]).mean())
    obs2 = max(-cov1, 0.0)
    return float(np.sqrt(max(var - 2.0 * obs2, 0.0))), float(np.sqrt(obs2))


def _level_line(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray,
                at: np.ndarray | None = None) -> np.ndarray:
    """The least-squares straight line through a series' gaps, at its years (or `at`), at least the gap floor."""
    g = np.exp(spec.log_gap(values))
    b, a = np.polyfit(years.astype(float), g, 1)
    return np.maximum(a + b * (years if at is None else at), spec.floor)


def form_drift(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray, form: str) -> float:
    """The yearly log-gap drift of a series under a trend form.

    log_gap: the mean yearly change of the log gap over the series (total change over the years).
    level: the gap falls by a constant amount a year (a least-squares line through the gaps, as JMP's
    modelled estimates are built); the drift is the constant rate that takes the line's gap at the last
    year to the line's gap FORM_HORIZON years on, −log(line(T + H) / line(T)) / H: the line's own pace over
    the years the form was chosen for, bending toward the bound beyond them.
    """
    if years[-1] <= years[0]:
        return np.nan
    if form == "level" and len(years) >= 3:
        end, ahead = _level_line(spec, years, values, np.array([years[-1], years[-1] + FORM_HORIZON], float))
        return float(-np.log(ahead / end) / FORM_HORIZON)
    y = spec.log_gap(values)
    return float(-(y[-1] - y[0]) / (years[-1] - years[0]))


def _expected_steps(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray, r: float, form: str) -> np.ndarray:
    """The log-gap changes a trend form expects between consecutive observations."""
    if form == "level" and len(years) >= 3:
        return np.diff(np.log(_level_line(spec, years, values)))
    return -r * np.diff(years).astype(float)


def _series_fit(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray, form: str = "log_gap") -> dict:
    y = spec.log_gap(values)
    steps = np.diff(years).astype(float)
    dy = np.diff(y)
    m = float(steps.sum())
    if m <= 0:
        return {"n_obs": len(years), "raw_trend": np.nan, "raw_se": np.nan, "noise_sd": np.nan, "obs_noise_sd": np.nan,
                "rmse_fit": np.nan}
    r = form_drift(spec, years, values, form)
    expected = _expected_steps(spec, years, values, r, form)
    resid = (dy - expected) / np.sqrt(steps)  # per-year innovations, scaled to one year
    sigma, obs = _noise_split(resid, bool(np.all(steps == 1)))
    proc = max(sigma, MIN_NOISE) if np.isfinite(sigma) else np.nan
    se = float(np.sqrt(proc**2 * m + 2.0 * obs**2) / m) if np.isfinite(proc) else np.nan
    pred = ind.value_of(np.exp(y[:-1] + expected), spec.best, spec.higher_is_better)  # one step ahead
    rmse = float(np.sqrt(np.mean((pred - values[1:]) ** 2)))
    return {"n_obs": len(years), "raw_trend": float(r), "raw_se": se, "noise_sd": sigma, "obs_noise_sd": obs,
            "rmse_fit": rmse}


def _drift(spec: IndicatorSpec, years: np.ndarray, values: np.ndarray) -> float:
    y = spec.log_gap(values)
    return float(-(y[-1] - y[0]) / (years[-1] - years[0])) if years[-1] > years[0] else np.nan


def trend_instability(spec: IndicatorSpec, series: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """How much an indicator's trends shift within the fit window: the root of half the mean
    squared difference between the drift of each series' second and first half (series with
    at least 6 observations; censored observations already left out). Added to each trend's
    uncertainty, it lets the forecast intervals allow for the trend changes that history shows,
    without reading any later data. (Part of that difference is the yearly noise's; subtracting
    it gave intervals that covered 68-71 % of the back-test's observations instead of 76-83 %,
    so the estimate keeps it: history's trend breaks are larger than the halves of one window show.)"""
    d2 = []
    for years, values in series:
        if len(years) >= 6:
            h = len(years) // 2
            d = _drift(spec, years[h - 1:], values[h - 1:]) - _drift(spec, years[:h], values[:h])
            if np.isfinite(d):
                d2.append(d * d)
    return float(np.sqrt(np.mean(d2) / 2.0)) if d2 else 0.0


def trend_range(spec: IndicatorSpec, series: list[tuple[np.ndarray, np.ndarray]],
                span: int = TREND_SPAN, form: str = "log_gap") -> tuple[float, float]:
    """(lowest, highest) yearly drift over any `span`-year stretch of the (uncensored) series, or over
    the whole series where it is shorter but spans at least half of `span`; (nan, nan) if none. Each
    stretch's drift is read in the indicator's trend `form` (`form_drift`), as its trends are."""
    drifts = []
    for years, values in series:
        years = np.asarray(years)
        if len(years) < 2:
            continue
        ends = np.searchsorted(years, years + span)
        pairs = [(i, j) for i, j in enumerate(ends) if j < len(years) and years[j] == years[i] + span]
        if not pairs and years[-1] - years[0] >= span / 2:
            pairs = [(0, len(years) - 1)]
        for i, j in pairs:
            drifts.append(form_drift(spec, years[i:j + 1], np.asarray(values)[i:j + 1], form))
    drifts = [d for d in drifts if np.isfinite(d)]
    return (float(min(drifts)), float(max(drifts))) if drifts else (np.nan, np.nan)


def trend_form(spec: IndicatorSpec, series: list[tuple[np.ndarray, np.ndarray]], fit_until: int,
               window: int = WINDOW_YEARS) -> tuple[str, dict[str, float]]:
    """Which trend form the history supports, judged only on years up to `fit_until`.

    Rolling-origin pseudo-forecasts: from each origin in the FORM_ORIGINS years before the fit year,
    each form is fitted on the `window` years before the origin and forecasts the following years up to
    FORM_HORIZON ahead (never past `fit_until`). The constant rate (log_gap) stays unless the level form's
    squared errors are smaller by a margin the countries agree on: t > FORM_T (5 %) on
    the per-country mean differences (Diebold–Mariano, clustered by country, as one country's forecasts
    from neighbouring origins share their errors). Returns (form, {RMSE per form, and t}).
    series: (years, values) per country, censored observations left out, nothing after `fit_until`.
    """
    errors: dict[str, list[float]] = {f: [] for f in TREND_FORMS}
    gain = []  # per country: mean squared error of log_gap less that of level
    for years, values in series:
        years, values = np.asarray(years), np.asarray(values, float)
        mine: dict[str, list[float]] = {f: [] for f in TREND_FORMS}
        for origin in range(fit_until - FORM_ORIGINS, fit_until):
            past = (years <= origin) & (years >= origin - window)
            ahead = (years > origin) & (years <= min(origin + FORM_HORIZON, fit_until))
            if past.sum() < 3 or not ahead.any():
                continue
            py, pv = years[past], values[past]
            last = spec.log_gap(pv[-1:])[0]
            for form in TREND_FORMS:
                r = form_drift(spec, py, pv, form)
                pred = ind.value_of(np.exp(last - r * (years[ahead] - py[-1])), spec.best, spec.higher_is_better)
                mine[form] += list(pred - values[ahead])
        if mine["log_gap"]:
            gain.append(np.mean(np.square(mine["log_gap"])) - np.mean(np.square(mine["level"])))
            for form in TREND_FORMS:
                errors[form] += mine[form]
    out = {f: float(np.sqrt(np.mean(np.square(e)))) if e else np.nan for f, e in errors.items()}
    sd = float(np.std(gain, ddof=1)) if len(gain) >= 3 else np.nan
    t = float(np.mean(gain) / (sd / np.sqrt(len(gain)))) if sd > 0 else np.nan
    return ("level" if np.isfinite(t) and t > FORM_T else "log_gap"), {**out, "t": t}


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


def _censored_series(f: pd.DataFrame, spec: IndicatorSpec, countries: list[str], gaps: float = 0.0) -> dict:
    """country -> (years, values, censored count) of the indicator's series, censored observations removed."""
    out = {}
    for c in countries:
        s = f[(f.country == c) & (f.indicator == spec.id)].sort_values("year")
        years, values = spec.uncensored(s.year.to_numpy(), s.value.to_numpy(), gaps)
        out[c] = (years, values, len(s) - len(years))
    return out


def _country_fit(spec: IndicatorSpec, c: str, years, values, n_censored: int, window: tuple[int, int],
                 skipped: list[str], form: str = "log_gap") -> dict:
    if len(years) >= 2:
        return {**_series_fit(spec, years, values, form), "first_year": int(years[0]), "last_year": int(years[-1]),
                "censored": n_censored}
    why = f"{n_censored} at a reporting floor, " if n_censored else ""
    skipped.append(f"{c} {spec.id}: {len(years)} usable observation(s) in {window[0]}-{window[1]} ({why}censored "
                   "ones are left out); trend from the other countries (pooled)")
    return {"n_obs": len(years), "raw_trend": np.nan, "raw_se": np.nan, "noise_sd": np.nan, "obs_noise_sd": np.nan,
            "rmse_fit": np.nan, "first_year": np.nan, "last_year": np.nan, "censored": n_censored}


def _shrunk(p: dict, mu: float, mu_se: float, tau: float) -> tuple[float, float, bool]:
    """(trend, sd, pooled) of one country: its estimate shrunk toward the indicators' mean."""
    has = np.isfinite(p["raw_trend"]) and np.isfinite(p["raw_se"])
    if has and tau > 0:
        prec = 1.0 / p["raw_se"] ** 2 + 1.0 / tau**2
        return (p["raw_trend"] / p["raw_se"] ** 2 + mu / tau**2) / prec, 1.0 / np.sqrt(prec), False
    if has:  # no spread between countries: the common trend
        return mu, mu_se, False
    return mu, float(np.sqrt(tau**2 + (mu_se if np.isfinite(mu_se) else 0.0) ** 2)), True


def fit_trends(frame: pd.DataFrame, specs: list[IndicatorSpec], countries: list[str], fit_until: int,
               window: int = WINDOW_YEARS) -> TrendFit:
    """Fit every (country, indicator) trend on observations in [fit_until − window, fit_until].

    frame: tidy history (country, indicator, year, value). Series of countries or indicators
    not in `countries` / `specs` are ignored; pairs without data are filled by pooling and
    listed in `skipped`. Observations at a reporting floor are left out (`IndicatorSpec.censored`).
    The range of decade-long drifts (`trend_range`) reads every year up to `fit_until`.
    """
    known = frame[frame.year <= fit_until]
    f = known[known.year >= fit_until - window]
    rows, pools, skipped = [], [], []
    for spec in specs:
        series = _censored_series(f, spec, countries)
        everything = [(y, v) for y, v, _ in _censored_series(known, spec, countries).values() if len(y)]
        form, form_rmse = trend_form(spec, everything, fit_until, window)
        per = {c: _country_fit(spec, c, *series[c], (fit_until - window, fit_until), skipped, form)
               for c in countries}
        r = np.array([per[c]["raw_trend"] for c in countries])
        se = np.array([per[c]["raw_se"] for c in countries])
        mu, mu_se, tau = _pool(r, se)
        kappa = trend_instability(spec, [(y, v) for y, v, _ in series.values() if len(y)])
        lo, hi = trend_range(spec, [(y, v) for y, v, _ in _censored_series(known, spec, countries, RANGE_GAP).values()],
                             form=form)
        noise = np.array([per[c]["noise_sd"] for c in countries])
        median_noise = float(np.nanmedian(noise)) if np.isfinite(noise).any() else MIN_NOISE
        pools.append({"indicator": spec.id, "countries": int(np.isfinite(r).sum()), "mu": mu, "mu_se": mu_se,
                      "tau": tau, "trend_instability": kappa, "trend_lo": lo, "trend_hi": hi, "trend_form": form,
                      **{f"form_rmse_{k}": v for k, v in form_rmse.items()}})
        for c in countries:
            p = per[c]
            trend, sd, pooled = _shrunk(p, mu, mu_se, tau)
            noise_sd = p["noise_sd"] if np.isfinite(p["noise_sd"]) else median_noise
            obs = p["obs_noise_sd"] if np.isfinite(p["obs_noise_sd"]) else 0.0
            rows.append({"country": c, "indicator": spec.id, **p, "trend": float(trend),
                         "trend_sd": float(np.hypot(sd, kappa)), "noise_sd": float(max(noise_sd, MIN_NOISE)),
                         "obs_noise_sd": float(obs), "pooled": pooled})
    cols = ["country", "indicator", "n_obs", "censored", "first_year", "last_year", "raw_trend", "raw_se", "trend",
            "trend_sd", "noise_sd", "obs_noise_sd", "pooled", "rmse_fit"]
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
    """RMSE, MAE, 90 % interval coverage and CRPS per indicator (and over all) for the model's mean
    (`model`, what summaries report) and median (`model_median`), the model with money off, and the
    naive forecasts (linear trend, persistence, constant rate of decline where given).
    forecast: country, indicator, year, observed, mean, p05, p50, p95, money_off, trend, persistence,
    crd; crps: the model's CRPS per forecast row. A method with no forecast for some rows of a group
    (the constant rate of decline of a higher-is-better indicator) is not scored on that group."""
    f = forecast.assign(crps_model=crps.to_numpy())
    methods = (("model", "mean"), ("model_median", "p50"), ("money_off", "money_off"), ("trend", "trend"),
               ("persistence", "persistence"), ("crd", "crd"))
    rows = []
    for key, g in [*f.groupby("indicator", sort=True), ("ALL", f)]:
        for method, col in methods:
            if col not in g or g[col].isna().any():
                continue
            err = g[col] - g.observed
            model = method in ("model", "model_median")
            rows.append({
                "indicator": key, "method": method, "n": int(len(g)),
                "rmse": float(np.sqrt((err**2).mean())), "mae": float(err.abs().mean()),
                "coverage90": float(((g.observed >= g.p05) & (g.observed <= g.p95)).mean()) if model else np.nan,
                "crps": float(g.crps_model.mean()) if model else float(err.abs().mean()),
            })
    return pd.DataFrame(rows)


GROUP_METHODS = ("model", "trend", "persistence")
"""Forecasts compared within each group of countries (the model's mean and the two naive ones)."""


def skill_by_group(forecast: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Skill per group of countries (region, income group): RMSE per indicator, and unit-free ratios.

    forecast: the back-test's rows (country, indicator, observed, mean, trend, persistence);
    groups: country, kind (e.g. "region", "income"), group (the group's name). Per kind, group
    and indicator: countries, n (observations), the RMSE of the model's mean, the linear trend
    and persistence; per kind and group (indicator "ALL"): the geometric mean over the
    group's indicators of RMSE(model) / RMSE(trend) and of RMSE(model) / RMSE(persistence)
    (below 1 the model is better; indicators' units differ, so their RMSEs are not pooled).
    Countries without a group are left out.
    """
    f = forecast.merge(groups, on="country", how="inner")
    rows = []
    for (kind, group, indicator), g in f.groupby(["kind", "group", "indicator"], sort=True):
        r = {"kind": kind, "group": group, "indicator": indicator, "countries": int(g.country.nunique()),
             "n": int(len(g))}
        for m, col in zip(GROUP_METHODS, ("mean", "trend", "persistence")):
            r[f"rmse_{m}"] = float(np.sqrt(((g[col] - g.observed) ** 2).mean()))
        rows.append(r)
    table = pd.DataFrame(rows, columns=["kind", "group", "indicator", "countries", "n",
                                        *(f"rmse_{m}" for m in GROUP_METHODS)])
    out = []
    for (kind, group), g in table.groupby(["kind", "group"], sort=False):
        ok = g[(g.rmse_trend > 0) & (g.rmse_persistence > 0) & (g.rmse_model > 0)]
        out.append({"kind": kind, "group": group, "indicator": "ALL",
                    "countries": int(f[(f.kind == kind) & (f.group == group)].country.nunique()), "n": int(g.n.sum()),
                    "vs_trend": float(np.exp(np.log(ok.rmse_model / ok.rmse_trend).mean())) if len(ok) else np.nan,
                    "vs_persistence": float(np.exp(np.log(ok.rmse_model / ok.rmse_persistence).mean()))
                    if len(ok) else np.nan})
    return pd.concat([table, pd.DataFrame(out)], ignore_index=True).sort_values(
        ["kind", "group", "indicator"], key=lambda s: s.map(lambda x: (x == "ALL", x)) if s.name == "indicator" else s,
        kind="stable").reset_index(drop=True)


def _ratios(skill: pd.DataFrame) -> pd.DataFrame:
    return skill[skill.indicator != "ALL"].pivot(index="indicator", columns="method", values="rmse")


def overall_rmse(skill: pd.DataFrame, method: str) -> float:
    """RMSE of `method` over every scored observation (the skill table's ALL row)."""
    return float(skill[(skill.indicator == "ALL") & (skill.method == method)].rmse.iloc[0])


def relative_rmse(skill: pd.DataFrame, method: str = "model") -> float:
    """Geometric mean over indicators of RMSE(method) / RMSE(linear trend): below 1 beats the trend."""
    s = _ratios(skill)
    return float(np.exp(np.log(s[method] / s["trend"]).mean()))


def worst_ratio(skill: pd.DataFrame, method: str = "model") -> tuple[float, str]:
    """Return the largest RMSE(method) / min(RMSE(trend), RMSE(persistence)) over indicators, and where."""
    s = _ratios(skill)
    r = s[method] / np.minimum(s["trend"], s["persistence"])
    return float(r.max()), str(r.idxmax())
