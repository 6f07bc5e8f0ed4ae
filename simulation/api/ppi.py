"""What `sdgsim ppi run` and `sdgsim ppi calibrate` do, so that cli.py only parses and prints."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InputError, Problem
from ..ppi.calibration import calibrate
from ..ppi.engine import run_ppi
from ..ppi.spec import PPIInputError
from ..ppi.tables import load_inputs
from ..report.ppi_output import write_calibration, write_run
from ..results.folders import check_target

SERIES_CELLS = 5_000_000
"""Default `keep`: full series up to this many runs × periods × indicators, else means."""


def _model_error(err: PPIInputError, indicators: Path) -> InputError:
    return InputError([Problem(str(indicators), 1, "<model>", str(err))])


def run_command(indicators: Path, *, network: Path | None = None, expenditure: Path | None = None,
                relations: Path | None = None, params: Path | None = None, periods: int | None = None,
                qm_indicator: str | None = None, rl_indicator: str | None = None, runs: int = 100, seed: int = 0,
                compat: str = "3.0.7", keep: str | None = None, out: Path | None = None, force: bool = False,
                progress: Callable[[int], None] | None = None) -> tuple[Path, str]:
    """Read the tables, run PPI `runs` times, write the results folder; returns (folder, text summary).

    keep None: every run's series when they hold at most SERIES_CELLS values, else their means.
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
    lines = [f"PPI run: {len(inp.ids)} indicators ({len(res.instrumental)} instrumental), {res.T} periods, "
             f"{runs} runs, seed {seed}, compat {compat}, kept: {keep}", "",
             f"{'indicator':<24}{'I0':>10}{'final':>10}{'90% of runs':>24}{'mean γ':>9}"]
    s = summary.reindex(summary.change_mean.abs().sort_values(ascending=False).index)
    for _, r in s.head(15).iterrows():
        lines.append(f"{str(r.indicator)[:23]:<24}{r.I0:10.4g}{r.final_mean:10.4g}"
                     f"{'[' + format(r.final_p05, '.4g') + ', ' + format(r.final_p95, '.4g') + ']':>24}"
                     f"{r.gamma_mean:9.3f}")
    if len(s) > 15:
        lines.append(f"... {len(s) - 15} more in summary.csv (sorted here by |mean change|)")
    return folder, "\n".join(lines)


def calibrate_command(indicators: Path, *, network: Path | None = None, expenditure: Path | None = None,
                      relations: Path | None = None, periods: int | None = None, qm_indicator: str | None = None,
                      rl_indicator: str | None = None, threshold: float = 0.8, runs: int = 100,
                      check_runs: int = 1000, opposite: float = 0.0, seed: int = 0, compat: str = "3.0.7",
                      out: Path | None = None, force: bool = False,
                      callback: Callable[[dict], None] | None = None) -> tuple[Path, str, bool]:
    """Read the tables, calibrate, write the folder; returns (folder, text summary, converged)."""
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
    gof = np.minimum(res.gof_alpha, res.gof_beta)
    worst = np.argsort(gof)[:5]
    lines = [f"PPI calibration: {len(inp.ids)} indicators, {res.T} periods, {res.iterations} iterations, "
             f"{res.runs_simulated} runs simulated in {res.seconds:.1f} s",
             f"goodness of fit on {res.check_runs} independent runs: worst {res.worst_gof:.3f}, median "
             f"{float(np.median(np.r_[res.gof_alpha, res.gof_beta])):.3f} (threshold {threshold:g}: "
             f"{'met' if res.converged else 'NOT met'})", "",
             f"{'worst fitted':<24}{'alpha':>11}{'alpha_prime':>12}{'beta':>9}{'GoF final':>10}{'GoF rate':>9}"]
    for i in worst:
        lines.append(f"{inp.ids[i][:23]:<24}{res.alphas[i]:11.4g}{res.alphas_prime[i]:12.4g}{res.betas[i]:9.4g}"
                     f"{res.gof_alpha[i]:10.3f}{res.gof_beta[i]:9.3f}")
    return folder, "\n".join(lines), res.converged
