"""Flows, seeding and a big run's memory, measured side by side in one process (ratios).

    .venv/bin/python benchmarks/bench_flows.py              # everything (~3-5 min on 2 cores)
    .venv/bin/python benchmarks/bench_flows.py --skip-memory --json out.json
    .venv/bin/python benchmarks/bench_flows.py --only-memory       # the three big commands (~10 min)

1. Flow detail: the same seed with flows "none", "yearly" and "full" (serial, default batch
   size: 64, or for "full" as many replications as fit 64 MB of dense flow arrays),
   interleaved and best of `--repeat`, in memory (`run_scenario`) and streamed to a
   results folder's tables (`stream_scenario` into `RunWriter`, as `sdgsim run` does);
   reported as the ratio of each to flows "none" (target: at most 2x). Baseline scenario,
   and the large synthetic scenario (benchmarks/synthetic.py) with fewer runs.
2. Seeding: the seeds of every batch of an N-run run built the old way
   (`SeedSequence(seed).spawn(N)[start:stop]` per batch, O(N^2)) and the new way
   (`rng.replication_seeds(seed, N, start, stop)`, O(N)); both lists are checked equal.
3. Memory: `sdgsim run scenarios/baseline.yaml --runs N` with default outputs (yearly
   flows, report) for each N of `--memory-runs` (default 20,000 and 100,000), and
   `sdgsim compare scenarios/baseline.yaml scenarios/partnership-in-action.yaml --runs N`
   for each N of `--compare-runs` (default 20,000), each in a subprocess under
   /usr/bin/time -v (peak resident set size and wall time; the command's own run and its
   report are included). Target: under 1 GiB each.

Timings on a shared machine vary with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from simulation.experiments.replications import run_scenario, stream_scenario  # noqa: E402
from simulation.experiments.sizing import full_flows_batch  # noqa: E402
from simulation.model import rng  # noqa: E402
from simulation.results.runs import RunWriter  # noqa: E402
from simulation.scenario import validate_data  # noqa: E402
from simulation.scenario.loading import load_scenario  # noqa: E402

MODES = ("none", "yearly", "full")


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _timed(sc, runs: int, mode: str, folder: bool) -> float:
    """Seconds of one run with flow detail `mode`, default batch size, in memory
    (`run_scenario`) or streamed to a results folder's tables (`stream_scenario` into a
    `RunWriter`, what `sdgsim run --out` does before its report)."""
    t = time.perf_counter()
    if folder:
        with tempfile.TemporaryDirectory() as tmp:
            with RunWriter(Path(tmp), sc, mode) as writer:
                stream_scenario(sc, writer, runs=runs, seed=2030, record_flows=mode)
    else:
        run_scenario(sc, runs=runs, seed=2030, record_flows=mode)
    return time.perf_counter() - t


def flows_case(name: str, sc, runs: int, repeat: int) -> dict:
    row = {"scenario": name, "runs": runs, "batch": {m: min(runs, 64, full_flows_batch(sc) if m == "full" else 64)
                                                     for m in MODES}}
    for path in ("memory", "folder"):
        best = {m: float("inf") for m in MODES}
        for _ in range(repeat):
            for mode in MODES:  # interleaved: every mode sees the same load
                best[mode] = min(best[mode], _timed(sc, runs, mode, path == "folder"))
        row[path] = {"seconds": best, "ratio_yearly": best["yearly"] / best["none"],
                     "ratio_full": best["full"] / best["none"]}
        print(f"{name:9s} {runs:5d} runs, {path:6s}: none {best['none']:.2f} s, yearly {best['yearly']:.2f} s "
              f"({row[path]['ratio_yearly']:.2f}x), full {best['full']:.2f} s ({row[path]['ratio_full']:.2f}x; "
              f"batch {row['batch']['full']})  [load {load()}]", flush=True)
    return row


def seeding_case(runs: int, batch: int = 64) -> dict:
    bounds = [(a, min(a + batch, runs)) for a in range(0, runs, batch)]
    t = time.perf_counter()
    old = [np.random.SeedSequence(7).spawn(runs)[a:b] for a, b in bounds]
    t_old = time.perf_counter() - t
    t = time.perf_counter()
    new = [rng.replication_seeds(7, runs, a, b) for a, b in bounds]
    t_new = time.perf_counter() - t
    same = all(x.entropy == y.entropy and x.spawn_key == y.spawn_key and x.pool_size == y.pool_size
               for p, q in zip(old, new) for x, y in zip(p, q)) and sum(map(len, new)) == runs
    row = {"runs": runs, "old_s": t_old, "new_s": t_new, "ratio": t_old / t_new, "identical": same}
    print(f"seeding {runs:6d} runs in batches of {batch}: spawn-and-slice {t_old:.3f} s, direct {t_new:.4f} s "
          f"({row['ratio']:.0f}x), identical: {same}  [load {load()}]", flush=True)
    return row


def memory_case(runs: int, command: str = "run") -> dict:
    """Peak RSS and wall of one `sdgsim run` (baseline) or `sdgsim compare` (baseline vs
    partnership-in-action) with default outputs, in a subprocess under /usr/bin/time -v."""
    scenarios = ["scenarios/baseline.yaml"] + (["scenarios/partnership-in-action.yaml"] if command == "compare" else [])
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["/usr/bin/time", "-v", sys.executable, str(ROOT / "cli.py"), command,
               *(str(ROOT / s) for s in scenarios), "--runs", str(runs), "--out", str(Path(tmp) / "out")]
        before = load()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", p.stderr).group(1)
        size = sum(f.stat().st_size for f in (Path(tmp) / "out").rglob("*.parquet")) if p.returncode == 0 else 0
    row = {"command": command, "runs": runs, "peak_mib": peak_kb / 1024, "wall": wall, "exit": p.returncode,
           "parquet_mib": size / 2**20, "load_before": before, "load_after": load()}
    print(f"sdgsim {command} --runs {runs} (default outputs, report included): peak RSS {row['peak_mib']:.0f} MiB, "
          f"wall {wall}, parquet {row['parquet_mib']:.1f} MiB, exit {p.returncode}  "
          f"[load {before} -> {row['load_after']}]", flush=True)
    if p.returncode:
        print(p.stderr[-2000:], flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--baseline-runs", type=int, default=1000)
    ap.add_argument("--large-runs", type=int, default=16)
    ap.add_argument("--seed-runs", type=int, nargs="*", default=[2000, 20000])
    ap.add_argument("--memory-runs", type=int, nargs="*", default=[20000, 100000])
    ap.add_argument("--compare-runs", type=int, nargs="*", default=[20000])
    ap.add_argument("--only-memory", action="store_true", help="skip the flow-detail and seeding parts")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    from synthetic import make_scenario

    print(f"{os.cpu_count()} CPUs, load average {load()}", flush=True)
    out: dict = {}
    if not a.only_memory:
        out["flows"] = [flows_case("baseline", load_scenario(ROOT / "scenarios/baseline.yaml"), a.baseline_runs,
                                   a.repeat)]
        if not a.skip_large:
            out["flows"].append(flows_case("large", validate_data(make_scenario(), "<synthetic large>"),
                                           a.large_runs, a.repeat))
        out["seeding"] = [seeding_case(n) for n in a.seed_runs]
    if not a.skip_memory:
        out["memory"] = [memory_case(n, "run") for n in a.memory_runs] + \
            [memory_case(n, "compare") for n in a.compare_runs]
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
