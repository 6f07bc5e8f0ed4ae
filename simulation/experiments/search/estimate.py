"""How big a search is before it runs: evaluations, model runs, time and disk (`optimize --dry-run`).

A search evaluates `population` policies a generation for `generations` generations (or
`evaluations`, rounded up to whole generations), each in every future with `replications`
runs, plus the scenario as written once. The time is calibrated on this machine by running
one future of the scenario as written for at least half a second; the disk is the generation
files and tables (about 20 bytes a value).
"""

from __future__ import annotations

import dataclasses
import math
import time

from ..sweep.text import _human_bytes, _human_seconds
from .running import evaluate_policy, objective_columns, runtime, worker_count
from .spec import Search


def estimate_search(search: Search, evaluations: int | None = None, workers: int | None = None) -> dict:
    """Evaluations, runs, serial and parallel seconds, bytes and the workers that would start."""
    pop = search.spec.search.population
    gens = max(1, math.ceil(evaluations / pop)) if evaluations else search.spec.search.generations
    n_eval = gens * pop
    per_eval = search.spec.futures.count * search.spec.replications
    runs = (n_eval + 1) * per_eval
    one = dataclasses.replace(runtime(search), replications=1)
    one = dataclasses.replace(one, futures=one.futures[:1])
    evaluate_policy(one, (0, None))  # warm-up (imports, caches)
    t, done = time.perf_counter(), 0
    while done == 0 or time.perf_counter() - t < 0.5:
        evaluate_policy(one, (0, None))
        done += 1
    rate = done / (time.perf_counter() - t)
    n_workers = worker_count(search, workers)
    values = sum(len(p.dims) * 2 for p in search.levers) + len(objective_columns(search)) + 6
    return {"generations": gens, "population": pop, "evaluations": n_eval, "runs_per_evaluation": per_eval,
            "runs": runs, "rate_serial": rate, "seconds_serial": runs / rate,
            "seconds_parallel": runs / rate / n_workers, "workers": n_workers,
            "bytes": int(n_eval * values * 20 * 2 + 200_000)}


def estimate_text(est: dict) -> str:
    """The estimate as `sdgsim optimize --dry-run` prints it."""
    return (f"  search:      {est['population']} policies x {est['generations']:,} generations = "
            f"{est['evaluations']:,} evaluations, each {est['runs_per_evaluation']:,} runs (futures x "
            f"replications): {est['runs']:,} runs with the scenario as written\n"
            f"  estimate:    {_human_seconds(est['seconds_serial'])} serial (calibrated: {est['rate_serial']:.0f} "
            f"runs/s on this machine), about {_human_seconds(est['seconds_parallel'])} with {est['workers']} "
            f"worker(s) (at most the population and the cores)\n"
            f"  disk:        about {_human_bytes(est['bytes'])}")
