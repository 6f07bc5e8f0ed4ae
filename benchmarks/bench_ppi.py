"""Benchmark simulation.ppi against policy-priority-inference 3.0.7 in the same process.

1. Throughput on the grid of issue 14: N in {20, 100} indicators x T in {30, 50} periods x
   {10^3, 10^4, 10^5} runs (--quick: 10^3 and 10^4), on generated models (10 % dense
   spillover network, 20 % collateral indicators, one programme). Ours: one
   `run_ppi(..., runs=R, seed=...)` call with the default outputs (keep="auto": every run's
   series up to 2^20 values, else the six series' means over runs; always final levels,
   mean gamma and success rates per run). PPI: its serial `run_ppi`, one run per call, timed
   on as many runs as fit in a few seconds just before and just after ours and scaled per
   run (its runs are independent, so time is proportional to runs); the ratio is PPI's
   time for R runs over ours, by CPU time (`time.process_time`, robust to other load on a
   shared machine) and by wall clock. The load average is printed with every row.
   The compiled kernels' one-off costs (compilation in a fresh environment, loading from
   numba's cache in every later process) are measured in fresh processes and printed
   separately; the table's timings exclude them (each model is built, and so the
   kernels loaded, before the timed call).
2. Memory: peak traced allocations of ours for keep = final / mean / series.
3. Calibration: PPI's `calibrate(..., parallel_processes=2)` against ours on the same
   data; both fits are then scored on the same footing — PPI's GoF on 4000 independent
   runs of our engine (validated against PPI in tests/test_ppi_validation.py) — and ours
   is asked to reach at least PPI's worst GoF.

Run:  .venv/bin/python benchmarks/bench_ppi.py [--quick] [--skip-calibration] [--skip-memory] [--skip-compile]
Needs the dev extra (policy-priority-inference==3.0.7, joblib). Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulation.ppi import calibrate, run_ppi  # noqa: E402

warnings.simplefilter("ignore")


def model(N: int, T: int = 50, seed: int = 1):
    rng = np.random.default_rng(seed)
    I0 = rng.random(N) * 0.5 + 0.2
    a = rng.random(N) * 0.01 + 0.002
    ap = rng.random(N) * 0.005
    R = np.ones(N)
    R[rng.choice(N, N // 5, replace=False)] = 0
    A = (rng.random((N, N)) < 0.1) * rng.normal(0.0, 0.3, (N, N))
    kw = dict(A=A, R=R, T=T)
    pilot = run_ppi(I0, a, ap, np.ones(N), runs=50, seed=0, keep="final", **kw)
    b = rng.uniform(0.2, 0.8, N) / pilot.gamma_mean.mean(axis=0)
    return I0, a, ap, b, kw


def timed(fn, min_seconds: float) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, calls) for repeated fn() until min_seconds of wall time."""
    w0, c0, k = time.perf_counter(), time.process_time(), 0
    while True:
        fn()
        k += 1
        if time.perf_counter() - w0 >= min_seconds:
            return time.perf_counter() - w0, time.process_time() - c0, k


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def grid_cell(N: int, T: int, runs: int, ppi_seconds: float, seed: int = 0) -> dict:
    """Ours on `runs` runs (default outputs) between two PPI timings; PPI scaled per run."""
    import policy_priority_inference as ppi

    I0, a, ap, b, kw = model(N, T)
    load0 = load()
    np.random.seed(seed)
    w1, c1, k1 = timed(lambda: ppi.run_ppi(I0.copy(), a, ap, b, **copy.deepcopy(kw)), ppi_seconds)
    w0, c0 = time.perf_counter(), time.process_time()
    res = run_ppi(I0, a, ap, b, runs=runs, seed=seed, **kw)
    ours_wall, ours_cpu = time.perf_counter() - w0, time.process_time() - c0
    w2, c2, k2 = timed(lambda: ppi.run_ppi(I0.copy(), a, ap, b, **copy.deepcopy(kw)), ppi_seconds)
    ppi_wall, ppi_cpu = (w1 + w2) / (k1 + k2), (c1 + c2) / (k1 + k2)  # seconds per PPI run
    return {"N": N, "T": T, "runs": runs, "keep": res.keep, "ppi_runs": k1 + k2, "ppi_wall": ppi_wall,
            "ppi_cpu": ppi_cpu, "ours_wall": ours_wall / runs, "ours_cpu": ours_cpu / runs,
            "ratio_wall": ppi_wall * runs / ours_wall, "ratio_cpu": ppi_cpu * runs / ours_cpu,
            "load": f"{load0} → {load()}"}


_KERNELS_TIMING = (
    "import time, simulation; w, c = time.perf_counter(), time.process_time(); import simulation.ppi.kernels; "
    "print(time.perf_counter() - w, time.process_time() - c)")


def compile_times() -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) seconds to compile the kernels, (wall, CPU) to load them from numba's cache),
    each in a fresh process with an empty / the just-filled cache directory (import simulation
    not included). The first `run_ppi` in a fresh environment pays the first; every later
    process the second. The timings in the table exclude both (models are built first)."""
    import subprocess
    import tempfile

    root = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": root}
        out = []
        for _ in range(2):
            res = subprocess.run([sys.executable, "-c", _KERNELS_TIMING], env=env, capture_output=True, text=True,
                                 check=True)
            w, c = res.stdout.split()
            out.append((float(w), float(c)))
    return out[0], out[1]


def memory(N: int, T: int, runs: int) -> dict:
    I0, a, ap, b, kw = model(N, T)
    mem = {}
    for keep in ("final", "mean", "series"):
        r = runs if keep != "series" else min(runs, 1000)
        tracemalloc.start()
        run_ppi(I0, a, ap, b, runs=r, seed=0, keep=keep, **kw)
        mem[keep] = (r, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return mem


def gof(params, I0, IF, SR, kw, runs=4000, seed=12345):
    a, ap, b = params
    res = run_ppi(I0, a, ap, b, runs=runs, seed=seed, keep="final", **kw)
    ga = 1 - np.abs(IF - res.I_final.mean(axis=0)) / np.abs(IF - I0)
    gb = 1 - np.abs(SR - res.gamma_mean.mean(axis=0)) / SR
    both = np.r_[ga, gb]
    return float(both.min()), float(np.median(both))


def calibration(N: int, T: int, threshold: float) -> dict:
    import policy_priority_inference as ppi

    I0, a, ap, b, kw = model(N, T, seed=7)
    data = run_ppi(I0, a, ap, b, runs=2000, seed=99, keep="final", **kw)
    IF, SR = data.I_final.mean(axis=0), np.clip(data.gamma_mean.mean(axis=0), 0.05, 0.95)
    kw_ppi = dict(A=kw["A"], R=kw["R"].copy(), T=T)
    np.random.seed(0)
    t0 = time.perf_counter()
    out = ppi.calibrate(I0.copy(), IF.copy(), SR.copy(), **kw_ppi, threshold=threshold, parallel_processes=2)
    t_ppi = time.perf_counter() - t0
    p = out[1:, :3].astype(float)
    ppi_worst, ppi_median = gof((p[:, 0], p[:, 1], p[:, 2]), I0, IF, SR, kw)
    up = IF > I0  # PPI's step against each indicator's direction (ours: `opposite`, default 0)
    opp, fit = np.where(up, p[:, 1], p[:, 0]), np.where(up, p[:, 0], p[:, 1])
    target = max(threshold, ppi_worst)
    t0 = time.perf_counter()
    res = calibrate(I0, IF, SR, **kw, threshold=min(target, 0.99), seed=0)
    t_ours = time.perf_counter() - t0
    ours_worst, ours_median = gof((res.alphas, res.alphas_prime, res.betas), I0, IF, SR, kw)
    return {"N": N, "T": T, "threshold": threshold, "ppi_seconds": t_ppi, "ppi_worst": ppi_worst,
            "ppi_median": ppi_median, "ours_seconds": t_ours, "ours_worst": ours_worst, "ours_median": ours_median,
            "ours_target": target, "ours_runs": res.runs_simulated, "ours_iterations": res.iterations,
            "ppi_opposite_share": np.sort(opp / (opp + fit))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="runs 10^3 and 10^4 only, shorter PPI timings")
    ap.add_argument("--ns", type=int, nargs="+", default=[20, 100])
    ap.add_argument("--ts", type=int, nargs="+", default=[30, 50])
    ap.add_argument("--runs", type=int, nargs="+", default=None, help="default 1000 10000 100000 (quick: 1000 10000)")
    ap.add_argument("--ppi-seconds", type=float, default=None, help="PPI timing before and after ours (default 3, quick 1)")
    ap.add_argument("--skip-calibration", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-compile", action="store_true", help="skip timing the kernels' compilation / cache load")
    ap.add_argument("--cal-n", type=int, default=12)
    ap.add_argument("--cal-t", type=int, default=40)
    ap.add_argument("--threshold", type=float, default=0.8)
    args = ap.parse_args()
    import numpy
    import policy_priority_inference  # noqa: F401

    runs_grid = args.runs or ([1000, 10000] if args.quick else [1000, 10000, 100000])
    ppi_seconds = args.ppi_seconds or (1.0 if args.quick else 3.0)
    print(f"python {sys.version.split()[0]}, numpy {numpy.__version__}, policy-priority-inference 3.0.7, "
          f"{os.cpu_count()} CPUs, load average (1/5/15 min) {load()}\n")
    if not args.skip_compile:
        (cw, cc), (lw, lc) = compile_times()
        print(f"Compiled kernels (numba, simulation/ppi/kernels.py), fresh process: compile {cw:.1f} s wall "
              f"({cc:.1f} s CPU) with an empty cache, load {lw:.2f} s wall ({lc:.2f} s CPU) from the cache; "
              f"not in the table below. Load average {load()}.\n", flush=True)
    if not args.skip_throughput:
        print("| N | T | runs | ours kept | PPI ms/run (CPU) | ours µs/run (CPU) | ratio (CPU) | ratio (wall) "
              "| PPI runs timed | load before → after |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for N in args.ns:
            for T in args.ts:
                for runs in runs_grid:
                    r = grid_cell(N, T, runs, ppi_seconds)
                    print(f"| {N} | {T} | {runs:,} | {r['keep']} | {r['ppi_cpu'] * 1e3:.2f} | {r['ours_cpu'] * 1e6:.0f} "
                          f"| {r['ratio_cpu']:.0f}x | {r['ratio_wall']:.0f}x | {r['ppi_runs']} | {r['load']} |",
                          flush=True)
    if not args.skip_memory:
        m = memory(100, 50, 10000 if not args.quick else 2000)
        print("\nPeak traced memory of ours, N = 100, T = 50: " + ", ".join(
            f"keep={k} {mb:.0f} MB ({r:,} runs)" for k, (r, mb) in m.items()), flush=True)
    if args.skip_calibration:
        return
    c = calibration(args.cal_n, args.cal_t, args.threshold)
    print(f"\nCalibration, N = {c['N']}, T = {c['T']}, threshold {c['threshold']} "
          "(GoF scored on 4000 independent runs for both):\n")
    print("| | seconds | worst GoF | median GoF |")
    print("|---|---|---|---|")
    print(f"| PPI 3.0.7 calibrate(parallel_processes=2) | {c['ppi_seconds']:.1f} | {c['ppi_worst']:.3f} "
          f"| {c['ppi_median']:.3f} |")
    print(f"| simulation.ppi.calibrate (target {c['ours_target']:.3f}; {c['ours_iterations']} iterations, "
          f"{c['ours_runs']} runs) | {c['ours_seconds']:.1f} | {c['ours_worst']:.3f} | {c['ours_median']:.3f} |")
    print(f"\nspeed-up {c['ppi_seconds'] / c['ours_seconds']:.0f}x")
    share = c["ppi_opposite_share"]
    print(f"PPI's step against each indicator's observed direction, as a share of its two steps: median "
          f"{np.median(share):.3f}, max {share.max():.3f} (ours: `opposite`, default 0)")


if __name__ == "__main__":
    main()
