"""Experimental designs: pure functions (sweep, seed) -> unit sample (points, dims) in [0, 1]."""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .schema import DESIGN_STREAM, DesignSpec

if TYPE_CHECKING:  # annotations only: spec.py imports this module
    from .spec import Parameter, Sweep


SAMPLES_HELP = {
    "lhs": "number of points", "sobol": "number of points, a power of 2", "random": "number of points",
    "saltelli": "base samples N, a power of 2; N·(D+2) points", "morris": "number of trajectories; N·(D+1) points",
    "grid": "",
}


def design_size(d: DesignSpec, parameters: list[Parameter]) -> int:
    """Number of design points, without sampling."""
    D = sum(len(p.dims) for p in parameters)
    G = len(parameters) if any(len(p.dims) > 1 for p in parameters) else D
    if d.method == "grid":
        return math.prod(len(u) for p in parameters for u in p.grid_units(d.levels or 3))
    if d.method == "saltelli":
        return d.samples * ((2 * G + 2) if d.second_order else (G + 2))
    if d.method == "morris":
        return d.samples * (G + 1)
    return d.samples


def _grid(sweep: Sweep, seed: int) -> np.ndarray:
    axes = [u for p in sweep.parameters for u in p.grid_units(sweep.spec.design.levels or 3)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=1)


def _qmc(engine: Any, d: int, seed: int, **kw: Any) -> Any:
    try:
        return engine(d, rng=np.random.default_rng(seed), **kw)
    except TypeError:  # scipy < 1.15
        return engine(d, seed=np.random.default_rng(seed), **kw)


def _lhs(sweep: Sweep, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return _qmc(qmc.LatinHypercube, len(sweep.dims), seed).random(sweep.spec.design.samples)


def _sobol(sweep: Sweep, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    d = sweep.spec.design
    return _qmc(qmc.Sobol, len(sweep.dims), seed, scramble=d.scramble).random_base2(int(math.log2(d.samples)))


def _random(sweep: Sweep, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((sweep.spec.design.samples, len(sweep.dims)))


def _saltelli(sweep: Sweep, seed: int) -> np.ndarray:
    from SALib.sample import sobol as salib_sobol

    d = sweep.spec.design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return salib_sobol.sample(sweep.problem(), d.samples, calc_second_order=d.second_order,
                                  scramble=d.scramble, seed=seed)


def _morris(sweep: Sweep, seed: int) -> np.ndarray:
    from SALib.sample import morris as salib_morris

    d = sweep.spec.design
    return salib_morris.sample(sweep.problem(), d.samples, num_levels=d.levels or 4, seed=seed)


DESIGNS: dict[str, Callable[[Sweep, int], np.ndarray]] = {
    "grid": _grid, "lhs": _lhs, "sobol": _sobol, "saltelli": _saltelli, "morris": _morris, "random": _random,
}
"""Design registry: method → (sweep, seed) -> unit sample (points, dims) in [0, 1]."""


def design_seed(seed: int) -> int:
    return int(np.random.SeedSequence(seed, spawn_key=(DESIGN_STREAM,)).generate_state(1)[0])


def make_design(sweep: Sweep) -> np.ndarray:
    """The sweep's unit design (points, dims), deterministic in the sweep seed."""
    unit = np.asarray(DESIGNS[sweep.spec.design.method](sweep, design_seed(sweep.seed)), dtype=float)
    return np.clip(unit, 0.0, 1.0)


def design_table(sweep: Sweep, unit: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of design.parquet: point, each parameter column, and the unit sample u:<dim>."""
    cols: dict[str, np.ndarray] = {"point": np.arange(len(unit), dtype=np.int64)}
    col = 0
    for p in sweep.parameters:
        k = len(p.dims)
        cols.update(p.columns(unit[:, col:col + k]))
        col += k
    for i, name in enumerate(sweep.dims):
        cols[f"u:{name}"] = unit[:, i]
    return cols


def run_seeds(seed: int, point: int, reps: range, common: bool = False) -> list[np.random.SeedSequence]:
    """Seeds of replications `reps` of design point `point`: SeedSequence(seed, spawn_key=(point, r)),
    or (0, r) at every point with common random numbers. Independent of policy and chunking."""
    key = 0 if common else point
    return [np.random.SeedSequence(seed, spawn_key=(key, r)) for r in reps]
