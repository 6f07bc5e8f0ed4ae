"""How long `calibrate` and `backtest` take on the shipped back-test scenario (not a timed test).

    .venv/bin/python benchmarks/bench_calibration.py

Prints wall times of: loading the history, calibrating the baseline up to 2019, and the two
back-tests of docs/scenarios.md (1,000 runs each), with the machine's load average.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.api.calibration import backtest, calibrate  # noqa: E402
from simulation.scenario.history import load_history  # noqa: E402

HISTORY = ROOT / "scenarios" / "history" / "wdi.csv"


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"{label:<44} {time.perf_counter() - t:7.2f} s")
    return out


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    hist = timed("load history (wdi.csv)", lambda: load_history(HISTORY))
    timed("calibrate baseline up to 2019", lambda: calibrate(ROOT / "scenarios" / "baseline.yaml", hist, 2019))
    for year in (2015, 2019):
        timed(f"backtest fit to {year}, to 2023, 1000 runs",
              lambda: backtest(ROOT / "scenarios" / "backtest.yaml", hist, year, 2023, runs=1000))


if __name__ == "__main__":
    main()
