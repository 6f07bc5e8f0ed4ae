"""PPI runs and calibrations from tables to a results folder: `ppi_run`, `ppi_calibrate`.

Each returns a result object (`PPIRunResult`, `PPICalibrationResult`); `sdgsim ppi run` and
`sdgsim ppi calibrate` (simulation/commands/ppi.py) format them for the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..errors import InputError, Problem
from ..ppi.calibration import CalibrationResult, calibrate
from ..ppi.engine import run_ppi
from ..ppi.results import PPIResult
from ..ppi.spec import PPIInputError
from ..ppi.tables import PPIInputs, load_inputs
from ..report.ppi_output import write_calibration, write_run
from ..results.folders import check_target

SERIES_CELLS = 5_000_000
"""Default `keep`: full series up to this many runs × periods × indicators, else means."""


@dataclass
class PPIRunResult:
    """A PPI run written to its folder.

    Attributes
    ----------
    folder : Path
        The results folder written.
    result : PPIResult
        The engine's runs (series, means or final values, as `keep` asked).
    inputs : PPIInputs
        The tables read (indicator ids, instrumental indicators, parameters).
    summary : pandas.DataFrame
        Per indicator: I0, final mean and 90 % interval, mean change, mean gamma (summary.csv).
    runs, seed : int
        Monte Carlo runs and their root seed.
    compat, keep : str
        The PPI version reproduced, and what was kept of each run.
    """

    folder: Path
    result: PPIResult
    inputs: PPIInputs
    summary: pd.DataFrame
    runs: int
    seed: int
    compat: str
    keep: str


@dataclass
class PPICalibrationResult:
    """A PPI calibration written to its folder.

    Attributes
    ----------
    folder : Path
        The results folder written.
    result : CalibrationResult
        The fitted alpha, alpha_prime, beta and their goodness of fit.
    inputs : PPIInputs
        The tables read.
    threshold : float
        The worst goodness of fit asked for.
    """

    folder: Path
    result: CalibrationResult
    inputs: PPIInputs
    threshold: float

    @property
    def converged(self) -> bool:
        """True when the worst goodness of fit reached the threshold."""
        return bool(self.result.converged)

    @property
    def median_gof(self) -> float:
        """Median goodness of fit over every indicator's two measures."""
        return float(np.median(np.r_[self.result.gof_alpha, self.result.gof_beta]))


def _model_error(err: PPIInputError, indicators: Path) -> InputError:
    return InputError([Problem(str(indicators), 1, "<model>", str(err))])


def ppi_run(indicators: Path, *, network: Path | None = None, expenditure: Path | None = None,
                relations: Path | None = None, params: Path | None = None, periods: int | None = None,
                qm_indicator: str | None = None, rl_indicator: str | None = None, runs: int = 100, seed: int = 0,
                compat: str = "3.0.7", keep: str | None = None, out: Path | None = None, force: bool = False,
                progress: Callable[[int], None] | None = None) -> PPIRunResult:
    """Read the tables, run PPI `runs` times and write the results folder.

    Parameters
    ----------
    indicators : Path
        The indicators table; the other tables (network, expenditure, relations, params) are optional.
    runs, seed : int
        Monte Carlo runs and their root seed.
    keep : str, optional
        "series", "mean" or "final"; None: every run's series when they hold at most
        SERIES_CELLS values, else their means.
    out : Path, optional
        The results folder (default results/ppi-<indicators>); replaced only with `force`.

    Returns
    -------
    PPIRunResult
        The folder, the runs and their summary.
    """
    started = datetime.now(timezone.utc)
    out = out or Path("results") / f"ppi-{Path(indicators).stem}"
    check_target(out, force)
    inp = load_inputs(indicators, network=network, expenditure=expenditure, relations=relations, params=params,
                      periods=periods, qm_indicator=qm_indicator, rl_indicator=rl_indicator, purpose="run")
    T = inp.kwargs["Bs"].shape[1] if "Bs" in inp.kwargs else inp.kwargs["T"]
    if keep is None:
        keep = "series" if runs * T * len(inp.ids) <= SERIES_CELLS else "mean"
    try:
        res = run_ppi(**inp.kwargs, **inp.params, runs=runs, seed=seed, compat=compat, keep=keep, progress=progress)
    except PPIInputError as err:
        raise _model_error(err, indicators) from None

    options = {"runs": runs, "seed": seed, "compat": compat, "keep": keep, "periods": periods,
               "qm_indicator": qm_indicator, "rl_indicator": rl_indicator}
    folder, summary = write_run(res, inp, out, force=force, options=options, started=started)
    return PPIRunResult(Path(folder), res, inp, summary, runs, seed, compat, keep)


def ppi_calibrate(indicators: Path, *, network: Path | None = None, expenditure: Path | None = None,
                      relations: Path | None = None, periods: int | None = None, qm_indicator: str | None = None,
                      rl_indicator: str | None = None, threshold: float = 0.8, runs: int = 100,
                      check_runs: int = 1000, opposite: float = 0.0, seed: int = 0, compat: str = "3.0.7",
                      out: Path | None = None, force: bool = False,
                      callback: Callable[[dict], None] | None = None) -> PPICalibrationResult:
    """Read the tables, calibrate alpha, alpha_prime and beta, and write the results folder.

    Parameters
    ----------
    indicators : Path
        The indicators table (with IF and success rates); the other tables are optional.
    threshold : float
        The worst goodness of fit to reach on `check_runs` independent runs.
    out : Path, optional
        The results folder (default results/ppi-calibration-<indicators>); replaced only with `force`.

    Returns
    -------
    PPICalibrationResult
        The folder, the fitted parameters and their goodness of fit.
    """
    started = datetime.now(timezone.utc)
    out = out or Path("results") / f"ppi-calibration-{Path(indicators).stem}"
    check_target(out, force)
    inp = load_inputs(indicators, network=network, expenditure=expenditure, relations=relations, periods=periods,
                      qm_indicator=qm_indicator, rl_indicator=rl_indicator, purpose="calibrate")
    kw = dict(inp.kwargs)
    I0 = kw.pop("I0")
    try:
        res = calibrate(I0, inp.IF, inp.success_rates, **kw, threshold=threshold, runs=runs, check_runs=check_runs,
                        opposite=opposite, seed=seed, compat=compat, callback=callback)
    except PPIInputError as err:
        raise _model_error(err, indicators) from None

    options = {"threshold": threshold, "runs": runs, "check_runs": check_runs, "opposite": opposite, "seed": seed,
               "compat": compat, "periods": periods, "qm_indicator": qm_indicator, "rl_indicator": rl_indicator}
    folder = write_calibration(res, inp, out, force=force, options=options, started=started)
    return PPICalibrationResult(Path(folder), res, inp, threshold)


__all__ = ["PPICalibrationResult", "PPIRunResult", "ppi_calibrate", "ppi_run"]
