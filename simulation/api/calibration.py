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
    WINDOW_YEARS,
    IndicatorSpec,
    TrendFit,
    crps_ensemble,
    fit_trends,
    linear_trend_forecast,
    overall_rmse,
    relative_rmse,
    skill_by_group,
    skill_table,
    worst_ratio,
)
from ..data import INDICATORS, series
from ..data import countries as country_table
from ..errors import InputError, OptionError, Problem
from ..experiments.replications import run_scenario
from ..mechanisms import indicators as ind
from ..report import backtest_plots
from ..report.html import build_report
from ..results.folders import atomic_folder, read_manifest
from ..scenario import Scenario
from ..scenario.history import History, HistoryError, load_history
from ..scenario.loading import validate_data
from ..scenario.rebase import rebase
from .arguments import checked
from .scenarios import load_scenario

BIRTH_RATE = "SP.DYN.CBRT.IN"


def _specs(sc: Scenario) -> list[IndicatorSpec]:
    return [IndicatorSpec(i.id, i.best, i.higher_is_better, ind.GAP_FLOOR * (i.bounds[1] - i.bounds[0]))
            for i in sc.indicators]


def _check_ranges(hist: History, sc: Scenario) -> None:
    """Check that every observation of a scenario indicator lies in the range its unit allows.

    0 to its scale: 0-100 % of the population, 0-1,000 per 1,000 live births; located errors otherwise.
    """
    problems = []
    for i in sc.indicators:
        lo, hi = min(0.0, i.best), max(i.scale, i.best)
        rows = hist.frame[(hist.frame.indicator == i.id) & ~hist.frame.value.between(lo, hi)]
        for _, r in rows.head(20).iterrows():
            problems.append(Problem(hist.file, int(r.line) if "line" in r and pd.notna(r.line) else 1, "value",
                                    f"{r.value:g} for {r.country} {i.id} {int(r.year)} is outside {lo:g}-{hi:g} "
                                    f"({i.unit or 'its unit'})"))
    if problems:
        raise HistoryError(problems)


def _line(known: History, country: str, indicator: str, year: int) -> int:
    """Return the line in the history file of one observation (1 if the frame does not say)."""
    f = known.frame
    rows = f[(f.country == country) & (f.indicator == indicator) & (f.year == year)]
    return int(rows.line.iloc[0]) if "line" in f and len(rows) and pd.notna(rows.line.iloc[0]) else 1


def _from_history(p: Problem, file: str, origin: dict[str, tuple[int, str]]) -> Problem:
    """Locate a problem of the calibrated scenario at the history row that set the value.

    The field is the history's `value` column; the message names the row's series and the
    scenario field it became. A field no row set keeps the scenario's problem as it is.
    """
    for prefix in sorted(origin, key=len, reverse=True):
        if p.field == prefix or (prefix.endswith(".") and p.field.startswith(prefix)):
            line, what = origin[prefix]
            return Problem(file, line, "value", f"{what} gives the calibrated scenario's {p.field}: {p.message}")
    return p


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
        ranges = self.fit.pooling.set_index("indicator")
        indicators = [{"id": i.id, "trend_range": [round(float(ranges.trend_lo[i.id]), 5),
                                                   round(float(ranges.trend_hi[i.id]), 5)]}
                      for i in self.calibrated.indicators if i.trend_range is not None]
        return {**({"indicators": indicators} if indicators else {}), "countries": countries}

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
        # a scenario given by a shipped name (`sdgsim calibrate baseline`) is extended by that name
        is_file = bool(self.scenario_file) and Path(self.scenario_file).is_file()
        target = Path(self.scenario_file).resolve() if is_file else None
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


@checked
def calibrate(scenario: Scenario | str | Path, history: History | str | Path, fit_until: int, *,
              start_year: int | None = None, window: int = WINDOW_YEARS) -> Calibration:
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
    _check_ranges(hist, sc)
    specs = _specs(sc)
    fit = fit_trends(known.frame, specs, sc.country_ids, fit_until, window)
    base = _base_money(sc, fit_until, window)
    fitted = set(fit.pooling.indicator[fit.pooling.countries > 0])
    start = start_year or sc.start_year
    skipped = list(fit.skipped)
    skipped += [f"{i}: no observation of any country in {fit_until - window}-{fit_until}; every country keeps the "
                "scenario's own trend, its sd and noise" for i in sc.indicator_ids if i not in fitted]
    rows = []
    ft = fit.table.set_index(["country", "indicator"])
    data = sc.model_dump()
    origin: dict[str, tuple[int, str]] = {}  # a calibrated field -> the history row (line) it came from, and how
    for ci, c in enumerate(sc.countries):
        cdata = data["countries"][ci]
        br = known.value_at(c.id, BIRTH_RATE, min(start, fit_until))
        if br is not None:
            cdata["birth_rate_per_1000"] = br[0]
            origin[f"countries.{c.id}.birth_rate_per_1000"] = (_line(known, c.id, BIRTH_RATE, br[1]),
                                                               f"{c.id} {BIRTH_RATE} {br[1]}")
        for ii, spec in enumerate(specs):
            f = ft.loc[(c.id, spec.id)]
            if spec.id not in fitted:  # history has no series of it: keep the scenario's own trend
                own = c.indicators[spec.id]
                f = f.copy()
                f["trend"], f["trend_sd"], f["noise_sd"] = own.trend, own.trend_sd, own.noise_sd
            obs = known.value_at(c.id, spec.id, min(start, fit_until))
            if obs is None:
                value, year = c.indicators[spec.id].value, start
                skipped.append(f"{c.id} {spec.id}: no observation up to {min(start, fit_until)}; start value kept "
                               f"from the scenario ({value:g})")
            else:
                value, year = obs
                origin[f"countries.{c.id}.indicators.{spec.id}.value"] = (_line(known, c.id, spec.id, year),
                                                                          f"{c.id} {spec.id} {year}")
                if year < start:  # carry the last observation to the start year along the fitted trend
                    g = spec.log_gap(np.array([value]))[0] - f.trend * (start - year)
                    value = float(ind.value_of(np.exp(g), spec.best, spec.higher_is_better))
            row = {"country": c.id, "indicator": spec.id, "value": float(value), "value_year": int(year),
                   "trend": f.trend, "trend_sd": f.trend_sd, "noise_sd": f.noise_sd,
                   "baseline_usd_per_capita": float(base[ci, ii]), "n_obs": int(f.n_obs), "pooled": bool(f.pooled),
                   "raw_trend": f.raw_trend, "raw_se": f.raw_se, "rmse_fit": f.rmse_fit}
            rows.append(row)
            last = known.value_at(c.id, spec.id, fit_until)
            if spec.id in fitted and last is not None:  # the trend's fit ends at the last observation it used
                origin[f"countries.{c.id}.indicators.{spec.id}."] = (
                    _line(known, c.id, spec.id, last[1]), f"the trend fitted on {c.id} {spec.id} up to {last[1]}")
            cdata["indicators"][spec.id] = {k: row[k] for k in ("value", "trend", "trend_sd", "noise_sd",
                                                                "baseline_usd_per_capita")}
    for k, row in fit.pooling.iterrows():  # history's range of decade-long trends bounds every trend draw
        if np.isfinite(row.trend_lo) and np.isfinite(row.trend_hi):
            lo, hi = sorted((row.trend_lo, row.trend_hi))
            data["indicators"][k]["trend_range"] = [float(np.clip(lo, -1, 1)), float(np.clip(hi, -1, 1))]
    try:
        calibrated = validate_data(data, f"{file or sc.name} (calibrated)")
    except InputError as err:  # a value history gave: located at the history's row, never at the scenario's line 1
        raise HistoryError([_from_history(p, hist.file, origin) for p in err.problems]) from None
    return Calibration(sc, file, hist.file, fit_until, fit, pd.DataFrame(rows), calibrated, skipped)


NAIVE_YEARS = 10
"""Years before the forecast that the naive forecasts see: a linear trend fitted on the last ten
years, persistence of the last value, a constant rate of decline over the last ten years."""
METHODS = ("model", "model_median", "money_off", "trend", "persistence", "crd")
"""Forecasts scored: the model's mean (what summary.csv reports), its median, the model with money
switched off (trends alone), a linear trend, persistence, and a constant rate of decline (UN
IGME's benchmark for mortality; lower-is-better indicators only)."""


@dataclass
class Backtest:
    """Out-of-sample forecasts against what happened, and their skill."""

    calibration: Calibration
    forecast: pd.DataFrame
    """country, indicator, year, observed, mean, p05, p50, p95, money_off, trend, persistence, crd."""
    skill: pd.DataFrame
    """indicator (and ALL), method (METHODS), n, rmse, mae, coverage90, crps."""
    fit_until: int
    to: int
    runs: int
    seed: int
    unscored: int = 0
    """Observations left out because a naive forecast had no past data to stand on (all methods are
    scored on the same rows)."""
    by_group: pd.DataFrame | None = None
    """Skill by World Bank region and income group (`skill_by_group`): kind, group, indicator,
    countries, n, rmse_model, rmse_trend, rmse_persistence, and per group (indicator ALL) the
    geometric mean over indicators of RMSE(model) / RMSE(trend) (vs_trend) and / RMSE(persistence)."""

    def summary(self) -> str:
        """Describe in a few lines the model's skill against the naive forecasts per indicator."""
        s = self.skill
        lines = [f"Back-test: fitted up to {self.fit_until}, forecast {self.fit_until + 1}-{self.to} "
                 f"({self.runs} runs, seed {self.seed}); {len(self.forecast)} observed values scored"
                 + (f", {self.unscored} without {NAIVE_YEARS} years of past data left out" if self.unscored else ""),
                 "", f"RMSE by forecast (model = the mean over runs; money off = trends alone; naive forecasts "
                     f"fitted on the last {NAIVE_YEARS} years)",
                 f"{'indicator':<18}{'n':>4}{'model':>9}{'median':>9}{'money off':>11}{'trend':>9}{'persist.':>10}"
                 f"{'CRD':>8}{'90% cov.':>10}{'CRPS':>8}"]
        for key, g in s.groupby("indicator", sort=False):
            m = g.set_index("method")
            crd = m.loc["crd", "rmse"] if "crd" in m.index else np.nan
            lines.append(f"{key:<18}{int(m.loc['model', 'n']):>4}{m.loc['model', 'rmse']:>9.3f}"
                         f"{m.loc['model_median', 'rmse']:>9.3f}{m.loc['money_off', 'rmse']:>11.3f}"
                         f"{m.loc['trend', 'rmse']:>9.3f}{m.loc['persistence', 'rmse']:>10.3f}"
                         f"{'-' if not np.isfinite(crd) else f'{crd:.3f}':>8}"
                         f"{m.loc['model', 'coverage90']:>10.0%}{m.loc['model', 'crps']:>8.3f}")
        rel, worst = relative_rmse(s), worst_ratio(s)
        lines += ["", f"geometric mean over indicators of RMSE(model) / RMSE(linear trend): {rel:.2f} "
                      f"({'better than' if rel < 1 else 'no better than'} the linear trend)",
                  f"worst indicator against the better naive forecast: {worst[1]} at {worst[0]:.2f}x",
                  f"money's share of the skill: RMSE with money {overall_rmse(s, 'model'):.3f}, "
                  f"with money off {overall_rmse(s, 'money_off'):.3f} (all indicators)"]
        return "\n".join(lines + self._group_lines())

    def _group_lines(self) -> list[str]:
        g = self.by_group
        if g is None or g.empty:
            return []
        g = g[g.indicator == "ALL"]
        lines = ["", "By group (World Bank region and income group, today's membership): geometric mean over "
                     "indicators of RMSE(model) / RMSE(naive); below 1 the model is better",
                 f"{'group':<34}{'countries':>10}{'n':>7}{'/ trend':>9}{'/ persist.':>11}"]
        for kind, part in g.groupby("kind", sort=False):
            for _, r in part.iterrows():
                lines.append(f"{(kind + ': ' + r.group)[:33]:<34}{int(r.countries):>10}{int(r.n):>7}"
                             f"{r.vs_trend:>9.2f}{r.vs_persistence:>11.2f}")
        return lines

    def by_series(self) -> pd.DataFrame:
        """Return the errors of every (country, indicator) series: where the skill is won and lost.

        Columns: country, indicator, n, bias (mean error of the model's mean), rmse_model, rmse_money_off,
        rmse_trend, rmse_persistence, coverage90.
        """
        f = self.forecast
        rows = []
        for (c, i), g in f.groupby(["country", "indicator"], sort=True):
            rmse = {m: float(np.sqrt(((g[col] - g.observed) ** 2).mean())) for m, col in
                    (("model", "mean"), ("money_off", "money_off"), ("trend", "trend"), ("persistence", "persistence"))}
            rows.append({"country": c, "indicator": i, "n": len(g), "bias": float((g["mean"] - g.observed).mean()),
                         **{f"rmse_{m}": v for m, v in rmse.items()},
                         "coverage90": float(((g.observed >= g.p05) & (g.observed <= g.p95)).mean())})
        return pd.DataFrame(rows)

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
            The folder: forecast.csv, skill.csv, series.csv (errors per country and indicator),
            fit.csv, summary.txt, plots, report.html,
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
            self.by_series().to_csv(tmp / "series.csv", index=False, float_format="%.6g")
            self.forecast.to_parquet(tmp / "forecast.parquet", index=False)
            self.skill.to_parquet(tmp / "skill.parquet", index=False)
            if self.by_group is not None:
                self.by_group.to_csv(tmp / "skill_by_group.csv", index=False, float_format="%.6g")
                self.by_group.to_parquet(tmp / "skill_by_group.parquet", index=False)
            self.calibration.table.to_csv(tmp / "fit.csv", index=False, float_format="%.6g")
            (tmp / "calibration").mkdir()
            self.calibration.write_into(tmp / "calibration", path / "calibration")
            (tmp / "summary.txt").write_text(self.summary() + "\n")
            (tmp / "manifest.json").write_text(json.dumps({
                "kind": "backtest", "scenario_file": self.calibration.scenario_file,
                "history_file": self.calibration.history_file, "fit_until": self.fit_until, "to": self.to,
                "runs": self.runs, "seed": self.seed, "unscored": self.unscored}, indent=2))
            build_report(tmp)
        return path


def read_backtest(folder: Path, man: dict) -> Backtest:
    """Read a back-test folder back (forecast, skill and the calibration used)."""
    cal = read_calibration(folder / "calibration", read_manifest(folder / "calibration"))
    groups = folder / "skill_by_group.parquet"
    return Backtest(cal, pd.read_parquet(folder / "forecast.parquet"), pd.read_parquet(folder / "skill.parquet"),
                    man["fit_until"], man["to"], man["runs"], man["seed"],
                    int(man.get("unscored", 0)), pd.read_parquet(groups) if groups.is_file() else None)


def evidence_history(sc: Scenario) -> History:
    """Return the evidence base's series of a scenario's countries and indicators as a History.

    The birth rate (under-5 mortality's denominator) is included. Raises OptionError when none
    of the scenario's countries is in the evidence base.
    """
    known = set(country_table().country)
    codes = [c for c in sc.country_ids if c in known]
    if not codes:
        raise OptionError([Problem("--history", 1, "<option>", f"none of the scenario's countries "
                                                                f"({', '.join(sc.country_ids[:5])}) is in the evidence "
                                                                "base; give a history file")])
    frame = pd.concat([series(i, codes) for i in (*sc.indicator_ids, BIRTH_RATE)
                       if i in INDICATORS], ignore_index=True)
    return History("evidence base (simulation.data)", frame.assign(retrieved="", line=0))


def country_groups(countries: list[str]) -> pd.DataFrame:
    """Return the region and income group of each country the evidence base knows.

    Columns country, kind ("region" or "income"), group: the World Bank's current groups.
    Countries outside the country table (a hand-made scenario's ids) are left out.
    """
    c = country_table()
    c = c[c.country.isin(countries)]
    return pd.concat([pd.DataFrame({"country": c.country, "kind": "region", "group": c.region}),
                      pd.DataFrame({"country": c.country, "kind": "income", "group": c.income_group})],
                     ignore_index=True).query("group != ''").reset_index(drop=True)


def without_money(sc: Scenario) -> Scenario:
    """Return the scenario with money's effect on the indicators switched off.

    Every indicator follows its trend alone: no money beyond the trend's path, no technology's extra.
    """
    data = sc.model_dump()
    for i in data["indicators"]:
        i["money_share"] = 0.0
    for c in data["countries"]:
        for v in c["indicators"].values():
            v["baseline_usd_per_capita"] = 0.0
    return validate_data(data, f"{sc.name} (money off)")


def constant_rate_of_decline(years: np.ndarray, values: np.ndarray, target_years: np.ndarray) -> np.ndarray:
    """UN IGME's benchmark: the value falls at the constant yearly rate of its first to last observation."""
    ok = values > 0
    years, values = years[ok], values[ok]
    if len(years) < 2 or years[-1] == years[0]:
        return np.full(len(target_years), np.nan)
    rate = np.log(values[-1] / values[0]) / (years[-1] - years[0])
    return values[-1] * np.exp(rate * (target_years - years[-1]))


def _with_measurement_noise(ens: np.ndarray, spec: IndicatorSpec, sd: float, rng: np.random.Generator) -> np.ndarray:
    """Turn ensemble members of the true value into members of what will be observed.

    The calibration's measurement noise (log gap) is added, so intervals and CRPS are an observation's.
    """
    if sd <= 0:
        return ens
    g = spec.log_gap(ens) + sd * rng.standard_normal(ens.shape)
    return ind.value_of(np.exp(g), spec.best, spec.higher_is_better)


def _series_rows(c: str, spec: IndicatorSpec, obs: pd.DataFrame, past: pd.DataFrame, ens: np.ndarray,
                 off: np.ndarray, mean: np.ndarray) -> list[dict]:
    """Forecast rows of one series, every forecast and observation as published (`IndicatorSpec.published`).

    ens: (n_obs, N) members of what will be observed; off: the same with money off; mean: the model's
    mean of the true value (what summaries report).
    """
    pub = spec.published
    oy = obs.year.to_numpy()
    py, pv = past.year.to_numpy(), past.value.to_numpy()
    trend = linear_trend_forecast(py, pv, oy) if len(py) else np.full(len(oy), np.nan)
    crd = constant_rate_of_decline(py, pv, oy) if not spec.higher_is_better else np.full(len(oy), np.nan)
    last = pv[-1] if len(pv) else np.nan
    q = np.percentile(pub(ens), [5, 50, 95], axis=1)
    trend, crd, mean, money_off = pub(trend), np.where(np.isnan(crd), np.nan, pub(crd)), pub(mean), pub(off.mean(axis=1))
    observed = pub(obs.value.to_numpy())
    return [{"country": c, "indicator": spec.id, "year": int(y), "observed": float(observed[k]),
             "mean": float(mean[k]), "p05": q[0, k], "p50": q[1, k], "p95": q[2, k],
             "money_off": float(money_off[k]), "trend": float(trend[k]),
             "persistence": float(pub(np.array([last]))[0]) if np.isfinite(last) else np.nan,
             "crd": float(crd[k])} for k, y in enumerate(oy)]


@checked
def backtest(scenario: Scenario | str | Path, history: History | str | Path | None, fit_until: int, to: int, *,
             runs: int = 1000, seed: int = 0, window: int = WINDOW_YEARS) -> Backtest:
    """Back-test a scenario's forecasts against history.

    Calibrate on history up to `fit_until` only, simulate from `fit_until` to `to` with the
    scenario's money and shocks (and again with money off), and score the forecasts against the
    observations after it, beside naive forecasts fitted on the last NAIVE_YEARS years before it,
    per indicator and by World Bank region and income group (`Backtest.by_group`). `history`
    None reads the evidence base (`evidence_history`).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    hist = evidence_history(sc) if history is None else history if isinstance(history, History) \
        else load_history(history)
    if not sc.start_year <= fit_until < to <= sc.end_year:
        raise OptionError([Problem("fit_until", 1, "fit_until", f"need {sc.start_year} <= fit_until < to <= "
                                                                f"{sc.end_year} (the scenario's years); got "
                                                                f"fit_until {fit_until}, to {to}")])
    cal = calibrate(sc, hist.until(fit_until), fit_until, start_year=fit_until, window=window)
    cal.scenario_file = None if isinstance(scenario, Scenario) else str(scenario)
    forward = rebase(cal.calibrated, fit_until, to)  # start values are the calibration's, at fit_until
    values = run_scenario(forward, runs=runs, seed=seed, record_flows=False).indicators  # (N, Y, C, I)
    off = run_scenario(without_money(forward), runs=runs, seed=seed, record_flows=False).indicators
    years = np.array(forward.years)
    later = hist.frame[(hist.frame.year > fit_until) & (hist.frame.year <= to)]
    past_frame = hist.until(fit_until).frame
    past_frame = past_frame[past_frame.year > fit_until - NAIVE_YEARS]
    obs_sd = cal.fit.table.set_index(["country", "indicator"]).obs_noise_sd
    noise = np.random.default_rng(np.random.SeedSequence([seed, 0x6F6273]))  # measurement noise, its own stream
    rows, members = [], []
    for ci, c in enumerate(forward.country_ids):
        for ii, spec in enumerate(_specs(forward)):
            obs = later[(later.country == c) & (later.indicator == spec.id)]
            if obs.empty:
                continue
            cols = np.searchsorted(years, obs.year.to_numpy())
            ens = values[:, cols, ci, ii].T  # (n_obs, N)
            observed = _with_measurement_noise(ens, spec, float(obs_sd.get((c, spec.id), 0.0)), noise)
            past = past_frame[(past_frame.country == c) & (past_frame.indicator == spec.id)].sort_values("year")
            rows += _series_rows(c, spec, obs, past, observed, off[:, cols, ci, ii].T, ens.mean(axis=1))
            members.append(spec.published(observed))
    if not rows:
        raise OptionError([Problem(hist.file, 1, "<file>", f"no observation after {fit_until} (up to {to}) of the "
                                                           "scenario's countries and indicators to score")])
    forecast = pd.DataFrame(rows)
    members = np.concatenate(members)
    scored = forecast[["trend", "persistence"]].notna().all(axis=1).to_numpy()  # every method on the same rows
    forecast, members = forecast[scored].reset_index(drop=True), members[scored]
    crps = crps_ensemble(forecast.observed.to_numpy(), members)
    return Backtest(cal, forecast, skill_table(forecast, pd.Series(crps)), fit_until, to, runs, seed,
                    int((~scored).sum()), skill_by_group(forecast, country_groups(forward.country_ids)))


__all__ = ["Backtest", "Calibration", "backtest", "calibrate"]
