"""Sweep throughput and memory: sweep vs run, serial vs process vs Dask, a 10^5-run sweep's peak memory.

    .venv/bin/python benchmarks/bench_sweep.py                  # everything (~5 min on 2 cores)
    .venv/bin/python benchmarks/bench_sweep.py --only-vs-run    # the shipped sweep against `run` (~1 min)
    .venv/bin/python benchmarks/bench_sweep.py --skip-big       # throughput only
    .venv/bin/python benchmarks/bench_sweep.py --only-big --big-points 1000 --big-reps 100

0. Sweep vs run: the shipped Sobol' sweep (scenarios/sweeps/baseline-sobol.yaml, 448 points
   x 2 policies x 4 replications = 3,584 runs), serial, written to a folder, timed from the
   moment its executor is ready (start-up excluded), with design points batched together
   (the default) and one batch per point (as before), against `run_scenario` of the
   baseline with the same number of runs (serial, batches of 64, flows "none" and
   "yearly"), all in this process, interleaved, best of `--repeat`. Reported as runs/s
   and the ratio sweep / run; the result rows of both sweep modes are checked identical.

1. Throughput: the same Latin-hypercube sweep of the baseline scenario (default 240 points
   x 4 replications = 960 runs) with the serial executor, 2 local worker processes and a
   Dask LocalCluster of 2 single-threaded workers. Reported: runs/s over the whole
   `run_sweep` call (pool or cluster start-up included), and scaling efficiency =
   rate(N workers) / (N x rate(serial)), and the CPU time per run of this process and its
   worker processes (what parallelism costs, independent of other load on the machine).
   The three result tables are checked to be bit-identical. `--rounds K` repeats the three
   K times and reports each round's efficiencies and their median and range (this shared
   machine's speed drifts by a third within minutes; a ratio is only taken within a round).
2. Memory: a sweep of 10^5 runs (default 1000 points x 100 replications) run by
   `sdgsim sweep` in a subprocess with 2 worker processes; the memory of the whole
   process tree (driver + workers) is sampled every 0.1 s, as the sum of resident sizes
   (RSS, which counts pages the forked workers share with the driver once per process)
   and as the sum of proportional set sizes (PSS, shared pages split). Also reported for a
   10^4-run sweep of the same shape, to show that memory does not grow with the runs.

Timings on a shared machine vary with its load; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASELINE = ROOT / "scenarios" / "baseline.yaml"
SOBOL = ROOT / "scenarios" / "sweeps" / "baseline-sobol.yaml"


def sweep_text(points: int, reps: int, name: str) -> str:
    return f"""\
name: {name}
scenario: {BASELINE}
design: {{method: lhs, samples: {points}}}
parameters:
  donors.JPN-ODA.budget_usd: {{low: 1.0e9, high: 3.0e9}}
  donors.DAC-OTHER.budget_usd: {{distribution: log-uniform, low: 2.0e9, high: 8.0e9}}
  governance.leakage_max: {{low: 0.15, high: 0.45}}
replications: {reps}
seed: 1
"""


def _cpu_seconds() -> float:
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def throughput(points: int, reps: int, workers: int, tmp: Path, rounds: int = 1) -> list[dict]:
    """Serial, process and Dask, one after the other, `rounds` times; efficiencies are taken
    within a round (the machine's speed drifts between rounds) and summarised by their median."""
    import statistics

    import pandas as pd

    from simulation.experiments.executors import make_executor
    from simulation.experiments.sweep.running import prepare, run_sweep
    from simulation.experiments.sweep.spec import load_sweep
    from simulation.results.sweeps import read_sweep_runs

    path = tmp / "throughput.yaml"
    path.write_text(sweep_text(points, reps, "throughput"))
    sw = load_sweep(path)
    prepared = prepare(sw)  # sample and check the design once, outside the timings
    rows, frames = [], {}
    for k in range(rounds):
        these = []
        for name, n in (("serial", 1), ("process", workers), ("dask", workers)):
            out = tmp / f"out-{name}-{k}"
            ready: list[float] = []

            def started(done: int, total: int, ready: list[float] = ready) -> None:
                if not ready:
                    ready.append(time.perf_counter())  # workers are up

            cpu0 = _cpu_seconds()
            t0 = time.perf_counter()
            res = run_sweep(sw, out, make_executor(name, n), progress=started, prepared=prepared)
            end = time.perf_counter()
            cpu = _cpu_seconds() - cpu0  # this process + its finished children (the pool's workers)
            seconds, running = end - t0, end - ready[0]
            frames[name] = read_sweep_runs(out).drop(columns="chunk")
            these.append({"round": k, "executor": name, "workers": n, "runs": res.runs, "seconds": seconds,
                          "startup_s": ready[0] - t0, "runs_per_s": res.runs / seconds,
                          "runs_per_s_after_startup": res.runs / running, "cpu_ms_per_run": 1000 * cpu / res.runs,
                          "cpu_load_1min": os.getloadavg()[0]})
            print(f"  [{k}] {name:<8} x{n}: {res.runs} runs in {seconds:6.1f} s = {res.runs / seconds:7.1f} runs/s "
                  f"(start-up {ready[0] - t0:4.1f} s; after it {res.runs / running:7.1f} runs/s); "
                  f"CPU {1000 * cpu / res.runs:.2f} ms/run; load {os.getloadavg()[0]:.2f}", flush=True)
        serial, serial_run = these[0]["runs_per_s"], these[0]["runs_per_s_after_startup"]
        for r in these:
            r["efficiency"] = r["runs_per_s"] / (r["workers"] * serial)
            r["efficiency_after_startup"] = r["runs_per_s_after_startup"] / (r["workers"] * serial_run)
        print("  [%d] scaling efficiency: %s" % (k, "; ".join(
            f"{r['executor']} {r['efficiency']:.2f} (after start-up {r['efficiency_after_startup']:.2f})"
            for r in these[1:])), flush=True)
        rows += these
        for name in ("process", "dask"):  # every round's results, bit for bit
            pd.testing.assert_frame_equal(frames["serial"], frames[name], check_exact=True)
    for name in ("process", "dask"):
        mine = [r for r in rows if r["executor"] == name]
        eff, after = [r["efficiency"] for r in mine], [r["efficiency_after_startup"] for r in mine]
        print(f"  {name:<8} efficiency over {rounds} rounds: median {statistics.median(eff):.2f} "
              f"(range {min(eff):.2f}-{max(eff):.2f}); after start-up median {statistics.median(after):.2f} "
              f"(range {min(after):.2f}-{max(after):.2f})")
    print("  results bit-identical across executors, in every round: yes")
    return rows


def sweep_vs_run(tmp: Path, repeat: int, sweep_file: Path = SOBOL, per_point: bool = True) -> dict:
    """A shipped sweep's throughput after start-up against `run` on as many runs of its scenario."""
    import dataclasses

    from simulation.experiments import replications
    from simulation.experiments.executors import make_executor
    from simulation.experiments.sweep import running
    from simulation.experiments.sweep.spec import load_sweep
    from simulation.results.sweeps import read_sweep_runs
    from simulation.scenario import load_scenario

    sw = load_sweep(sweep_file)
    prepared = running.prepare(sw)
    runs = prepared[1].runs
    scenario = load_scenario(BASELINE)
    real_runtime = running.runtime
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    frames = {}
    load = [os.getloadavg()[0]]

    def sweep(batched: bool, k: int) -> float:
        running.runtime = lambda s: dataclasses.replace(real_runtime(s), batch_points=batched)
        ready: list[tuple[float, float]] = []
        out = tmp / f"vs-run-{batched}-{k}"
        try:
            running.run_sweep(sw, out, make_executor("serial", 1), prepared=prepared,
                              progress=lambda d, t: ready or ready.append((time.perf_counter(), time.process_time())))
        finally:
            running.runtime = real_runtime
        seconds, cpu_s = time.perf_counter() - ready[0][0], time.process_time() - ready[0][1]
        frames[batched] = read_sweep_runs(out)
        return seconds, cpu_s

    def run(flows: str) -> tuple[float, float]:
        t0, c0 = time.perf_counter(), time.process_time()
        replications.run_scenario(scenario, runs=runs, seed=sw.seed, workers=1, record_flows=flows)
        return time.perf_counter() - t0, time.process_time() - c0

    run("none")  # warm-up: imports and caches, as the sweep's own start-up
    for k in range(repeat):
        for name, fn in (("sweep", lambda: sweep(True, k)), ("run_none", lambda: run("none")),
                         ("sweep_per_point", lambda: sweep(False, k)), ("run_yearly", lambda: run("yearly"))):
            if name == "sweep_per_point" and (not per_point or k):  # slow: once at most
                continue
            wall, cpu_s = fn()
            best[name] = min(best.get(name, float("inf")), wall)
            cpu[name] = min(cpu.get(name, float("inf")), cpu_s)
        load.append(os.getloadavg()[0])
    import pandas as pd

    if per_point:
        pd.testing.assert_frame_equal(frames[True], frames[False], check_exact=True)
    row = {"runs": runs, **{f"{k}_s": v for k, v in best.items()},
           **{f"{k}_runs_per_s": runs / v for k, v in best.items()},
           "ratio_sweep_to_run_none": best["run_none"] / best["sweep"],
           "ratio_sweep_to_run_yearly": best["run_yearly"] / best["sweep"],
           "sweep_file": str(sweep_file.relative_to(ROOT)),
           "ratio_per_point_to_run_none": best["run_none"] / best["sweep_per_point"] if per_point else None,
           **{f"{k}_cpu_s": v for k, v in cpu.items()},
           "cpu_ratio_sweep_to_run_none": cpu["run_none"] / cpu["sweep"],
           "cpu_ratio_sweep_to_run_yearly": cpu["run_yearly"] / cpu["sweep"],
           "load_average_1min": load}
    for name in best:
        print(f"  {name:<16} {runs} runs in {best[name]:5.2f} s = {runs / best[name]:7.0f} runs/s "
              f"(CPU {cpu[name]:5.2f} s = {runs / cpu[name]:7.0f} runs/s)")
    each = f" (one batch per point: {row['ratio_per_point_to_run_none']:.2f})" if per_point else ""
    print(f"  sweep / run (flows none): {row['ratio_sweep_to_run_none']:.2f}{each}; "
          f"sweep / run (flows yearly): {row['ratio_sweep_to_run_yearly']:.2f}; by CPU time: "
          f"{row['cpu_ratio_sweep_to_run_none']:.2f} and {row['cpu_ratio_sweep_to_run_yearly']:.2f}")
    print(f"  rows identical batched and point by point: {'yes' if per_point else 'not checked'}; "
          f"load average {', '.join(f'{x:.1f}' for x in load)}")
    return row


def peak_memory(points: int, reps: int, workers: int, tmp: Path) -> dict:
    """Run `sdgsim sweep` in a subprocess; sample the RSS of its process tree."""
    import psutil

    path = tmp / f"big-{points}x{reps}.yaml"
    path.write_text(sweep_text(points, reps, f"big-{points}x{reps}"))
    out = tmp / f"out-big-{points}x{reps}"
    cmd = [sys.executable, "-m", "cli", "sweep", str(path), "--executor", "process", "--workers", str(workers),
           "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    root = psutil.Process(proc.pid)
    peak_tree = peak_pss = peak_driver = 0
    while proc.poll() is None:
        rss, pss = {}, {}
        try:
            for p in [root, *root.children(recursive=True)]:
                info = p.memory_full_info()  # pss: shared pages split between the processes sharing them
                rss[p.pid], pss[p.pid] = info.rss, getattr(info, "pss", info.rss)
        except psutil.Error:
            pass
        peak_tree = max(peak_tree, sum(rss.values()))
        peak_pss = max(peak_pss, sum(pss.values()))
        peak_driver = max(peak_driver, rss.get(root.pid, 0))
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed: {proc.communicate()[0].decode()}")
    disk = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    runs = points * reps
    row = {"runs": runs, "points": points, "replications": reps, "workers": workers, "seconds": seconds,
           "runs_per_s": runs / seconds, "peak_rss_tree_mib": peak_tree / 2**20, "peak_pss_tree_mib": peak_pss / 2**20,
           "peak_rss_driver_mib": peak_driver / 2**20, "disk_mib": disk / 2**20,
           "files": len(list((out / "runs").glob("part-*.parquet"))), "cpu_load_1min": os.getloadavg()[0]}
    print(f"  {runs:>7} runs ({points} points x {reps} reps), process x{workers}: {seconds:6.1f} s, "
          f"{runs / seconds:6.0f} runs/s, peak memory of driver + workers: RSS sum {row['peak_rss_tree_mib']:.0f} MiB, "
          f"PSS sum {row['peak_pss_tree_mib']:.0f} MiB (driver RSS {row['peak_rss_driver_mib']:.0f} MiB); "
          f"disk {row['disk_mib']:.1f} MiB in {row['files']} files",
          flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=240)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--big-points", type=int, default=1000)
    ap.add_argument("--big-reps", type=int, default=100)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--only-big", action="store_true")
    ap.add_argument("--only-vs-run", action="store_true", help="only the shipped sweep against run")
    ap.add_argument("--skip-vs-run", action="store_true")
    ap.add_argument("--repeat", type=int, default=2, help="best of N for sweep vs run")
    ap.add_argument("--rounds", type=lambda v: max(1, int(v)), default=1,
                    help="rounds of serial, process and Dask for throughput (at least 1)")
    ap.add_argument("--sweep", type=Path, default=SOBOL, help="the sweep file for sweep vs run")
    ap.add_argument("--skip-per-point", action="store_true", help="sweep vs run without the one-batch-per-point run")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        tmp = Path(tmp)
        if not (args.only_big or args.skip_vs_run):
            print(f"sweep vs run: {args.sweep.name}, serial, start-up excluded")
            result["sweep_vs_run"] = sweep_vs_run(tmp, args.repeat, args.sweep.resolve(), not args.skip_per_point)
        if args.only_vs_run:
            pass
        elif not args.only_big:
            print(f"throughput: {args.points} points x {args.reps} replications")
            result["throughput"] = throughput(args.points, args.reps, args.workers, tmp, args.rounds)
        if not (args.skip_big or args.only_vs_run):
            print("memory:")
            small = peak_memory(max(1, args.big_points // 10), args.big_reps, args.workers, tmp)
            big = peak_memory(args.big_points, args.big_reps, args.workers, tmp)
            result["memory"] = [small, big]
            ok = big["peak_rss_tree_mib"] < 1024
            print(f"  peak memory of the {big['runs']}-run sweep under 1 GiB: {'yes' if ok else 'NO'}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
