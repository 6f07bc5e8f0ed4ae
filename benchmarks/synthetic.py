"""Synthetic scenarios of any size for benchmarks and cross-checks.

`make_scenario(...)` builds a plain scenario dict (the same shape as a YAML file) that
passes `simulation.scenario.validate_data` and switches on every mechanism of the model:

* all six allocation strategies (equal, needs, performance, priority, impact, adaptive),
  cycled over the donors, with non-default strategy parameters on some of them;
* a pooled facility fed by pooled shares of some donors, with blended and capacity windows, a
  reserve, a start-up lag and risk sharing, coordinated with some donors;
* blended finance on goals with leverage > 0, capacity-building shares;
* research bodies (every third one joint, with a collaboration bonus) funding
  technologies that start at various TRLs (some already deployable);
* South-South / triangular transfer partnerships with budgets, some starting later;
* a pandemic (score hits, budget and GDP cuts, diversion to health) and a budget cut;
* positive and negative interlinkages; effectiveness and score uncertainty; budget noise.

Parameters are drawn from `numpy.random.default_rng(seed)`, so a (shape, seed) pair
always gives the same scenario.

    python benchmarks/synthetic.py --countries 100 > big.json   # print one as JSON
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

STRATEGY_CYCLE = ("equal", "needs", "performance", "priority", "impact", "adaptive")
KINDS = ("bilateral", "multilateral", "foundation", "private", "research", "think-tank")


def _f(x) -> float:
    return float(round(float(x), 6))


def make_scenario(countries: int = 100, goals: int = 17, donors: int = 30, bodies: int = 20,
                  technologies: int = 30, years: int = 40, seed: int = 0) -> dict:
    """A valid scenario dict with the given numbers of entities and a `years`-year horizon.

    goals: 1..17 (the first `goals` SDGs); donors >= 6 gives every strategy at least once.
    """
    if not 1 <= goals <= 17:
        raise ValueError("goals must be in 1..17")
    if countries < 1 or years < 1 or donors < 0 or bodies < 0 or technologies < 0:
        raise ValueError("countries and years must be >= 1; other counts >= 0")
    if bodies and not technologies:
        raise ValueError("research bodies need at least one technology")
    r = np.random.default_rng(seed)
    start = 2020
    end = start + years
    gids = [f"SDG{i}" for i in range(1, goals + 1)]
    health = "SDG3" if "SDG3" in gids else gids[0]

    goal_list = []
    for i, g in enumerate(gids):
        goal_list.append({
            "id": g, "name": f"Goal {g}",
            "effectiveness": _f(r.uniform(0.02, 0.07)),
            "spend_scale_usd_per_capita": _f(r.uniform(15, 60)),
            "decay": _f(r.uniform(0.001, 0.004)),
            "leverage": _f(r.uniform(0.3, 2.0)) if i % 3 != 1 else 0.0,  # revenue potential on 2 goals in 3
        })

    links: dict[tuple[str, str], float] = {}
    if goals > 1:
        for _ in range(2 * goals):
            a, b = r.choice(goals, size=2, replace=False)
            links[(gids[a], gids[b])] = _f(r.uniform(-0.08, 0.15))
        # make sure both signs are present
        links[(gids[0], gids[1])] = 0.1
        links[(gids[1], gids[0])] = -0.05
    interlinkages = [{"source": s, "target": t, "weight": w} for (s, t), w in links.items()]

    cids = [f"C{i:03d}" for i in range(countries)]
    n_pilot = max(1, countries * 3 // 10)
    country_list = []
    for i, c in enumerate(cids):
        item = {
            "id": c, "name": f"Country {i}", "pilot": i < n_pilot,
            "population_m": _f(np.exp(r.uniform(np.log(2), np.log(300)))),
            "population_growth": _f(r.uniform(0.0, 0.03)),
            "gdp_usd_bn": _f(np.exp(r.uniform(np.log(5), np.log(800)))),
            "gdp_growth": _f(r.uniform(0.01, 0.07)),
            "domestic_sdg_share": _f(r.uniform(0.02, 0.06)),
            "governance": _f(r.uniform(30, 90)),
            "absorptive_capacity": _f(r.uniform(0.15, 0.6)),
            "scores": {g: _f(r.uniform(20, 85)) for g in gids},
        }
        if i % 2 == 0:
            item["roadmap_priority"] = {g: _f(r.uniform(0.1, 1.0)) for g in gids}
        country_list.append(item)

    did = [f"D{i:02d}" for i in range(donors)]
    donor_list = []
    for i, d in enumerate(did):
        strategy = STRATEGY_CYCLE[i % len(STRATEGY_CYCLE)]
        item = {
            "id": d, "name": f"Donor {i}", "kind": KINDS[(i // len(STRATEGY_CYCLE) + i) % len(KINDS)],
            "budget_usd": _f(np.exp(r.uniform(np.log(1e8), np.log(3e9)))),
            "growth": _f(r.uniform(-0.01, 0.04)),
            "noise_sd": _f(r.uniform(0.03, 0.12)) if i % 4 != 3 else 0.0,
            "strategy": strategy,
            "pooled_share": 0.2 if i % 3 == 0 else 0.0,
            "blended_share": _f(r.uniform(0.05, 0.2)) if i % 2 == 0 else 0.0,
            "capacity_share": _f(r.uniform(0.02, 0.08)) if i % 3 != 2 else 0.0,
            "overhead_rate": _f(r.uniform(0.05, 0.12)),
            "channel_cost_usd": _f(r.uniform(0.5e6, 3e6)),
            "coordinated": i % 4 == 1,
        }
        variant = (i // len(STRATEGY_CYCLE)) % 2 == 1  # every other round uses non-default parameters
        if variant:
            item["strategy_params"] = {
                "equal": {},
                "needs": {"gap_exponent": 1.5, "population_exponent": 0.3},
                "performance": {"governance_exponent": 3.0, "income_exponent": -0.2},
                "priority": {"population_exponent": 0.5},
                "impact": {"steps": 12.0},
                "adaptive": {"learning_rate": 0.5},
            }[strategy]
        if countries > 3 and i % 5 == 1:
            k = max(2, countries // 2)
            item["eligible_countries"] = sorted(str(c) for c in r.choice(cids, size=k, replace=False))
        if goals > 2 and i % 4 == 2:
            k = max(2, goals * 2 // 3)
            item["goals"] = [gids[j] for j in sorted(r.choice(goals, size=k, replace=False))]
        donor_list.append(item)

    tids = [f"T{i:02d}" for i in range(technologies)]
    tech_list = []
    for i, k in enumerate(tids):
        served = r.choice(goals, size=min(goals, 1 + i % 2), replace=False)
        tech_list.append({
            "id": k, "name": f"Technology {i}",
            "goals": {gids[j]: _f(r.uniform(0.1, 0.9)) for j in sorted(served)},
            "trl": (3, 7, 4, 8, 5, 6)[i % 6],  # some deployable from the start, most not
            "stage_cost_usd": _f(np.exp(r.uniform(np.log(2e6), np.log(2e7)))),
            "stage_years": float(1 + i % 3),
            "success_probability": _f(r.uniform(0.4, 0.85)),
            "bass_p": _f(r.uniform(0.01, 0.05)),
            "bass_q": _f(r.uniform(0.2, 0.5)),
            "base_access": _f(r.uniform(0.1, 0.4)),
        })

    bid = [f"R{i:02d}" for i in range(bodies)]
    body_list = []
    for i, b in enumerate(bid):
        held = r.choice(technologies, size=min(technologies, 1 + i % 3), replace=False)
        item = {
            "id": b, "name": f"Research body {i}", "host": ("India", "Japan", "Africa")[i % 3],
            "budget_usd": _f(np.exp(r.uniform(np.log(2e6), np.log(2e7)))),
            "growth": _f(r.uniform(0.0, 0.03)),
            "portfolio": {tids[j]: _f(r.uniform(0.5, 2.0)) for j in sorted(held)},
        }
        if i % 3 == 0:
            item["joint"] = True
            item["collaboration_bonus"] = 0.2
        body_list.append(item)

    partner_list = []
    if bodies and technologies:
        for i in range(max(1, technologies // 2)):
            n_rec = min(countries, 3 + i % 6)
            item = {
                "id": f"P{i:02d}", "technology": tids[i % technologies], "provider": bid[i % bodies],
                "recipients": [str(c) for c in r.choice(cids, size=n_rec, replace=False)],
                "access_boost": _f(r.uniform(0.1, 0.4)),
            }
            if donors:
                item["funder"] = did[i % donors]
                item["budget_usd"] = _f(r.uniform(1e6, 5e6))
            if i % 3 == 1:
                item["start_year"] = start + min(years - 1, 2 + i % 5)
            partner_list.append(item)

    shock_year = start + min(years - 1, max(1, years // 4))
    pandemic = {
        "kind": "pandemic", "start_year": shock_year, "duration_years": 2,
        "score_hit": {health: 2.0, gids[-1]: 0.5} if gids[-1] != health else {health: 2.0},
        "budget_cut": 0.15, "gdp_cut": 0.05, "diversion_to_health": 0.1, "health_goal": health,
    }
    if countries > 4:
        pandemic["countries"] = cids[: max(2, countries * 2 // 3)]
    shocks = [pandemic]
    if donors:
        cut_year = start + min(years - 1, max(1, years // 2))
        shocks.append({"kind": "budget_cut", "start_year": cut_year, "duration_years": 3,
                       "donors": did[:: max(1, donors // 4)], "cut": 0.3})

    scenario = {
        "name": f"synthetic-c{countries}-g{goals}-d{donors}-r{bodies}-k{technologies}-y{years}",
        "description": f"Synthetic benchmark scenario (seed {seed}).",
        "start_year": start, "end_year": end,
        "goals": goal_list, "interlinkages": interlinkages,
        "countries": country_list, "donors": donor_list,
        "technologies": tech_list, "research_bodies": body_list, "partnerships": partner_list,
        "shocks": shocks,
        "governance": {"leakage_max": 0.3, "exponent": 1.2},
        "capacity": {"scale_usd_per_capita": 2.0, "max": 1.0},
        "uncertainty": {"effectiveness_sd": 0.15, "score_noise_sd": 0.3},
    }
    if any(d["pooled_share"] > 0 for d in donor_list):
        scenario["facility"] = {"name": "Partnership in Action", "strategy": "priority",
                                "strategy_params": {"population_exponent": 0.3},
                                "overhead_rate": 0.03, "channel_cost_usd": 5e5, "blended_share": 0.1,
                                "capacity_share": 0.05, "payout_rate": 0.7, "start_lag_years": 1.5,
                                "risk_sharing": 0.3}
    return scenario


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("countries", 100), ("goals", 17), ("donors", 30), ("bodies", 20),
                          ("technologies", 30), ("years", 40), ("seed", 0)):
        ap.add_argument(f"--{name}", type=int, default=default)
    a = ap.parse_args(argv)
    json.dump(make_scenario(a.countries, a.goals, a.donors, a.bodies, a.technologies, a.years, a.seed),
              sys.stdout, indent=1)


if __name__ == "__main__":
    main()
