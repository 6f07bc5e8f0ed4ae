"""A domestic dollar against an aid dollar: +1 % of GDP of domestic money in every country, and US$1 bn a year more
Japanese aid, each against the shipped baseline (docs/model.md, "What one extra dollar buys").

    python scenarios/history/domestic_vs_aid.py             # from the project root; about a minute
    python scenarios/history/domestic_vs_aid.py --runs 20   # quicker, noisier

1. **Domestic**: every country's `domestic_sdg_share` one point of GDP higher, its `domestic_path_share` (the
   spending its trends reflect) unchanged, so all of it is money above the path. Countries with a `fiscal:` block
   spend their goals' share of fiscal space: the share rises in proportion (simulation/model/fiscal.py), so the
   extra is close to, not exactly, 1 % of GDP; the money is measured, not assumed.
2. **Aid**: Japan's bilateral budget (`JPN-ODA`) US$1 bn a year higher, growing with it.
3. Paired runs (the same seed): the extra money over the horizon (domestic flows; Japan's disbursements), people
   with electricity and with basic water, undernourished people and under-5 deaths a year in the horizon year,
   all ten countries (mean, and 5th-95th percentile of the paired differences), and the ratios domestic/aid.

Prints a table; docs/model.md quotes it.
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
from simulation.scenario.loading import validate_data  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
DONOR = "JPN-ODA"
OUTCOMES = {"EG.ELC.ACCS.ZS": ("people with electricity", 1), "SH.H2O.BASW.ZS": ("people with basic water", 1),
            "SN.ITK.DEFC.ZS": ("undernourished people (fewer)", -1), "SH.DYN.MORT": ("under-5 deaths a year (fewer)", -1)}


def variant(sc, name: str, *, domestic: float = 0.0, aid_usd: float = 0.0) -> sim.Scenario:
    d = sc.model_dump()
    d["name"] = name
    for c in d["countries"]:
        if c.get("domestic_path_share") is None:
            c["domestic_path_share"] = c["domestic_sdg_share"]
        c["domestic_sdg_share"] += domestic
    for donor in d["donors"]:
        if donor["id"] == DONOR:
            donor["budget_usd"] += aid_usd
    return validate_data(d, name)


def horizon_people(result) -> pd.DataFrame:
    """(run, indicator) people in the horizon year, all countries."""
    f = result.indicators
    f = f[f.year == f.year.max()]
    return f.groupby(["run", "indicator"]).people.sum().unstack()


def money(result, source: str) -> pd.Series:
    """(run) US$ over the horizon from `source` (domestic, or a donor id)."""
    f = result.flows
    return f[f.source == source].groupby("run").amount_usd.sum()


def measure(runs: int = 100, seed: int = 1) -> pd.DataFrame:
    base = sim.load_scenario(BASELINE)
    scenarios = {"baseline": base, "domestic": variant(base, "domestic-plus-1pct-gdp", domestic=0.01),
                 "aid": variant(base, "japan-plus-1bn", aid_usd=1e9)}
    res = {k: sim.run(s, runs=runs, seed=seed, flows=True) for k, s in scenarios.items()}
    ref = horizon_people(res["baseline"])
    rows = []
    for k, source in (("domestic", "domestic"), ("aid", DONOR)):
        extra = money(res[k], source) - money(res["baseline"], source)
        row = {"variant": scenarios[k].name, "extra money (US$ bn)": extra.mean() / 1e9}
        diff = horizon_people(res[k]) - ref
        for key, (label, sign) in OUTCOMES.items():
            d = sign * diff[key]
            row[label] = d.mean()
            row[f"{label} p05"], row[f"{label} p95"] = np.percentile(d, [5, 95])
        rows.append(row)
    t = pd.DataFrame(rows).set_index("variant")
    t.loc["domestic / aid"] = t.iloc[0] / t.iloc[1]
    return t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    t = measure(args.runs, args.seed)
    print(f"{args.runs} paired runs, seed {args.seed}; people in the horizon year, all countries; "
          "mean [5th, 95th percentile of the paired differences]")
    for name, r in t.iterrows():
        parts = [f"money {r['extra money (US$ bn)']:,.1f} bn" if name != "domestic / aid"
                 else f"money x{r['extra money (US$ bn)']:,.1f}"]
        for label, _ in OUTCOMES.values():
            if name == "domestic / aid":
                parts.append(f"{label} x{r[label]:,.1f}")
            else:
                parts.append(f"{label} {r[label]:+,.0f} [{r[f'{label} p05']:+,.0f}, {r[f'{label} p95']:+,.0f}]")
        print(f"{name}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
