"""People reached per US$ of a debt-for-SDG swap against the same US$ as new grants; what loans change.

    python scenarios/history/debt_and_loans.py [RUNS] [SEED]     # from the project root; 200 runs, seed 1

Swap: runs baseline, debt-swap and debt-swap-grants on common random numbers and prints, per
indicator, the extra people better off in 2030 than under the baseline (paired, replication by
replication) per US$ 1 M: of debt service cancelled by the swap (`debt_relief_usd`), and of grant
budgets given instead (the extra donor's budget over the horizon). Loans: the baseline with half of
Japan's grant money lent on IDA terms, against the baseline: loans, grant equivalent, debt service,
fiscal space, money and people. Mean and 5th-95th percentile over the runs (docs/scenarios.md,
"Debt swap against grants", and docs/model.md, "Fiscal space, loans and debt", show its output).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation import load_scenario  # noqa: E402
from simulation.experiments.replications import run_scenario  # noqa: E402
from simulation.outcomes.registry import column_values  # noqa: E402
from simulation.scenario import validate_data  # noqa: E402


def table(runs: int = 200, seed: int = 1) -> list[tuple[str, str, float, float, float]]:
    """(option, indicator, mean, p05, p95) of extra people per US$ 1 M, and the US$ of each option."""
    names = ("baseline", "debt-swap", "debt-swap-grants")
    scenarios = {n: load_scenario(ROOT / "scenarios" / f"{n}.yaml") for n in names}
    results = {n: run_scenario(sc, runs=runs, seed=seed, record_flows=False) for n, sc in scenarios.items()}
    indicators = scenarios["baseline"].indicator_ids
    cols = [f"people_gain:{i}" for i in indicators] + ["debt_relief_usd", "money_usd", "grant_equivalent_usd"]
    values = {n: column_values(r, cols) for n, r in results.items()}
    base = values["baseline"]
    grants = values["debt-swap-grants"]["grant_equivalent_usd"] - base["grant_equivalent_usd"]
    usd = {"debt-swap": values["debt-swap"]["debt_relief_usd"], "debt-swap-grants": grants}
    rows = []
    for option in ("debt-swap", "debt-swap-grants"):
        rows.append((option, "US$ (relief; grants)", float(usd[option].mean()), *np.percentile(usd[option], [5, 95])))
        rows.append((option, "extra money spent", *(lambda x: (float(x.mean()), *np.percentile(x, [5, 95])))(
            values[option]["money_usd"] - base["money_usd"])))
        for i in indicators:
            per = (values[option][f"people_gain:{i}"] - base[f"people_gain:{i}"]) / usd[option] * 1e6
            rows.append((option, i, float(per.mean()), *np.percentile(per, [5, 95])))
    return rows


def loans(runs: int = 200, seed: int = 1, share: float = 0.5) -> list[tuple[str, float, float, float]]:
    """(outcome, mean, p05, p95) of the paired difference: `share` of Japan's grant money lent, against none."""
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    data = base.model_dump(mode="json")
    next(d for d in data["donors"] if d["id"] == "JPN-ODA")["loan_share"] = share
    lent = validate_data(data, "baseline with loans")
    cols = ["loans_usd", "grant_equivalent_usd", "debt_service_usd", "fiscal_space_usd", "money_usd"] + \
        [f"people_gain:{i}" for i in base.indicator_ids]
    a, b = (column_values(run_scenario(s, runs=runs, seed=seed, record_flows=False), cols) for s in (base, lent))
    return [(c, float((b[c] - a[c]).mean()), *np.percentile(b[c] - a[c], [5, 95])) for c in cols]


if __name__ == "__main__":
    args = [int(x) for x in sys.argv[1:3]]
    for option, what, mean, lo, hi in table(*args):
        print(f"{option:<18} {what:<22} {mean:>14.4g}  [{lo:.4g}, {hi:.4g}]")
    print("half of JPN-ODA's grants as IDA-term loans, against the baseline:")
    for what, mean, lo, hi in loans(*args):
        print(f"  {what:<28} {mean:>14.4g}  [{lo:.4g}, {hi:.4g}]")
