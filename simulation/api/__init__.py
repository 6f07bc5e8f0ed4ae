"""The public Python API of sdgsim.

The public Python API (re-exported by `simulation`): in-memory results with tidy frames,
`.plot(ax=None)` and `.save(path)`. The CLI is a thin layer over these functions.

Each name loads its module on first use (PEP 562), so `import simulation` and `sdgsim --help`
do not load what they do not need: matplotlib for reports, scikit-learn for scenario
discovery, SciPy's statistics for comparisons (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load on first use
    from .appraisal import AppraisalResult, VoiResult, appraise, voi
    from .calibration import Backtest, Calibration, backtest, calibrate
    from .donors import DonorFit, fit_donors
    from .new import NewScenario, new_scenario
    from .portfolios import PortfolioResult, portfolio
    from .results import read_results
    from .runs import ComparisonResult, RunResult, compare, run
    from .scenarios import load_scenario
    from .search import DiscoveryResult, SearchResult, discover, optimize
    from .sweeps import AnalysisResult, Sweep, SweepResult, analyze, read_sweep, run_sweep

MODULES = {  # public name -> the module of this package that defines it
    **dict.fromkeys(("AppraisalResult", "VoiResult", "appraise", "voi"), "appraisal"),
    **dict.fromkeys(("Backtest", "Calibration", "backtest", "calibrate"), "calibration"),
    **dict.fromkeys(("DonorFit", "fit_donors"), "donors"),
    **dict.fromkeys(("NewScenario", "new_scenario"), "new"),
    **dict.fromkeys(("PortfolioResult", "portfolio"), "portfolios"),
    "read_results": "results",
    **dict.fromkeys(("ComparisonResult", "RunResult", "compare", "run"), "runs"),
    "load_scenario": "scenarios",
    **dict.fromkeys(("DiscoveryResult", "SearchResult", "discover", "optimize"), "search"),
    **dict.fromkeys(("AnalysisResult", "Sweep", "SweepResult", "analyze", "read_sweep", "run_sweep"), "sweeps"),
}

__all__ = ["AnalysisResult", "AppraisalResult", "Backtest", "Calibration", "ComparisonResult", "DiscoveryResult",
           "DonorFit", "NewScenario", "PortfolioResult", "RunResult", "SearchResult", "Sweep", "SweepResult", "VoiResult",
           "analyze", "appraise", "backtest", "calibrate", "compare", "discover", "fit_donors", "load_scenario",
           "new_scenario", "optimize", "portfolio", "read_results", "read_sweep", "run", "run_sweep", "voi"]


DEPRECATED = {"Run": "RunResult", "ComparisonRun": "ComparisonResult", "SweepRuns": "SweepResult",
              "SearchRun": "SearchResult", "SweepAnalysis": "AnalysisResult"}
"""Old names of the result classes: still found (with a DeprecationWarning), not listed in `__all__`."""

SUBMODULES = ("appraisal", "arguments", "calibration", "donors", "new", "portfolios", "ppi", "results", "run_data", "runs",
              "scenarios", "search", "sweeps")


def __getattr__(name: str) -> Any:
    """Return a public name or one of this package's modules, loading it on first use.

    A public name (MODULES) from its module, or one of this package's modules (`api.search`),
    loaded on first use.
    """
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in DEPRECATED:
        warnings.warn(f"{name} is now {DEPRECATED[name]}", DeprecationWarning, stacklevel=2)
        return __getattr__(DEPRECATED[name])
    module = MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *SUBMODULES})
