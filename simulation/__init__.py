"""sdgsim: financing and impact simulation for STI-for-SDGs roadmaps.

An agent-based model (Mesa) of countries, donors and research bodies that allocate money
and technologies across SDG goals, run from scenario files, replicated under uncertainty,
swept over parameters and compared with paired statistics.

    import simulation as sim
    sc = sim.load_scenario("baseline")             # a shipped scenario by name, or a file
    r = sim.run(sc, runs=100, seed=1)              # in memory
    r.scores                                       # tidy frame: run, year, country, goal, score
    c = sim.compare(["baseline", "partnership-in-action"], runs=100, seed=1)
    c.table                                        # paired differences with confidence intervals
    r.save("results/my-run")                       # a results folder with report.html

Sweeps: `sim.Sweep.load(file)`, `sim.run_sweep(sweep, out=None)`, `sim.analyze(...)`,
`sim.discover(folder, outcome, worst=0.2)` (scenario discovery); robust policy search:
`sim.optimize(search_file, out=None)`.
Calibration on history: `sim.calibrate(...)`, `sim.backtest(...)`. A scenario for any
countries from the evidence base: `sim.new_scenario(name, countries=[...], donors=[...])`.
Any folder back: `sim.read_results(path)`. Errors are typed (`simulation.errors`): a
scenario error carries its located problems (file, line, field, message).

Layers (docs/architecture.md): api → report → analysis / experiments → results →
outcomes → model → scenario → data → mechanisms / ppi → errors. The evidence base
(shipped public data for every country): `simulation.data` (docs/data.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import api
from ._version import __version__
from .errors import (
    FolderExists,
    HistoryError,
    InputError,
    MissingExtra,
    OptionError,
    ParametersError,
    Problem,
    ResultsError,
    ScenarioError,
    SearchInterrupted,
    SweepFileError,
    SweepIncomplete,
    SweepInterrupted,
    TooLarge,
)

if TYPE_CHECKING:  # for type checkers and editors; at run time the API's names load on first use
    from .api import (
        AnalysisResult,
        AppraisalResult,
        Backtest,
        Calibration,
        ComparisonResult,
        DiscoveryResult,
        DonorFit,
        NewScenario,
        PortfolioResult,
        RunResult,
        SearchResult,
        Sweep,
        SweepResult,
        VoiResult,
        analyze,
        appraise,
        backtest,
        calibrate,
        compare,
        discover,
        fit_donors,
        load_scenario,
        new_scenario,
        optimize,
        portfolio,
        read_results,
        read_sweep,
        run,
        run_sweep,
        voi,
    )

__all__ = ["AnalysisResult", "Backtest", "Calibration", "ComparisonResult", "DiscoveryResult", "FolderExists",
           "HistoryError", "InputError", "MissingExtra", "OptionError", "ParametersError", "Problem", "ResultsError", "RunResult",
           "ScenarioError", "SearchInterrupted", "SearchResult", "Sweep", "SweepFileError", "SweepIncomplete",
           "SweepInterrupted", "SweepResult", "TooLarge", "__version__", "analyze", "backtest", "calibrate", "compare",
           "discover", "load_scenario", "optimize", "read_results", "read_sweep", "run", "run_sweep", "AppraisalResult",
           "PortfolioResult", "VoiResult", "appraise", "portfolio", "voi", "DonorFit", "fit_donors",
           "NewScenario", "new_scenario"]


_PACKAGES = ("analysis", "app", "commands", "data", "experiments", "mechanisms", "model", "outcomes", "ppi", "report",
             "results", "scenario", "shipped")


def __getattr__(name: str) -> Any:
    """Return a public name or subpackage, loading it on first use.

    The API's names, loaded on first use by `simulation.api` (so `import simulation` stays
    light), and the subpackages (`simulation.model` after a plain `import simulation`).
    """
    if name in api.MODULES or name in api.DEPRECATED:
        return getattr(api, name)
    if name in _PACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, "api", "errors", *_PACKAGES})
