"""PPI-compatible indicator dynamics (Policy Priority Inference 3.0.7), vectorised and seeded.

Policy Priority Inference (Guerrero & Castañeda; PyPI `policy-priority-inference`, MIT)
links budgets to development indicators: officials divert part of each allocation,
monitoring and the rule of law punish diversion, indicators grow with a probability
that rises with spending and spillovers. This package runs the same model on arrays
with a leading Monte Carlo run axis:

    spec.py         checked, copied inputs (PPI's `run_ppi` arguments) → PPISpec
    engine.py       the equations of one period, `run_ppi`, `simulate`
    kernels.py      the period as compiled loops over the runs (numba; imported on first use)
    results.py      PPIResult and what `keep` keeps (series, streamed means, finals)
    streams.py      one seeded SFC64 stream per run, seeded for many runs at once
                    (the kernels draw from those states themselves)
    calibration.py  `calibrate`: α, α', β to final values and success rates
    tables.py       PPI-style CSV input tables → model arguments, with FILE:LINE errors
    output.py       results folders of `sdgsim ppi run` / `calibrate` (Parquet, CSV, PNG)
    commands.py     what those two commands do (cli.py only parses and prints)

See docs/ppi.md for how to bring a PPI model, the compat modes and PPI's quirks.
"""

from .calibration import CalibrationResult, calibrate
from .engine import SERIES, PPIResult, run_ppi, simulate
from .spec import PPIInputError, PPISpec, prepare

__all__ = ["run_ppi", "simulate", "calibrate", "prepare", "PPIResult", "CalibrationResult", "PPISpec",
           "PPIInputError", "SERIES"]
