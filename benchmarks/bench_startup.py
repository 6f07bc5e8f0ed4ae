"""Start-up: how long a command takes before it does any work, in fresh processes.

    .venv/bin/python benchmarks/bench_startup.py            # best of 5 each (~1 min)
    .venv/bin/python benchmarks/bench_startup.py --repeat 3

Each case runs in a new interpreter (`python -c ...` or `python -m cli ...`), interleaved
round by round, best of `--repeat`. The reference, measured in the same run, is what every
command paid when `import simulation` loaded the whole public API (engine, reports with
matplotlib, comparisons with SciPy's statistics, scenario discovery with scikit-learn):
importing all of `simulation.api`'s modules. Reported: seconds and the share of the
reference. A bare interpreter (`python -c pass`) is shown for scale.

Timings on a shared machine vary with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "python -c pass (interpreter)": ["-c", "pass"],
    "reference: the whole API imported": ["-c", "import simulation.api.runs, simulation.api.search, "
                                                "simulation.api.sweeps, simulation.api.results"],
    "import simulation": ["-c", "import simulation"],
    "sdgsim --help": ["-m", "cli", "--help"],
    "sdgsim run --help": ["-m", "cli", "run", "--help"],
    "sdgsim scenarios": ["-m", "cli", "scenarios"],
    "sdgsim validate scenarios/baseline.yaml": ["-m", "cli", "validate", "scenarios/baseline.yaml"],
    "import the engine (sweep chunks)": ["-c", "import simulation.experiments.sweep.chunks"],
}


def once(args: list[str]) -> float:
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"{args} failed: {res.stderr[-2000:]}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    best = {name: float("inf") for name in CASES}
    for _ in range(args.repeat):
        for name, argv in CASES.items():
            best[name] = min(best[name], once(argv))
    ref = best["reference: the whole API imported"]
    for name, seconds in best.items():
        print(f"  {name:<42} {seconds:6.2f} s  ({seconds / ref:5.0%} of the reference)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
