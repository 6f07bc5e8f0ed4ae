"""Calibrate α, α', β of a PPI model to final values and success rates (as PPI does, faster).

PPI 3.0.7's `calibrate` targets, per indicator i, the empirical final value IF_i (with
the simulated mean of tsI[i, -1]) and the empirical success rate SR_i (with the
simulated mean over runs and periods of γ_i), and measures the fit as

    GoF_alpha_i = 1 − |IF_i − Î_i| / |IF_i − I0_i|,   GoF_beta_i = 1 − |SR_i − γ̂_i| / SR_i.

It restarts Monte Carlo samples every iteration (10 runs for 100 iterations, then
+1000 runs per iteration) and moves each parameter by a clipped multiplicative step of
at least 1 %, so it never settles. Here instead:

* Fixed batches with common random numbers: within a stage every evaluation uses the
  same runs (same seeds), so the simulated targets are a deterministic function of the
  parameters and the iteration can converge on them.
* A convergent step rule: β_i ← β_i · (SR_i / γ̂_i)^ω (γ is proportional to β up to
  feedback), and the step sizes solve the drift equation
  α_i ŝ_i − α'_i (1 − ŝ_i) = m_i for the parameter being fitted, where ŝ_i is the
  simulated share of growth steps and m_i the model drift corrected by the shortfall
  (IF_i − Î_i)/(T − 1); ω halves for an indicator whenever its error changes sign.
* Stages: when a stage has converged in-sample, the fit is checked on independent runs;
  if the worst GoF is below `threshold`, the next stage uses 4× more runs.

Identification: final values and success rates determine β_i and the drift
α_i ŝ_i − α'_i (1 − ŝ_i), not α_i and α'_i separately. The step *against* the
observed direction (α' for indicators that rose, α for those that fell) is therefore
given, not fitted: `opposite`, default 0 — where PPI 3.0.7's own calibration drifts to
(its rule shrinks that parameter by ≥ 1 % on most iterations).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from .engine import simulate
from .spec import PPIInputError, prepare

PPI_COLUMNS = ["alpha", "alpha_prime", "beta", "T", "error_alpha", "error_beta", "GoF_alpha", "GoF_beta"]


@dataclass
class CalibrationResult:
    """Calibrated parameters and the goodness of fit per indicator (arrays (N,)).

    errors and GoF are measured on `check_runs` independent runs (not the runs the
    parameters were fitted on). `history`: one dict per iteration (stage, runs,
    worst in-sample GoF).
    """

    alphas: np.ndarray
    alphas_prime: np.ndarray
    betas: np.ndarray
    T: int
    error_alpha: np.ndarray
    error_beta: np.ndarray
    gof_alpha: np.ndarray
    gof_beta: np.ndarray
    threshold: float
    iterations: int
    runs_simulated: int
    check_runs: int
    seconds: float
    seed: int
    history: list[dict] = field(default_factory=list, repr=False)

    @property
    def worst_gof(self) -> float:
        return float(min(self.gof_alpha.min(), self.gof_beta.min()))

    @property
    def converged(self) -> bool:
        """Every indicator's GoF (both kinds) reaches the threshold on the check runs."""
        return self.worst_gof >= self.threshold

    def to_frame(self) -> pd.DataFrame:
        """PPI's output columns, one row per indicator (T given on every row)."""
        return pd.DataFrame({"alpha": self.alphas, "alpha_prime": self.alphas_prime, "beta": self.betas,
                             "T": self.T, "error_alpha": self.error_alpha, "error_beta": self.error_beta,
                             "GoF_alpha": self.gof_alpha, "GoF_beta": self.gof_beta})

    def as_ppi_array(self) -> np.ndarray:
        """Exactly PPI's return format: a string array with a header row, T on the first row only."""
        rows = [PPI_COLUMNS]
        for i in range(len(self.alphas)):
            rows.append([self.alphas[i], self.alphas_prime[i], self.betas[i], self.T if i == 0 else np.nan,
                         self.error_alpha[i], self.error_beta[i], self.gof_alpha[i], self.gof_beta[i]])
        return np.array(rows)


def goodness_of_fit(I0, IF, success_rates, I_hat, gamma_hat) -> tuple[np.ndarray, ...]:
    """PPI's errors and GoF: (IF − Î, SR − γ̂, 1 − |IF − Î|/|IF − I0|, 1 − |SR − γ̂|/SR)."""
    err_a = IF - I_hat
    err_b = success_rates - gamma_hat
    return err_a, err_b, 1.0 - np.abs(err_a) / np.abs(IF - I0), 1.0 - np.abs(err_b) / success_rates


def _vec(name: str, x, N: int | None) -> np.ndarray:
    v = np.array(x, dtype=float, copy=True)
    if v.ndim != 1 or (N is not None and v.shape[0] != N):
        raise PPIInputError(f"{name} must be a vector with one entry per indicator"
                            + (f" ({N})" if N is not None else ""))
    if not np.isfinite(v).all():
        raise PPIInputError(f"{name} should not contain missing or infinite values")
    return v


def calibrate(I0, IF, success_rates, A=None, R=None, bs=None, qm=None, rl=None, Bs=None, B_dict=None, T=None,
              threshold: float = 0.8, parallel_processes=None, verbose: bool = False, low_precision_counts=None,
              increment=None, *, G=None, Imax=None, Imin=None, opposite=0.0, runs: int = 100, check_runs: int = 1000,
              max_stages: int = 4, max_iter: int = 40, seed: int = 0, compat: str = "3.0.7",
              callback: Callable[[dict], None] | None = None) -> CalibrationResult:
    """Fit α, α', β so that simulated final values and mean γ match IF and success rates.

    Arguments up to `increment` are PPI 3.0.7's (`parallel_processes`,
    `low_precision_counts` and `increment` are accepted and ignored: runs are
    vectorised and the schedule is below). success_rates are clipped to [0.05, 0.95]
    like PPI does (on a copy). Keyword-only:
        G, Imax, Imin: as in `run_ppi` (PPI's calibrate does not take them).
        opposite: the fixed step against each indicator's observed direction (scalar
            or (N,)): α' of indicators with IF > I0, α of those with IF < I0.
        runs: runs per evaluation in the first stage (×4 per further stage).
        check_runs: independent runs on which the reported GoF is measured.
        max_stages, max_iter: at most this many stages, iterations per stage.
        seed: root seed; stage k fits on seed + k, checks on seed + 1000 + k.
        callback: called with each iteration's history entry.
    Returns a CalibrationResult (`.converged` tells whether the worst GoF ≥ threshold).
    """
    started = time.perf_counter()
    if not 0 < threshold < 1:
        raise PPIInputError("the threshold must be between 0 and 1 (PPI: lower than 1)")
    I0 = _vec("I0", I0, None)
    N = I0.shape[0]
    IF = _vec("IF", IF, N)
    sr = _vec("success_rates", success_rates, N)
    sr[sr <= 0] = 0.05  # PPI's replacements
    sr[sr >= 1] = 0.95
    same = np.flatnonzero(IF == I0)
    if same.size:
        raise PPIInputError(f"the initial values of the indicators must be different from the final ones "
                            f"(equal at {same[:10].tolist()}); GoF_alpha divides by |IF - I0|")
    opp = np.broadcast_to(np.asarray(opposite, dtype=float), (N,)).copy() if np.ndim(opposite) == 0 else \
        _vec("opposite", opposite, N)
    if (opp < 0).any() or not np.isfinite(opp).all():
        raise PPIInputError("opposite must be finite and non-negative")
    if runs < 1 or check_runs < 1 or max_stages < 1 or max_iter < 1:
        raise PPIInputError("runs, check_runs, max_stages and max_iter must be positive")

    up = IF > I0
    gap = np.abs(IF - I0)
    # Build (and check) the model once; T may come from Bs.
    spec = prepare(I0, np.zeros(N), np.zeros(N), np.ones(N), A=A, R=R, bs=bs, qm=qm, rl=rl, Imax=Imax, Imin=Imin,
                   Bs=Bs, B_dict=B_dict, G=G, T=T, compat=compat)
    T_ = spec.T
    if T_ < 2:
        raise PPIInputError("calibration needs T >= 2 periods (the final value is the level in the last period)")
    steps = T_ - 1
    d = (IF - I0) / steps  # drift per recorded transition
    # the largest step the targets can ask for (one growth step in T − 1 against all opposite steps);
    # beyond it a target is out of reach (e.g. behind a bound) and the step would run away
    cap = np.maximum(gap + opp * steps, 1e-12)

    def split(m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Solve α s − α' (1 − s) = m for the fitted parameter; the opposite one is fixed."""
        s = np.clip(s, 1e-3, 1 - 1e-3)
        a = np.where(up, np.clip((m + opp * (1 - s)) / s, 0.0, cap), opp)
        ap = np.where(up, opp, np.clip((a * s - m) / (1 - s), 0.0, cap))
        return a, ap

    betas = np.full(N, 0.5)  # PPI's starting value
    alphas, alphas_prime = split(d, sr)
    history: list[dict] = []
    total_runs = 0
    it_total = 0
    R_stage = runs
    best = None
    for stage in range(max_stages):
        w_a, w_b = np.ones(N), np.ones(N)
        prev_ea, prev_eb = np.zeros(N), np.zeros(N)
        kept, kept_score = None, np.inf
        for _ in range(max_iter):
            res = simulate(spec.with_params(alphas, alphas_prime, betas), R_stage, seed + stage, keep="final")
            total_runs += R_stage
            it_total += 1
            I_hat = res.I_final.mean(axis=0)
            g_hat = res.gamma_mean.mean(axis=0)
            s_hat = res.success_rate.mean(axis=0)
            ea, eb, ga, gb = goodness_of_fit(I0, IF, sr, I_hat, g_hat)
            # how well this sample can tell: a quarter of the standard error of its means
            # (but no finer than 0.1 % of the fit's tolerance)
            tol_a = np.maximum(0.25 * res.I_final.std(axis=0) / np.sqrt(R_stage), 1e-3 * (1 - threshold) * gap)
            tol_b = np.maximum(0.25 * res.gamma_mean.std(axis=0) / np.sqrt(R_stage), 1e-3 * (1 - threshold) * sr)
            score = float(max((np.abs(ea) / tol_a).max(), (np.abs(eb) / tol_b).max()))
            if score < kept_score:
                kept, kept_score = (alphas, alphas_prime, betas), score
            worst = float(min(ga.min(), gb.min()))
            entry = {"stage": stage, "iteration": it_total, "runs": R_stage, "worst_gof_in_sample": worst,
                     "error_in_tolerances": score}
            history.append(entry)
            if callback:
                callback(entry)
            if verbose:
                print(f"stage {stage} iteration {it_total} ({R_stage} runs): worst in-sample GoF {worst:.4f}, "
                      f"largest error {score:.2f} tolerances")
            if score <= 1.0:
                break
            # damp the steps of indicators whose error changed sign (oscillation)
            w_a = np.where(ea * prev_ea < 0, w_a * 0.5, np.minimum(1.0, w_a * 1.25))
            w_b = np.where(eb * prev_eb < 0, w_b * 0.5, np.minimum(1.0, w_b * 1.25))
            prev_ea, prev_eb = ea, eb
            # β: γ is proportional to β up to feedback
            ratio = np.where(g_hat > 0, sr / np.where(g_hat > 0, g_hat, 1.0), 2.0)
            betas = betas * np.clip(ratio, 0.1, 10.0) ** w_b
            # α, α': correct the model drift by the shortfall of the simulated drift
            m = alphas * s_hat - alphas_prime * (1 - s_hat) + w_a * (IF - I_hat) / steps
            alphas, alphas_prime = split(m, s_hat)
        alphas, alphas_prime, betas = kept
        n_check = max(check_runs, R_stage)
        check = simulate(spec.with_params(alphas, alphas_prime, betas), n_check, seed + 1000 + stage, keep="final")
        total_runs += n_check
        ea, eb, ga, gb = goodness_of_fit(I0, IF, sr, check.I_final.mean(axis=0), check.gamma_mean.mean(axis=0))
        best = (ea, eb, ga, gb, n_check)
        worst = float(min(ga.min(), gb.min()))
        history.append({"stage": stage, "iteration": it_total, "runs": n_check, "worst_gof_check": worst,
                        "median_gof_check": float(np.median(np.r_[ga, gb]))})
        if verbose:
            print(f"stage {stage}: worst GoF on {n_check} independent runs {worst:.4f}")
        if worst >= threshold:
            break
        R_stage *= 4
    ea, eb, ga, gb, n_check = best
    return CalibrationResult(alphas=alphas, alphas_prime=alphas_prime, betas=betas, T=T_, error_alpha=ea,
                             error_beta=eb, gof_alpha=ga, gof_beta=gb, threshold=threshold, iterations=it_total,
                             runs_simulated=total_runs, check_runs=n_check,
                             seconds=time.perf_counter() - started, seed=seed, history=history)
