"""Robust policy search: NSGA-II (pymoo) over the levers, each policy evaluated over the futures.

A *policy* is one value per lever (encoded in the unit cube, decoded like sweep
parameters). Evaluating it runs the scenario with those lever values in every future
(a Latin hypercube sample of the uncertainties), `replications` runs each, with future f,
replication r seeded by SeedSequence(seed, spawn_key=(f, r)) whatever the policy (common
random numbers: policies are compared on the same futures and streams). Each objective is
a robustness measure over the futures of the outcome's mean over replications.

NSGA-II runs through pymoo's ask-and-tell interface with its own seeded generator; every
generation's evaluations go to the search folder (results.searches) as they finish. A
resumed search replays the algorithm: generations already on disk are read back instead of
evaluated, so the algorithm takes exactly the same path, and the Pareto set is identical to
an uninterrupted run, and to any executor or worker count (evaluations are ordered by their
index in the generation, not by completion).
"""

from __future__ import annotations

import math
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ...errors import InputError, SearchInterrupted
from ...errors import Problem as Located
from ...extras import require
from ...results.searches import SearchStore
from ...scenario import validate_data
from ...scenario.paths import with_values
from ..executors import Executor, SerialExecutor
from ..sweep.chunks import decode_row, run_many
from ..sweep.chunks import error_text as _error_text
from ..sweep.designs import design_seed, run_seeds
from .spec import Search

BAD = 1e30
"""Objective value given to a policy whose runs fail (also flagged infeasible)."""


@dataclass(frozen=True)
class Runtime:
    """What a worker needs to evaluate any policy (picklable)."""

    base: dict
    levers: tuple
    futures: tuple
    """Per future: the (path parts, value) assignments of the uncertainties."""
    outcomes: tuple[str, ...]
    seed: int
    replications: int


def decode_levers(levers, unit_row: np.ndarray) -> tuple[list[tuple[list[str], Any]], dict[str, Any]]:
    """Lever assignments and their stored columns for one unit-cube row."""
    return decode_row(levers, unit_row)


def future_sample(search: Search) -> np.ndarray:
    """Latin hypercube of the uncertainties, deterministic in the seed."""
    dims = sum(len(p.dims) for p in search.uncertainties)
    return qmc.LatinHypercube(d=dims, seed=np.random.default_rng(design_seed(search.seed))).random(
        search.spec.futures.count)


def worker_count(search: Search, workers: int | None) -> int:
    """Worker processes worth starting: no more than the policies evaluated at once (the
    population) and the machine's cores, whatever was asked for (default: all cores)."""
    cores = os.cpu_count() or 1
    return max(1, min(workers or cores, cores, search.spec.search.population))


def runtime(search: Search) -> Runtime:
    futures = tuple(tuple(decode_levers(search.uncertainties, row)[0]) for row in future_sample(search))
    return Runtime(search.base, tuple(search.levers), futures, tuple(dict.fromkeys(o.outcome for o in search.objectives)),
                   search.seed, search.spec.replications)


def evaluate_policy(rt: Runtime, task: tuple[int, np.ndarray | None]) -> dict:
    """Worker function: run one policy (None: the scenario as written) in every future;
    outcome means over replications, (futures, outcomes)."""
    _, unit_row = task
    assigns = decode_levers(rt.levers, unit_row)[0] if unit_row is not None else []
    out = np.full((len(rt.futures), len(rt.outcomes)), np.nan)
    try:
        scenarios = [validate_data(with_values(rt.base, [*assigns, *fut]), f"future {f}")
                     for f, fut in enumerate(rt.futures)]
        # every future of the policy in batches (bit-identical to one model per future)
        results = run_many([(sc, run_seeds(rt.seed, f, range(rt.replications))) for f, sc in enumerate(scenarios)],
                           rt.outcomes)
        for f, res in enumerate(results):
            if isinstance(res, BaseException):
                raise res
            out[f] = [res[c].mean() for c in rt.outcomes]
    except Exception as exc:  # noqa: BLE001 - an invalid policy is infeasible, the search goes on
        return {"values": out, "error": _error_text(exc)}
    return {"values": out, "error": None}


def robust_values(search: Search, values: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Each objective's robust value (in the outcome's units) from (futures, outcomes) means."""
    outs = list(dict.fromkeys(o.outcome for o in search.objectives))
    r = []
    for o in search.objectives:
        v = values[:, outs.index(o.outcome)]
        if o.robustness == "mean":
            r.append(v.mean())
        elif o.robustness == "percentile":
            r.append(np.percentile(v, o.percentile))
        elif o.robustness == "worst":
            r.append(v.min() if o.direction > 0 else v.max())
        else:  # regret: the largest shortfall against the scenario as written, in the same future
            r.append(np.max(o.direction * (reference[:, outs.index(o.outcome)] - v)))
    return np.asarray(r, dtype=float)


@dataclass
class SearchResult:
    """Every evaluation, the Pareto set and the convergence record of a search."""

    search: Search
    evaluations: pd.DataFrame
    """generation, index, lever columns, objective columns, feasible, error."""
    pareto: pd.DataFrame
    convergence: pd.DataFrame
    reference: pd.DataFrame
    """The scenario as written: its robust objective values."""
    seconds: float = 0.0
    resumed_generations: int = 0
    folder: Any = None


def objective_columns(search: Search) -> list[str]:
    return [o.label for o in search.objectives]


def _minimized(search: Search, robust: np.ndarray) -> np.ndarray:
    return robust * np.array([-o.sense for o in search.objectives], dtype=float)


def _nondominated(F: np.ndarray) -> np.ndarray:
    if not len(F):
        return np.zeros(0, dtype=int)
    require("search")
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    return np.asarray(NonDominatedSorting().do(F, only_non_dominated_front=True), dtype=int)


def _evaluate(ex: Executor, rt: Runtime, rows: list[np.ndarray | None]) -> list[dict]:
    out: list[dict | None] = [None] * len(rows)
    for (i, _), res in ex.map_unordered(evaluate_policy, rt, list(enumerate(rows))):
        if isinstance(res, BaseException):
            res = {"values": np.full((len(rt.futures), len(rt.outcomes)), np.nan), "error": _error_text(res)}
        out[i] = res
    return out  # type: ignore[return-value]


def _generation_frame(search: Search, gen: int, X: np.ndarray, results: list[dict], reference: np.ndarray) -> pd.DataFrame:
    rows = []
    for i, (x, res) in enumerate(zip(X, results)):
        _, cols = decode_levers(search.levers, x)
        data = with_values(search.base, decode_levers(search.levers, x)[0])
        g = search.constraint_values(data)
        ok = res["error"] is None and np.isfinite(res["values"]).all()
        robust = robust_values(search, res["values"], reference) if ok else np.full(len(search.objectives), np.nan)
        row = {"generation": gen, "index": i, **{f"u:{k}": v for k, v in enumerate(x)}, **cols,
               **dict(zip(objective_columns(search), robust)),
               "constraint_violation": float(sum(max(0.0, v) for v in g)), "feasible": bool(ok) and all(v <= 0 for v in g),
               "error": res["error"]}
        rows.append(row)
    return pd.DataFrame(rows)


def _hypervolume(search: Search, evals: pd.DataFrame, norm: tuple[np.ndarray, np.ndarray] | None) -> float:
    ok = evals[evals.feasible]
    if ok.empty or norm is None:
        return float("nan")
    F = _minimized(search, ok[objective_columns(search)].to_numpy(float))
    lo, hi = norm
    Fn = (F - lo) / np.where(hi > lo, hi - lo, 1.0)
    require("search")
    from pymoo.indicators.hv import HV

    return float(HV(ref_point=np.full(F.shape[1], 1.1))(Fn[_nondominated(Fn)]))


def run_search(search: Search, out=None, executor: Executor | None = None, *, evaluations: int | None = None,
               resume: bool = False, force: bool = False, progress: Callable[[int, int], None] | None = None,
               command: list[str] | None = None) -> SearchResult:
    """Run NSGA-II over the levers (see the module docstring); with `out` each generation is
    stored as it finishes and `resume=True` continues a stopped search."""
    require("search")  # pymoo: checked before the search folder is made
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    t0 = time.perf_counter()
    spec = search.spec.search
    pop = spec.population
    gens = max(1, math.ceil(evaluations / pop)) if evaluations else spec.generations
    rt = runtime(search)
    ex = executor or SerialExecutor(1)
    store = None
    if out is not None:
        store = SearchStore(out, {"fingerprint": search.fingerprint(), "search_name": search.name,
                                  "search_file": search.file, "seed": search.seed, "population": pop,
                                  "generations": gens, "futures": search.spec.futures.count,
                                  "replications": search.spec.replications, "executor": ex.describe(),
                                  "command": command or []}, search.text, resume=resume, force=force)
    n_var = sum(len(p.dims) for p in search.levers)
    n_constr = max(1, sum((c.max is not None) + (c.min is not None) for c in search.spec.constraints) + 1)
    problem = Problem(n_var=n_var, n_obj=len(search.objectives), n_ieq_constr=n_constr, xl=0.0, xu=1.0)
    algo = NSGA2(pop_size=pop, eliminate_duplicates=True)
    algo.setup(problem, termination=("n_gen", gens), seed=search.seed % 2**32, verbose=False)
    frames: list[pd.DataFrame] = []
    convergence = []
    resumed = 0
    norm = None
    with ex, (store.lock() if store is not None else nullcontext()):
        ref_res = _evaluate(ex, rt, [None])[0]
        if ref_res["error"] is not None:
            raise InputError([Located(search.file, 1, "scenario", f"the scenario as written fails: {ref_res['error']}")])
        reference = ref_res["values"]
        gen = 0
        while algo.has_next():
            popn = algo.ask()
            X = popn.get("X")
            unit_cols = [f"u:{k}" for k in range(n_var)]
            stored = store.generation(gen, [*unit_cols, *objective_columns(search), "feasible"]) \
                if store is not None else None
            if stored is not None and len(stored) == len(X) and np.array_equal(
                    stored[unit_cols].to_numpy(float), X):
                frame = stored
                resumed += 1
            else:
                try:
                    results = _evaluate(ex, rt, list(X))
                except KeyboardInterrupt:
                    if store is not None:
                        store.write_manifest(status="interrupted", generations_done=gen)
                    raise SearchInterrupted(gen) from None
                frame = _generation_frame(search, gen, X, results, reference)
                if store is not None:
                    store.write_generation(gen, frame)
            frames.append(frame)
            robust = frame[objective_columns(search)].to_numpy(float)
            F = np.where(np.isfinite(robust), _minimized(search, robust), BAD)
            G = np.zeros((len(X), n_constr))
            for i, x in enumerate(X):
                g = search.constraint_values(with_values(search.base, decode_levers(search.levers, x)[0]))
                G[i, :len(g)] = g
                G[i, -1] = 0.0 if np.isfinite(robust[i]).all() else 1.0  # failed runs: infeasible
            Evaluator().eval(StaticProblem(problem, F=F, G=G), popn)
            algo.tell(infills=popn)
            evals = pd.concat(frames, ignore_index=True)
            if norm is None:
                ok = F[np.all(F < BAD, axis=1)]
                norm = (ok.min(axis=0), ok.max(axis=0)) if len(ok) else None
            best = {}
            feas = evals[evals.feasible]
            for o, c in zip(search.objectives, objective_columns(search)):
                best[f"best {c}"] = (feas[c].max() if o.sense > 0 else feas[c].min()) if len(feas) else np.nan
            convergence.append({"generation": gen, "evaluations": len(evals), "hypervolume":
                                _hypervolume(search, evals, norm), **best})
            gen += 1
            if progress is not None:
                try:
                    progress(gen, gens)
                except KeyboardInterrupt:
                    if store is not None:
                        store.write_manifest(status="interrupted", generations_done=gen)
                    raise SearchInterrupted(gen) from None
    evals = pd.concat(frames, ignore_index=True)
    pareto = pareto_set(search, evals)
    ref = pd.DataFrame([dict(zip(objective_columns(search), robust_values(search, reference, reference)))])
    res = SearchResult(search, evals, pareto, pd.DataFrame(convergence), ref, time.perf_counter() - t0, resumed,
                       store.folder if store is not None else None)
    if store is not None:
        store.write_table("pareto.csv", pareto)
        store.write_table("convergence.csv", res.convergence)
        store.write_table("evaluations.csv", evals)
        store.write_table("reference.csv", ref)
        store.write_manifest(status="complete", generations_done=gens, evaluations=len(evals),
                             pareto_size=len(pareto), seconds=res.seconds)
    return res


def pareto_set(search: Search, evals: pd.DataFrame) -> pd.DataFrame:
    """The non-dominated feasible policies among all evaluations (distinct lever values),
    sorted by the first objective: levers and robust objective values."""
    lever_cols = [d for p in search.levers for d in p.dims]
    cols = objective_columns(search)
    ok = evals[evals.feasible].drop_duplicates(lever_cols).reset_index(drop=True)
    F = _minimized(search, ok[cols].to_numpy(float))
    front = ok.iloc[np.sort(_nondominated(F))]
    front = front.sort_values([cols[0], *lever_cols], ascending=search.objectives[0].sense < 0, kind="stable")
    front = front[["generation", "index", *lever_cols, *cols]].reset_index(drop=True)
    front.insert(0, "policy", [f"P{i + 1}" for i in range(len(front))])
    return front
