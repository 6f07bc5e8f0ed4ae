"""A scenario country's PPI tables: indicator ids, programme names and a prepared PPISpec.

    load_country_tables(...)   the `sdgsim ppi` tables + a calibration's parameters.csv → CountryTables
    goal_scores(levels, ...)   indicator levels (S, N) → goal scores 0–100 (S, G_ppi)

Scenario validation reads these (to check a country's `ppi:` block and derive its start
scores); the model's PPI adapter (simulation.model.ppi_country) runs them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InputError, Problem
from .spec import PPIInputError, PPISpec, prepare
from .tables import load_inputs

TABLE_FILES = {"indicators": "indicators.csv", "network": "network.csv", "expenditure": "expenditure.csv",
               "relations": "relations.csv"}
DEFAULT_PROGRAMME = "budget"
"""The one programme's name when the tables have no expenditure table (PPI's default)."""


# --------------------------------------------------------------------------- tables

@dataclass(frozen=True, eq=False)
class CountryTables:
    """A country's PPI model read from its tables: indicator ids, programme names, a spec.

    spec.Bs is a placeholder (ones); the budgets come from the scenario year by year.
    """

    ids: tuple[str, ...]
    programs: tuple[str, ...]
    spec: PPISpec


def gap_propensities(spec: PPISpec) -> np.ndarray:
    """(n,) PPI's deterministic initial propensities when the model has goals G (see spec.prepare)."""
    gaps = spec.G - spec.I0
    gaps[spec.G < spec.I0] = 0.0
    p0 = gaps / gaps.sum()
    p0 = p0[:spec.n] if spec.compat == "3.0.7" else p0[spec.inst]
    for idx in spec.prog_members:
        if p0[idx].sum() <= 0:  # "fixed" (3.0.7 was refused by prepare): split the programme equally
            p0 = p0.copy()
            p0[idx] = 1.0
    return p0


def table_paths(folder: str | Path) -> dict[str, Path | None]:
    """The table files of a folder: indicators.csv (required), network, expenditure, relations."""
    folder = Path(folder)
    out: dict[str, Path | None] = {}
    for role, name in TABLE_FILES.items():
        p = folder / name
        out[role] = p if role == "indicators" or p.exists() else None
    return out


def load_country_tables(folder: str | Path, parameters: str | Path, compat: str = "3.0.7") -> CountryTables:
    """Read a PPI model from a tables folder and a calibration's parameters.csv.

    Raises InputError with `FILE:LINE: column: message` problems located in the tables.
    Cached by paths and modification times (a batch of replications reads them once).
    """
    paths = table_paths(folder)
    stamp = tuple(_mtime(p) for p in (*paths.values(), Path(parameters)))
    return _load_cached(str(folder), str(parameters), compat, stamp)


def _mtime(p: Path | None) -> float | None:
    try:
        return None if p is None else os.stat(p).st_mtime_ns
    except OSError:
        return None


@functools.lru_cache(maxsize=64)
def _load_cached(folder: str, parameters: str, compat: str, _stamp: tuple) -> CountryTables:
    paths = table_paths(folder)
    if not Path(folder).is_dir():
        raise InputError([Problem(folder, 1, "<folder>", "PPI tables folder not found (it must hold "
                                                         "indicators.csv and optionally network.csv, "
                                                         "expenditure.csv, relations.csv)")])
    if paths["relations"] is not None and paths["expenditure"] is None:
        raise InputError([Problem(str(paths["relations"]), 1, "<file>", "a relations table needs an expenditure "
                                                                        "table (expenditure.csv) naming the "
                                                                        "programmes")])
    inp = load_inputs(paths["indicators"], network=paths["network"], expenditure=paths["expenditure"],
                      relations=paths["relations"], params=parameters, purpose="run")
    kw = dict(inp.kwargs)
    kw.pop("T", None)
    programs = tuple(inp.programs) if inp.programs else (DEFAULT_PROGRAMME,)
    kw["Bs"] = np.ones((len(programs), 1))
    try:
        spec = prepare(alphas=inp.params["alphas"], alphas_prime=inp.params["alphas_prime"],
                       betas=inp.params["betas"], compat=compat, **kw)
    except PPIInputError as exc:
        raise InputError([Problem(str(paths["indicators"]), 1, "<model>", str(exc))]) from None
    return CountryTables(tuple(inp.ids), programs, spec)


def goal_scores(levels: np.ndarray, columns: Sequence[np.ndarray], scales: Sequence[tuple[float, float]]) -> np.ndarray:
    """Goal score = 100 · mean over the goal's indicators of clip((I − lo) / (hi − lo), 0, 1).

    levels: (..., N) indicator levels; columns[g]: indices of goal g's indicators;
    scales[g]: (lo, hi) → (..., len(columns)).
    """
    out = np.empty(levels.shape[:-1] + (len(columns),))
    for g, (cols, (lo, hi)) in enumerate(zip(columns, scales)):
        out[..., g] = 100.0 * np.clip((levels[..., cols] - lo) / (hi - lo), 0.0, 1.0).mean(axis=-1)
    return out


# --------------------------------------------------------------------------- one country
