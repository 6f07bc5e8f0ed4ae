"""The public Python API (re-exported by `simulation`): in-memory results with tidy frames,
`.plot(ax=None)` and `.save(path)`. The CLI is a thin layer over these functions.
"""

from .results import read_results
from .runs import ComparisonRun, Run, compare, load_scenario, run
from .search import DiscoveryResult, SearchRun, discover, optimize
from .sweeps import Sweep, SweepAnalysis, SweepRuns, analyze, read_sweep, run_sweep

__all__ = ["ComparisonRun", "DiscoveryResult", "Run", "SearchRun", "discover", "optimize", "Sweep",
           "SweepAnalysis", "SweepRuns", "analyze", "compare", "load_scenario", "read_results", "read_sweep",
           "run", "run_sweep"]
