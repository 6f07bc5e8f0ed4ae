"""Calibrating a scenario's indicators on history, and back-testing the forecasts.

    cal = calibrate("scenarios/backtest.yaml", "scenarios/history/wdi.csv", fit_until=2015)
    cal.table            # per country and indicator: start value, trend and its sd, noise, fit
    cal.save("results/cal")          # calibrated.yaml (extends the input), fit.csv, report.html
    bt = backtest("scenarios/backtest.yaml", "scenarios/history/wdi.csv", fit_until=2015, to=2022)
    bt.skill             # RMSE, MAE, 90 % coverage, CRPS: model vs linear trend vs persistence

What is estimated from data and how: simulation/analysis/calibration.py. What is not (the
unit costs of money's effect, the absorption ceiling) stays an assumption with a range in
the scenario file and docs/scenarios.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..analysis.calibration import (
    IndicatorSpec,
    TrendFit,
    crps_ensemble,
    fit_trends,
    linear_trend_forecast,
    skill_table,
)
from ..errors import OptionError, Problem
from ..experiments.replications import run_scenario
from ..mechanisms import indicators as ind
from ..report import backtest_plots
from ..report.html import build_report
from ..results.folders import atomic_folder, read_manifest
from ..scenario import Scenario
from ..scenario.history import History, load_history
from ..scenario.loading import validate_data
from ..scenario.rebase import rebase
from .scenarios import load_scenario

BIRTH_RATE = "SP.DYN.CBRT.IN"


def _specs(sc: Scenario) -> list[IndicatorSpec]:
    return [IndicatorSpec(i.id, i.best, i.higher_is_better, ind.GAP_FLOOR * (i.bounds[1] - i.bounds[0]))
            for i in sc.indicators]


def _base_money(sc: Scenario, fit_until: int, window: int) -> np.ndarray:
    """Return the money level the history's trends reflect.

    (C, I) external US$ per capita at work on each indicator that the history's trend reflects:
    the scenario's own money over the fit years it covers (its first year if none).
    """
    res = run_scenario(sc, runs=1, seed=0, record_flows=False)
    money = res.indicator_money_pc[0]  # (T, C, I)
    years = np.array(sc.years[:-1])
    use = (years <= fit_until) & (years >= fit_until - window)
    return money[use].mean(axis=0) if use.any() else money[0]


@dataclass
class Calibration:
    """Fitted indicator trends and the calibrated scenario built from them."""

    scenario: Scenario
    scenario_file: str | None
    history_file: str
    fit_until: int
    fit: TrendFit
    table: pd.DataFrame
    """country, indicator, value, value_year, trend, trend_sd, noise_sd, baseline_usd_per_capita, n_obs,
    pooled, rmse_fit: what the calibrated scenario carries, with the fit's diagnostics."""
    calibrated: Scenario
    skipped: list[str]

    def overrides(self) -> dict:
        """Return the calibrated fields, as the body of a scenario file that extends the input."""
        countries = []
        for c in self.scenario.countries:
            t = self.table[self.table.country == c.id]
            entry: dict = {"id": c.id, "indicators": {}}
            cal = next(x for x in self.calibrated.countries if x.id == c.id)
            if cal.birth_rate_per_1000 != c.birth_rate_per_1000:
                entry["birth_rate_per_1000"] = round(cal.birth_rate_per_1000, 3)
            for _, r in t.iterrows():
                entry["indicators"][r.indicator] = {
                    "value": round(float(r.value), 4), "trend": round(float(r.trend), 5),
                    "trend_sd": round(float(r.trend_sd), 5), "noise_sd": round(float(r.noise_sd), 5),
                    "baseline_usd_per_capita": round(float(r.baseline_usd_per_capita), 4)}
            countries.append(entry)
        return {"countries": countries}

    def yaml_text(self, extends: str) -> str:
        """calibrated.yaml: extends the input scenario with the fitted values and their provenance."""
        head = (f"# Written by sdgsim calibrate on {date.today().isoformat()}: indicator trends fitted on\n"
                f"# {self.history_file} up to {self.fit_until} (random walk with drift in the log gap, partial\n"
                "# pooling across countries; simulation/analysis/calibration.py). fit.csv has the diagnostics.\n")
        body = {"extends": extends, "name": f"{self.scenario.name}-calibrated",
                "description": f"{self.scenario.name} with indicator start values and trends calibrated on "
                               f"history up to {self.fit_until}.",
                **self.overrides(),
                "sources": {f"countries.{c}.indicators": f"sdgsim calibrate: {Path(self.history_file).name} up to "
                                                         f"{self.fit_until}" for c in self.scenario.country_ids}}
        return head + yaml.safe_dump(body, sort_keys=False, width=120)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the calibration folder (atomically; an existing one only with `force`).

        Parameters
        ----------
        path : str or Path
            The folder: calibrated.yaml, fit.csv, pooling.csv, skipped.txt, manifest.json,
            report.html (and the same tables as Parquet, for `read_results`).
        force : bool
            Replace an existing results folder.

        Returns
        -------
        Path
            The folder written.

        """
        path = Path(path)
        with atomic_folder(path, force) as tmp:
            self.write_into(tmp, path)
            build_report(tmp)
        return path

    def write_into(self, tmp: Path, path: Path) -> None:
        """Write the calibration's files into folder `tmp`, which will become `path`."""
        target = Path(self.scenario_file).resolve() if self.scenario_file else None
        extends = os.path.relpath(target, path.resolve()) if target else self.scenario.name
        (tmp / "calibrated.yaml").write_text(self.yaml_text(extends))
        self.table.to_csv(tmp / "fit.csv", index=False, float_format="%.6g")
        self.fit.pooling.to_csv(tmp / "pooling.csv", index=False, float_format="%.6g")
        for name, frame in (("fit", self.table), ("trends", self.fit.table), ("pooling", self.fit.pooling)):
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "skipped.txt").write_text("\n".join(self.skipped) + ("\n" if self.skipped else ""))
        (tmp / "manifest.json").write_text(json.dumps({
            "kind": "calibration", "scenario_file": self.scenario_file, "history_file": self.history_file,
            "fit_until": self.fit_until, "series": int(len(self.table)),
            "pooled": int(self.table.pooled.sum()), "skipped": len(self.skipped),
            "fit_skipped": list(self.fit.skipped),
            "scenario": self.scenario.model_dump(mode="json"),
            "calibrated": self.calibrated.model_dump(mode="json")}, indent=2))


def read_calibration(folder: Path, man: dict) -> Calibration:
    """Read a calibration folder back (its scenarios from the manifest, its tables from Parquet)."""
    where = str(folder / "manifest.json")
    fit = TrendFit(pd.read_parquet(folder / "trends.parquet"), pd.read_parquet(folder / "pooling.parquet"),
                   list(man.get("fit_skipped", [])))
    text = (folder / "skipped.txt").read_text()
    return Calibration(validate_data(man["scenario"], where), man.get("scenario_file"), man["history_file"],
                       man["fit_until"], fit, pd.read_parquet(folder / "fit.parquet"),
                       validate_data(man["calibrated"], where), text.splitlines())


def calibrate(scenario: Scenario | str | Path, history: History | str | Path, fit_until: int, *,
              start_year: int | None = None, window: int = 15) -> Calibration:
    """Calibrate a scenario's indicators on history.

    Fit every (country, indicator) of a scenario on history up to `fit_until` (nothing later
    is read) and build the calibrated scenario: start values from history at the scenario's
    start year (or `start_year`), trends and their uncertainty, and the money level the
    trends reflect. Raises OptionError when history and scenario share no series.
    """
    file = None if isinstance(scenario, Scenario) else str(scenario)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    hist = history if isinstance(history, History) else load_history(history)
    known = hist.until(fit_until)
    if not sc.indicators:
        raise OptionError([Problem(file or sc.name, 1, "indicators", "the scenario declares no indicators to "
                                                                     "calibrate (see docs/model.md, Indicators)")])
    overlap = known.frame[known.frame.country.isin(sc.country_ids) & known.frame.indicator.isin(sc.indicator_ids)]
    if overlap.empty:
        raise OptionError([Problem(hist.file, 1, "<file>", f"no observation up to {fit_until} of the scenario's "
                                                           f"countries ({', '.join(sc.country_ids)}) and indicators "
                                                           f"({', '.join(sc.indicator_ids)})")])
    specs = _specs(sc)
    fit = fit_trends(known.frame, specs, sc.country_ids, fit_until, window)
    base = _base_money(sc, fit_until, window)
    start = start_year or sc.start_year
    skipped = list(fit.skipped)
    rows = []
    ft = fit.table.set_index(["country", "indicator"])
    data = sc.model_dump()
    for ci, c in enumerate(sc.countries):
        cdata = data["countries"][ci]
        br = known.value_at(c.id, BIRTH_RATE, min(start, fit_until))
        if br is not None:
            cdata["birth_rate_per_1000"] = br[0]
        for ii, spec in enumerate(specs):
            f = ft.loc[(c.id, spec.id)]
            obs = known.value_at(c.id, spec.id, min(start, fit_until))
            if obs is None:
                value, year = c.indicators[spec.id].value, start
                skipped.append(f"{c.id} {spec.id}: no observation up to {min(start, fit_until)}; start value kept "
                               f"from the scenario ({value:g})")
            else:
                value, year = obs
                if year < start:  # carry the last observation to the start year along the fitted trend
                    g = spec.log_gap(np.array([value]))[0] - f.trend * (start - year)
                    value = float(ind.value_of(np.exp(g), spec.best, spec.higher_is_better))
            row = {"country": c.id, "indicator": spec.id, "value": float(value), "value_year": int(year),
                   "trend": f.trend, "trend_sd": f.trend_sd, "noise_sd": f.noise_sd,
                   "baseline_usd_per_capita": float(base[ci, ii]), "n_obs": int(f.n_obs), "pooled": bool(f.pooled),
                   "raw_trend": f.raw_trend, "raw_se": f.raw_se, "rmse_fit": f.rmse_fit}
            rows.append(row)
            cdata["indicators"][spec.id] = {k: row[k] for k in ("value", "trend", "trend_sd", "noise_sd",
                                                                "baseline_usd_per_capita")}
    calibrated = validate_data(data, f"{file or sc.name} (calibrated)")
    return Calibration(sc, file, hist.file, fit_until, fit, pd.DataFrame(rows), calibrated, skipped)


@dataclass
class Backtest:
    """Out-of-sample forecasts against what happened, and their skill."""

    calibration: Calibration
    forecast: pd.DataFrame
    """country, indicator, year, observed, mean, p05, p50, p95, trend, persistence."""
    skill: pd.DataFrame
    """indicator (and ALL), method (model, trend, persistence), n, rmse, mae, coverage90, crps."""
    fit_until: int
    to: int
    runs: int
    seed: int

    def summary(self) -> str:
        """Describe in a few lines the model's skill against the naive forecasts per indicator."""
        s = self.skill
        lines = [f"Back-test: fitted up to {self.fit_until}, forecast {self.fit_until + 1}-{self.to} "
                 f"({self.runs} runs, seed {self.seed}); {len(self.forecast)} observed values", "",
                 f"{'indicator':<18}{'n':>4}{'RMSE model':>12}{'trend':>9}{'persist.':>10}{'90% cov.':>10}"
                 f"{'CRPS':>8}"]
        for key, g in s.groupby("indicator", sort=False):
            m = g.set_index("method")
            lines.append(f"{key:<18}{int(m.loc['model', 'n']):>4}{m.loc['model', 'rmse']:>12.3f}"
                         f"{m.loc['trend', 'rmse']:>9.3f}{m.loc['persistence', 'rmse']:>10.3f}"
                         f"{m.loc['model', 'coverage90']:>10.0%}{m.loc['model', 'crps']:>8.3f}")
        rel = relative_rmse(s)
        lines.append("")
        lines.append(f"mean over indicators of RMSE(model) / RMSE(trend): {rel:.2f} "
                     f"({'no worse than' if rel <= 1 else 'worse than'} the linear trend)")
        return "\n".join(lines)

    def plot(self, ax=None, country: str | None = None, indicator: str | None = None):
        """Observed against the forecast (median and 90 % band) for one series."""
        f = self.forecast
        country = country or f.country.iloc[0]
        indicator = indicator or f.indicator.iloc[0]
        return backtest_plots.draw_series(ax, f, country, indicator)

    def save(self, path: str | Path, *, force: bool = False) -> Path:
        """Write the back-test folder (atomically; an existing one only with `force`).

        Parameters
        ----------
        path : str or Path
            The folder: forecast.csv, skill.csv, fit.csv, summary.txt, plots, report.html,
            manifest.json and the calibration used (calibration/).
        force : bool
            Replace an existing results folder.

        Returns
        -------
        Path
            The folder written.

        """
        path = Path(path)
        with atomic_folder(path, force) as tmp:
            self.forecast.to_csv(tmp / "forecast.csv", index=False, float_format="%.6g")
            self.skill.to_csv(tmp / "skill.csv", index=False, float_format="%.6g")
            self.forecast.to_parquet(tmp / "forecast.parquet", index=False)
            self.skill.to_parquet(tmp / "skill.parquet", index=False)
            self.calibration.table.to_csv(tmp / "fit.csv", index=False, float_format="%.6g")
            (tmp / "calibration").mkdir()
            self.calibration.write_into(tmp / "calibration", path / "calibration")
            (tmp / "summary.txt").write_text(self.summary() + "\n")
            (tmp / "manifest.json").write_text(json.dumps({
                "kind": "backtest", "scenario_file": self.calibration.scenario_file,
                "history_file": self.calibration.history_file, "fit_until": self.fit_until, "to": self.to,
                "runs": self.runs, "seed": self.seed}, indent=2))
            build_report(tmp)
        return path


def read_backtest(folder: Path, man: dict) -> Backtest:
    """Read a back-test folder back (forecast, skill and the calibration used)."""
    cal = read_calibration(folder / "calibration", read_manifest(folder / "calibration"))
    return Backtest(cal, pd.read_parquet(folder / "forecast.parquet"), pd.read_parquet(folder / "skill.parquet"),
                    man["fit_until"], man["to"], man["runs"], man["seed"])


def relative_rmse(skill: pd.DataFrame) -> float:
    """Mean over indicators of RMSE(model) / RMSE(linear trend)."""
    s = skill[skill.indicator != "ALL"].pivot(index="indicator", columns="method", values="rmse")
    return float((s["model"] / s["trend"]).mean())


def backtest(scenario: Scenario | str | Path, history: History | str | Path, fit_until: int, to: int, *,
             runs: int = 1000, seed: int = 0, window: int = 15) -> Backtest:
    """Back-test a scenario's forecasts against history.

    Calibrate on history up to `fit_until` only, simulate from `fit_until` to `to` with the
    scenario's money and shocks, and score the forecasts against the observations after it.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    hist = history if isinstance(history, History) else load_history(history)
    if not sc.start_year <= fit_until < to <= sc.end_year:
        raise OptionError([Problem("fit_until", 1, "fit_until", f"need {sc.start_year} <= fit_until < to <= "
                                                                f"{sc.end_year} (the scenario's years); got "
                                                                f"fit_until {fit_until}, to {to}")])
    cal = calibrate(sc, hist.until(fit_until), fit_until, start_year=fit_until, window=window)
    cal.scenario_file = None if isinstance(scenario, Scenario) else str(scenario)
    forward = rebase(cal.calibrated, fit_until, to)  # start values are the calibration's, at fit_until
    res = run_scenario(forward, runs=runs, seed=seed, record_flows=False)
    values = res.indicators  # (N, Y, C, I)
    years = np.array(forward.years)
    later = hist.frame[(hist.frame.year > fit_until) & (hist.frame.year <= to)]
    rows, members = [], []
    window_frame = hist.until(fit_until).frame
    window_frame = window_frame[window_frame.year >= fit_until - window]
    for ci, c in enumerate(forward.country_ids):
        for ii, key in enumerate(forward.indicator_ids):
            obs = later[(later.country == c) & (later.indicator == key)]
            if obs.empty:
                continue
            past = window_frame[(window_frame.country == c) & (window_frame.indicator == key)]
            oy = obs.year.to_numpy()
            trend = linear_trend_forecast(past.year.to_numpy(), past.value.to_numpy(), oy)
            last = past.value.iloc[-1] if len(past) else np.nan
            ens = values[:, np.searchsorted(years, oy), ci, ii].T  # (n_obs, N)
            q = np.percentile(ens, [5, 50, 95], axis=1)
            for k, y in enumerate(oy):
                rows.append({"country": c, "indicator": key, "year": int(y), "observed": float(obs.value.iloc[k]),
                             "mean": float(ens[k].mean()), "p05": q[0, k], "p50": q[1, k], "p95": q[2, k],
                             "trend": float(trend[k]), "persistence": float(last)})
            members.append(ens)
    if not rows:
        raise OptionError([Problem(hist.file, 1, "<file>", f"no observation after {fit_until} (up to {to}) of the "
                                                           "scenario's countries and indicators to score")])
    forecast = pd.DataFrame(rows)
    crps = crps_ensemble(forecast.observed.to_numpy(), np.concatenate(members))
    return Backtest(cal, forecast, skill_table(forecast, pd.Series(crps)), fit_until, to, runs, seed)


__all__ = ["Backtest", "Calibration", "backtest", "calibrate"]
