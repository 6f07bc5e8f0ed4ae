"""Under-5 mortality and health spending: the cross-country elasticity, beside the published ones and the model's.

    python scenarios/history/health_elasticity.py            # from the project root; about a minute
    python scenarios/history/health_elasticity.py --runs 20  # quicker, noisier model figures

1. Data: the shipped evidence base (simulation/data/evidence/series.parquet; SOURCES.md there names each
   file and commit): WDI SH.DYN.MORT; government health spending per person = SH.XPD.GHED.GE.ZS (% of
   government spending) × GC.XPN.TOTL.GD.ZS (government spending, % of GDP) × GDP per person
   (NY.GDP.MKTP.CD / SP.POP.TOTL), current US$; current health spending per person = SH.XPD.CHEX.GD.ZS ×
   GDP per person. 2000-2023, every country with the series.
2. Log-log with country and year fixed effects, SEs clustered by country (simulation/analysis/elasticity.py),
   with and without log GDP per person, in all countries and in low- and middle-income ones.
3. The model's elasticity on the same terms, from paired runs of the shipped baseline (same seed):
   domestic health money 10 % above the path its trend reflects (`domestic_path_share` = share / 1.1, so
   money above the path is 10 % of it; with the same roadmap priorities, only the indicators see it),
   and external health money doubled (the under-5 indicator's `baseline_usd_per_capita` set to 0, so all
   external SDG 3 money at work counts as extra: the Mishra & Newhouse experiment). Read in 2030, per
   country; the range is over the ten countries.

Prints the table docs/model.md carries ("Under-5 mortality and health spending") and writes it to
health_elasticity.csv beside this file. tests/test_health_elasticity.py checks the estimator and what
the model implies.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import simulation as sim  # noqa: E402
from simulation import data  # noqa: E402
from simulation.analysis.elasticity import implied_elasticity, panel_elasticity  # noqa: E402
from simulation.scenario import Scenario  # noqa: E402
from simulation.scenario.loading import validate_data  # noqa: E402

OUT = Path(__file__).with_name("health_elasticity.csv")
BASELINE = ROOT / "scenarios" / "baseline.yaml"
U5 = "SH.DYN.MORT"
CODES = (U5, "SH.XPD.GHED.GE.ZS", "GC.XPN.TOTL.GD.ZS", "SH.XPD.CHEX.GD.ZS", "NY.GDP.MKTP.CD", "SP.POP.TOTL")
LOW_MIDDLE = ("LIC", "LMC", "UMC")
PUBLISHED = [
    {"source": "Bokhari, Gai & Gottret 2007 (Health Economics 16:257-273)", "measure": "government health spending "
     "per person (IV, 127 developing countries, 2000)", "elasticity": -0.33, "lo": np.nan, "hi": np.nan},
    {"source": "Mishra & Newhouse 2009 (J. Health Economics 28:855-872)", "measure": "health aid per person "
     "(doubling cuts infant mortality about 2 %; system GMM, 118 countries, 1975-2004)",
     "elasticity": float(np.log(0.98) / np.log(2.0)), "lo": np.nan, "hi": np.nan},
]


def panel() -> pd.DataFrame:
    """country, year, income_code, u5, ghe_pc, che_pc, gdp_pc from the shipped evidence base."""
    s = data.table("series")
    w = s[s.indicator.isin(CODES)].pivot_table(index=["country", "year"], columns="indicator", values="value")
    w = w.reset_index().merge(data.countries()[["country", "income_code"]], on="country")
    gdp_pc = w["NY.GDP.MKTP.CD"] / w["SP.POP.TOTL"]
    return pd.DataFrame({"country": w.country, "year": w.year, "income_code": w.income_code, "u5": w[U5],
                         "ghe_pc": w["SH.XPD.GHED.GE.ZS"] / 100 * w["GC.XPN.TOTL.GD.ZS"] / 100 * gdp_pc,
                         "che_pc": w["SH.XPD.CHEX.GD.ZS"] / 100 * gdp_pc, "gdp_pc": gdp_pc})


def estimates(p: pd.DataFrame) -> list[dict]:
    """The fixed-effects elasticities: government and current health spending, with and without income."""
    rows = []
    for sample, d in (("all countries", p), ("low and middle income", p[p.income_code.isin(LOW_MIDDLE)])):
        for x, measure in (("ghe_pc", "government health spending per person"),
                           ("che_pc", "current health spending per person")):
            for controls in ([], ["gdp_pc"]):
                f = panel_elasticity(d, "u5", [x, *controls])
                lo, hi = f.interval(x)
                rows.append({"source": "this project: WDI 2000-2023, country and year fixed effects, SEs clustered "
                                       "by country", "measure": f"{measure}, {sample}"
                                       + (", controlling for GDP per person" if controls else ""),
                             "elasticity": f.coef[x], "lo": lo, "hi": hi, "n": f.n, "countries": f.countries})
    return rows


def with_health_money(sc, **change) -> Scenario:
    """The scenario with more health money (`path`: domestic money that share above its path; `aid`: all
    external SDG 3 money at work counts as extra) and/or the under-5 indicator's price changed (`unit_cost`:
    a factor on `unit_cost_usd`; `curvature`: `cost_curvature` set)."""
    d = sc.model_dump()
    for c in d["countries"]:
        if "path" in change:
            c["domestic_path_share"] = c["domestic_sdg_share"] / (1.0 + change["path"])
        if change.get("aid"):
            c["indicators"][U5]["baseline_usd_per_capita"] = 0.0
    for i in d["indicators"]:
        if i["id"] == U5 and "unit_cost" in change:
            i["unit_cost_usd"] = i["unit_cost_usd"] * change["unit_cost"]
        if i["id"] == U5 and "curvature" in change:
            i["cost_curvature"] = change["curvature"]
    return validate_data(d, f"{sc.name} ({', '.join(change)})")


def u5_2030(result) -> pd.Series:
    f = result.indicators
    f = f[(f.indicator == U5) & (f.year == f.year.max())]
    return f.set_index(["run", "country"]).value


EXPERIMENTS = (("domestic health money +10 % above its path", {"path": 0.10}, 0.10),
               ("external health money doubled", {"aid": True}, 1.0))
"""(label, change, how much more money): the model's two experiments, on the terms of the published rows."""


def per_country(scenario, runs: int = 100, seed: int = 1, **price) -> list[pd.Series]:
    """The model's elasticity of 2030 under-5 mortality per country (mean over paired runs), one Series per
    experiment in EXPERIMENTS. `price` (unit_cost, curvature) changes the under-5 price in the reference
    AND the variant: a pair differs only by the money."""
    base = scenario if isinstance(scenario, Scenario) else sim.load_scenario(scenario)
    ref = u5_2030(sim.run(with_health_money(base, **price) if price else base, runs=runs, seed=seed))
    out = []
    for _, change, more in EXPERIMENTS:
        v = u5_2030(sim.run(with_health_money(base, **change, **price), runs=runs, seed=seed))
        e = pd.Series(implied_elasticity(ref, v.loc[ref.index], more), index=ref.index)
        out.append(e.groupby("country").mean())
    return out


def model_elasticities(runs: int = 100, seed: int = 1, scenario=BASELINE) -> list[dict]:
    """The model's elasticity of 2030 under-5 mortality: +10 % domestic health money, doubled health aid."""
    rows = []
    for (label, _, _), by in zip(EXPERIMENTS, per_country(scenario, runs, seed)):
        rows.append({"source": f"the model (baseline, {runs} paired runs, seed {seed}, 2030)", "measure": label,
                     "elasticity": float(by.median()), "lo": float(by.min()), "hi": float(by.max()),
                     "n": runs, "countries": len(by)})
    return rows


def table(runs: int = 100, seed: int = 1) -> pd.DataFrame:
    """Every row: published, estimated here, and implied by the model."""
    return pd.DataFrame(PUBLISHED + estimates(panel()) + model_elasticities(runs, seed))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t = table(args.runs, args.seed)
    t.to_csv(OUT, index=False, float_format="%.4g")
    print("| source | measure | elasticity | range or 95 % CI | n | countries |\n|---|---|---|---|---|---|")
    for _, r in t.iterrows():
        rng = "–" if not np.isfinite(r.lo) else f"{r.lo:.3f} to {r.hi:.3f}"
        n = "–" if pd.isna(r.get("n")) else f"{int(r.n):,}"
        c = "–" if pd.isna(r.get("countries")) else f"{int(r.countries)}"
        print(f"| {r.source} | {r.measure} | {r.elasticity:.3f} | {rng} | {n} | {c} |")


if __name__ == "__main__":
    main()
