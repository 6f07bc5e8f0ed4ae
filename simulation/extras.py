"""The optional parts of sdgsim, and the one check every use of them goes through.

`pip install sdgsim` runs, compares, sweeps, analyzes, reports, calibrates and back-tests.
The rest comes with an extra (pyproject.toml, `[project.optional-dependencies]`):

    ppi     numba              the PPI model: `sdgsim ppi run/calibrate`, countries with a `ppi:` block
    app     panel (bokeh)      `sdgsim app`, the local web app
    dask    dask[distributed]  the dask executor (`--executor dask`)
    search  scikit-learn,      scenario discovery (`sdgsim discover`: CART, feature scores) and
            pymoo              robust policy search (`sdgsim optimize`: NSGA-II)
    all     all of the above

Code that imports one of these libraries calls `require(extra)` first, so a missing extra is a
`MissingExtra` naming what to install (one line in the CLI, exit 2), never a ModuleNotFoundError.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass

from .errors import MissingExtra


@dataclass(frozen=True)
class Extra:
    """One extra: what it brings (as a library user reads it) and the top-level modules it installs
    that sdgsim imports."""

    name: str
    feature: str
    modules: tuple[str, ...]


EXTRAS = {e.name: e for e in (
    Extra("ppi", "the PPI model", ("numba",)),
    Extra("app", "the web app", ("panel", "bokeh")),
    Extra("dask", "the dask executor", ("dask", "distributed")),
    Extra("search", "scenario discovery and policy search", ("sklearn", "pymoo")),
)}


def _installed(module: str) -> bool:
    if sys.modules.get(module) is not None:  # already imported: no search of sys.path
        return True
    try:
        return importlib.util.find_spec(module) is not None  # None also when sys.modules[module] is None
    except ValueError:  # in sys.modules without a spec: there, so importable
        return True


def missing(extra: str) -> list[str]:
    """The modules of `extra` that are not installed (empty when it is)."""
    return [m for m in EXTRAS[extra].modules if not _installed(m)]


def require(extra: str) -> None:
    """Raise `MissingExtra` unless every module of `extra` is installed. Cheap once they are
    imported, so it may sit in front of a function-level import that runs often."""
    gone = missing(extra)
    if gone:
        raise MissingExtra(extra, EXTRAS[extra].feature, gone)
