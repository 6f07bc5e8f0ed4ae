"""What one extra dollar buys on the shipped baseline (docs/model.md, "What one extra dollar buys").

    python scenarios/history/extra_dollar.py             # from the project root; under a minute
    python scenarios/history/extra_dollar.py --runs 100  # more runs

The definitions of tests/test_causal_core.py: one extra needs-based donor gives US$100 M a year for ten years to
the seven African countries, on one goal at a time; paired runs against the baseline (same seed). Per person
reached at the horizon (electricity, basic water, undernourishment) and per under-5 death averted over 2021-2030,
gross: the funder's overhead, the recipients' costs, leakage, displacement and the indicator's money share all
come out of it. And US$100 M of SDG 3 money spent once in 2020: the under-5 deaths it averts each year after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import simulation as sim  # noqa: E402
from simulation.scenario.loading import validate_data  # noqa: E402

BASELINE = ROOT / "scenarios" / "baseline.yaml"
AFRICA = ["ETH", "GHA", "KEN", "NGA", "RWA", "TZA", "UGA"]
GOALS = {"SDG7": "EG.ELC.ACCS.ZS", "SDG6": "SH.H2O.BASW.ZS", "SDG2": "SN.ITK.DEFC.ZS", "SDG3": "SH.DYN.MORT"}


def with_donor(goal: str, once: bool = False) -> sim.Scenario:
    d = sim.load_scenario(BASELINE).model_dump()
    d["name"] = "once" if once else "extra"
    d["donors"].append({"id": "EXTRA", "budget_usd": 1e8, "goals": [goal], "eligible_countries": AFRICA})
    if once:
        d["shocks"] = list(d["shocks"]) + [{"kind": "budget_cut", "start_year": 2021, "duration_years": 9,
                                            "cut": 1.0, "donors": ["EXTRA"]}]
    return validate_data(d, d["name"])


def people(result, key: str):
    f = result.indicators
    return f[f.indicator == key].groupby(["run", "year"]).people.sum().unstack()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    base = sim.load_scenario(BASELINE)
    print(f"{args.runs} paired runs, seed {args.seed}; US$100 M a year for ten years to {', '.join(AFRICA)}")
    for goal, key in GOALS.items():
        c = sim.compare([base, with_donor(goal)], runs=args.runs, seed=args.seed)
        d = people(c.runs["extra"], key) - people(c.runs["baseline"], key)
        if key == "SH.DYN.MORT":
            averted = -d[d.columns[1:]].sum(axis=1).mean()
            print(f"{goal} {key}: US${1e9 / averted:,.0f} per under-5 death averted over 2021-2030 "
                  f"({averted:,.0f} averted)")
        else:
            gain = d[d.columns[-1]].mean() * (-1 if key == "SN.ITK.DEFC.ZS" else 1)
            print(f"{goal} {key}: US${1e9 / gain:,.0f} per person at the horizon ({gain:,.0f} people)")
    c = sim.compare([base, with_donor("SDG3", once=True)], runs=args.runs, seed=args.seed)
    d = (people(c.runs["baseline"], "SH.DYN.MORT") - people(c.runs["once"], "SH.DYN.MORT")).mean()
    print("US$100 M of SDG 3 money once in 2020, under-5 deaths averted a year: "
          + ", ".join(f"{y} {v:,.0f}" for y, v in d.items()))


if __name__ == "__main__":
    main()
