"""Re-fit the baseline's goal effectiveness κ to the SDR 2015-2019 goal trends (docs/scenarios.md,
"Calibration"), and rewrite the `effectiveness:` values in scenarios/baseline.yaml in place.

    python scenarios/history/refit_kappa.py [--runs 200] [--seed 1] [--dry-run]

Procedure (the one docs/scenarios.md states): run the baseline, take each goal's mean score drift
over 2020-2025 (points a year, over the ten countries and the runs), scale its κ by
(target + 0.15) / (drift + 0.15), and repeat until every goal is within 0.01 of its target (at most
eight iterations). κ and the spend scale trade off (only their combination is identified by a
trend), so the spend scale stays an assumption and κ is what is fitted. Run it whenever a change to
the model moves the baseline's goal trends (tests/test_scenarios_library.py checks them).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from simulation.experiments.replications import run_scenario
from simulation.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "baseline.yaml"
SDR_TREND_2015_2019 = {"SDG2": 0.468, "SDG3": 1.153, "SDG6": 0.438, "SDG7": 1.212}  # points a year, SDR 2023 series
OFFSET = 0.15  # keeps the update stable where a drift is near zero


def drifts(text: str, runs: int, seed: int) -> dict[str, float]:
    """Each goal's mean score drift 2020-2025 (points a year) of the baseline written as `text`."""
    tmp = BASELINE.with_name(".refit-kappa.yaml")
    tmp.write_text(text)
    try:
        r = run_scenario(load_scenario(tmp), runs=runs, seed=seed, record_flows=False)
    finally:
        tmp.unlink()
    d = (r.scores[:, 5] - r.scores[:, 0]).mean(axis=(0, 1)) / 5
    return {g: float(d[r.scenario.goal_ids.index(g)]) for g in SDR_TREND_2015_2019}


def with_kappa(text: str, goal: str, kappa: float) -> str:
    """The baseline's text with `goal`'s effectiveness set to `kappa` (4 significant digits)."""
    pattern = re.compile(rf"(\{{id: {goal},[^}}]*effectiveness: )([0-9.eE+-]+)")
    if not pattern.search(text):
        raise SystemExit(f"{BASELINE}: no 'effectiveness:' for goal {goal} in a one-line goal entry")
    return pattern.sub(lambda m: f"{m.group(1)}{kappa:.4g}", text, count=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dry-run", action="store_true", help="print the fit, do not rewrite baseline.yaml")
    args = ap.parse_args()
    text = BASELINE.read_text()
    kappa = {g.id: g.effectiveness for g in load_scenario(BASELINE).goals if g.id in SDR_TREND_2015_2019}
    for it in range(8):
        d = drifts(text, args.runs, args.seed)
        print(f"iteration {it}: " + ", ".join(f"{g} drift {d[g]:+.3f} (target {t:+.3f}, κ {kappa[g]:.4g})"
                                              for g, t in SDR_TREND_2015_2019.items()))
        if all(abs(d[g] - t) <= 0.01 for g, t in SDR_TREND_2015_2019.items()):
            break
        for g, t in SDR_TREND_2015_2019.items():
            kappa[g] = kappa[g] * (t + OFFSET) / (d[g] + OFFSET)
            text = with_kappa(text, g, kappa[g])
    if args.dry_run:
        print("dry run: baseline.yaml not changed")
        return
    BASELINE.write_text(text)
    print(f"wrote {BASELINE}: " + ", ".join(f"{g} κ {kappa[g]:.4g}" for g in SDR_TREND_2015_2019))


if __name__ == "__main__":
    main()
