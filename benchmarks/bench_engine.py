"""Speed of the vectorised engine against the naive per-agent Mesa reference.

For the shipped baseline and a large synthetic scenario (100 countries, 17 goals,
30 donors, 20 research bodies, 30 technologies, 40 years) it measures, in one process:

* engine replications per second, batched (all replications of a batch advance in
  lock-step), with flow recording off and on (on = the tidy flows table is built too);
* reference replications per second (benchmarks/reference_naive.py, one model per
  replication, Python loops), on fewer replications;
* the speed-up ratio engine / reference;
* peak memory per replication: how far one untimed run of one batch raises the resident
  memory of a fresh process above its level before the run (Linux VmHWM after a reset),
  divided by the batch's replications (the reference: one replication);
* that engine and reference give the same scores and money balance for the same seed
  (replication i of both uses the same random streams).

    python benchmarks/bench_engine.py            # full run (several minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # a short run, no memory runs (add --memory)
    python benchmarks/bench_engine.py --json out.json

Wall-clock figures depend on the machine and on what else runs on it; each timing is
the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.reference_naive import run_reference, without_indicators  # noqa: E402
from benchmarks.synthetic import make_scenario  # noqa: E402
from simulation.experiments.replications import run_scenario  # noqa: E402
from simulation.scenario import load_scenario, validate_data  # noqa: E402

RTOL = 1e-9


def best_time(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and CPU seconds (this process) of `repeat` calls, and the last result."""
    wall, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu, out


def timing(runs: int, wall: float, cpu: float, **extra) -> dict:
    return {"runs": runs, **extra, "seconds": wall, "cpu_seconds": cpu, "runs_per_s": runs / wall,
            "runs_per_cpu_s": runs / cpu}


def _scenario(name: str):
    """The baseline without its indicators (the reference has no indicator dynamics, so only
    then do both sides do the same work), or the large synthetic scenario."""
    if name == "baseline":
        return without_indicators(load_scenario(ROOT / "scenarios" / "baseline.yaml"), "baseline without indicators")
    return validate_data(make_scenario(), "<synthetic large>")


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _peak_in_child(name: str, what: str, runs: int, seed: int) -> int:
    """In a fresh process: how far one run raises resident memory above its level before (bytes).

    A one-replication warm-up run first loads everything loaded lazily; then the peak
    (VmHWM) is reset to the current resident size and read again after the run.
    """
    sc = _scenario(name)

    def run(n: int):
        if what == "reference":
            run_reference(sc, seed=seed, runs=n)
        else:
            run_scenario(sc, runs=n, seed=seed, batch_size=n, record_flows=what == "engine_flows")

    run(1)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current resident size
    before = _status_kib("VmRSS")
    run(runs)
    return (_status_kib("VmHWM") - before) * 1024


def peak_bytes_per_run(name: str, what: str, runs: int, seed: int) -> float:
    """Peak memory per replication of one run of `runs` replications (one batch)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_peak_in_child, name, what, runs, seed).result() / runs


def agreement(ref: dict, eng) -> dict:
    """Largest relative differences between reference and engine on the same replications."""
    n = ref["scores"].shape[0]
    scores = np.abs(ref["scores"] - eng.scores[:n]) / np.maximum(np.abs(eng.scores[:n]), 1.0)
    sources = eng.balance[:n, :, :1]
    balance = np.abs(ref["balance"] - eng.balance[:n]) / sources
    out = {"scores_rel": float(scores.max()), "balance_rel": float(balance.max())}
    out["match"] = out["scores_rel"] <= RTOL and out["balance_rel"] <= RTOL
    return out


def bench_case(name: str, sc, engine_runs: int, batch: int, flows_runs: int, ref_runs: int,
               seed: int, repeat: int, memory: bool) -> dict:
    print(f"\n== {name}: {len(sc.countries)} countries, {len(sc.goals)} goals, {len(sc.donors)} donors, "
          f"{len(sc.research_bodies)} research bodies, {len(sc.technologies)} technologies, "
          f"{sc.end_year - sc.start_year} years", flush=True)
    row: dict = {"scenario": name}

    def engine(runs: int, flows: bool):
        return lambda: run_scenario(sc, runs=runs, seed=seed, batch_size=min(batch, runs), record_flows=flows)

    b = min(batch, engine_runs)
    wall, cpu, eng = best_time(engine(engine_runs, False), repeat)
    row["engine"] = timing(engine_runs, wall, cpu, batch=b)
    print(f"engine, flows off : {engine_runs:4d} runs (batch {b:3d}) in {wall:7.2f} s"
          f" = {engine_runs / wall:8.1f} runs/s"
          f"  (CPU {cpu:7.2f} s = {engine_runs / cpu:8.1f} runs/CPU-s)", flush=True)
    b = min(batch, flows_runs)
    wall, cpu, _ = best_time(engine(flows_runs, True), repeat)
    row["engine_flows"] = timing(flows_runs, wall, cpu, batch=b)
    print(f"engine, flows on  : {flows_runs:4d} runs (batch {b:3d}) in {wall:7.2f} s = {flows_runs / wall:8.1f} runs/s"
          f"  (CPU {cpu:7.2f} s = {flows_runs / cpu:8.1f} runs/CPU-s)", flush=True)
    wall, cpu, ref = best_time(lambda: run_reference(sc, seed=seed, runs=ref_runs), repeat)
    row["reference"] = timing(ref_runs, wall, cpu)
    print(f"reference (naive) : {ref_runs:4d} runs             in {wall:7.2f} s = {ref_runs / wall:8.2f} runs/s"
          f"  (CPU {cpu:7.2f} s = {ref_runs / cpu:8.2f} runs/CPU-s)", flush=True)
    row["speedup"] = row["engine"]["runs_per_s"] / row["reference"]["runs_per_s"]
    row["speedup_flows"] = row["engine_flows"]["runs_per_s"] / row["reference"]["runs_per_s"]
    row["speedup_cpu"] = row["engine"]["runs_per_cpu_s"] / row["reference"]["runs_per_cpu_s"]
    print(f"speed-up          : {row['speedup']:.0f}x (flows off), {row['speedup_flows']:.0f}x (flows on); "
          f"{row['speedup_cpu']:.0f}x in CPU time (flows off)")
    row["agreement"] = agreement(ref, eng)
    a = row["agreement"]
    print(f"engine == reference (seed {seed}, {ref_runs} runs): {'yes' if a['match'] else 'NO'}"
          f"  (max rel. diff scores {a['scores_rel']:.1e}, balance {a['balance_rel']:.1e})", flush=True)

    if memory:
        n_batch = min(batch, engine_runs)
        mem = {
            "engine": peak_bytes_per_run(name, "engine", n_batch, seed),
            "engine_flows": peak_bytes_per_run(name, "engine_flows", min(batch, flows_runs), seed),
            "reference": peak_bytes_per_run(name, "reference", 1, seed),
        }
        row["peak_bytes_per_run"] = mem
        print(f"peak memory / run : engine {mem['engine'] / 1e6:.2f} MB (flows off, batch of {n_batch}), "
              f"{mem['engine_flows'] / 1e6:.1f} MB (flows on, batch of {min(batch, flows_runs)}), "
              f"reference {mem['reference'] / 1e6:.2f} MB", flush=True)
    return row


def machine() -> dict:
    import mesa

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__, "mesa": mesa.__version__, "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Engine vs naive Mesa reference: replications per second.")
    ap.add_argument("--quick", action="store_true", help="fewer replications, no memory runs")
    ap.add_argument("--seed", type=int, default=2030)
    ap.add_argument("--batch", type=int, default=100, help="engine replications per batch (default 100)")
    ap.add_argument("--repeat", type=int, default=1, help="time each configuration N times, keep the best")
    ap.add_argument("--no-memory", action="store_true", help="skip the (untimed) peak-memory runs")
    ap.add_argument("--memory", action="store_true", help="do the peak-memory runs even with --quick")
    ap.add_argument("--only", choices=["baseline", "large"], help="run one scenario only")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    a = ap.parse_args(argv)

    # replications: (engine flows off, engine flows on, reference). Flows on for the large
    # scenario keeps every (year, donor, country, goal) flow as a table row (~2 M rows per
    # run), so it runs on a few replications only.
    if a.quick:
        plan = {"baseline": (100, 100, 5), "large": (20, 2, 1)}
    else:
        plan = {"baseline": (1000, 200, 20), "large": (100, 4, 2)}
    info = machine()
    print(f"machine: {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, NumPy {info['numpy']}, "
          f"Mesa {info['mesa']}; load average at start {os.getloadavg()[0]:.1f}")
    rows = []
    for name in ("baseline", "large"):
        if a.only and name != a.only:
            continue
        n_eng, n_flows, n_ref = plan[name]
        rows.append(bench_case(name, _scenario(name), n_eng, a.batch, n_flows, n_ref, a.seed, a.repeat,
                               memory=a.memory or not (a.no_memory or a.quick)))

    print("\n| scenario | engine runs/s (flows off) | engine runs/s (flows on) | reference runs/s | speed-up |"
          " peak MB/run engine (off / on) | peak MB/run reference | match |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        mem = r.get("peak_bytes_per_run")
        mem_eng = f"{mem['engine'] / 1e6:.2f} / {mem['engine_flows'] / 1e6:.1f}" if mem else "-"
        mem_ref = f"{mem['reference'] / 1e6:.2f}" if mem else "-"
        print(f"| {r['scenario']} | {r['engine']['runs_per_s']:.1f} | {r['engine_flows']['runs_per_s']:.1f} |"
              f" {r['reference']['runs_per_s']:.2f} | {r['speedup']:.0f}x | {mem_eng} | {mem_ref} |"
              f" {'yes' if r['agreement']['match'] else 'NO'} |")
    info["load_average_at_end"] = os.getloadavg()[0]
    print(f"load average at end: {info['load_average_at_end']:.1f} "
          "(other work on the machine slows wall-clock figures)")
    if a.json:
        a.json.write_text(json.dumps({"machine": info, "quick": a.quick, "seed": a.seed, "results": rows}, indent=2))
    return 0 if all(r["agreement"]["match"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
