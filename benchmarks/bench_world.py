"""Scaling of the engine from the ten-country baseline to the world scenario, and its speed
against the naive per-agent Mesa reference on the world scenario.

In one process, on the same machine minutes (ratios, so the load of a shared machine cancels
out as far as it can), CPU seconds of this process, best of --repeat:

* engine cost per replication-year (flows off, the default batch of 64) of the shipped baseline
  (scenarios/baseline.yaml) and of scenarios/world.yaml and its subsets: the first k of its
  countries (all donors, each donor eligible in those of its countries kept) and the first d
  of its donors (all countries). Size = countries x goals x funders (donors, the pooled
  facility and research bodies). "cost ratio / size ratio" against the baseline at or below
  1 means the cost grew at most linearly with the size;
* engine against reference (benchmarks/reference_naive.py, one Mesa model per replication,
  Python loops) on the world scenario without its indicators (the reference implements the
  goal-score and money mechanisms, not the indicator dynamics; bench_engine.py does the
  same for the baseline), with the reference on --ref-runs replications; both give the same
  scores for the same seed (checked).

    python benchmarks/bench_world.py                 # about 5 CPU minutes
    python benchmarks/bench_world.py --quick         # fewer runs
    python benchmarks/bench_world.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.reference_naive import run_reference, without_indicators  # noqa: E402
from simulation.experiments.replications import run_scenario  # noqa: E402
from simulation.scenario import Scenario, load_scenario, validate_data  # noqa: E402

SEED = 2030
BATCH = 64  # the runner's default batch (simulation/experiments/replications.py DEFAULT_BATCH)


def cpu_best(fn, repeat: int) -> tuple[float, object]:
    """Best CPU seconds of this process over `repeat` calls, and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        c0 = time.process_time()
        out = fn()
        best = min(best, time.process_time() - c0)
    return best, out


def funders(sc: Scenario) -> int:
    return len(sc.donors) + (sc.facility is not None) + len(sc.research_bodies)


def size(sc: Scenario) -> int:
    return len(sc.countries) * len(sc.goals) * funders(sc)


def subset(sc: Scenario, countries: int | None = None, donors: int | None = None) -> Scenario:
    """The first `countries` countries and the first `donors` donors of `sc` (donors keep the
    kept countries they were eligible in; a donor left with none is dropped)."""
    data = sc.model_dump()
    keep = [c["id"] for c in data["countries"][:countries]]
    data["countries"] = data["countries"][:countries]
    out = []
    for d in data["donors"][:donors]:
        if d.get("eligible_countries"):
            d["eligible_countries"] = [c for c in d["eligible_countries"] if c in keep]
            if not d["eligible_countries"]:
                continue
        out.append(d)
    data["donors"] = out
    data["sources"] = {}
    return validate_data(data, f"{sc.name}: {len(keep)} countries, {len(out)} donors")


def engine_cost(sc: Scenario, runs: int, repeat: int) -> float:
    """CPU seconds per replication-year of the engine (flows off, the default batch of 64)."""
    cpu, _ = cpu_best(lambda: run_scenario(sc, runs=runs, seed=SEED, batch_size=min(BATCH, runs),
                                           record_flows=False), repeat)
    return cpu / runs / (sc.end_year - sc.start_year)


def scaling(world: Scenario, baseline: Scenario, runs: int, repeat: int) -> list[dict]:
    n_c, n_d = len(world.countries), len(world.donors)
    cases = [("baseline", baseline, 1000)]
    cases += [(f"world, {k} countries", subset(world, countries=k), runs) for k in
              sorted({max(1, n_c // 8), n_c // 4, n_c // 2})]
    cases += [(f"world, {d} donors", subset(world, donors=d), runs) for d in sorted({max(1, n_d // 4), n_d // 2})]
    cases += [("world", world, runs)]
    rows = []
    for name, sc, r in cases:
        cost = engine_cost(sc, r, repeat)
        rows.append({"case": name, "countries": len(sc.countries), "goals": len(sc.goals), "funders": funders(sc),
                     "size": size(sc), "years": sc.end_year - sc.start_year, "runs": r,
                     "cpu_ms_per_run_year": 1e3 * cost})
        print(f"{name:<26} C {len(sc.countries):>4} G {len(sc.goals):>3} F {funders(sc):>3} size {size(sc):>7}  "
              f"{1e3 * cost:8.3f} CPU ms per replication-year ({r} runs)", flush=True)
    base = rows[0]
    for row in rows:
        row["size_ratio"] = row["size"] / base["size"]
        row["cost_ratio"] = row["cpu_ms_per_run_year"] / base["cpu_ms_per_run_year"]
        row["cost_per_size"] = row["cost_ratio"] / row["size_ratio"]
    return rows


def against_reference(world: Scenario, runs: int, ref_runs: int, repeat: int) -> dict:
    sc = without_indicators(world, "world without indicators")
    eng_cpu, eng = cpu_best(lambda: run_scenario(sc, runs=runs, seed=SEED, batch_size=min(BATCH, runs),
                                                 record_flows=False), repeat)
    ref_cpu, ref = cpu_best(lambda: run_reference(sc, seed=SEED, runs=ref_runs), 1)
    diff = np.abs(ref["scores"] - eng.scores[:ref_runs]) / np.maximum(np.abs(eng.scores[:ref_runs]), 1.0)
    out = {"engine_runs": runs, "engine_cpu_s": eng_cpu, "reference_runs": ref_runs, "reference_cpu_s": ref_cpu,
           "engine_cpu_s_per_run": eng_cpu / runs, "reference_cpu_s_per_run": ref_cpu / ref_runs,
           "speedup_cpu": (ref_cpu / ref_runs) / (eng_cpu / runs), "scores_max_rel_diff": float(diff.max())}
    print(f"world without indicators: engine {runs} runs in {eng_cpu:.2f} CPU s ({1e3 * eng_cpu / runs:.1f} ms/run); "
          f"reference {ref_runs} runs in {ref_cpu:.1f} CPU s ({ref_cpu / ref_runs:.2f} s/run): "
          f"{out['speedup_cpu']:.0f}x; scores agree to {out['scores_max_rel_diff']:.1e}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Engine scaling to the world scenario, and speed against the reference.")
    ap.add_argument("--quick", action="store_true", help="fewer runs")
    ap.add_argument("--repeat", type=int, default=3, help="time each case N times, keep the best CPU time")
    ap.add_argument("--ref-runs", type=int, default=2, help="replications of the naive reference")
    ap.add_argument("--world", type=Path, default=ROOT / "scenarios" / "world.yaml")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    runs = 40 if args.quick else 200
    world, baseline = load_scenario(args.world), load_scenario(ROOT / "scenarios" / "baseline.yaml")
    rows = scaling(world, baseline, runs, args.repeat)
    print(f"\n{'case':<26}{'size ratio':>11}{'cost ratio':>11}{'cost/size':>10}")
    for r in rows:
        print(f"{r['case']:<26}{r['size_ratio']:>11.1f}{r['cost_ratio']:>11.2f}{r['cost_per_size']:>10.3f}")
    ref = against_reference(world, runs, args.ref_runs, args.repeat)
    if args.json:
        args.json.write_text(json.dumps({"scaling": rows, "reference": ref,
                                         "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
