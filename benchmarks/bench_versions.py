"""The engine of several checkouts of this repository, timed in alternation (before/after a change).

On a shared machine the load moves a timing by 10 % or more from one minute to the next, so a
before/after comparison needs both versions measured close together, several times. For each round,
each checkout runs in a fresh process with its own `simulation` package (its directory first on
sys.path; the venv's packages are shared) and reports the CPU seconds of the engine (flows off),
best of --repeat, on:

* large: benchmarks/synthetic.py's large scenario (100 countries, 17 goals, 30 donors, 40 years),
  20 replications in one batch (as `bench_engine.py --quick`);
* baseline: the checkout's own scenarios/baseline.yaml without indicators, 500 replications in
  batches of 100 (a checkout's baseline is the model of its day; --baseline FILE runs one file, e.g.
  the oldest checkout's, on every checkout: like for like);
* world (--world): the checkout's scenarios/world.yaml without indicators, 128 replications in
  batches of 64 (the runner's default batch).

    git worktree add --detach /tmp/before f980e2e
    python benchmarks/bench_versions.py /tmp/before . --rounds 3
    python benchmarks/bench_versions.py /tmp/before . --baseline /tmp/before/scenarios/baseline.yaml
    python benchmarks/bench_versions.py /tmp/before . --world --only world
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CASES = {"large": (20, 20), "baseline": (500, 100), "world": (128, 64)}  # replications, batch

CHILD = r"""
import json, os, sys, time
root, repeat, cases, baseline = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[5]
sys.path.insert(0, root)
import simulation
assert os.path.realpath(simulation.__file__).startswith(os.path.realpath(root)), simulation.__file__
from benchmarks.reference_naive import without_indicators
from benchmarks.synthetic import make_scenario
from simulation.experiments.replications import run_scenario
from simulation.scenario import load_scenario, validate_data
plan = json.loads(sys.argv[4])
out = {}
for case in cases:
    path = baseline if case == "baseline" and baseline else os.path.join(root, "scenarios", case + ".yaml")
    sc = validate_data(make_scenario(), "large") if case == "large" else without_indicators(load_scenario(path), case)
    runs, batch = plan[case]
    run_scenario(sc, runs=2, seed=2030, batch_size=2, record_flows=False)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        c0 = time.process_time()
        run_scenario(sc, runs=runs, seed=2030, batch_size=batch, record_flows=False)
        best = min(best, time.process_time() - c0)
    out[case] = best
print(json.dumps(out))
"""


def measure(root: Path, cases: list[str], repeat: int, baseline: Path | None = None) -> dict:
    res = subprocess.run([sys.executable, "-c", CHILD, str(root.resolve()), str(repeat), ",".join(cases),
                          json.dumps(CASES), str(baseline.resolve()) if baseline else ""],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time the engine of several checkouts in alternation (CPU seconds).")
    ap.add_argument("roots", nargs="+", type=Path, help="checkouts of this repository (git worktrees)")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of all checkouts")
    ap.add_argument("--repeat", type=int, default=5, help="timings per case and process; the best is kept")
    ap.add_argument("--only", help="comma-separated cases (large, baseline, world)")
    ap.add_argument("--baseline", type=Path, help="this baseline file for every checkout (default: each one's own)")
    ap.add_argument("--world", action="store_true", help="add the world scenario (checkouts that ship it)")
    ap.add_argument("--json", type=Path, help="also write every timing to this JSON file")
    a = ap.parse_args(argv)
    cases = a.only.split(",") if a.only else ["large", "baseline"] + (["world"] if a.world else [])
    rows = []
    for r in range(a.rounds):
        for root in a.roots:
            load = os.getloadavg()[0]
            t = measure(root, cases, a.repeat, a.baseline)
            rows.append({"round": r + 1, "root": str(root), "load": load, **t})
            print(f"round {r + 1}  {str(root):<28} " + "  ".join(f"{c} {t[c]:.3f}" for c in cases)
                  + f"  CPU s (load {load:.1f})", flush=True)
    print("\nbest over rounds, CPU s (replications): " + ", ".join(f"{c} {CASES[c][0]}" for c in cases))
    for root in a.roots:
        mine = [x for x in rows if x["root"] == str(root)]
        print(f"{str(root):<28} " + "  ".join(f"{c} {min(x[c] for x in mine):.3f}" for c in cases))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
